//! Latencies as tollgate measures them: every request of a step goes into that
//! step's HDR histogram, and once a second the last second's figures become a
//! point of the step's time series (and a progress line).
//!
//! A user holds its step's lock only to add one value, and the sampler swaps the
//! second's histogram out for an empty one under the same lock, so the send path
//! never waits on a percentile being computed.

use std::sync::Mutex;
use std::time::Instant;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// The slowest time a histogram holds, in µs (one hour); slower ones count as it.
pub const HIGHEST_US: u64 = 3_600_000_000;
/// Significant digits every histogram keeps: 0.1% relative error.
pub const SIGNIFICANT_DIGITS: u8 = 3;
/// Points kept per step: one a second for a day. A longer run keeps its first day
/// over time; its whole-run histogram still counts every request.
pub const MAX_POINTS: usize = 86_400;
/// Distinct failure reasons kept per step; later ones are counted as one.
const MAX_REASONS: usize = 32;
/// The reason a step's failures past [`MAX_REASONS`] distinct ones are counted under.
pub const OTHER_REASONS: &str = "other reasons";

/// An empty histogram with tollgate's bounds. hdrhistogram refuses only bounds
/// out of its range, and these are constants it accepts; `None` never comes in
/// practice but keeps callers free of a panic path.
pub fn empty_histogram() -> Option<Histogram<u64>> {
    Histogram::new_with_bounds(1, HIGHEST_US, SIGNIFICANT_DIGITS).ok()
}

/// What one step gathered in the current second, and its misses so far.
struct StepCell {
    second: Histogram<u64>,
    second_errors: u64,
    /// Failing check (`status`, `header x-ausername`, `no answer`) → count.
    checks: Vec<(String, u64)>,
    /// Distinct reasons in the order they first came, with counts.
    reasons: Vec<(String, u64)>,
}

/// What the sampler keeps per step between seconds.
struct StepTotals {
    whole: Histogram<u64>,
    spare: Histogram<u64>,
    series: Vec<Point>,
}

/// One step's figures for the second just ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    pub requests: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// One second of one step (`second` counts from the start of the run; seconds
/// without a request are left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub second: u32,
    pub requests: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// Why requests of a step failed, in words that do not vary per request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub reason: String,
    pub count: u64,
}

/// All a run's steps.
pub struct Recorder {
    cells: Vec<Mutex<StepCell>>,
    totals: Mutex<Vec<StepTotals>>,
    started: Instant,
}

/// What a step gathered over the whole run.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub latency: Histogram<u64>,
    pub series: Vec<Point>,
    pub checks: Vec<(String, u64)>,
    pub reasons: Vec<Reason>,
}

impl Recorder {
    /// A recorder for `steps` steps; `None` when no histogram can be made.
    pub fn new(steps: usize) -> Option<Self> {
        let mut cells = Vec::with_capacity(steps);
        let mut totals = Vec::with_capacity(steps);
        for _ in 0..steps {
            cells.push(Mutex::new(StepCell {
                second: empty_histogram()?,
                second_errors: 0,
                checks: Vec::new(),
                reasons: Vec::new(),
            }));
            totals.push(StepTotals {
                whole: empty_histogram()?,
                spare: empty_histogram()?,
                series: Vec::new(),
            });
        }
        Some(Recorder {
            cells,
            totals: Mutex::new(totals),
            started: Instant::now(),
        })
    }

    /// A request of step `step` that passed, answered in `micros`.
    pub fn passed(&self, step: usize, micros: u64) {
        if let Some(cell) = self.cells.get(step) {
            let mut cell = cell.lock().unwrap_or_else(|e| e.into_inner());
            cell.second.saturating_record(micros);
        }
    }

    /// A request of step `step` that failed: the checks it missed and why, in
    /// words that do not vary per request (they are counted by equality).
    pub fn failed(&self, step: usize, micros: u64, checks: &[String], reason: &str) {
        let Some(cell) = self.cells.get(step) else {
            return;
        };
        let mut cell = cell.lock().unwrap_or_else(|e| e.into_inner());
        cell.second.saturating_record(micros);
        cell.second_errors += 1;
        for check in checks {
            count(&mut cell.checks, check, usize::MAX);
        }
        count(&mut cell.reasons, reason, MAX_REASONS);
    }

    /// Seconds since the run started, rounded to the nearest: the second a
    /// sample closes.
    fn second_now(&self) -> u32 {
        self.started.elapsed().as_secs_f64().round() as u32
    }

    /// Closes the current second of every step: its figures, in step order,
    /// become a point of the series (when a request came) and are returned.
    pub fn sample(&self) -> Vec<Interval> {
        let second = self.second_now().max(1);
        let mut totals = self.totals.lock().unwrap_or_else(|e| e.into_inner());
        let mut figures = Vec::with_capacity(self.cells.len());
        for (cell, totals) in self.cells.iter().zip(totals.iter_mut()) {
            let errors = {
                let mut cell = cell.lock().unwrap_or_else(|e| e.into_inner());
                std::mem::swap(&mut cell.second, &mut totals.spare);
                std::mem::take(&mut cell.second_errors)
            };
            let last = &totals.spare;
            let interval = Interval {
                requests: last.len(),
                errors,
                p50_us: quantile(last, 0.5),
                p99_us: quantile(last, 0.99),
            };
            if interval.requests > 0 {
                // Same bounds on both sides: adding cannot fail.
                let _ = totals.whole.add(last);
                push_point(&mut totals.series, second, &interval);
            }
            totals.spare.reset();
            figures.push(interval);
        }
        figures
    }

    /// Everything recorded, once the run is over (the last partial second included).
    pub fn finish(&self) -> Vec<Recorded> {
        self.sample();
        let totals = self.totals.lock().unwrap_or_else(|e| e.into_inner());
        self.cells
            .iter()
            .zip(totals.iter())
            .map(|(cell, totals)| {
                let cell = cell.lock().unwrap_or_else(|e| e.into_inner());
                Recorded {
                    latency: totals.whole.clone(),
                    series: totals.series.clone(),
                    checks: cell.checks.clone(),
                    reasons: cell
                        .reasons
                        .iter()
                        .map(|(text, count)| Reason {
                            reason: text.clone(),
                            count: *count,
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

/// The value at `quantile` (0..=1), 0 without values.
pub fn quantile(histogram: &Histogram<u64>, quantile: f64) -> u64 {
    if histogram.is_empty() {
        0
    } else {
        histogram.value_at_quantile(quantile)
    }
}

fn push_point(series: &mut Vec<Point>, second: u32, interval: &Interval) {
    // Two samples closing in the same second (the last one, at the end) add up.
    if let Some(last) = series.last_mut().filter(|p| p.second >= second) {
        last.requests += interval.requests;
        last.errors += interval.errors;
        last.p50_us = last.p50_us.max(interval.p50_us);
        last.p99_us = last.p99_us.max(interval.p99_us);
        return;
    }
    if series.len() < MAX_POINTS {
        series.push(Point {
            second,
            requests: interval.requests,
            errors: interval.errors,
            p50_us: interval.p50_us,
            p99_us: interval.p99_us,
        });
    }
}

/// Adds one to `key`'s count; past `limit` distinct keys, to [`OTHER_REASONS`].
fn count(counts: &mut Vec<(String, u64)>, key: &str, limit: usize) {
    if let Some(entry) = counts.iter_mut().find(|(k, _)| k == key) {
        entry.1 += 1;
        return;
    }
    if counts.len() + 1 < limit {
        counts.push((key.to_string(), 1));
        return;
    }
    match counts.iter_mut().find(|(k, _)| k == OTHER_REASONS) {
        Some(other) => other.1 += 1,
        None => counts.push((OTHER_REASONS.to_string(), 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_second_closes_into_a_point_and_the_whole_run_keeps_every_request() {
        let recorder = Recorder::new(2).unwrap();
        for micros in [100, 200, 300, 400] {
            recorder.passed(0, micros);
        }
        recorder.failed(
            0,
            5_000,
            &["status".into()],
            "read: status expected 200, got 401",
        );
        let first = recorder.sample();
        assert_eq!(first[0].requests, 5);
        assert_eq!(first[0].errors, 1);
        assert_eq!(first[1].requests, 0);
        assert!(first[0].p99_us >= 4_990, "{first:?}");
        recorder.passed(0, 50);
        let recorded = recorder.finish();
        assert_eq!(recorded[0].latency.len(), 6);
        // Both samples closed in the same (first) second: one point.
        assert_eq!(recorded[0].series.len(), 1);
        assert_eq!(recorded[0].series[0].requests, 6);
        assert!(recorded[1].series.is_empty());
        assert_eq!(recorded[0].checks, [("status".to_string(), 1)]);
        assert_eq!(recorded[0].reasons[0].count, 1);
    }

    #[test]
    fn reasons_are_bounded_and_the_rest_are_counted_together() {
        let recorder = Recorder::new(1).unwrap();
        for i in 0..100 {
            recorder.failed(0, 10, &[], &format!("reason {i}"));
        }
        let reasons = &recorder.finish()[0].reasons;
        assert_eq!(reasons.len(), MAX_REASONS);
        let other = reasons.iter().find(|r| r.reason == OTHER_REASONS).unwrap();
        assert_eq!(other.count, 100 - (MAX_REASONS as u64 - 1));
        assert_eq!(reasons[0].reason, "reason 0", "first seen first");
    }

    #[test]
    fn an_hour_and_more_is_held_as_the_top_value() {
        let recorder = Recorder::new(1).unwrap();
        recorder.passed(0, u64::MAX);
        recorder.passed(0, 0);
        let latency = &recorder.finish()[0].latency;
        assert_eq!(latency.len(), 2);
        assert!(latency.max() >= HIGHEST_US);
    }
}
