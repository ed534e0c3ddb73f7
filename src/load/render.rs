//! A load summary as a file: JSON (which `tollgate merge` reads back), Markdown
//! or a self-contained HTML page, chosen by the file's extension; with
//! `--baseline`, each holds the change against the baseline too.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::baseline::{self, Comparison};
use super::html;
use super::summary::LoadSummary;
use super::table::{HEADINGS, cells, headline, open_lines, rows};

/// Why a load report file was not written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the report's extension must be .json, .md or .html")]
    UnknownExtension,
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The JSON report: the summary, and the comparison with a baseline when there
/// is one (a reader of summaries, `tollgate merge` too, skips it).
#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    summary: &'a LoadSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a Comparison>,
}

/// The formats a report is written in, by extension.
enum Format {
    Json,
    Markdown,
    Html,
}

fn format_of(path: &Path) -> Result<Format, RenderError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "json" => Ok(Format::Json),
        "md" | "markdown" => Ok(Format::Markdown),
        "html" | "htm" => Ok(Format::Html),
        _ => Err(RenderError::UnknownExtension),
    }
}

/// Refuses a report `write_file` could not write, before a run that would
/// otherwise end without it.
pub fn check_extension(path: &Path) -> Result<(), RenderError> {
    format_of(path).map(|_| ())
}

/// Writes `summary` to `path` in the format its extension names.
pub fn write_file(path: &Path, summary: &LoadSummary) -> Result<(), RenderError> {
    write_report(path, summary, None)
}

/// Writes `summary`, with its change against a baseline, to `path`.
pub fn write_report(
    path: &Path,
    summary: &LoadSummary,
    baseline: Option<&Comparison>,
) -> Result<(), RenderError> {
    let mut out = Vec::new();
    match format_of(path)? {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &JsonReport { summary, baseline })?;
            writeln!(out)?;
        }
        Format::Markdown => write_markdown(summary, baseline, &mut out)?,
        Format::Html => html::write_html(summary, baseline, &mut out)?,
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    Ok(std::fs::write(path, out)?)
}

/// The table, thresholds, the change against a baseline, failures, and how the
/// run was driven.
pub fn write_markdown(
    summary: &LoadSummary,
    baseline: Option<&Comparison>,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(
        out,
        "# Load: {}\n\n{}\n",
        summary.scenario,
        headline(summary)
    )?;
    for line in open_lines(summary) {
        writeln!(out, "{line}\n")?;
    }
    writeln!(out, "| {} |", HEADINGS.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(HEADINGS.len()))?;
    for row in rows(summary) {
        let cells = cells(&row).map(|c| cell(&c));
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    if !summary.thresholds.is_empty() {
        writeln!(out, "\n| threshold | observed | result |\n|---|---|---|")?;
        for t in &summary.thresholds {
            let result = if t.passed { "pass" } else { "FAIL" };
            writeln!(out, "| `{}` | {} | {result} |", t.rule, t.observed)?;
        }
    }
    if let Some(comparison) = baseline {
        write_markdown_baseline(comparison, out)?;
    }
    write_markdown_failures(summary, out)?;
    write_markdown_run(summary, out)
}

/// Failed checks and the reasons requests failed, so a run that failed
/// everything says why in the report too.
fn write_markdown_failures(summary: &LoadSummary, out: &mut impl Write) -> io::Result<()> {
    if summary.steps.iter().any(|s| !s.checks.is_empty()) {
        writeln!(
            out,
            "\n## Failed checks\n\n| step | check | failed |\n|---|---|---|"
        )?;
        for step in &summary.steps {
            for check in &step.checks {
                writeln!(
                    out,
                    "| {} | {} | {} of {} |",
                    cell(&step.name),
                    cell(&check.check),
                    check.count,
                    step.requests
                )?;
            }
        }
    }
    if summary.steps.iter().any(|s| !s.reasons.is_empty()) {
        writeln!(
            out,
            "\n## Failure reasons\n\n| step | reason | count |\n|---|---|---|"
        )?;
        for step in &summary.steps {
            for reason in &step.reasons {
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    cell(&step.name),
                    cell(&reason.reason),
                    reason.count
                )?;
            }
        }
    }
    Ok(())
}

/// What ran: scenario file, tollgate's version and the options.
fn write_markdown_run(summary: &LoadSummary, out: &mut impl Write) -> io::Result<()> {
    let run = &summary.run;
    if run.tollgate_version.is_empty() && run.options.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\n## Run\n\n- scenario: {} ({})\n- target: {}\n- tollgate: {}",
        summary.scenario, run.scenario_file, summary.target, run.tollgate_version
    )?;
    for (name, value) in &run.options {
        writeln!(out, "- {name}: `{value}`")?;
    }
    Ok(())
}

/// The change against a baseline: one row per step both runs have, then what
/// does not match.
fn write_markdown_baseline(comparison: &Comparison, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "\n## Baseline\n\n{}\n", baseline::headline(comparison))?;
    writeln!(out, "| {} |", baseline::HEADINGS.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(baseline::HEADINGS.len()))?;
    for step in &comparison.steps {
        let cells = baseline::cells(step).map(|c| cell(&c));
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    if !comparison.notes.is_empty() {
        writeln!(out)?;
    }
    for note in &comparison.notes {
        writeln!(out, "- {note}")?;
    }
    Ok(())
}

/// Text in a Markdown table cell: a `|` or a line break would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::summary::{FORMAT, Histogram, Phase, StepLoad, ThresholdOutcome};

    fn summary() -> LoadSummary {
        let mut latency = Histogram {
            count: 10,
            min_us: 300,
            max_us: 300,
            total_us: 3000,
            ..Histogram::default()
        };
        latency.buckets_us.insert(300, 10);
        LoadSummary {
            format: FORMAT.into(),
            scenario: "LOAD-<BASIC>".into(),
            target: "embedded mock".into(),
            machines: 2,
            users: 8,
            duration_secs: 1.0,
            steps: vec![StepLoad {
                name: "read | all".into(),
                request: "GET read | all".into(),
                phase: Phase::Iteration,
                requests: 10,
                failures: 1,
                statuses: [(200, 9), (401, 1)].into(),
                latency,
                ..StepLoad::default()
            }],
            thresholds: vec![ThresholdOutcome {
                rule: "p99<1us".into(),
                observed: "300us".into(),
                passed: false,
            }],
            ..LoadSummary::default()
        }
    }

    #[test]
    fn markdown_and_html_carry_the_rows_and_the_verdicts() {
        let mut md = Vec::new();
        write_markdown(&summary(), None, &mut md).unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(
            md.contains("| read \\| all | 10 | 1 | 10.0 | 300us |"),
            "{md}"
        );
        assert!(md.contains("| `p99<1us` | 300us | FAIL |"), "{md}");
        let mut html = Vec::new();
        html::write_html(&summary(), None, &mut html).unwrap();
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("<h1>Load: LOAD-&lt;BASIC&gt;</h1>"), "{html}");
        assert!(html.contains("<code>p99&lt;1us</code>: <span"), "{html}");
        assert!(html.contains("read | all"), "{html}");
        assert!(!html.contains("<BASIC>"), "{html}");
    }

    #[test]
    fn markdown_gives_the_reasons_checks_and_run_and_the_baseline_in_every_format() {
        let mut run = summary();
        run.steps[0].checks = vec![crate::load::summary::CheckCount {
            check: "status".into(),
            count: 1,
        }];
        run.steps[0].reasons = vec![crate::load::summary::Reason {
            reason: "status expected 200, got 401".into(),
            count: 1,
        }];
        run.run.tollgate_version = "9.9.9".into();
        run.run.options.insert("users".into(), "8".into());
        let before = crate::load::baseline::Baseline {
            file: "base.json".into(),
            summary: LoadSummary {
                scenario: "OTHER".into(),
                ..summary()
            },
        };
        let comparison = before.compare(&run);
        let dir = tempfile::tempdir().unwrap();
        let read = |name: &str| {
            let path = dir.path().join(name);
            write_report(&path, &run, Some(&comparison)).unwrap();
            std::fs::read_to_string(path).unwrap()
        };
        let md = read("r.md");
        for part in [
            "| read \\| all | status | 1 of 10 |",
            "| read \\| all | status expected 200, got 401 | 1 |",
            "- tollgate: 9.9.9",
            "- users: `8`",
            "## Baseline\n\nagainst the baseline base.json (OTHER)",
            "| read \\| all | 10.0 (+0.0%) | 300us (+0.0%) |",
            "- the baseline is of another scenario (OTHER, this run LOAD-<BASIC>)",
        ] {
            assert!(md.contains(part), "{part} missing:\n{md}");
        }
        let html = read("r.html");
        assert!(html.contains("<h2>Baseline</h2>"), "{html}");
        assert!(
            html.contains(
                "<li>the baseline is of another scenario (OTHER, this run LOAD-&lt;BASIC&gt;)"
            ),
            "{html}"
        );
        let json: serde_json::Value = serde_json::from_str(&read("r.json")).unwrap();
        assert_eq!(json["baseline"]["scenario"], "OTHER");
        assert_eq!(json["baseline"]["steps"][0]["change"]["rps_pct"], 0.0);
        // The summary reads back as it was: the baseline section is skipped.
        let back: LoadSummary = serde_json::from_value(json).unwrap();
        assert_eq!(back, run);
    }

    #[test]
    fn the_extension_picks_the_format() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("sub/m.json");
        write_file(&json, &summary()).unwrap();
        let back: LoadSummary =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        assert_eq!(back, summary());
        assert!(write_file(&dir.path().join("m.txt"), &summary()).is_err());
        assert!(check_extension(Path::new("m.txt")).is_err());
        assert!(check_extension(Path::new("m.MD")).is_ok());
    }
}
