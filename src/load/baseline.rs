//! `tollgate load --baseline FILE.json`: a run set against an earlier one, step by
//! step: the change in req/s, p50, p99, p99.9 and error rate.
//!
//! The baseline is one of tollgate's summaries (a run's JSON report, format 1 or
//! 2, or a merged one; goose JSON reports read too, through `merge::read`). Steps
//! are matched by name; whatever does not match (another scenario, a step on one
//! side only, other users or target) is named in `notes`, never silently
//! compared.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::merge::{self, MergeError};
use super::summary::{Histogram, LoadSummary, StepLoad, clip, micros};

/// An earlier run read back, to compare this one with.
#[derive(Clone, Debug)]
pub struct Baseline {
    /// The file as it was named on the command line.
    pub file: String,
    pub summary: LoadSummary,
}

/// Reads `path` as a baseline: any JSON report `tollgate merge` reads.
pub fn read(path: &Path) -> Result<Baseline, MergeError> {
    Ok(Baseline {
        file: path.display().to_string(),
        summary: merge::read(path)?,
    })
}

/// One step's figures, as the change is computed from them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub requests: u64,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    /// Failed requests over requests, 0..=1 (0 without requests).
    pub error_rate: f64,
}

/// This run's figures against the baseline's: relative changes in percent
/// (`None` when the baseline's figure is 0, so no ratio exists), the error rate's
/// in percentage points.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p999_pct: Option<f64>,
    pub error_rate_points: f64,
}

/// A step both runs have.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepChange {
    pub name: String,
    pub baseline: Figures,
    pub current: Figures,
    pub change: Change,
}

/// A run against its baseline: the `baseline` section of the reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub file: String,
    /// The baseline's scenario id.
    pub scenario: String,
    /// Whether the baseline ran the same scenario as this run.
    pub same_scenario: bool,
    /// The steps both runs have, in this run's order.
    pub steps: Vec<StepChange>,
    /// What does not match and how far the comparison can be trusted.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Baseline {
    /// `run` step by step against this baseline.
    pub fn compare(&self, run: &LoadSummary) -> Comparison {
        let base = &self.summary;
        let mut notes = Vec::new();
        let same_scenario = base.scenario == run.scenario;
        if !same_scenario {
            notes.push(format!(
                "the baseline is of another scenario ({}, this run {}): only steps of the same name are compared",
                base.scenario, run.scenario
            ));
        }
        let mut used = vec![false; base.steps.len()];
        let mut steps = Vec::new();
        let mut only_here = Vec::new();
        for step in &run.steps {
            let found = base
                .steps
                .iter()
                .enumerate()
                .position(|(i, b)| !used[i] && b.name == step.name);
            let Some(at) = found else {
                only_here.push(step.name.as_str());
                continue;
            };
            used[at] = true;
            let before = &base.steps[at];
            if before.request != step.request {
                notes.push(format!(
                    "step {}: the baseline sent {}, this run {}",
                    step.name, before.request, step.request
                ));
            }
            steps.push(step_change(
                figures(before, base.duration_secs),
                figures(step, run.duration_secs),
                &step.name,
            ));
        }
        if !only_here.is_empty() {
            notes.push(format!("not in the baseline: {}", only_here.join(", ")));
        }
        let only_there: Vec<&str> = base
            .steps
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(s, _)| s.name.as_str())
            .collect();
        if !only_there.is_empty() {
            notes.push(format!("only in the baseline: {}", only_there.join(", ")));
        }
        if steps.is_empty() {
            notes.push("no step matches: nothing is compared".into());
        }
        notes.extend(conditions(base, run));
        Comparison {
            file: self.file.clone(),
            scenario: base.scenario.clone(),
            same_scenario,
            steps,
            notes,
        }
    }
}

/// How the two runs were driven differently: a change in figures may be that.
fn conditions(base: &LoadSummary, run: &LoadSummary) -> Vec<String> {
    let mut notes = Vec::new();
    if base.users != run.users || base.machines != run.machines {
        notes.push(format!(
            "the baseline ran {} user(s) on {} machine(s), this run {} on {}",
            base.users, base.machines, run.users, run.machines
        ));
    }
    if base.target != run.target {
        notes.push(format!(
            "the baseline ran against {}, this run against {}",
            base.target, run.target
        ));
    }
    let rough = |h: &Histogram| h.hdr.is_none() && !h.buckets_us.is_empty();
    if base.steps.iter().any(|s| rough(&s.latency)) {
        notes.push(
            "the baseline's latencies are goose's rounded buckets (a format-1 summary or goose report): percentile changes are approximate"
                .into(),
        );
    }
    notes
}

fn figures(step: &StepLoad, duration_secs: f64) -> Figures {
    let rps = if duration_secs > 0.0 {
        step.requests as f64 / duration_secs
    } else {
        0.0
    };
    let error_rate = if step.requests > 0 {
        step.failures as f64 / step.requests as f64
    } else {
        0.0
    };
    Figures {
        requests: step.requests,
        rps,
        p50_us: step.latency.percentile_us(0.5),
        p99_us: step.latency.percentile_us(0.99),
        p999_us: step.latency.percentile_us(0.999),
        error_rate,
    }
}

fn step_change(baseline: Figures, current: Figures, name: &str) -> StepChange {
    let latency = |before: u64, now: u64| relative(before as f64, now as f64);
    let change = Change {
        rps_pct: relative(baseline.rps, current.rps),
        p50_pct: latency(baseline.p50_us, current.p50_us),
        p99_pct: latency(baseline.p99_us, current.p99_us),
        p999_pct: latency(baseline.p999_us, current.p999_us),
        error_rate_points: (current.error_rate - baseline.error_rate) * 100.0,
    };
    StepChange {
        name: name.to_string(),
        baseline,
        current,
        change,
    }
}

/// The change from `before` to `now` in percent of `before`.
fn relative(before: f64, now: f64) -> Option<f64> {
    (before > 0.0).then(|| (now - before) / before * 100.0)
}

/// The columns of the comparison, on the console and in the reports.
pub const HEADINGS: [&str; 6] = ["step", "req/s", "p50", "p99", "p99.9", "error rate"];

/// A row: each figure of this run with its change, `12345.6 (+3.2%)`.
pub fn cells(step: &StepChange) -> [String; 6] {
    let (now, change) = (&step.current, &step.change);
    [
        step.name.clone(),
        format!("{:.1} ({})", now.rps, percent(change.rps_pct)),
        format!("{} ({})", micros(now.p50_us), percent(change.p50_pct)),
        format!("{} ({})", micros(now.p99_us), percent(change.p99_pct)),
        format!("{} ({})", micros(now.p999_us), percent(change.p999_pct)),
        format!(
            "{:.2}% ({:+.2}pt)",
            now.error_rate * 100.0,
            change.error_rate_points
        ),
    ]
}

fn percent(change: Option<f64>) -> String {
    change.map_or_else(|| "n/a".to_string(), |c| format!("{c:+.1}%"))
}

/// What the comparison is against, above its table.
pub fn headline(comparison: &Comparison) -> String {
    format!(
        "against the baseline {} ({}): this run's figures (change)",
        comparison.file, comparison.scenario
    )
}

/// The comparison on the console, under the run's table.
pub fn write_console(comparison: &Comparison, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{}", headline(comparison))?;
    let [step, rest @ ..] = HEADINGS;
    write!(out, "{step:<36}")?;
    for heading in rest {
        write!(out, " {heading:>20}")?;
    }
    writeln!(out)?;
    for change in &comparison.steps {
        let [name, rest @ ..] = cells(change);
        write!(out, "{:<36}", clip(&name, 36))?;
        for cell in rest {
            write!(out, " {cell:>20}")?;
        }
        writeln!(out)?;
    }
    for note in &comparison.notes {
        writeln!(out, "baseline note: {note}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::summary::FORMAT;

    fn latency(times_us: &[(u64, u64)]) -> Histogram {
        let mut hdr = crate::load::recorder::empty_histogram().unwrap();
        for &(time, count) in times_us {
            hdr.record_n(time, count).unwrap();
        }
        Histogram::from_hdr(hdr)
    }

    fn step(name: &str, requests: u64, failures: u64, time_us: u64) -> StepLoad {
        StepLoad {
            name: name.into(),
            request: format!("GET {name}"),
            requests,
            failures,
            latency: latency(&[(time_us, requests)]),
            ..StepLoad::default()
        }
    }

    fn run(scenario: &str, duration_secs: f64, steps: Vec<StepLoad>) -> LoadSummary {
        LoadSummary {
            format: FORMAT.into(),
            scenario: scenario.into(),
            target: "embedded mock".into(),
            machines: 1,
            users: 4,
            duration_secs,
            steps,
            ..LoadSummary::default()
        }
    }

    fn baseline(summary: LoadSummary) -> Baseline {
        Baseline {
            file: "base.json".into(),
            summary,
        }
    }

    #[test]
    fn each_figure_changes_relative_to_the_baseline_and_errors_in_points() {
        let before = baseline(run("L", 2.0, vec![step("read", 2000, 20, 1000)]));
        let now = run("L", 2.0, vec![step("read", 2500, 0, 800)]);
        let comparison = before.compare(&now);
        assert!(comparison.same_scenario);
        assert!(comparison.notes.is_empty(), "{:?}", comparison.notes);
        let read = &comparison.steps[0];
        assert_eq!(read.baseline.rps, 1000.0);
        assert_eq!(read.current.rps, 1250.0);
        assert_eq!(read.change.rps_pct, Some(25.0));
        let p50 = read.change.p50_pct.unwrap();
        assert!((p50 + 20.0).abs() < 0.2, "{p50}");
        assert_eq!(read.change.p99_pct, read.change.p50_pct);
        assert!((read.change.error_rate_points + 1.0).abs() < 1e-9);
        let cells = cells(read);
        assert_eq!(cells[1], "1250.0 (+25.0%)");
        assert!(cells[2].starts_with("800us (-"), "{cells:?}");
        assert_eq!(cells[5], "0.00% (-1.00pt)");
    }

    #[test]
    fn a_tail_that_grew_shows_in_p99_and_not_in_p50() {
        let mut slow = step("read", 1000, 0, 100);
        slow.latency = latency(&[(100, 980), (5000, 20)]);
        let before = baseline(run("L", 1.0, vec![step("read", 1000, 0, 100)]));
        let change = &before.compare(&run("L", 1.0, vec![slow])).steps[0].change;
        assert_eq!(change.p50_pct, Some(0.0));
        assert!(change.p99_pct.unwrap() > 4000.0, "{change:?}");
    }

    #[test]
    fn a_baseline_without_requests_gives_no_ratio() {
        let before = baseline(run("L", 1.0, vec![step("read", 0, 0, 1)]));
        let comparison = before.compare(&run("L", 1.0, vec![step("read", 10, 10, 100)]));
        let change = &comparison.steps[0].change;
        assert_eq!((change.rps_pct, change.p50_pct), (None, None));
        assert_eq!(change.error_rate_points, 100.0);
        assert_eq!(cells(&comparison.steps[0])[1], "10.0 (n/a)");
    }

    #[test]
    fn another_scenario_or_other_steps_are_named_and_what_matches_is_compared() {
        let before = baseline(run(
            "LOAD-PAT",
            1.0,
            vec![step("make a token", 4, 0, 900), step("read", 100, 0, 100)],
        ));
        let mut now = run(
            "LOAD-BASIC",
            1.0,
            vec![step("read", 100, 0, 100), step("write", 10, 0, 100)],
        );
        now.users = 8;
        let comparison = before.compare(&now);
        assert!(!comparison.same_scenario);
        let names: Vec<&str> = comparison.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["read"]);
        let notes = comparison.notes.join("\n");
        for part in [
            "another scenario (LOAD-PAT, this run LOAD-BASIC)",
            "not in the baseline: write",
            "only in the baseline: make a token",
            "the baseline ran 4 user(s) on 1 machine(s), this run 8 on 1",
        ] {
            assert!(notes.contains(part), "{part} missing:\n{notes}");
        }

        let nothing = baseline(run("X", 1.0, vec![step("other", 1, 0, 1)])).compare(&now);
        assert!(nothing.steps.is_empty());
        assert!(
            nothing
                .notes
                .iter()
                .any(|n| n.contains("nothing is compared")),
            "{:?}",
            nothing.notes
        );
    }

    #[test]
    fn a_step_sent_with_another_method_is_compared_and_named() {
        let before = baseline(run("L", 1.0, vec![step("read", 10, 0, 100)]));
        let mut now = run("L", 1.0, vec![step("read", 10, 0, 100)]);
        now.steps[0].request = "POST read".into();
        let comparison = before.compare(&now);
        assert_eq!(comparison.steps.len(), 1);
        assert_eq!(
            comparison.notes,
            ["step read: the baseline sent GET read, this run POST read"]
        );
    }

    #[test]
    fn a_format_1_baseline_is_read_and_its_rounded_buckets_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        let old = serde_json::json!({
            "format": "tollgate-load-summary/1",
            "scenario": "L", "target": "embedded mock", "machines": 2, "users": 4,
            "duration_secs": 1.0,
            "steps": [{
                "name": "read", "request": "GET read", "phase": "iteration",
                "requests": 100, "failures": 0, "statuses": {"200": 100},
                "latency": {"buckets_us": {"1000": 100}, "count": 100, "min_us": 1000,
                            "max_us": 1000, "total_us": 100000}
            }],
            "thresholds": []
        });
        std::fs::write(&path, old.to_string()).unwrap();
        let before = read(&path).unwrap();
        assert_eq!(before.summary.machines, 2);
        let comparison = before.compare(&run("L", 1.0, vec![step("read", 100, 0, 500)]));
        assert_eq!(comparison.steps[0].change.p50_pct, Some(-50.0));
        let notes = comparison.notes.join("\n");
        assert!(notes.contains("approximate"), "{notes}");
        assert!(notes.contains("on 2 machine(s)"), "{notes}");
    }

    #[test]
    fn the_console_shows_a_row_per_matched_step_and_the_notes() {
        let before = baseline(run("L", 1.0, vec![step("read", 100, 0, 100)]));
        let now = run(
            "L",
            1.0,
            vec![step("read", 110, 0, 100), step("new", 1, 0, 1)],
        );
        let mut out = Vec::new();
        write_console(&before.compare(&now), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with("against the baseline base.json (L)"),
            "{out}"
        );
        assert!(out.contains("110.0 (+10.0%)"), "{out}");
        assert!(
            out.contains("baseline note: not in the baseline: new"),
            "{out}"
        );
    }

    #[test]
    fn a_file_that_is_no_summary_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, "{\"hello\": 1}").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("x.json"), "{err}");
        assert!(read(&dir.path().join("absent.json")).is_err());
    }
}
