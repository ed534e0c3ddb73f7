//! The suite must catch a non-conforming server: with no fault every scenario
//! passes against the embedded mock, and each fault makes at least one fail.

use std::path::PathBuf;

use tollgate::report::model::Outcome;
use tollgate::run::{RunOptions, run_suite};
use tollgate::scenario::{self, mock_config::Fault, model::Scenario};

fn suite() -> Vec<Scenario> {
    scenario::load_suite(&[PathBuf::from("scenarios")]).unwrap_or_else(|d| {
        panic!(
            "the suite loads: {}",
            d.iter().map(ToString::to_string).collect::<String>()
        )
    })
}

/// The ids of the scenarios that did not pass, with every scenario's mock given
/// `faults`.
async fn failing_with(faults: &[Fault]) -> Vec<String> {
    let mut scenarios = suite();
    for scenario in &mut scenarios {
        scenario.mock.confluence.faults.extend_from_slice(faults);
    }
    let report = run_suite(scenarios, &RunOptions::default(), |_| {})
        .await
        .expect("suite runs");
    let mut ids: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Fail | Outcome::Error))
        .map(|s| s.id.clone())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_mock_passes_every_scenario() {
    let scenarios = suite();
    assert!(
        scenarios.len() >= 15,
        "the suite has {} scenarios",
        scenarios.len()
    );
    assert_eq!(failing_with(&[]).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_by_at_least_one_scenario() {
    let mut uncaught = Vec::new();
    for fault in Fault::ALL {
        let caught_by = failing_with(&[*fault]).await;
        eprintln!("{:<26} caught by {}", fault.name(), caught_by.join(", "));
        if caught_by.is_empty() {
            uncaught.push(fault.name());
        }
    }
    assert!(
        uncaught.is_empty(),
        "faults no scenario caught: {uncaught:?}"
    );
}
