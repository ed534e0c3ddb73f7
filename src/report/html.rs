//! The HTML evidence report (`--report html=FILE`, issue 6, item 4): one
//! self-contained page a plugin vendor can hand over. In the order a reader
//! needs it: the verdict and the counts; the certification block; the results
//! grouped by area; the facts exercised, each with its statement; every
//! scenario with its steps — every check a step made (expected, actual, where it
//! is written; folded for a passing step), the `curl` line and the redacted
//! transcript; and last the SHA-256 of each scenario file.
//!
//! Self-contained means nothing is fetched: CSS is inline, there is no script, no
//! font, no image, and the only links are in-page anchors (`href="#…"`). A
//! `Content-Security-Policy` of `default-src 'none'` says the same to the browser,
//! so even a value that escaped [`escape`] could load nothing. Scenario `refs`
//! that are URLs are shown as text, not links, for the same reason.
//!
//! Values come from scenario authors and from the target's answers: every one
//! passes through [`escape`] before it lands in the page.

use std::io::{self, Write};

use super::model::{
    Certification, Counts, Level, Outcome, RunReport, ScenarioReport, StepReport, StepResult,
};
use super::{Area, by_area, counts_line, format_duration, transcript_text};

/// Escapes `& < > " '` so text is inert in element content and in quoted
/// attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Kept short and readable: the page is read on screen and printed as evidence.
const STYLE: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1d1d1f}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
code,pre{font:13px/1.4 ui-monospace,monospace}pre{background:#f5f5f7;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.verdict{font-size:1.3em;padding:.5em .8em;border-radius:4px;display:inline-block}
.conformant{background:#e3f6e8;color:#0b6b2b}.not-conformant{background:#fde7e7;color:#a31515}.incomplete{background:#fff4d6;color:#7a5300}
.tag{font-weight:bold;font-family:ui-monospace,monospace}
.pass{color:#0b6b2b}.warn{color:#7a5300}.fail,.error{color:#a31515}.skip{color:#6e6e73}
section.scenario{border-top:1px solid #ddd}.step{margin:.8em 0 .8em 1em}
";

/// Writes `report` as one HTML page.
pub fn write_html(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let cert = &report.certification;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>tollgate report: {}</title>",
        escape(&cert.verdict.to_string())
    )?;
    writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>")?;
    writeln!(out, "<h1>tollgate conformance report</h1>")?;
    let verdict = escape(&cert.verdict.to_string());
    writeln!(
        out,
        "<p id=\"verdict\" class=\"verdict {}\" data-verdict=\"{verdict}\">Verdict: <strong>{verdict}</strong></p>",
        cert.verdict.class(),
    )?;
    writeln!(
        out,
        "<p>{}</p>",
        escape(&counts_line(&report.counts, report.duration_ms))
    )?;
    write_certification(cert, out)?;
    let areas = by_area(&report.scenarios);
    write_summary(&areas, out)?;
    write_facts(report, out)?;
    writeln!(out, "<h2 id=\"results\">Results</h2>")?;
    for (area, scenarios) in &areas {
        writeln!(out, "<h2>Area <code>{}</code></h2>", escape(area))?;
        for (index, scenario) in scenarios {
            write_scenario(*index, scenario, out)?;
        }
    }
    write_hashes(cert, out)?;
    writeln!(out, "</body>\n</html>")
}

fn write_certification(cert: &Certification, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "<h2 id=\"certification\">Certification</h2>")?;
    writeln!(out, "<table>")?;
    let profile = cert.profile.as_deref().unwrap_or("(none)");
    let verdict = cert.verdict.to_string();
    let strict = if cert.strict { "yes" } else { "no" };
    let confluence_version = cert.confluence_version.as_deref().unwrap_or("(not read)");
    for (name, value) in [
        ("Verdict", verdict.as_str()),
        ("tollgate version", cert.tool_version.as_str()),
        ("Profile", profile),
        ("Strict (should-level checks held as must)", strict),
        ("Target", cert.target.as_str()),
        ("Confluence version", confluence_version),
        ("Started", cert.started_at.as_str()),
        ("Finished", cert.finished_at.as_str()),
    ] {
        writeln!(
            out,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            escape(name),
            escape(value)
        )?;
    }
    writeln!(out, "</table>")?;
    writeln!(
        out,
        "<p>The SHA-256 of each scenario file is at the <a href=\"#hashes\">end</a>.</p>"
    )
}

/// Last: what proves which version of the suite judged the target.
fn write_hashes(cert: &Certification, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "<h2 id=\"hashes\">Scenario files (SHA-256)</h2>\n<table>"
    )?;
    writeln!(out, "<tr><th>File</th><th>SHA-256</th></tr>")?;
    for file in &cert.scenario_files {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
            escape(&file.path),
            escape(&file.sha256)
        )?;
    }
    writeln!(out, "</table>")
}

/// Which facts the run exercised on its target, and which it did not.
fn write_facts(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let facts = &report.facts;
    writeln!(
        out,
        "<h2 id=\"facts\">Facts exercised on this target</h2>\n<p>{}</p>",
        escape(&facts.summary())
    )?;
    if !facts.exercised.is_empty() {
        writeln!(
            out,
            "<table>\n<tr><th>Fact</th><th>Statement</th><th>Outcome</th><th>Scenarios</th></tr>"
        )?;
        for fact in &facts.exercised {
            let scenarios: Vec<String> = fact.scenarios.iter().map(|s| escape(s)).collect();
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(&fact.id),
                escape(&fact.statement),
                outcome_tag(fact.outcome),
                scenarios.join("</code>, <code>")
            )?;
        }
        writeln!(out, "</table>")?;
    }
    if !facts.not_exercised.is_empty() {
        writeln!(
            out,
            "<h3>Not exercised</h3>\n<table>\n<tr><th>Fact</th><th>Statement</th></tr>"
        )?;
        for id in &facts.not_exercised {
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                escape(id),
                escape(facts.statement(id).unwrap_or_default())
            )?;
        }
        writeln!(out, "</table>")?;
    }
    Ok(())
}

/// The scenarios by area, each area with its counts.
fn write_summary(areas: &[Area<'_>], out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "<h2 id=\"summary\">Scenarios by area</h2>\n<table>")?;
    writeln!(
        out,
        "<tr><th>Outcome</th><th>Scenario</th><th>Title</th><th>Duration</th></tr>"
    )?;
    for (area, scenarios) in areas {
        let counts = Counts::tally(scenarios.iter().map(|(_, s)| &s.outcome));
        writeln!(
            out,
            "<tr><th colspan=\"4\">{} <code>{}</code> — {}</th></tr>",
            outcome_tag(
                scenarios
                    .iter()
                    .map(|(_, s)| s.outcome)
                    .max()
                    .unwrap_or(Outcome::Pass)
            ),
            escape(area),
            escape(&area_counts(&counts))
        )?;
        for (index, scenario) in scenarios {
            writeln!(
                out,
                "<tr><td>{}</td><td><a href=\"#s{index}\"><code>{}</code></a></td><td>{}</td><td>{}</td></tr>",
                outcome_tag(scenario.outcome),
                escape(&scenario.id),
                escape(&scenario.title),
                escape(&format_duration(scenario.duration_ms))
            )?;
        }
    }
    writeln!(out, "</table>")
}

/// `3 scenarios: 2 passed, 1 failed`: only the outcomes an area has.
fn area_counts(counts: &Counts) -> String {
    let parts: Vec<String> = [
        (counts.passed, "passed"),
        (counts.warned, "with warnings"),
        (counts.failed, "failed"),
        (counts.errored, "error"),
        (counts.skipped, "skipped"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    let noun = if counts.total == 1 {
        "scenario"
    } else {
        "scenarios"
    };
    format!("{} {noun}: {}", counts.total, parts.join(", "))
}

fn write_scenario(index: usize, scenario: &ScenarioReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "<section class=\"scenario\" id=\"s{index}\">")?;
    writeln!(
        out,
        "<h2>{} <code>{}</code> — {}</h2>",
        outcome_tag(scenario.outcome),
        escape(&scenario.id),
        escape(&scenario.title)
    )?;
    writeln!(
        out,
        "<p>Defined at <code>{}</code> · {}</p>",
        escape(&scenario.source.to_string()),
        escape(&format_duration(scenario.duration_ms))
    )?;
    if !scenario.tags.is_empty() {
        writeln!(out, "<p>Tags: {}</p>", code_list(&scenario.tags))?;
    }
    if !scenario.refs.is_empty() {
        // Text, not links: the page links to nothing outside itself.
        writeln!(out, "<p>Refs: {}</p>", code_list(&scenario.refs))?;
    }
    if let Some(reason) = &scenario.skip_reason {
        writeln!(out, "<p class=\"skip\">Skipped: {}</p>", escape(reason))?;
    }
    for step in &scenario.steps {
        write_step(step, out)?;
    }
    writeln!(out, "</section>")
}

fn write_step(step: &StepReport, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "<div class=\"step\">")?;
    writeln!(
        out,
        "<h3>{} Step <code>{}</code></h3>",
        outcome_tag(step.outcome()),
        escape(&step.name)
    )?;
    writeln!(
        out,
        "<p>At <code>{}</code> · {}</p>",
        escape(&step.source.to_string()),
        escape(&format_duration(step.duration_ms))
    )?;
    write_misses(step.failures(), None, out)?;
    write_misses(
        &step.warnings,
        Some("Warnings (should-level checks that missed)"),
        out,
    )?;
    write_checks(step, out)?;
    let message = match &step.result {
        StepResult::Errored(message) => Some(("error", message)),
        StepResult::Skipped(reason) => Some(("skip", reason)),
        StepResult::Passed | StepResult::Failed(_) => None,
    };
    if let Some((class, text)) = message {
        writeln!(out, "<p class=\"{class}\">{}</p>", escape(text))?;
    }
    if let Some(burst) = &step.burst {
        let statuses = burst
            .statuses
            .iter()
            .map(|(status, n)| format!("{status}×{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(
            out,
            "<p>Burst: {} requests, {} at once; statuses {}; {} without answer</p>",
            burst.count,
            burst.concurrency,
            escape(&statuses),
            burst.errors
        )?;
    }
    if let Some(transcript) = &step.transcript {
        writeln!(
            out,
            "<p>Replay (secrets redacted):</p>\n<pre class=\"curl\">{}</pre>",
            escape(&transcript.request.curl)
        )?;
        // Open where a reader needs it: on the steps that failed, errored or warned.
        let open = if step.outcome().is_problem() || step.outcome() == Outcome::Warn {
            " open"
        } else {
            ""
        };
        writeln!(
            out,
            "<details{open}><summary>Transcript</summary>\n<pre>{}</pre>\n</details>",
            escape(&transcript_text(transcript))
        )?;
    }
    writeln!(out, "</div>")
}

/// Every check the step made, passed or not: what a passing step asserted.
/// Folded when the step passed cleanly, open otherwise.
fn write_checks(step: &StepReport, out: &mut impl Write) -> io::Result<()> {
    if step.checks.is_empty() {
        return Ok(());
    }
    let open = if step.outcome() == Outcome::Pass {
        ""
    } else {
        " open"
    };
    let held = step.checks.iter().filter(|c| c.passed).count();
    writeln!(
        out,
        "<details class=\"checks\"{open}><summary>Checks: {held} of {} held</summary>\n<table>",
        step.checks.len()
    )?;
    writeln!(
        out,
        "<tr><th></th><th>Check</th><th>Expected</th><th>Actual</th><th>Written at</th></tr>"
    )?;
    for check in &step.checks {
        let (class, mark) = match (check.passed, check.level) {
            (true, _) => ("pass", "held"),
            (false, Level::Must) => ("fail", "missed"),
            (false, Level::Should) => ("warn", "missed (should)"),
        };
        let should = if check.level == Level::Should {
            " (should)"
        } else {
            ""
        };
        writeln!(
            out,
            "<tr><td class=\"{class}\">{mark}</td><td><code>{}</code>{should}</td><td><pre>{}</pre></td><td><pre>{}</pre></td><td><code>{}</code></td></tr>",
            escape(&check.check.to_string()),
            escape(&check.expected),
            escape(&check.actual),
            escape(&check.source.to_string())
        )?;
    }
    writeln!(out, "</table>\n</details>")
}

/// A table of missed checks, under `heading` when one is given.
fn write_misses(
    misses: &[super::model::Failure],
    heading: Option<&str>,
    out: &mut impl Write,
) -> io::Result<()> {
    if misses.is_empty() {
        return Ok(());
    }
    if let Some(heading) = heading {
        writeln!(out, "<p class=\"warn\">{}</p>", escape(heading))?;
    }
    writeln!(out, "<table>")?;
    writeln!(
        out,
        "<tr><th>Check</th><th>Expected</th><th>Actual</th><th>Written at</th></tr>"
    )?;
    for miss in misses {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td><pre>{}</pre></td><td><pre>{}</pre></td><td><code>{}</code></td></tr>",
            escape(&miss.check.to_string()),
            escape(&miss.expected),
            escape(&miss.actual),
            escape(&miss.source.to_string())
        )?;
    }
    writeln!(out, "</table>")
}

fn outcome_tag(outcome: Outcome) -> String {
    format!(
        "<span class=\"tag {}\">{}</span>",
        outcome.as_str(),
        outcome.tag()
    )
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("<code>{}</code>", escape(item)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Counts, Verdict};
    use crate::report::redact::normalize_for_snapshot;
    use crate::report::sample;

    fn render(report: &RunReport) -> String {
        let mut out = Vec::new();
        write_html(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escape_covers_the_five() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("plain [redacted]"), "plain [redacted]");
    }

    #[test]
    fn html_snapshot() {
        insta::assert_snapshot!("html", normalize_for_snapshot(&render(&sample::report())));
    }

    #[test]
    fn html_shows_verdict_certification_failures_and_transcripts() {
        let report = sample::report();
        let html = render(&report);
        assert!(html.contains("data-verdict=\"not conformant\""));
        assert!(html.contains("<code>basic-locked-down</code>"));
        for file in &report.certification.scenario_files {
            assert!(html.contains(&file.sha256), "{}", file.path);
        }
        // Expected vs actual, with where the expectation is written.
        assert!(html.contains("<pre>401</pre></td><td><pre>200</pre>"));
        assert!(html.contains("scenarios/session/logout-invalidates.yaml:24:17"));
        // Transcripts: response headers and bodies, escaped.
        assert!(html.contains("&lt; Set-Cookie: JSESSIONID=[redacted]; Path=/; HttpOnly"));
        assert!(html.contains("<pre class=\"curl\">curl -X POST &#39;http"));
        assert_eq!(html.matches("<summary>Transcript</summary>").count(), 5);
        // Every judged step lists its checks; a clean pass folds them.
        assert_eq!(html.matches("<details class=\"checks\">").count(), 2);
        assert_eq!(html.matches("<details class=\"checks\" open>").count(), 2);
        assert!(html.contains(
            "<td class=\"pass\">held</td><td><code>json $.username</code></td><td><pre>equal to &#39;admin&#39;</pre></td><td><pre>&quot;admin&quot;</pre></td>"
        ));
        // A missed `should`: its own table, the step marked WARN.
        assert!(html.contains("<span class=\"tag warn\">WARN</span>"));
        assert!(html.contains("Warnings (should-level checks that missed)"));
        assert!(
            html.contains("<pre>matching /^text/html/</pre></td><td><pre>application/json</pre>")
        );
        // A title with `|` and every author value escaped: no raw `<` from data.
        assert!(html.contains("Logout invalidates the session | cookie"));
        sample::assert_no_canary(&html);
    }

    #[test]
    fn verdict_and_summary_first_results_by_area_facts_with_their_text_hashes_last() {
        let html = render(&sample::report());
        let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("id=\"verdict\"") < at("id=\"summary\""));
        assert!(at("id=\"summary\"") < at("id=\"facts\""));
        assert!(at("id=\"facts\"") < at("id=\"results\""));
        assert!(at("id=\"results\"") < at("id=\"hashes\""));
        let first_hash = &sample::report().certification.scenario_files[0].sha256;
        assert!(
            at(first_hash) > at("id=\"hashes\""),
            "hashes only at the end"
        );
        // Grouped by area: both `basic` scenarios under one heading.
        assert_eq!(html.matches("<h2>Area <code>basic</code></h2>").count(), 1);
        assert!(html.contains("<code>basic</code> — 2 scenarios: 1 passed, 1 with warnings"));
        // Each fact's statement beside its id, escaped, exercised or not.
        assert!(html.contains(
            "<td><code>F-BASIC-5</code></td><td>A wrong password is `401` &lt;with&gt; a login reason.</td>"
        ));
        assert!(html.contains(
            "<td><code>F-CROWD-1</code></td><td>The Crowd SSO cookie signs the user in.</td>"
        ));
    }

    #[test]
    fn html_loads_nothing_from_the_network() {
        let mut report = sample::report();
        // A hostile value from a target must stay text.
        report.scenarios[0].title =
            r#"<img src="https://evil.example/x.png"><script>fetch('http://x')</script>"#.into();
        let html = render(&report);
        // Escaped text holds no `<`, so splitting on it yields the page's own tags.
        let tags: Vec<String> = html
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or_default().to_ascii_lowercase())
            .collect();
        for tag in &tags {
            let name = tag.split_whitespace().next().unwrap_or_default();
            assert!(
                ![
                    "script", "img", "link", "iframe", "object", "embed", "base", "audio", "video",
                    "source"
                ]
                .contains(&name),
                "<{tag}>"
            );
            assert!(!tag.contains("src="), "<{tag}>");
            assert!(
                !tag.contains("http://") && !tag.contains("https://"),
                "<{tag}>"
            );
            if let Some(at) = tag.find("href=") {
                assert!(tag[at..].starts_with("href=\"#"), "<{tag}>");
            }
        }
        assert!(tags.iter().any(|t| t.starts_with("a href=\"#s0\"")));
        // The hostile title is there, as text.
        assert!(html.contains("&lt;img src=&quot;https://evil.example/x.png&quot;&gt;"));
        // The stylesheet fetches nothing either.
        for banned in ["url(", "@import", "@font-face"] {
            assert!(!STYLE.contains(banned), "{banned}");
        }
        assert!(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""));
    }

    #[test]
    fn a_clean_run_is_conformant() {
        let mut report = sample::report();
        report.scenarios.retain(|s| s.outcome == Outcome::Pass);
        report.counts =
            crate::report::model::Counts::tally(report.scenarios.iter().map(|s| &s.outcome));
        report.certification.verdict = Verdict::of(&report.counts, false);
        assert_eq!(report.certification.verdict, Verdict::Conformant);
        assert!(render(&report).contains("data-verdict=\"conformant\""));
    }

    #[test]
    fn a_run_that_skipped_is_incomplete_not_conformant() {
        let counts = Counts {
            total: 28,
            passed: 2,
            skipped: 26,
            ..Counts::default()
        };
        let mut report = sample::report();
        report.certification.verdict = Verdict::of(&counts, false);
        assert_eq!(
            report.certification.verdict,
            Verdict::Incomplete { ran: 2, total: 28 }
        );
        let html = render(&report);
        assert!(
            html.contains("data-verdict=\"incomplete: 2 of 28 ran\""),
            "{html}"
        );
        assert!(html.contains("class=\"verdict incomplete\""), "{html}");
        let json = serde_json::to_value(&report.certification).unwrap();
        assert_eq!(json["verdict"], "incomplete: 2 of 28 ran");
        // A failure outweighs the skips.
        let failed = Counts {
            failed: 1,
            ..counts
        };
        assert_eq!(Verdict::of(&failed, false), Verdict::NotConformant);
    }
}
