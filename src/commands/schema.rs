//! `tollgate schema`: the JSON Schema of a scenario file (the default), a
//! profile or the JSON run report, each derived from the types that read or
//! write it, so the schema cannot drift from the code.

use std::io::Write;

use super::outcome::CommandOutcome;
use super::{CommandResult, usage};
use crate::cli::{SchemaArgs, SchemaKind};

pub fn schema(args: &SchemaArgs) -> CommandResult {
    let schema = match args.kind {
        SchemaKind::Scenario => schemars::schema_for!(crate::scenario::model::Scenario),
        SchemaKind::Profile => {
            let mut schema = schemars::schema_for!(crate::scenario::profile::Profile);
            schema.insert("title".into(), "tollgate certification profile".into());
            schema
        }
        SchemaKind::Report => crate::report::schema::report_schema(),
    };
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| usage(format!("cannot render the schema: {e}")))?;
    // A closed pipe (`tollgate schema | head`) is not an error worth a panic.
    let _ = writeln!(std::io::stdout(), "{text}");
    Ok(CommandOutcome::Passed)
}
