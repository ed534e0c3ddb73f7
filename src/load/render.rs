//! A load summary as a file: JSON (which `tollgate merge` reads back), Markdown
//! or a self-contained HTML page, chosen by the file's extension.

use std::io::{self, Write};
use std::path::Path;

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

/// Writes `summary` to `path` in the format its extension names.
pub fn write_file(path: &Path, summary: &LoadSummary) -> Result<(), RenderError> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let mut out = Vec::new();
    match extension.as_str() {
        "json" => {
            serde_json::to_writer_pretty(&mut out, summary)?;
            writeln!(out)?;
        }
        "md" | "markdown" => write_markdown(summary, &mut out)?,
        "html" | "htm" => html::write_html(summary, &mut out)?,
        _ => return Err(RenderError::UnknownExtension),
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    Ok(std::fs::write(path, out)?)
}

pub fn write_markdown(summary: &LoadSummary, out: &mut impl Write) -> io::Result<()> {
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
        let cells = cells(&row).map(|c| c.replace('|', "\\|"));
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    if !summary.thresholds.is_empty() {
        writeln!(out, "\n| threshold | observed | result |\n|---|---|---|")?;
        for t in &summary.thresholds {
            let result = if t.passed { "pass" } else { "FAIL" };
            writeln!(out, "| `{}` | {} | {result} |", t.rule, t.observed)?;
        }
    }
    Ok(())
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
        write_markdown(&summary(), &mut md).unwrap();
        let md = String::from_utf8(md).unwrap();
        assert!(
            md.contains("| read \\| all | 10 | 1 | 10.0 | 300us |"),
            "{md}"
        );
        assert!(md.contains("| `p99<1us` | 300us | FAIL |"), "{md}");
        let mut html = Vec::new();
        html::write_html(&summary(), &mut html).unwrap();
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("<h1>Load: LOAD-&lt;BASIC&gt;</h1>"), "{html}");
        assert!(html.contains("<code>p99&lt;1us</code>: <span"), "{html}");
        assert!(html.contains("read | all"), "{html}");
        assert!(!html.contains("<BASIC>"), "{html}");
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
    }
}
