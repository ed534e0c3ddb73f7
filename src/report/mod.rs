//! Reporters. Each reads only [`model`] and writes to an `impl io::Write`, so every
//! format is snapshot-testable without files.
//!
//! [`redact`] is the one place that decides what is secret; the runner applies it
//! before a [`model::RunReport`] exists, so no reporter redacts anything itself.
//! This module holds what the file formats share: `--report FORMAT=FILE` parsing
//! and the plain-text rendering of durations, failures and transcripts.

pub mod console;
pub mod coverage;
pub mod curl;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod redact;
pub mod schema;

use std::fmt;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::str::FromStr;

use model::{Counts, Failure, RunReport, ScenarioReport, StepReport, Transcript};

/// A report file format of `tollgate run --report FORMAT=FILE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Junit,
    Json,
    Markdown,
    /// The self-contained evidence page of a certification run.
    Html,
}

impl ReportFormat {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Junit => "junit",
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
        }
    }

    /// Renders `report` in this format.
    pub fn write(self, report: &RunReport, out: &mut impl Write) -> io::Result<()> {
        match self {
            ReportFormat::Junit => junit::write_junit(report, out),
            ReportFormat::Json => json::write_json(report, out),
            ReportFormat::Markdown => markdown::write_markdown(report, out),
            ReportFormat::Html => html::write_html(report, out),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `--report FORMAT=FILE` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    pub format: ReportFormat,
    pub path: PathBuf,
}

/// The forms a `--report` value may take, named in every parse error.
const VALID_FORMS: &str = "junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE";

/// Why a `--report` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportSpecError {
    #[error("invalid report `{0}`: expected {VALID_FORMS}")]
    NoFormat(String),
    #[error("unknown report format `{format}` in `{input}`: expected {VALID_FORMS}")]
    UnknownFormat { format: String, input: String },
    #[error("report `{0}` has no file name: expected {VALID_FORMS}")]
    NoPath(String),
}

impl FromStr for ReportSpec {
    type Err = ReportSpecError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let Some((format, path)) = input.split_once('=') else {
            return Err(ReportSpecError::NoFormat(input.to_owned()));
        };
        let format = match format.trim().to_ascii_lowercase().as_str() {
            "junit" => ReportFormat::Junit,
            "json" => ReportFormat::Json,
            "md" | "markdown" => ReportFormat::Markdown,
            "html" => ReportFormat::Html,
            _ => {
                return Err(ReportSpecError::UnknownFormat {
                    format: format.to_owned(),
                    input: input.to_owned(),
                });
            }
        };
        if path.is_empty() {
            return Err(ReportSpecError::NoPath(input.to_owned()));
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

impl fmt::Display for ReportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.format, self.path.display())
    }
}

/// Writes `report` to `spec.path` in `spec.format`, creating missing parent
/// folders (CI jobs point `--report` into folders that do not exist yet).
pub fn write_report_file(spec: &ReportSpec, report: &RunReport) -> io::Result<()> {
    if let Some(parent) = spec.path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut out = BufWriter::new(fs::File::create(&spec.path)?);
    spec.format.write(report, &mut out)?;
    out.flush()
}

/// `45ms` under a second, `1.84s` from there: what people read at a glance.
pub fn format_duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{}.{:02}s", ms / 1000, (ms % 1000) / 10)
    }
}

/// `12 scenarios: 11 passed, 1 failed, 0 errors, 0 skipped in 1.84s`: the line
/// the console ends with and the Markdown summary leads with.
pub fn counts_line(counts: &Counts, duration_ms: u64) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    // Said only when there are some, so a run without `should` misses reads as
    // it always has.
    let warned = if counts.warned > 0 {
        format!(", {} with warnings", counts.warned)
    } else {
        String::new()
    };
    format!(
        "{}: {} passed{warned}, {} failed, {}, {} skipped in {}",
        plural(counts.total, "scenario", "scenarios"),
        counts.passed,
        counts.failed,
        plural(counts.errored, "error", "errors"),
        counts.skipped,
        format_duration(duration_ms)
    )
}

/// `status: expected 401, actual 200` — one line when both values are short and
/// single-line, otherwise each value on its own indented lines.
pub(crate) fn failure_text(failure: &Failure) -> String {
    let single = |v: &str| !v.contains('\n') && v.chars().count() <= 60;
    if single(&failure.expected) && single(&failure.actual) {
        format!(
            "{}: expected {}, actual {}",
            failure.check, failure.expected, failure.actual
        )
    } else {
        format!(
            "{}:\n  expected:\n{}\n  actual:\n{}",
            failure.check,
            indent(&failure.expected, "    "),
            indent(&failure.actual, "    ")
        )
    }
}

/// The failures and error of one unsuccessful step, as plain text.
pub(crate) fn step_problem_text(step: &StepReport) -> String {
    let mut text = format!(
        "step `{}` {} (at {})",
        step.name,
        step.outcome().as_str(),
        step.source
    );
    for failure in step.failures() {
        text.push('\n');
        text.push_str(&indent(&failure_text(failure), "  "));
        text.push_str(&format!("\n    --> {}", failure.source));
    }
    if let Some(error) = step.error() {
        text.push('\n');
        text.push_str(&indent(&format!("error: {error}"), "  "));
    }
    for warning in &step.warnings {
        text.push('\n');
        text.push_str(&indent(
            &format!("warning: {}", failure_text(warning)),
            "  ",
        ));
        text.push_str(&format!("\n    --> {}", warning.source));
    }
    text
}

/// A step's exchange the way `curl -v` shows it: `>` for what was sent, `<` for
/// what came back. Already redacted by the runner.
pub(crate) fn transcript_text(transcript: &Transcript) -> String {
    let mut lines = Vec::new();
    let request = &transcript.request;
    lines.push(format!("> {} {}", request.method, request.url));
    for (name, value) in &request.headers {
        lines.push(format!("> {name}: {value}"));
    }
    if let Some(body) = &request.body {
        lines.push(">".to_owned());
        lines.extend(body.lines().map(|l| format!("> {l}")));
    }
    match &transcript.response {
        Some(response) => {
            lines.push(format!(
                "< {} ({})",
                response.status,
                format_duration(response.duration_ms)
            ));
            for (name, value) in &response.headers {
                lines.push(format!("< {name}: {value}"));
            }
            if !response.body.is_empty() {
                lines.push("<".to_owned());
                lines.extend(response.body.lines().map(|l| format!("< {l}")));
            }
            if response.body_truncated {
                lines.push("< [body truncated]".to_owned());
            }
        }
        None => lines.push("< (no response)".to_owned()),
    }
    if !transcript.idp_calls.is_empty() {
        lines.push("# meanwhile the target asked tollgate's IdP:".to_owned());
        lines.extend(transcript.idp_calls.iter().map(|c| format!("! {c}")));
    }
    lines.join("\n")
}

/// Scenarios of one area, with their index in the run (in-page anchors use it).
pub(crate) type Area<'a> = (String, Vec<(usize, &'a ScenarioReport)>);

/// The run's scenarios grouped by [`ScenarioReport::area`], areas in the order
/// they first appear, scenarios in run order within each.
pub(crate) fn by_area(scenarios: &[ScenarioReport]) -> Vec<Area<'_>> {
    let mut areas: Vec<Area<'_>> = Vec::new();
    for (index, scenario) in scenarios.iter().enumerate() {
        let area = scenario.area();
        match areas.iter_mut().find(|(name, _)| *name == area) {
            Some((_, members)) => members.push((index, scenario)),
            None => areas.push((area, vec![(index, scenario)])),
        }
    }
    areas
}

/// Prefixes every line of `text` with `prefix`.
pub(crate) fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
pub(crate) mod sample;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_spec_parses_every_form() {
        let cases = [
            ("junit=out/junit.xml", ReportFormat::Junit, "out/junit.xml"),
            ("json=r.json", ReportFormat::Json, "r.json"),
            ("md=summary.md", ReportFormat::Markdown, "summary.md"),
            ("markdown=s.md", ReportFormat::Markdown, "s.md"),
            ("HTML=evidence.html", ReportFormat::Html, "evidence.html"),
            ("JUnit=a=b.xml", ReportFormat::Junit, "a=b.xml"),
        ];
        for (input, format, path) in cases {
            let spec: ReportSpec = input.parse().unwrap();
            assert_eq!(spec.format, format, "{input}");
            assert_eq!(spec.path, PathBuf::from(path), "{input}");
        }
        assert_eq!(
            "md=x.md".parse::<ReportSpec>().unwrap().to_string(),
            "md=x.md"
        );
    }

    #[test]
    fn report_spec_errors_name_the_valid_forms() {
        let cases = [
            (
                "report.xml",
                "invalid report `report.xml`: expected junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE",
            ),
            (
                "pdf=r.pdf",
                "unknown report format `pdf` in `pdf=r.pdf`: expected junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE",
            ),
            (
                "junit=",
                "report `junit=` has no file name: expected junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE",
            ),
        ];
        for (input, message) in cases {
            let err = input.parse::<ReportSpec>().unwrap_err();
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn write_report_file_creates_parent_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let report = sample::report();
        for (format, name) in [
            (ReportFormat::Junit, "a/b/junit.xml"),
            (ReportFormat::Json, "c/report.json"),
            (ReportFormat::Markdown, "summary.md"),
            (ReportFormat::Html, "d/evidence.html"),
        ] {
            let spec = ReportSpec {
                format,
                path: dir.path().join(name),
            };
            write_report_file(&spec, &report).unwrap();
            let written = fs::read_to_string(&spec.path).unwrap();
            let mut expected = Vec::new();
            format.write(&report, &mut expected).unwrap();
            assert_eq!(written.as_bytes(), expected, "{spec}");
            assert!(written.contains("session/logout-invalidates"));
        }
    }

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(format_duration(0), "0ms");
        assert_eq!(format_duration(999), "999ms");
        assert_eq!(format_duration(1_000), "1.00s");
        assert_eq!(format_duration(1_840), "1.84s");
        assert_eq!(format_duration(125_409), "125.40s");
    }

    #[test]
    fn counts_line_pluralizes() {
        let one = model::Counts {
            total: 1,
            passed: 1,
            ..Default::default()
        };
        assert_eq!(
            counts_line(&one, 45),
            "1 scenario: 1 passed, 0 failed, 0 errors, 0 skipped in 45ms"
        );
    }

    #[test]
    fn run_outcome_is_the_worst_scenario() {
        let mut report = sample::report();
        assert_eq!(report.outcome(), model::Outcome::Error);
        report.scenarios.clear();
        assert_eq!(report.outcome(), model::Outcome::Pass);
    }

    #[test]
    fn no_format_leaks_a_canary() {
        let report = sample::report();
        for format in [
            ReportFormat::Junit,
            ReportFormat::Json,
            ReportFormat::Markdown,
            ReportFormat::Html,
        ] {
            let mut out = Vec::new();
            format.write(&report, &mut out).unwrap();
            sample::assert_no_canary(&String::from_utf8(out).unwrap());
        }
        // The curl lines on their own, and a sanity check that they exist.
        let mut curls = 0;
        for step in report.scenarios.iter().flat_map(|s| &s.steps) {
            if let Some(transcript) = &step.transcript {
                sample::assert_no_canary(&transcript.request.curl);
                assert!(transcript.request.curl.starts_with("curl "));
                curls += 1;
            }
        }
        assert_eq!(curls, 5);
        let console = console::Console::new(false);
        let mut out = Vec::new();
        for scenario in &report.scenarios {
            console.scenario_finished(&mut out, scenario).unwrap();
        }
        console.summary(&mut out, &report).unwrap();
        sample::assert_no_canary(&String::from_utf8(out).unwrap());
    }
}
