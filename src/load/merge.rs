//! `tollgate merge`: load runs from several machines added up into one summary.
//!
//! Past one machine, each machine runs `tollgate load` on its share and writes
//! its JSON report (a summary); this adds the reports' counts and HDR histograms
//! step by step, so the merged percentiles are those of all requests together,
//! not an average of percentiles. goose JSON reports and format-1 summaries
//! (goose's buckets) from earlier versions still read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use goose::metrics::GooseMetrics;
use serde_json::Value;

use super::summary::{FORMAT, FORMAT_1, LoadSummary, Phase, Point, StepLoad};
use crate::report::redact::Redactor;

/// Why load reports could not be read or added up.
///
/// A parser's message may quote a value from the file (a host with its
/// password, say), so it is shown redacted.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not JSON: {}", .path.display(), redacted(.source))]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{} is not a tollgate load summary: {}", .path.display(), redacted(.source))]
    BadSummary {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: goose's `raw_metrics` do not read: {}", .path.display(), redacted(.source))]
    BadGooseMetrics {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{} is neither a goose JSON report (no `raw_metrics`) nor a tollgate load summary",
        .0.display()
    )]
    UnknownFormat(PathBuf),
    #[error("{}: {format} is a load summary format this tollgate does not know (it reads {FORMAT} and {FORMAT_1})", .path.display())]
    NewerFormat { path: PathBuf, format: String },
    #[error("nothing to merge")]
    Nothing,
    #[error("cannot add up runs of different scenarios: {first} and {other}")]
    DifferentScenarios { first: String, other: String },
}

fn redacted(error: &serde_json::Error) -> String {
    Redactor::new().text(&error.to_string())
}

/// One load report: a goose JSON report (`tollgate load --report x.json`) or a
/// summary `tollgate merge --report x.json` wrote.
pub fn read(path: &Path) -> Result<LoadSummary, MergeError> {
    let path_buf = || path.to_path_buf();
    let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| MergeError::NotJson {
        path: path_buf(),
        source,
    })?;
    let format = value.get("format").and_then(Value::as_str);
    if format.is_some_and(|f| f.starts_with("tollgate-load-summary/")) {
        if format != Some(FORMAT) && format != Some(FORMAT_1) {
            return Err(MergeError::NewerFormat {
                path: path_buf(),
                format: format.unwrap_or_default().to_string(),
            });
        }
        // Format 1 lacks the HDR histograms, time series and reasons: its
        // goose buckets are read as they are, the rest is empty.
        let mut summary: LoadSummary =
            serde_json::from_value(value).map_err(|source| MergeError::BadSummary {
                path: path_buf(),
                source,
            })?;
        summary.format = FORMAT.to_string();
        return Ok(summary);
    }
    let Some(raw) = value.get("raw_metrics") else {
        return Err(MergeError::UnknownFormat(path_buf()));
    };
    let metrics: GooseMetrics =
        serde_json::from_value(raw.clone()).map_err(|source| MergeError::BadGooseMetrics {
            path: path_buf(),
            source,
        })?;
    Ok(from_goose_report(&metrics))
}

/// A summary of a goose report. The report does not say which requests ran once
/// per user, so every request counts as part of the iteration.
fn from_goose_report(metrics: &GooseMetrics) -> LoadSummary {
    let scenario = metrics
        .scenarios
        .first()
        .map(|s| s.name.to_string())
        .unwrap_or_else(|| "load".to_string());
    let mut hosts: Vec<String> = metrics
        .hosts
        .iter()
        .map(|h| Redactor::new().url(h))
        .collect();
    hosts.sort();
    let mut requests: Vec<&String> = metrics.requests.keys().collect();
    requests.sort();
    let steps: Vec<(String, String, Phase)> = requests
        .into_iter()
        .map(|key| {
            let name = key.split_once(' ').map_or(key.as_str(), |(_, name)| name);
            (name.to_string(), key.clone(), Phase::Iteration)
        })
        .collect();
    LoadSummary::from_metrics(
        metrics,
        &scenario,
        &hosts.join(", "),
        &steps,
        metrics.duration as f64,
    )
}

/// `runs` added up: counts and buckets summed per request, users and machines
/// summed, the duration the longest (the machines ran side by side). Each run's
/// thresholds judged that run alone, so the sum carries none.
pub fn merge(runs: &[LoadSummary]) -> Result<LoadSummary, MergeError> {
    let Some(first) = runs.first() else {
        return Err(MergeError::Nothing);
    };
    if let Some(other) = runs.iter().find(|r| r.scenario != first.scenario) {
        return Err(MergeError::DifferentScenarios {
            first: first.scenario.clone(),
            other: other.scenario.clone(),
        });
    }
    let mut merged = LoadSummary {
        format: FORMAT.to_string(),
        scenario: first.scenario.clone(),
        target: first.target.clone(),
        // The machines ran the same scenario: the first one's options stand for all.
        run: first.run.clone(),
        ..LoadSummary::default()
    };
    for run in runs {
        merged.machines += run.machines;
        merged.users += run.users;
        merged.duration_secs = merged.duration_secs.max(run.duration_secs);
        if !merged.target.split(", ").any(|t| t == run.target) {
            merged.target = format!("{}, {}", merged.target, run.target);
        }
        if let Some(open) = &run.open {
            match merged.open.as_mut() {
                Some(into) => into.add(open),
                None => merged.open = Some(open.clone()),
            }
        }
        for step in &run.steps {
            match merged.steps.iter_mut().find(|s| s.request == step.request) {
                Some(into) => add_step(into, step),
                None => merged.steps.push(step.clone()),
            }
        }
    }
    Ok(merged)
}

fn add_step(into: &mut StepLoad, step: &StepLoad) {
    into.requests += step.requests;
    into.failures += step.failures;
    for (status, count) in &step.statuses {
        *into.statuses.entry(*status).or_default() += count;
    }
    into.latency.add(&step.latency);
    add_series(&mut into.series, &step.series);
    for check in &step.checks {
        match into.checks.iter_mut().find(|c| c.check == check.check) {
            Some(c) => c.count += check.count,
            None => into.checks.push(check.clone()),
        }
    }
    into.checks.sort_by_key(|c| std::cmp::Reverse(c.count));
    for reason in &step.reasons {
        match into.reasons.iter_mut().find(|r| r.reason == reason.reason) {
            Some(r) => r.count += reason.count,
            None => into.reasons.push(reason.clone()),
        }
    }
    // A step that ran each iteration anywhere is an iteration step.
    if step.phase == Phase::Iteration {
        into.phase = Phase::Iteration;
    }
}

/// Adds `other`'s seconds to `into`'s: the machines started together (`--start-at`),
/// so second N of each is the same second. Requests and errors add up; the
/// second's p50 and p99 are the highest of the machines' (an upper bound: the
/// exact figures of the whole run come from the merged histogram).
fn add_series(into: &mut Vec<Point>, other: &[Point]) {
    let mut by_second: BTreeMap<u32, Point> = into.drain(..).map(|p| (p.second, p)).collect();
    for point in other {
        let entry = by_second.entry(point.second).or_insert_with(|| Point {
            second: point.second,
            ..Point::default()
        });
        entry.requests += point.requests;
        entry.errors += point.errors;
        entry.p50_us = entry.p50_us.max(point.p50_us);
        entry.p99_us = entry.p99_us.max(point.p99_us);
    }
    *into = by_second.into_values().collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::summary::Histogram;

    fn run(scenario: &str, requests: u64, failures: u64, time_us: u64, secs: f64) -> LoadSummary {
        let mut latency = Histogram {
            count: requests,
            min_us: time_us,
            max_us: time_us,
            total_us: time_us * requests,
            ..Histogram::default()
        };
        latency.buckets_us.insert(time_us, requests);
        LoadSummary {
            format: FORMAT.into(),
            scenario: scenario.into(),
            target: "http://127.0.0.1:1".into(),
            machines: 1,
            users: 8,
            duration_secs: secs,
            steps: vec![StepLoad {
                name: "read".into(),
                request: "GET read".into(),
                phase: Phase::Iteration,
                requests,
                failures,
                statuses: [(200, requests - failures), (500, failures)].into(),
                latency,
                ..StepLoad::default()
            }],
            thresholds: Vec::new(),
            ..LoadSummary::default()
        }
    }

    #[test]
    fn counts_and_buckets_add_up_and_the_longest_run_sets_the_duration() {
        let merged = merge(&[run("L", 1000, 10, 200, 10.0), run("L", 3000, 0, 900, 12.0)]).unwrap();
        assert_eq!(merged.machines, 2);
        assert_eq!(merged.users, 16);
        assert_eq!(merged.duration_secs, 12.0);
        assert_eq!(merged.requests(), 4000);
        assert_eq!(merged.failures(), 10);
        let step = &merged.steps[0];
        assert_eq!(step.statuses[&200], 3990);
        assert_eq!(step.latency.count, 4000);
        assert_eq!((step.latency.min_us, step.latency.max_us), (200, 900));
        // Three quarters of the requests took 900 µs: the merged median is theirs.
        assert_eq!(step.latency.percentile_us(0.5), 900);
        assert_eq!(merged.total_row().rps, 4000.0 / 12.0);
    }

    #[test]
    fn runs_of_different_scenarios_do_not_add_up() {
        let err = merge(&[run("A", 1, 0, 1, 1.0), run("B", 1, 0, 1, 1.0)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add up runs of different scenarios: A and B"
        );
        assert!(matches!(merge(&[]), Err(MergeError::Nothing)));
    }

    #[test]
    fn a_merged_summary_reads_back_for_another_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let merged = merge(&[run("L", 10, 0, 5, 1.0)]).unwrap();
        std::fs::write(&path, serde_json::to_string(&merged).unwrap()).unwrap();
        assert_eq!(read(&path).unwrap(), merged);
        std::fs::write(&path, "{}").unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, MergeError::UnknownFormat(_)), "{err}");
        assert!(err.to_string().contains("neither"), "{err}");
    }

    #[test]
    fn a_report_that_does_not_read_is_named_without_its_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("goose.json");
        // A host where goose's numbers belong: the parser quotes it back.
        let report = r#"{"raw_metrics": {"duration": "https://u:Hunter2-secret@c.example"}}"#;
        std::fs::write(&path, report).unwrap();
        let err = read(&path).unwrap_err();
        assert!(matches!(err, MergeError::BadGooseMetrics { .. }), "{err}");
        assert!(!err.to_string().contains("Hunter2-secret"), "{err}");
    }

    #[test]
    fn a_format_1_summary_reads_and_merges_with_hdr_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        let mut old = serde_json::to_value(run("L", 10, 0, 500, 1.0)).unwrap();
        old["format"] = FORMAT_1.into();
        old.as_object_mut().unwrap().remove("run");
        std::fs::write(&path, old.to_string()).unwrap();
        let old = read(&path).unwrap();
        assert_eq!(old.format, FORMAT);

        let mut hdr = crate::load::recorder::empty_histogram().unwrap();
        hdr.record_n(100, 30).unwrap();
        let mut new = run("L", 30, 0, 100, 1.0);
        new.steps[0].latency = Histogram::from_hdr(hdr);
        let merged = merge(&[old, new]).unwrap();
        let latency = &merged.steps[0].latency;
        assert_eq!(latency.count, 40);
        assert_eq!(latency.hdr.as_ref().unwrap().0.len(), 40);
        assert!(
            latency.percentile_us(0.99) >= 500,
            "the old run's times count"
        );
        assert_eq!(latency.percentile_us(0.5), 100);

        std::fs::write(&path, r#"{"format": "tollgate-load-summary/9"}"#).unwrap();
        let err = read(&path).unwrap_err();
        assert!(err.to_string().contains("does not know"), "{err}");
    }
}
