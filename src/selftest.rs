//! `tollgate selftest`: proof that the suite catches a non-conforming server. The
//! suite runs against the embedded mock once clean and once per fault; the result
//! is the fault matrix (fault → the scenarios that caught it) and the fact coverage
//! (fact → the scenarios citing it). A clean failure, an uncaught fault or an
//! uncited fact fails it. Load-only faults ([`Fault::LOAD_ONLY`]) break no fact,
//! so no scenario could catch them: they are named in the report, not run.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde::Serialize;

use crate::report::model::Outcome;
use crate::run::{RunError, RunOptions, run_suite};
use crate::scenario::Scenario;
use crate::scenario::facts::fact_ids;
use crate::scenario::mock_config::Fault;

/// The facts the mock and the suite follow, kept in the repository so the check
/// needs nothing outside it.
/// Who judges the load-only faults instead of the suite.
pub const LOAD_ONLY_JUDGE: &str = "load thresholds (tests/load.rs)";

#[derive(Clone, Debug, Serialize)]
pub struct SelftestReport {
    pub scenarios: usize,
    /// Scenarios that failed, errored or warned against the clean mock (must be none).
    pub clean_failures: Vec<String>,
    /// One row per fault of [`Fault::SUITE`].
    pub faults: Vec<FaultRow>,
    /// The faults of [`Fault::LOAD_ONLY`], which the suite does not judge.
    pub load_only: Vec<LoadOnlyRow>,
    pub facts: Vec<FactRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FaultRow {
    pub fault: String,
    pub caught_by: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadOnlyRow {
    pub fault: String,
    /// [`LOAD_ONLY_JUDGE`].
    pub judged_by: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FactRow {
    pub id: String,
    pub cited_by: Vec<String>,
}

impl SelftestReport {
    pub fn uncaught(&self) -> impl Iterator<Item = &FaultRow> {
        self.faults.iter().filter(|f| f.caught_by.is_empty())
    }

    pub fn uncited(&self) -> impl Iterator<Item = &FactRow> {
        self.facts.iter().filter(|f| f.cited_by.is_empty())
    }

    /// Clean run green, every fault caught, every fact cited.
    pub fn passed(&self) -> bool {
        self.clean_failures.is_empty()
            && self.uncaught().next().is_none()
            && self.uncited().next().is_none()
    }

    pub fn write_markdown(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "# tollgate selftest\n")?;
        writeln!(
            out,
            "{} scenarios; clean run: {}; {} of {} faults caught; {} of {} facts cited.\n",
            self.scenarios,
            if self.clean_failures.is_empty() {
                "all pass".to_string()
            } else {
                format!("{} fail", self.clean_failures.len())
            },
            self.faults.len() - self.uncaught().count(),
            self.faults.len(),
            self.facts.len() - self.uncited().count(),
            self.facts.len(),
        )?;
        if !self.clean_failures.is_empty() {
            writeln!(
                out,
                "Failing or warning on the clean mock: {}\n",
                self.clean_failures.join(", ")
            )?;
        }
        writeln!(out, "| fault | caught by |\n|---|---|")?;
        for row in &self.faults {
            let caught = if row.caught_by.is_empty() {
                "**nobody**".to_string()
            } else {
                row.caught_by.join(", ")
            };
            writeln!(out, "| `{}` | {caught} |", row.fault)?;
        }
        if !self.load_only.is_empty() {
            let names: Vec<String> = self
                .load_only
                .iter()
                .map(|row| format!("`{}`", row.fault))
                .collect();
            let (verb, pronoun) = if names.len() == 1 {
                ("breaks", "it")
            } else {
                ("break", "them")
            };
            writeln!(
                out,
                "\nNot in the matrix: {} {verb} no fact, so {LOAD_ONLY_JUDGE} judge {pronoun}, not this suite.",
                names.join(", ")
            )?;
        }
        writeln!(out, "\n| fact | cited by |\n|---|---|")?;
        for row in &self.facts {
            let cited = if row.cited_by.is_empty() {
                "**nobody**".to_string()
            } else {
                row.cited_by.join(", ")
            };
            writeln!(out, "| {} | {cited} |", row.id)?;
        }
        Ok(())
    }

    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }
}

/// Suite runs in flight at once, each with up to `jobs` scenarios: overlapping
/// runs keeps the cores busy while one run waits on its slowest scenarios, and
/// the bound keeps the mocks and sockets open at once to `RUNS_AT_ONCE × jobs`.
const RUNS_AT_ONCE: usize = 4;

/// A suite run that produced no report (a scenario failing is a result, not this).
#[derive(Debug, thiserror::Error)]
pub enum SelftestError {
    #[error("the {}: {reason}", run_name(.fault))]
    Run {
        fault: Option<Fault>,
        reason: RunError,
    },
    #[error("the {} ended abnormally: {reason}", run_name(.fault))]
    Aborted {
        fault: Option<Fault>,
        reason: tokio::task::JoinError,
    },
}

fn run_name(fault: &Option<Fault>) -> String {
    match fault {
        None => "clean run".to_string(),
        Some(fault) => format!("run with fault `{}`", fault.name()),
    }
}

/// Runs `scenarios` against the embedded mock clean and once per fault of
/// [`Fault::SUITE`], calling `progress` after each run with what it found, in
/// that order (clean first), although the runs overlap.
pub async fn run(
    scenarios: &[Scenario],
    jobs: usize,
    mut progress: impl FnMut(Option<Fault>, &[String]),
) -> Result<SelftestReport, SelftestError> {
    let options = RunOptions {
        jobs,
        ..RunOptions::default()
    };
    let runs = std::iter::once(None).chain(Fault::SUITE.iter().copied().map(Some));
    // `buffered` starts up to RUNS_AT_ONCE runs and yields them in the order given.
    let mut finished = futures::stream::iter(runs.map(|fault| {
        // The clean emulator follows the facts, should-level ones too: a warning
        // against it is a defect. Under a fault only a failure counts as caught.
        let strict = fault.is_none();
        let run = tokio::spawn(failing_with(
            with_fault(scenarios, fault),
            options.clone(),
            strict,
        ));
        async move {
            match run.await {
                Ok(Ok(failing)) => Ok((fault, failing)),
                Ok(Err(reason)) => Err(SelftestError::Run { fault, reason }),
                Err(reason) => Err(SelftestError::Aborted { fault, reason }),
            }
        }
    }))
    .buffered(RUNS_AT_ONCE);
    let mut clean_failures = Vec::new();
    let mut faults = Vec::new();
    while let Some(finished) = finished.next().await {
        let (fault, failing) = finished?;
        progress(fault, &failing);
        match fault {
            None => clean_failures = failing,
            Some(fault) => faults.push(FaultRow {
                fault: fault.name().to_string(),
                caught_by: failing,
            }),
        }
    }
    Ok(SelftestReport {
        scenarios: scenarios.len(),
        clean_failures,
        faults,
        load_only: Fault::LOAD_ONLY
            .iter()
            .map(|fault| LoadOnlyRow {
                fault: fault.name().to_string(),
                judged_by: LOAD_ONLY_JUDGE.to_string(),
            })
            .collect(),
        facts: fact_rows(scenarios),
    })
}

/// `scenarios`, each with its mock broken by `fault` (if any).
fn with_fault(scenarios: &[Scenario], fault: Option<Fault>) -> Vec<Scenario> {
    let mut scenarios = scenarios.to_vec();
    if let Some(fault) = fault {
        for scenario in &mut scenarios {
            scenario.mock.confluence.faults.push(fault);
        }
    }
    scenarios
}

/// The ids of the scenarios that fail or err in one suite run (or, when
/// `strict`, pass with warnings), sorted.
async fn failing_with(
    scenarios: Vec<Scenario>,
    options: RunOptions,
    strict: bool,
) -> Result<Vec<String>, RunError> {
    let report = run_suite(scenarios, &options, |_| {}).await?;
    let mut ids: Vec<String> = report
        .scenarios
        .into_iter()
        .filter(|s| s.outcome.is_problem() || (strict && s.outcome == Outcome::Warn))
        .map(|s| s.id)
        .collect();
    ids.sort();
    Ok(ids)
}

/// Every fact of confluence-auth-facts.md with the scenarios citing it, sorted.
fn fact_rows(scenarios: &[Scenario]) -> Vec<FactRow> {
    let mut citing: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for scenario in scenarios {
        for fact in &scenario.refs {
            citing
                .entry(fact.inner.as_str())
                .or_default()
                .push(scenario.id.inner.clone());
        }
    }
    fact_ids()
        .iter()
        .map(|id| {
            let mut cited_by = citing.get(id.as_str()).cloned().unwrap_or_default();
            cited_by.sort();
            FactRow {
                id: id.clone(),
                cited_by,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_table_row_is_read() {
        let ids = fact_ids();
        assert_eq!(ids.len(), 56);
        assert_eq!(ids.first().map(String::as_str), Some("F-BASIC-1"));
        assert!(
            ids.iter()
                .all(|id| id.starts_with("F-") && id.split('-').count() == 3),
            "{ids:?}"
        );
    }

    fn report() -> SelftestReport {
        SelftestReport {
            scenarios: 1,
            clean_failures: Vec::new(),
            faults: vec![FaultRow {
                fault: "basic_challenge".to_owned(),
                caught_by: vec!["BASIC-001".to_owned()],
            }],
            load_only: vec![LoadOnlyRow {
                fault: "slow_auth".to_owned(),
                judged_by: LOAD_ONLY_JUDGE.to_owned(),
            }],
            facts: Vec::new(),
        }
    }

    #[test]
    fn load_only_faults_are_named_once_and_not_as_uncaught() {
        let report = report();
        assert!(report.passed());
        let mut markdown = Vec::new();
        report.write_markdown(&mut markdown).unwrap();
        let markdown = String::from_utf8(markdown).unwrap();
        assert!(markdown.contains("1 of 1 faults caught"), "{markdown}");
        assert!(!markdown.contains("| `slow_auth` |"), "{markdown}");
        let lines: Vec<&str> = markdown
            .lines()
            .filter(|l| l.contains("slow_auth"))
            .collect();
        assert_eq!(
            lines,
            [
                "Not in the matrix: `slow_auth` breaks no fact, so load thresholds \
                 (tests/load.rs) judge it, not this suite."
            ]
        );
        let mut json = Vec::new();
        report.write_json(&mut json).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            json["load_only"],
            serde_json::json!([
                { "fault": "slow_auth", "judged_by": "load thresholds (tests/load.rs)" }
            ])
        );
        assert_eq!(json["faults"].as_array().map(Vec::len), Some(1));
    }
}
