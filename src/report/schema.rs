//! The JSON Schema of the JSON report (`tollgate schema --kind report`), derived
//! from the model's own types so it follows them. The types whose `Serialize`
//! is written by hand ([`Verdict`], [`Check`], [`StepReport`]) get their schema
//! here; a test holds the sample report to a strict copy of the schema, so a
//! field added to the report without its schema fails it.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};

use super::json::{FORMAT, JsonReport};
use super::model::{
    BurstSummary, Check, CheckResult, Failure, Outcome, SourceLoc, StepReport, Transcript, Verdict,
};

/// The schema of a `tollgate-report/1` file, as written (the serialize side:
/// a field skipped when empty is not required).
pub fn report_schema() -> Schema {
    let mut schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<JsonReport<'static>>();
    schema.insert("title".into(), "tollgate run report".into());
    schema.insert(
        "description".into(),
        "The JSON report of `tollgate run --report json=FILE`.".into(),
    );
    // `format` is a `&str` to serde; readers compare it to this one value.
    if let Some(format) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("format"))
    {
        *format = serde_json::json!({
            "description": "The report's shape; a new one when a field changes meaning or disappears.",
            "const": FORMAT,
        });
    }
    schema
}

impl JsonSchema for Verdict {
    fn schema_name() -> Cow<'static, str> {
        "Verdict".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Whether the target conforms: every selected scenario ran and passed; none failed but some were skipped; or one failed or errored.",
            "type": "string",
            "pattern": "^(conformant|not conformant|incomplete: [0-9]+ of [0-9]+ ran)$",
        })
    }
}

impl JsonSchema for Check {
    fn schema_name() -> Cow<'static, str> {
        "Check".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "What was checked, e.g. `status`, `header location`, `json $.username`, `cookie JSESSIONID Secure`.",
            "type": "string",
        })
    }
}

/// The fields [`StepReport`]'s `Serialize` writes, each when it writes it.
#[derive(JsonSchema)]
#[allow(dead_code)] // a shape for the schema only
struct StepShape {
    name: String,
    /// Where the step's `name:` is written.
    source: SourceLoc,
    outcome: Outcome,
    duration_ms: u64,
    /// Every expectation the response missed (a failed step).
    #[serde(skip_serializing_if = "Option::is_none")]
    failures: Option<Vec<Failure>>,
    /// Why no answer could be judged (an errored step), or why the step was
    /// not run (a skipped step, as in `skip_reason`).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Why the step was not run (a skipped step).
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_reason: Option<String>,
    /// What the answer missed of the step's `should` (a pass with warnings).
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<Failure>>,
    /// Every check made of the answer, passed or not, with expected, actual and
    /// where it is written; absent when no answer was judged.
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Vec<CheckResult>>,
    /// The exchange, redacted; absent when nothing was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<Transcript>,
    /// What a `burst:` step's answers were.
    #[serde(skip_serializing_if = "Option::is_none")]
    burst: Option<BurstSummary>,
}

impl JsonSchema for StepReport {
    fn schema_name() -> Cow<'static, str> {
        "StepReport".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        StepShape::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::json::write_json;
    use crate::report::sample;

    /// `schema` with `additionalProperties: false` wherever it lists properties:
    /// the published schema lets readers meet fields added later (they keep
    /// `tollgate-report/1`); this copy makes a field the schema lacks an error.
    fn strict(schema: &mut Value) {
        match schema {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(strict);
            }
            Value::Array(items) => items.iter_mut().for_each(strict),
            _ => {}
        }
    }

    fn validate(schema: Value, instance: &Value) -> Result<(), String> {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler
            .add_resource("report.schema.json", schema)
            .map_err(|e| format!("{e:#}"))?;
        let index = compiler
            .compile("report.schema.json", &mut schemas)
            .map_err(|e| format!("{e:#}"))?;
        schemas
            .validate(instance, index)
            .map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn the_sample_report_validates_and_declares_every_field() {
        let mut schema = serde_json::to_value(report_schema()).unwrap();
        assert_eq!(schema["properties"]["format"]["const"], FORMAT);
        let mut out = Vec::new();
        write_json(&sample::report(), &mut out).unwrap();
        let report: Value = serde_json::from_slice(&out).unwrap();
        validate(schema.clone(), &report).unwrap();
        strict(&mut schema);
        validate(schema.clone(), &report).unwrap();

        let mut changed = report.clone();
        changed["scenarios"][0]["steps"][0]["undeclared"] = Value::Bool(true);
        let error = validate(schema.clone(), &changed).unwrap_err();
        assert!(error.contains("undeclared"), "{error}");
        let mut wrong = report;
        wrong["certification"]["verdict"] = "fine".into();
        assert!(validate(schema, &wrong).is_err());
    }
}
