//! `tollgate merge`: load runs from several machines added up into one summary.
//!
//! Past one machine, each machine runs `tollgate load` on its share and writes
//! goose's JSON report; this adds the reports' counts and latency buckets request
//! by request, so the merged percentiles are those of all requests together, not
//! an average of percentiles.

use std::path::{Path, PathBuf};

use goose::metrics::GooseMetrics;
use serde_json::Value;

use super::summary::{FORMAT, LoadSummary, Phase, StepLoad};
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
    if value.get("format").and_then(Value::as_str) == Some(FORMAT) {
        return serde_json::from_value(value).map_err(|source| MergeError::BadSummary {
            path: path_buf(),
            source,
        });
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
        machines: 0,
        users: 0,
        duration_secs: 0.0,
        steps: Vec::new(),
        thresholds: Vec::new(),
    };
    for run in runs {
        merged.machines += run.machines;
        merged.users += run.users;
        merged.duration_secs = merged.duration_secs.max(run.duration_secs);
        if !merged.target.split(", ").any(|t| t == run.target) {
            merged.target = format!("{}, {}", merged.target, run.target);
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
    // A step that ran each iteration anywhere is an iteration step.
    if step.phase == Phase::Iteration {
        into.phase = Phase::Iteration;
    }
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
            }],
            thresholds: Vec::new(),
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
}
