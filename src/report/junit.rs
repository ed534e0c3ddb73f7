//! The JUnit XML report, written with quick-junit the way nextest writes its own,
//! so CI systems (GitLab, Jenkins, GitHub test reporters) show one test case per
//! scenario.
//!
//! Mapping: one `<testsuite name="tollgate">`; a test case per scenario, named by
//! its id, classed by its file; `fail` → `<failure>`, `error` → `<error>`, `skip` →
//! `<skipped>`. Unsuccessful cases carry their transcripts in `<system-out>`. JUnit
//! has no warning: a pass with warnings is a success whose `warnings` property
//! counts them and whose `<system-out>` shows each with its evidence.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::{Outcome, RunReport, ScenarioReport};
use super::{failure_text, step_problem_text, transcript_text};

/// Writes `report` as JUnit XML.
pub fn write_junit(report: &RunReport, out: &mut impl Write) -> io::Result<()> {
    let mut suite = TestSuite::new("tollgate");
    suite.set_time(Duration::from_millis(report.duration_ms));
    suite.add_properties([
        Property::new("tool_version", report.tool_version.as_str()),
        Property::new("target", report.target.as_str()),
        Property::new("started_at", report.started_at.as_str()),
        Property::new("verdict", report.certification.verdict.to_string()),
        Property::new("strict", report.certification.strict.to_string()),
        Property::new("warnings", report.counts.warned.to_string()),
    ]);
    suite.add_test_cases(report.scenarios.iter().map(test_case));

    let mut junit = Report::new("tollgate");
    junit.set_time(Duration::from_millis(report.duration_ms));
    junit.add_test_suite(suite);
    junit.serialize(&mut *out).map_err(io::Error::other)?;
    // quick-junit stops after the closing tag; files end with a newline.
    writeln!(out)
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
    let mut case = TestCase::new(scenario.id.as_str(), status);
    case.set_classname(scenario.source.file.as_str())
        .set_time(Duration::from_millis(scenario.duration_ms));
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

/// The one-line message CI shows next to the test name.
fn first_problem(scenario: &ScenarioReport) -> String {
    scenario
        .problem_steps()
        .find_map(|step| {
            let what = step
                .failures()
                .first()
                .map(|f| {
                    failure_text(f)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .or_else(|| step.error().map(str::to_owned))?;
            Some(format!("step `{}`: {what}", step.name))
        })
        .unwrap_or_else(|| format!("scenario {}", scenario.outcome.as_str()))
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
        for (case, scenario) in cases.iter().zip(&report.scenarios) {
            assert_eq!(case.attribute("name"), Some(scenario.id.as_str()));
            assert_eq!(
                case.attribute("classname"),
                Some(scenario.source.file.as_str())
            );
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
                    assert_eq!(
                        failure.attribute("message"),
                        Some("step `reuse session after logout`: status: expected 401, actual 200")
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
        sample::assert_no_canary(&xml);
    }

    #[test]
    fn junit_snapshot() {
        insta::assert_snapshot!("junit", normalize_for_snapshot(&render()));
    }
}
