//! The JUnit XML report, written with quick-junit (the writer nextest uses), so
//! CI systems (GitLab, Jenkins, GitHub annotation actions) show one test case
//! per scenario where they show their own tests.
//!
//! Mapping: one `<testsuite name="tollgate">` with the run's `timestamp`,
//! `hostname` and properties (profile, target, tollgate version, verdict, counts
//! of warnings); a test case per scenario, named `ID: title`, classed
//! `tollgate.AREA` (Jenkins splits class names on dots, so no file extension),
//! with the scenario's `file` and `line` (what GitHub annotation actions read);
//! `fail` → `<failure>`, `error` → `<error>`, `skip` → `<skipped>`. A failure's
//! `message` holds every miss of the first step that failed, expected and actual
//! included; the element's text has them all with where each is written.
//! Unsuccessful cases carry their transcripts in `<system-out>`. JUnit has no
//! warning: a pass with warnings is a success whose `warnings` property counts
//! them and whose `<system-out>` shows each with its evidence.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::{Failure, Outcome, RunReport, ScenarioReport};
use super::{step_problem_text, transcript_text};

/// Writes `report` as JUnit XML.
pub fn write_junit(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let cert = &report.certification;
    let mut suite = TestSuite::new("tollgate");
    suite.set_time(Duration::from_millis(report.duration_ms));
    // Ant's form (no zone), in UTC; the `started_at` property keeps the zone.
    suite
        .extra
        .insert("timestamp".into(), ant_timestamp(&report.started_at).into());
    suite
        .extra
        .insert("hostname".into(), report.hostname.as_str().into());
    suite.add_properties([
        Property::new("profile", cert.profile.as_deref().unwrap_or("(none)")),
        Property::new("target", report.target.as_str()),
        Property::new(
            "confluence_version",
            cert.confluence_version.as_deref().unwrap_or("(not read)"),
        ),
        Property::new("tool_version", report.tool_version.as_str()),
        Property::new("started_at", report.started_at.as_str()),
        Property::new("verdict", cert.verdict.to_string()),
        Property::new("strict", cert.strict.to_string()),
        Property::new("warnings", warnings(report).to_string()),
        Property::new("scenarios_with_warnings", report.counts.warned.to_string()),
    ]);
    suite.add_test_cases(report.scenarios.iter().map(test_case));

    let mut junit = Report::new("tollgate");
    junit.set_time(Duration::from_millis(report.duration_ms));
    junit.add_test_suite(suite);
    junit.serialize(&mut *out).map_err(io::Error::other)?;
    // quick-junit stops after the closing tag; files end with a newline.
    writeln!(out)
}

/// Every missed `should` of the run.
fn warnings(report: &RunReport) -> usize {
    let steps = report.scenarios.iter().flat_map(|s| &s.steps);
    steps.map(|step| step.warnings.len()).sum()
}

/// `2026-11-23T14:15:49Z` → `2026-11-23T14:15:49`: the strict Ant schema's
/// `timestamp` has no zone and no fraction.
fn ant_timestamp(rfc3339: &str) -> String {
    rfc3339.chars().take(19).collect()
}

fn test_case(scenario: &ScenarioReport) -> TestCase {
    let status = match scenario.outcome {
        Outcome::Pass | Outcome::Warn => TestCaseStatus::success(),
        Outcome::Skip => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = &scenario.skip_reason {
                status.set_message(reason.as_str());
            }
            status
        }
        Outcome::Fail | Outcome::Error => {
            let kind = if scenario.outcome == Outcome::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            status
                .set_type(scenario.outcome.as_str())
                .set_message(first_problem(scenario))
                .set_description(problems(scenario));
            status
        }
    };
    let name = format!("{}: {}", scenario.id, scenario.title);
    let mut case = TestCase::new(name, status);
    case.set_classname(format!("tollgate.{}", scenario.area()))
        .set_time(Duration::from_millis(scenario.duration_ms));
    case.extra
        .insert("file".into(), scenario.source.file.as_str().into());
    case.extra
        .insert("line".into(), scenario.source.line.to_string().into());
    if scenario.outcome == Outcome::Warn {
        let warned: Vec<String> = scenario
            .steps
            .iter()
            .filter(|step| !step.warnings.is_empty())
            .map(step_problem_text)
            .collect();
        let count: usize = scenario.steps.iter().map(|s| s.warnings.len()).sum();
        case.add_property(Property::new("warnings", count.to_string()))
            .set_system_out(warned.join("\n"));
    }
    if scenario.outcome.is_problem() {
        let transcripts = scenario
            .steps
            .iter()
            .filter_map(|step| {
                let t = step.transcript.as_ref()?;
                Some(format!("--- step `{}`\n{}", step.name, transcript_text(t)))
            })
            .collect::<Vec<_>>();
        if !transcripts.is_empty() {
            case.set_system_out(transcripts.join("\n\n"));
        }
    }
    case
}

/// The message CI shows next to the test name: the first step that failed and
/// every check it missed, expected and actual whole, on one line.
fn first_problem(scenario: &ScenarioReport) -> String {
    scenario
        .problem_steps()
        .find_map(|step| {
            let misses: Vec<String> = step.failures().iter().map(one_line).collect();
            let what = if misses.is_empty() {
                step.error().map(flatten)?
            } else {
                misses.join("; ")
            };
            Some(format!("step `{}`: {what}", step.name))
        })
        .unwrap_or_else(|| format!("scenario {}", scenario.outcome.as_str()))
}

/// `status: expected 401, actual 200`, whatever the values' length.
fn one_line(failure: &Failure) -> String {
    format!(
        "{}: expected {}, actual {}",
        failure.check,
        flatten(&failure.expected),
        flatten(&failure.actual)
    )
}

/// A value on one line: XML readers turn an attribute's newlines into spaces
/// anyway, and CI shows the message on one line.
fn flatten(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\n', '\r'], " ")
}

/// Every failure and error, with locations, for the element's text.
fn problems(scenario: &ScenarioReport) -> String {
    let mut text = format!("scenario `{}` at {}", scenario.id, scenario.source);
    for step in scenario.problem_steps() {
        text.push('\n');
        text.push_str(&step_problem_text(step));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::redact::normalize_for_snapshot;
    use crate::report::sample;

    fn render() -> String {
        let mut out = Vec::new();
        write_junit(&sample::report(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn junit_is_well_formed_with_one_case_per_scenario() {
        let report = sample::report();
        let xml = render();
        let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), report.scenarios.len());
        let areas = ["basic", "basic", "session", "jwt", "crowd"];
        for ((case, scenario), area) in cases.iter().zip(&report.scenarios).zip(areas) {
            let name = format!("{}: {}", scenario.id, scenario.title);
            assert_eq!(case.attribute("name"), Some(name.as_str()));
            let classname = format!("tollgate.{area}");
            assert_eq!(case.attribute("classname"), Some(classname.as_str()));
            assert_eq!(case.attribute("file"), Some(scenario.source.file.as_str()));
            let line = scenario.source.line.to_string();
            assert_eq!(case.attribute("line"), Some(line.as_str()));
            let child = |tag: &str| case.children().find(|n| n.has_tag_name(tag));
            match scenario.outcome {
                Outcome::Pass => assert!(case.children().all(|n| !n.is_element())),
                Outcome::Warn => {
                    assert!(child("failure").is_none() && child("error").is_none());
                    let out = child("system-out").expect("warnings").text().unwrap();
                    assert!(out.contains("warning: header content-type"), "{out}");
                }
                Outcome::Fail => {
                    let failure = child("failure").expect("<failure>");
                    // Every miss of the step, expected and actual whole.
                    assert_eq!(
                        failure.attribute("message"),
                        Some(
                            "step `reuse session after logout`: status: expected 401, actual 200; \
                             header set-cookie: expected matches `JSESSIONID=; Max-Age=0`, actual (absent)"
                        )
                    );
                    let text = failure.text().unwrap();
                    assert!(text.contains("header set-cookie"), "{text}");
                    assert!(text.contains("logout-invalidates.yaml:26:21"), "{text}");
                    assert!(child("error").is_none());
                    let out = child("system-out").expect("transcript").text().unwrap();
                    assert!(out.contains("> Cookie: JSESSIONID=[redacted]"), "{out}");
                }
                Outcome::Error => {
                    let error = child("error").expect("<error>");
                    assert!(error.attribute("message").unwrap().contains("timed out"));
                    assert!(child("failure").is_none());
                    assert!(child("system-out").is_some());
                }
                Outcome::Skip => {
                    let skipped = child("skipped").expect("<skipped>");
                    assert_eq!(
                        skipped.attribute("message"),
                        scenario.skip_reason.as_deref()
                    );
                }
            }
        }
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("tests"), Some("5"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        assert_eq!(suite.attribute("errors"), Some("1"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        assert_eq!(suite.attribute("hostname"), Some("ci-runner-7"));
        assert_eq!(suite.attribute("timestamp"), Some("2026-11-23T14:15:49"));
        sample::assert_no_canary(&xml);
    }

    /// Read back as CI tools read it: a JUnit parser, not only an XML one.
    #[test]
    fn a_junit_consumer_reads_names_files_lines_and_run_properties() {
        let xml = render();
        let suites = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes()))
            .expect("a JUnit document");
        let suite = &suites.suites[0];
        assert_eq!(suite.hostname.as_deref(), Some("ci-runner-7"));
        assert!(suite.timestamp.is_some());
        let property = |name: &str| {
            let found = suite.properties.vec.iter().find(|(k, _)| k == name);
            found.map(|(_, v)| v.as_str())
        };
        assert_eq!(property("profile"), Some("basic-locked-down"));
        assert_eq!(property("target"), Some("embedded mock"));
        assert_eq!(property("tool_version"), Some("0.1.0"));
        assert_eq!(property("verdict"), Some("not conformant"));
        assert_eq!(
            property("warnings"),
            Some("1"),
            "a missed should is visible"
        );
        assert_eq!(suite.cases.len(), 5);
        for case in &suite.cases {
            let file = case.file.as_deref().expect("file on every testcase");
            assert!(
                file.starts_with("scenarios/") && file.ends_with(".yaml"),
                "{file}"
            );
            assert!(case.line.is_some_and(|line| line > 0), "{}", case.name);
            let classname = case.classname.as_deref().unwrap_or_default();
            assert!(classname.starts_with("tollgate.") && !classname.ends_with(".yaml"));
        }
        let failed = suite.cases.iter().find(|c| c.status.is_failure()).unwrap();
        assert_eq!(
            failed.original_name,
            "session/logout-invalidates: Logout invalidates the session | cookie"
        );
        let message = &failed.status.failure_as_ref().message;
        assert!(message.contains("expected 401, actual 200"), "{message}");
        assert!(message.contains("actual (absent)"), "{message}");
    }

    #[test]
    fn junit_snapshot() {
        insta::assert_snapshot!("junit", normalize_for_snapshot(&render()));
    }
}
