//! The Markdown report, shaped for a GitHub Actions step summary
//! (`$GITHUB_STEP_SUMMARY`): a heading, the counts, a table of scenarios, then a
//! collapsed `<details>` per failed, errored or warned scenario with its failures,
//! warnings and the step transcripts.
//!
//! Values come from targets and scenario authors, so everything is escaped for
//! where it lands: table cells (`|`, newlines), HTML (`<summary>`), code spans and
//! fences (backticks).

use std::io::{self, Write};

use super::model::{Outcome, RunReport, ScenarioReport};
use super::{counts_line, format_duration, transcript_text};

/// Writes `report` as GitHub-flavoured Markdown.
pub fn write_markdown(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let (icon, verdict) = match report.outcome() {
        Outcome::Pass | Outcome::Skip => ("✅", "passed"),
        Outcome::Warn => ("⚠️", "passed with warnings"),
        Outcome::Fail | Outcome::Error => ("❌", "failed"),
    };
    writeln!(out, "## tollgate: {icon} {verdict}\n")?;
    let version = report
        .certification
        .confluence_version
        .as_deref()
        .map(|v| format!(" · Confluence {}", inline(v)))
        .unwrap_or_default();
    writeln!(
        out,
        "**{}** · target {}{version} · tollgate {} · verdict **{}**\n",
        counts_line(&report.counts, report.duration_ms),
        code(&report.target),
        report.tool_version,
        report.certification.verdict
    )?;

    write_facts(report, out)?;
    writeln!(out, "| Outcome | Scenario | Title | Duration |")?;
    writeln!(out, "|---|---|---|---|")?;
    for scenario in &report.scenarios {
        let mut title = cell(&scenario.title);
        if let Some(reason) = &scenario.skip_reason {
            title.push_str(&format!("<br>*skipped: {}*", cell(reason)));
        }
        writeln!(
            out,
            "| {} {} | {} | {} | {} |",
            emoji(scenario.outcome),
            scenario.outcome.as_str(),
            cell(&code(&scenario.id)),
            title,
            format_duration(scenario.duration_ms)
        )?;
    }

    let problems: Vec<_> = report
        .scenarios
        .iter()
        .filter(|s| s.outcome.is_problem() || s.outcome == Outcome::Warn)
        .collect();
    if !problems.is_empty() {
        writeln!(out, "\n### Failures, errors and warnings")?;
        for scenario in problems {
            write_details(scenario, out)?;
        }
    }
    Ok(())
}

/// Which facts the run exercised on its target, folded: the evidence's reach.
fn write_facts(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let facts = &report.facts;
    writeln!(
        out,
        "<details>\n<summary>{} on this target</summary>\n",
        html(&facts.summary())
    )?;
    for fact in &facts.exercised {
        let scenarios: Vec<String> = fact.scenarios.iter().map(|s| code(s)).collect();
        writeln!(
            out,
            "- {} {} {}: {}",
            emoji(fact.outcome),
            fact.outcome.as_str(),
            code(&fact.id),
            cell(&scenarios.join(", "))
        )?;
    }
    if !facts.not_exercised.is_empty() {
        let ids: Vec<String> = facts.not_exercised.iter().map(|s| code(s)).collect();
        writeln!(out, "\nNot exercised: {}", ids.join(", "))?;
    }
    writeln!(out, "\n</details>\n")
}

fn write_details(scenario: &ScenarioReport, out: &mut impl Write) -> io::Result<()> {
    // A blank line after `<summary>` lets GitHub render the Markdown inside.
    writeln!(
        out,
        "\n<details>\n<summary>{} {} <code>{}</code> — {}</summary>\n",
        emoji(scenario.outcome),
        scenario.outcome.tag(),
        html(&scenario.id),
        html(&scenario.title)
    )?;
    writeln!(out, "Defined at {}.", code(&scenario.source.to_string()))?;
    let noted = scenario
        .steps
        .iter()
        .filter(|step| step.outcome().is_problem() || !step.warnings.is_empty());
    for step in noted {
        writeln!(
            out,
            "\n#### Step {} ({}) — {}\n",
            code(&step.name),
            step.outcome().words(),
            code(&step.source.to_string())
        )?;
        for failure in step.failures() {
            writeln!(
                out,
                "- **{}** at {}: expected {}, actual {}",
                inline(&failure.check.to_string()),
                code(&failure.source.to_string()),
                value(&failure.expected),
                value(&failure.actual)
            )?;
        }
        if let Some(error) = step.error() {
            writeln!(out, "- **error**: {}", value(error))?;
        }
        for warning in &step.warnings {
            writeln!(
                out,
                "- ⚠️ warning, **{}** at {}: expected {}, actual {}",
                inline(&warning.check.to_string()),
                code(&warning.source.to_string()),
                value(&warning.expected),
                value(&warning.actual)
            )?;
        }
        if let Some(transcript) = &step.transcript {
            writeln!(out)?;
            writeln!(out, "{}", fenced(&transcript_text(transcript), "http"))?;
        }
    }
    writeln!(out, "\n</details>")
}

fn emoji(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✅",
        Outcome::Warn => "⚠️",
        Outcome::Skip => "⏭️",
        Outcome::Fail => "❌",
        Outcome::Error => "💥",
    }
}

/// Text safe inside a table cell: `|` would end the cell, a newline the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// Text safe inside HTML elements.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code span that survives backticks in `text`: the fence is one backtick longer
/// than the longest run inside (CommonMark), padded when `text` touches a backtick.
fn code(text: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(text) + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Inline Markdown text with its emphasis and HTML characters neutralised.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// An expected or actual value: a code span when it fits on a line, otherwise a
/// fenced block on its own lines (code spans cannot hold line breaks).
fn value(text: &str) -> String {
    if text.contains('\n') {
        format!("\n\n{}\n", indent_block(&fenced(text, "")))
    } else {
        code(text)
    }
}

/// Indents a block so it stays inside the list item it follows.
fn indent_block(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fenced block whose fence no line of `text` can close.
fn fenced(text: &str, lang: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(text) + 1).max(3));
    format!("{fence}{lang}\n{text}\n{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::redact::normalize_for_snapshot;
    use crate::report::sample;

    fn render() -> String {
        let mut out = Vec::new();
        write_markdown(&sample::report(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn markdown_has_table_and_details_for_problems_only() {
        let text = render();
        assert!(text.starts_with("## tollgate: ❌ failed\n"));
        let rows = text.lines().filter(|l| l.starts_with("| ")).count();
        assert_eq!(rows, 1 + 5, "header plus one row per scenario");
        assert!(text.contains("Logout invalidates the session \\| cookie"));
        // The facts, then one per scenario that failed, errored or warned.
        assert_eq!(text.matches("<details>").count(), 4);
        assert_eq!(text.matches("</details>").count(), 4);
        assert!(text.contains("<summary>2 of 4 facts exercised on this target</summary>"));
        assert!(
            text.contains("Not exercised: `F-BASIC-2`, `F-CROWD-1`"),
            "the skipped scenario's"
        );
        assert!(text.contains("| ⚠️ warn | `BASIC-003` |"));
        assert!(text.contains(
            "- ⚠️ warning, **header content-type** at `scenarios/basic/wrong-password.yaml:17:25`"
        ));
        assert!(text.contains("expected `401`, actual `200`"));
        sample::assert_no_canary(&text);
    }

    #[test]
    fn escaping_keeps_structure() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(html("<b>&"), "&lt;b&gt;&amp;");
        assert_eq!(inline("json $.a_b[0]"), "json $.a\\_b\\[0\\]");
        assert_eq!(fenced("```\nx", "http"), "````http\n```\nx\n````");
        assert_eq!(value("a\nb"), "\n\n  ```\n  a\n  b\n  ```\n");
    }

    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!("markdown", normalize_for_snapshot(&render()));
    }
}
