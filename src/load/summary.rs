//! What a load run measured, per step and in total: the one model the console
//! table, the reports, `tollgate merge` and the auth cost table read.
//!
//! Counts and statuses come from goose's metrics; latencies from tollgate's own
//! HDR histograms (`recorder.rs`: µs, 3 significant digits), which add up
//! exactly across machines. A summary written before them (format 1) holds
//! goose's rounded buckets instead; it still reads and merges, its buckets
//! counted at their bucket's value.

use std::collections::BTreeMap;
use std::io::{self, Write};

use goose::metrics::GooseMetrics;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use super::latency::{Histogram, micros};
use super::recorder::Recorded;
pub use super::recorder::{Point, Reason};

/// Marks a summary file (and the JSON load report), so `tollgate merge` tells it
/// from a goose JSON report. docs/load-report.schema.json describes it.
pub const FORMAT: &str = "tollgate-load-summary/2";
/// Summaries written with goose's buckets only: read, and merged, still.
pub const FORMAT_1: &str = "tollgate-load-summary/1";

/// Where in a user's life a step runs (`load.steps`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Once per user, before its iterations (a login).
    Start,
    /// Every iteration: what the load measures.
    #[default]
    Iteration,
    /// Once per user, when it stops (a logout).
    Stop,
}

/// A check of a step's `expect` (`status`, `header x-ausername`, or `no answer`)
/// and how many requests missed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckCount {
    pub check: String,
    pub count: u64,
}

/// What ran: for the reports, which must say it without the command line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub tollgate_version: String,
    pub scenario_file: String,
    /// The options the run was driven with (users, run time, thresholds, faults).
    pub options: IndexMap<String, String>,
}

/// One step's requests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepLoad {
    /// The step's name, as the scenario gives it.
    pub name: String,
    /// How goose names the request in its reports and thresholds (`GET name`).
    pub request: String,
    pub phase: Phase,
    pub requests: u64,
    /// Requests whose response missed the step's `expect`, or got none.
    pub failures: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub latency: Histogram,
    /// Per second: at most 86,400 points (a day, `recorder::MAX_POINTS`).
    #[serde(default)]
    pub series: Vec<Point>,
    /// The checks its failed requests missed, most missed first.
    #[serde(default)]
    pub checks: Vec<CheckCount>,
    /// Distinct reasons of its failures, in the order they first came.
    #[serde(default)]
    pub reasons: Vec<Reason>,
}

/// How goose names the error-rate rule; a scenario's own one replaces the default.
const ERROR_RATE: &str = "error-rate";

/// The rule every run is judged by unless its scenario sets an error-rate threshold.
pub const DEFAULT_RULE: &str =
    "some request answered and error-rate<100% (the default; an error-rate threshold replaces it)";

/// A threshold and how the run fared against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdOutcome {
    pub rule: String,
    pub observed: String,
    pub passed: bool,
}

/// A whole load run (or several added up by `tollgate merge`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadSummary {
    pub format: String,
    pub scenario: String,
    pub target: String,
    /// Machines whose runs this adds up: 1 for a run, N after a merge.
    pub machines: u64,
    /// The most users that ran at once (summed over machines).
    pub users: u64,
    /// Seconds the load ran (the longest of merged runs: they ran side by side).
    pub duration_secs: f64,
    pub steps: Vec<StepLoad>,
    #[serde(default)]
    pub thresholds: Vec<ThresholdOutcome>,
    #[serde(default)]
    pub run: RunInfo,
    /// How an open-model run (`--rate`) kept to its schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<super::arrival::OpenModel>,
}

/// The figures of one row of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub requests: u64,
    pub failures: u64,
    pub rps: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub p9999_us: u64,
    pub max_us: u64,
    pub mean_us: u64,
}

impl LoadSummary {
    /// The summary of goose's `metrics`, with `steps` naming each step's request
    /// and phase in scenario order (requests goose saw under other names, none in
    /// practice, are left out).
    pub fn from_metrics(
        metrics: &GooseMetrics,
        scenario: &str,
        target: &str,
        steps: &[(String, String, Phase)],
        duration_secs: f64,
    ) -> Self {
        let steps = steps
            .iter()
            .map(|(name, request, phase)| {
                let aggregate = metrics.requests.get(request);
                StepLoad {
                    name: name.clone(),
                    request: request.clone(),
                    phase: *phase,
                    requests: aggregate.map_or(0, |a| a.raw_data.counter as u64),
                    failures: aggregate.map_or(0, |a| a.fail_count as u64),
                    statuses: aggregate
                        .map(|a| {
                            a.status_code_counts
                                .iter()
                                .map(|(status, count)| (*status, *count as u64))
                                .collect()
                        })
                        .unwrap_or_default(),
                    latency: aggregate
                        .map(|a| Histogram::from_goose(&a.raw_data))
                        .unwrap_or_default(),
                    ..StepLoad::default()
                }
            })
            .collect();
        let thresholds = metrics
            .thresholds
            .iter()
            .map(|t| ThresholdOutcome {
                rule: t.rule.clone(),
                observed: t.observed.clone(),
                passed: t.passed,
            })
            .collect();
        LoadSummary {
            format: FORMAT.to_string(),
            scenario: scenario.to_string(),
            target: target.to_string(),
            machines: 1,
            users: metrics.maximum_users as u64,
            duration_secs,
            steps,
            thresholds,
            run: RunInfo::default(),
            open: None,
        }
    }

    /// Puts what tollgate recorded (`recorded[i]` for `steps[i]`) in place of
    /// goose's latencies.
    pub fn attach(&mut self, recorded: Vec<Recorded>) {
        for (step, recorded) in self.steps.iter_mut().zip(recorded) {
            step.latency = Histogram::from_hdr(recorded.latency);
            step.series = recorded.series;
            let mut checks: Vec<CheckCount> = recorded
                .checks
                .into_iter()
                .map(|(check, count)| CheckCount { check, count })
                .collect();
            checks.sort_by_key(|c| std::cmp::Reverse(c.count));
            step.checks = checks;
            step.reasons = recorded.reasons;
        }
    }

    pub fn requests(&self) -> u64 {
        self.steps.iter().map(|s| s.requests).sum()
    }

    pub fn failures(&self) -> u64 {
        self.steps.iter().map(|s| s.failures).sum()
    }

    pub fn thresholds_passed(&self) -> bool {
        self.thresholds.iter().all(|t| t.passed)
    }

    /// Requests that got an answer (goose records the others under status 0).
    pub fn answered(&self) -> u64 {
        let unanswered: u64 = self.steps.iter().filter_map(|s| s.statuses.get(&0)).sum();
        self.requests().saturating_sub(unanswered)
    }

    /// The default judgement of a run whose scenario sets no error-rate
    /// threshold: it fails when no request got an answer or every request
    /// failed. A load of a down target measures nothing, and must not pass.
    pub fn judge_by_default(&mut self) {
        if self
            .thresholds
            .iter()
            .any(|t| t.rule.trim_start().starts_with(ERROR_RATE))
        {
            return;
        }
        let (requests, failures, answered) = (self.requests(), self.failures(), self.answered());
        self.thresholds.push(ThresholdOutcome {
            rule: DEFAULT_RULE.to_string(),
            observed: format!("{failures} of {requests} failed, {answered} answered"),
            passed: answered > 0 && failures < requests,
        });
    }

    fn row(&self, name: &str, requests: u64, failures: u64, latency: &Histogram) -> Row {
        let rps = if self.duration_secs > 0.0 {
            requests as f64 / self.duration_secs
        } else {
            0.0
        };
        Row {
            name: name.to_string(),
            requests,
            failures,
            rps,
            p50_us: latency.percentile_us(0.5),
            p90_us: latency.percentile_us(0.9),
            p99_us: latency.percentile_us(0.99),
            p999_us: latency.percentile_us(0.999),
            p9999_us: latency.percentile_us(0.9999),
            max_us: latency.max_us,
            mean_us: latency.mean_us(),
        }
    }

    /// One row per step, in scenario order.
    pub fn step_rows(&self) -> Vec<Row> {
        self.steps
            .iter()
            .map(|s| self.row(&s.name, s.requests, s.failures, &s.latency))
            .collect()
    }

    /// Every request of the run together.
    pub fn total_row(&self) -> Row {
        self.combined_row("total", |_| true)
    }

    /// The requests of the steps each iteration sends: what a flow costs.
    pub fn iteration_row(&self) -> Row {
        self.combined_row("iteration steps", |s| s.phase == Phase::Iteration)
    }

    fn combined_row(&self, name: &str, keep: impl Fn(&StepLoad) -> bool) -> Row {
        let mut latency = Histogram::default();
        let (mut requests, mut failures) = (0, 0);
        for step in self.steps.iter().filter(|s| keep(s)) {
            latency.add(&step.latency);
            requests += step.requests;
            failures += step.failures;
        }
        self.row(name, requests, failures, &latency)
    }

    /// The console table: one line per step, then the total, then thresholds.
    pub fn write_table(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "{} against {}: {} user(s) on {} machine(s), {:.1} s",
            self.scenario, self.target, self.users, self.machines, self.duration_secs
        )?;
        writeln!(
            out,
            "{:<36} {:>10} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "step", "requests", "failures", "req/s", "p50", "p90", "p99", "p99.9", "p99.99", "max"
        )?;
        let mut rows = self.step_rows();
        if self.steps.len() > 1 {
            rows.push(self.total_row());
        }
        for row in rows {
            writeln!(
                out,
                "{:<36} {:>10} {:>9} {:>10.1} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                clip(&row.name, 36),
                row.requests,
                row.failures,
                row.rps,
                micros(row.p50_us),
                micros(row.p90_us),
                micros(row.p99_us),
                micros(row.p999_us),
                micros(row.p9999_us),
                micros(row.max_us),
            )?;
        }
        if self.steps.len() == 1 {
            let total = self.total_row();
            writeln!(
                out,
                "total: {} requests, {} failures, {:.1} req/s, p99 {}",
                total.requests,
                total.failures,
                total.rps,
                micros(total.p99_us)
            )?;
        }
        if let Some(open) = &self.open {
            writeln!(out, "{}", open.describe())?;
            if let Some(shortfall) = open.shortfall() {
                writeln!(out, "{shortfall}")?;
            }
        }
        // goose records a request that got no answer under status 0.
        let unanswered: u64 = self.steps.iter().filter_map(|s| s.statuses.get(&0)).sum();
        if unanswered > 0 {
            writeln!(
                out,
                "no answer: {unanswered} request(s) got none (refused, reset or timed out)"
            )?;
        }
        self.write_reasons(out)?;
        for threshold in &self.thresholds {
            let verdict = if threshold.passed { "pass" } else { "FAIL" };
            writeln!(
                out,
                "threshold {verdict}: {} (observed {})",
                threshold.rule, threshold.observed
            )?;
        }
        self.write_checks(out)
    }

    /// The first distinct reasons requests failed for, so a run that failed
    /// everything says why on the console.
    fn write_reasons(&self, out: &mut impl Write) -> io::Result<()> {
        let reasons: Vec<&Reason> = self.steps.iter().flat_map(|s| &s.reasons).collect();
        if reasons.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "failure reasons (first {}):",
            REASONS_SHOWN.min(reasons.len())
        )?;
        for reason in reasons.iter().take(REASONS_SHOWN) {
            writeln!(out, "  {} ({}x)", reason.reason, reason.count)?;
        }
        if reasons.len() > REASONS_SHOWN {
            writeln!(
                out,
                "  … {} more in the HTML or JSON report",
                reasons.len() - REASONS_SHOWN
            )?;
        }
        Ok(())
    }

    /// Each check a request missed, by step, with how many missed it (as k6's
    /// checks summary): nothing when every request passed.
    fn write_checks(&self, out: &mut impl Write) -> io::Result<()> {
        if self.steps.iter().all(|s| s.checks.is_empty()) {
            return Ok(());
        }
        writeln!(out, "failed checks:")?;
        for step in &self.steps {
            for check in &step.checks {
                writeln!(
                    out,
                    "  ✗ {} › {}: {} of {} failed",
                    step.name, check.check, check.count, step.requests
                )?;
            }
        }
        Ok(())
    }
}

/// Failure reasons the console shows; the reports have them all.
const REASONS_SHOWN: usize = 5;

/// `text` cut to `width` characters, the last one `…` when it was longer.
pub(super) fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(width - 1).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(times: &[u64]) -> Histogram {
        let mut data = Histogram::default();
        for &t in times {
            let mut one = Histogram {
                count: 1,
                min_us: t,
                max_us: t,
                total_us: t,
                ..Histogram::default()
            };
            one.buckets_us.insert(t, 1);
            data.add(&one);
        }
        data
    }

    #[test]
    fn adding_histograms_adds_counts_and_keeps_extremes() {
        let mut a = histogram(&[100, 200, 300]);
        let b = histogram(&[50, 900]);
        a.add(&b);
        assert_eq!(a.count, 5);
        assert_eq!(a.min_us, 50);
        assert_eq!(a.max_us, 900);
        assert_eq!(a.total_us, 1550);
        assert_eq!(a.mean_us(), 310);
        a.add(&Histogram::default());
        assert_eq!(a.count, 5);
    }

    #[test]
    fn percentiles_stay_between_the_fastest_and_the_slowest() {
        let h = histogram(&[100, 100, 100, 100, 100, 100, 100, 100, 100, 5000]);
        assert!(h.percentile_us(0.5) >= 100 && h.percentile_us(0.5) < 200);
        assert_eq!(h.percentile_us(1.0), 5000);
        assert_eq!(Histogram::default().percentile_us(0.99), 0);
    }

    #[test]
    fn times_read_as_people_write_them() {
        assert_eq!(micros(850), "850us");
        assert_eq!(micros(12_345), "12.3ms");
        assert_eq!(micros(1_200_000), "1.20s");
    }
}
