//! `tollgate schema`: the JSON Schema of a scenario file (the default), a
//! profile or the JSON run report, each derived from the types that read or
//! write it, so the schema cannot drift from the code.

use std::io::Write;

use serde_json::Value;

use super::outcome::CommandOutcome;
use super::{CommandResult, usage};
use crate::cli::{SchemaArgs, SchemaKind};

pub fn schema(args: &SchemaArgs) -> CommandResult {
    let schema = match args.kind {
        SchemaKind::Scenario => {
            let mut schema = schemars::schema_for!(crate::scenario::model::Scenario).to_value();
            allow_env_references(&mut schema);
            schema
        }
        SchemaKind::Profile => {
            let mut schema = schemars::schema_for!(crate::scenario::profile::Profile);
            schema.insert("title".into(), "tollgate certification profile".into());
            schema.to_value()
        }
        SchemaKind::Report => crate::report::schema::report_schema().to_value(),
    };
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| usage(format!("cannot render the schema: {e}")))?;
    // A closed pipe (`tollgate schema | head`) is not an error worth a panic.
    let _ = writeln!(std::io::stdout(), "{text}");
    Ok(CommandOutcome::Passed)
}

/// A scenario's `${env:…}` is replaced in every scalar before the file is
/// typed, so `capacity: "${env:CONF_RATE_CAPACITY:-20}"` is a number to the
/// loader: where the schema wants a number or a boolean, it also takes a string
/// holding such a reference (`pattern` constrains strings only).
fn allow_env_references(schema: &mut Value) {
    const NOT_TEXT: [&str; 3] = ["integer", "number", "boolean"];
    match schema {
        Value::Object(map) => {
            let widened = match map.get("type") {
                Some(Value::String(kind)) if NOT_TEXT.contains(&kind.as_str()) => {
                    Some(vec![Value::String(kind.clone()), "string".into()])
                }
                Some(Value::Array(kinds))
                    if !kinds.iter().any(|k| k == "string")
                        && kinds
                            .iter()
                            .any(|k| k.as_str().is_some_and(|k| NOT_TEXT.contains(&k))) =>
                {
                    Some(kinds.iter().cloned().chain(["string".into()]).collect())
                }
                _ => None,
            };
            if let Some(kinds) = widened
                && !map.contains_key("pattern")
            {
                map.insert("type".into(), Value::Array(kinds));
                map.insert("pattern".into(), r"\$\{env:".into());
            }
            map.values_mut().for_each(allow_env_references);
        }
        Value::Array(items) => items.iter_mut().for_each(allow_env_references),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_or_boolean_also_takes_an_env_reference_and_text_is_untouched() {
        let mut schema = serde_json::json!({
            "properties": {
                "capacity": { "type": "integer", "minimum": 0 },
                "tls": { "type": ["boolean", "null"] },
                "name": { "type": "string" },
                "either": { "type": ["string", "integer"] },
            }
        });
        allow_env_references(&mut schema);
        let properties = &schema["properties"];
        assert_eq!(
            properties["capacity"]["type"],
            serde_json::json!(["integer", "string"])
        );
        assert_eq!(properties["capacity"]["pattern"], r"\$\{env:");
        assert_eq!(
            properties["tls"]["type"],
            serde_json::json!(["boolean", "null", "string"])
        );
        assert_eq!(properties["name"], serde_json::json!({ "type": "string" }));
        assert!(properties["either"].get("pattern").is_none());
    }
}
