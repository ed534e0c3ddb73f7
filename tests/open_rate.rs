//! The open model (`tollgate load --rate`) through the real binary, in its
//! own test binary: cargo runs test binaries one after another, so no
//! closed-model load of tests/load.rs shares the CPU with a rate that must be
//! held (a debug build on two cores has little to spare at 500/s).

use std::process::Output;

use serde_json::Value;

mod common;
use common::cli::{text, tollgate};
use common::load_report::hdr_of;

/// One open-model run at a time: two at 500/s side by side would measure how
/// a debug build on two cores shares its CPU, not the schedule.
static RATED: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `tollgate load --rate 500/s --run-time 10s` with `extra`, and its JSON report.
fn rate_500_for_10s(extra: &[&str]) -> (Output, Value) {
    let _one_at_a_time = RATED.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("rate.json");
    let report_arg = report.to_str().unwrap();
    let mut args = vec![
        "load",
        "scenarios/load/basic.yaml",
        "--rate",
        "500/s",
        "--run-time",
        "10s",
        "--quiet",
        "--report",
        report_arg,
    ];
    args.extend_from_slice(extra);
    let output = tollgate(&args);
    let json = serde_json::from_str(&std::fs::read_to_string(&report).unwrap_or_default())
        .unwrap_or(Value::Null);
    (output, json)
}

#[test]
fn an_open_model_rate_starts_its_iterations_whatever_the_latency() {
    let (output, json) = rate_500_for_10s(&[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let open = &json["open"];
    assert_eq!(open["scheduled"], 5_000, "{out}");
    // 5,000 ± 5% sent: the schedule's, less any the client dropped.
    let sent = json["steps"][0]["requests"].as_u64().unwrap();
    assert!((4_750..=5_250).contains(&sent), "{sent} sent\n{out}");
    assert_eq!(open["started"].as_u64().unwrap(), sent, "{out}");
    assert!(out.contains("open model 500/s:"), "{out}");
    assert!(out.contains("of 5000 iterations started"), "{out}");
    let misses = common::load_report::schema_misses(&json);
    assert!(misses.is_empty(), "{misses:?}");
}

#[test]
fn an_open_model_counts_slow_answers_from_when_they_were_due() {
    // slow_auth holds every authenticated answer at least 50 ms: at a rate,
    // that cannot slow the load down, and every latency shows it.
    let (output, json) = rate_500_for_10s(&["--fault", "slow_auth"]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let step = &json["steps"][0];
    let sent = step["requests"].as_u64().unwrap();
    assert!((4_750..=5_250).contains(&sent), "{sent} sent\n{out}");
    let latency = hdr_of(step);
    assert!(latency.value_at_quantile(0.5) >= 50_000, "{out}");
}

#[test]
fn a_rate_the_options_cannot_carry_is_refused_before_anything_is_sent() {
    let compare = tollgate(&["load", "--compare", "scenarios/load", "--rate", "5/s"]);
    assert_eq!(compare.status.code(), Some(2), "{}", text(&compare));
    assert!(text(&compare).contains("--rate goes with one scenario"));
    for (args, said) in [
        (&["--rate", "5/s", "--throttle", "3"][..], "--throttle"),
        (
            &["--rate", "5/s", "--over", "2s"][..],
            "--over goes with a ramp",
        ),
        (&["--rate", "5/d"][..], "not a unit"),
        (&["--over", "2s"][..], "--rate"),
    ] {
        let mut all = vec!["load", "scenarios/load/basic.yaml", "--run-time", "1s"];
        all.extend_from_slice(args);
        let output = tollgate(&all);
        let out = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {out}");
        assert!(out.contains(said), "{args:?}: {out}");
    }
}

#[test]
fn a_rate_paces_iterations_and_leaves_each_users_login_alone() {
    let _one_at_a_time = RATED.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("session.json");
    let output = tollgate(&[
        "load",
        "scenarios/load/session.yaml",
        "--rate",
        "50/s",
        "--run-time",
        "2s",
        "--users",
        "4",
        "--quiet",
        "--report",
        report.to_str().unwrap(),
    ]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let steps = json["steps"].as_array().unwrap();
    // The login runs once per user, before its first iteration, unpaced.
    assert_eq!(steps[0]["phase"], "start", "{out}");
    assert_eq!(steps[0]["requests"], 4, "{out}");
    assert_eq!(steps[1]["requests"], 100, "{out}");
    assert_eq!(json["open"]["started"], 100, "{out}");
    assert_eq!(json["steps"][1]["failures"], 0, "{out}");
}
