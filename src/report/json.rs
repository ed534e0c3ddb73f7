//! The JSON report: the [`RunReport`] as serde sees it, tagged with a format
//! version so scripts can refuse a shape they do not know.

use std::io::{self, Write};

use serde::Serialize;

use super::model::RunReport;

/// Bumped when a field changes meaning or disappears; adding fields keeps it.
pub const FORMAT: &str = "tollgate-report/1";

/// The file's top level: `format` first, then the report's own fields.
#[derive(Serialize, schemars::JsonSchema)]
pub(super) struct JsonReport<'a> {
    format: &'static str,
    #[serde(flatten)]
    report: &'a RunReport,
}

/// Writes `report` as pretty-printed JSON, ending with a newline.
pub fn write_json(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let doc = JsonReport {
        format: FORMAT,
        report,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::redact::normalize_for_snapshot;
    use crate::report::sample;

    fn render() -> String {
        let mut out = Vec::new();
        write_json(&sample::report(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_is_tagged_and_complete() {
        let text = render();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["format"], FORMAT);
        assert_eq!(value["counts"]["total"], 5);
        assert_eq!(value["counts"]["warned"], 1);
        assert_eq!(value["scenarios"].as_array().unwrap().len(), 5);
        assert_eq!(value["scenarios"][1]["outcome"], "warn");
        let warning = &value["scenarios"][1]["steps"][0]["warnings"][0];
        assert_eq!(warning["check"], "header content-type");
        assert_eq!(warning["actual"], "application/json");
        assert_eq!(value["scenarios"][2]["outcome"], "fail");
        assert_eq!(
            value["scenarios"][2]["steps"][1]["failures"][0]["source"]["line"],
            24
        );
        assert!(text.starts_with("{\n  \"format\": \"tollgate-report/1\","));
        sample::assert_no_canary(&text);
    }

    #[test]
    fn json_snapshot() {
        insta::assert_snapshot!("json", normalize_for_snapshot(&render()));
    }
}
