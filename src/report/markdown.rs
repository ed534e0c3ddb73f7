//! The Markdown report, shaped for a GitHub Actions step summary
//! (`$GITHUB_STEP_SUMMARY`): the verdict as the heading, then the profile and
//! counts in a table, the target, the facts (each with its statement), a table
//! of scenarios grouped by area, then a collapsed `<details>` per failed,
//! errored or warned scenario with its failures, warnings and the step
//! transcripts.
//!
//! Values come from targets and scenario authors, so every one is escaped for
//! where it lands: text and table cells (Markdown emphasis, links, HTML, `|`,
//! newlines), HTML (`<summary>`), code spans and fences (backticks).

use std::io::{self, Write};

use super::model::{Outcome, RunReport, ScenarioReport, Verdict};
use super::{by_area, counts_line, format_duration, transcript_text};

/// Writes `report` as GitHub-flavoured Markdown.
pub fn write_markdown(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let cert = &report.certification;
    let icon = match cert.verdict {
        Verdict::Conformant => "✅",
        Verdict::Incomplete { .. } => "⚠️",
        Verdict::NotConformant => "❌",
    };
    // A pass with warnings says so beside the verdict: a conformant run may
    // still miss `should`s worth a look.
    let warned = if report.outcome() == Outcome::Warn {
        " · ⚠️ passed with warnings"
    } else {
        ""
    };
    writeln!(
        out,
        "## tollgate: {icon} {}{warned}\n",
        text(&cert.verdict.to_string())
    )?;
    let counts = &report.counts;
    let profile = cert
        .profile
        .as_deref()
        .map_or_else(|| "(none)".to_string(), code);
    writeln!(
        out,
        "| Verdict | Profile | Scenarios | Passed | With warnings | Failed | Errors | Skipped |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| **{}** | {} | {} | {} | {} | {} | {} | {} |\n",
        text(&cert.verdict.to_string()),
        cell(&profile),
        counts.total,
        counts.passed,
        counts.warned,
        counts.failed,
        counts.errored,
        counts.skipped
    )?;
    let version = cert
        .confluence_version
        .as_deref()
        .map(|v| format!(" · Confluence {}", text(v)))
        .unwrap_or_default();
    writeln!(
        out,
        "{} · target {}{version} · tollgate {}\n",
        text(&counts_line(counts, report.duration_ms)),
        code(&report.target),
        text(&report.tool_version),
    )?;

    write_facts(report, out)?;
    writeln!(out, "| Outcome | Area | Scenario | Title | Duration |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for (area, scenarios) in by_area(&report.scenarios) {
        for (_, scenario) in scenarios {
            // `text` escapes `|` and line breaks too: safe in a cell as it is.
            let mut title = text(&scenario.title);
            if let Some(reason) = &scenario.skip_reason {
                title.push_str(&format!("<br>*skipped: {}*", text(reason)));
            }
            writeln!(
                out,
                "| {} {} | {} | {} | {} | {} |",
                emoji(scenario.outcome),
                scenario.outcome.as_str(),
                cell(&code(&area)),
                cell(&code(&scenario.id)),
                title,
                format_duration(scenario.duration_ms)
            )?;
        }
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

/// Which facts the run exercised on its target, folded: the evidence's reach,
/// each fact with what it says.
fn write_facts(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let facts = &report.facts;
    writeln!(
        out,
        "<details>\n<summary>{} on this target</summary>\n",
        html(&facts.summary())
    )?;
    let statement = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            format!(" — {}", text(s))
        }
    };
    for fact in &facts.exercised {
        let scenarios: Vec<String> = fact.scenarios.iter().map(|s| code(s)).collect();
        writeln!(
            out,
            "- {} {} {}{}: {}",
            emoji(fact.outcome),
            fact.outcome.as_str(),
            code(&fact.id),
            statement(&fact.statement),
            scenarios.join(", ")
        )?;
    }
    if !facts.not_exercised.is_empty() {
        let ids: Vec<String> = facts.not_exercised.iter().map(|s| code(s)).collect();
        writeln!(out, "\nNot exercised: {}\n", ids.join(", "))?;
        for id in &facts.not_exercised {
            let said = statement(facts.statement(id).unwrap_or_default());
            writeln!(out, "- {}{said}", code(id))?;
        }
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

/// Text from a scenario author or a target as Markdown shows it, never as it
/// would format: HTML characters as entities, Markdown's emphasis, links, code
/// and table characters escaped, line breaks as `<br>`.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            ch => out.push(ch),
        }
    }
    out
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
        assert!(text.starts_with("## tollgate: ❌ not conformant\n"));
        let rows = text.lines().filter(|l| l.starts_with("| ")).count();
        assert_eq!(
            rows,
            2 + 1 + 5,
            "counts, then a header and one row per scenario"
        );
        assert!(text.contains("Logout invalidates the session \\| cookie"));
        // The facts, then one per scenario that failed, errored or warned.
        assert_eq!(text.matches("<details>").count(), 4);
        assert_eq!(text.matches("</details>").count(), 4);
        assert!(text.contains("<summary>2 of 4 facts exercised on this target</summary>"));
        assert!(
            text.contains("Not exercised: `F-BASIC-2`, `F-CROWD-1`"),
            "the skipped scenario's"
        );
        assert!(text.contains("| ⚠️ warn | `basic` | `BASIC-003` |"));
        assert!(text.contains(
            "- ⚠️ warning, **header content-type** at `scenarios/basic/wrong-password.yaml:17:25`"
        ));
        assert!(text.contains("expected `401`, actual `200`"));
        sample::assert_no_canary(&text);
    }

    #[test]
    fn verdict_profile_and_counts_come_first() {
        let text = render();
        let head: Vec<&str> = text.lines().take(5).collect();
        assert_eq!(head[0], "## tollgate: ❌ not conformant");
        assert!(head[2].starts_with("| Verdict | Profile | Scenarios | Passed |"));
        assert_eq!(
            head[4],
            "| **not conformant** | `basic-locked-down` | 5 | 1 | 1 | 1 | 1 | 1 |"
        );
        // Facts with their statements, escaped.
        assert!(text.contains(
            "`F-BASIC-5` — A wrong password is \\`401\\` &lt;with&gt; a login reason.: `BASIC-003`"
        ), "{text}");
        assert!(text.contains("- `F-CROWD-1` — The Crowd SSO cookie signs the user in."));
    }

    #[test]
    fn every_user_string_is_escaped_in_table_cells_too() {
        let mut report = sample::report();
        report.scenarios[0].title =
            "**bold** <img src=x> [link](http://x) `code` | pipe\nnext".into();
        report.scenarios[4].skip_reason = Some("_why_ <b>".into());
        let mut out = Vec::new();
        write_markdown(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text
            .lines()
            .find(|l| l.starts_with("| ") && l.contains("`basic/valid-credentials`"))
            .unwrap();
        assert!(row.contains(
            "\\*\\*bold\\*\\* &lt;img src=x&gt; \\[link\\](http://x) \\`code\\` \\| pipe<br>next"
        ), "{row}");
        assert!(!row.contains("<img"), "{row}");
        assert!(text.contains("*skipped: \\_why\\_ &lt;b&gt;*"), "{text}");
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
