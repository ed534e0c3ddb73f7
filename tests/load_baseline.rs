//! `tollgate load --baseline` through the real binary: a second run set against
//! the first one's JSON report, in every report format. Runs are bounded by
//! iterations; no assertion rests on how fast this machine is.

mod common;
use common::cli::{text, tollgate};

use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn load(scenario: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "load",
        scenario,
        "--iterations",
        "5",
        "--users",
        "2",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    tollgate(&args)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_second_run_shows_its_change_against_the_first_ones_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let first = path("first.json");
    let output = load("scenarios/load/basic.yaml", &["--report", &first]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));

    let (json, md, html) = (path("second.json"), path("second.md"), path("second.html"));
    let output = load(
        "scenarios/load/basic.yaml",
        &[
            "--baseline",
            &first,
            "--report",
            &json,
            "--report",
            &md,
            "--report",
            &html,
        ],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!("against the baseline {first} (LOAD-BASIC)")),
        "{out}"
    );
    assert!(
        !out.contains("baseline note"),
        "same scenario, same steps: {out}"
    );
    let row = out
        .lines()
        .find(|l| l.starts_with("read spaces with Basic") && l.contains("pt)"))
        .unwrap_or_else(|| panic!("no baseline row: {out}"));
    assert!(row.contains("0.00% (+0.00pt)"), "{row}");

    let report = read_json(Path::new(&json));
    let misses = common::load_report::schema_misses(&report);
    assert!(misses.is_empty(), "{misses:#?}\n{report}");
    let baseline = &report["baseline"];
    assert_eq!(baseline["same_scenario"], true, "{baseline}");
    let step = &baseline["steps"][0];
    assert_eq!(step["name"], "read spaces with Basic");
    assert_eq!(step["baseline"]["requests"], 10);
    assert_eq!(step["current"]["requests"], 10);
    assert_eq!(step["change"]["error_rate_points"], 0.0);
    for figure in ["rps_pct", "p50_pct", "p99_pct", "p999_pct"] {
        assert!(step["change"][figure].is_number(), "{figure}: {step}");
    }
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.starts_with("# Load: LOAD-BASIC"), "{markdown}");
    assert!(markdown.contains("## Baseline"), "{markdown}");
    assert!(
        markdown.contains("| read spaces with Basic |"),
        "{markdown}"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<h2>Baseline</h2>"), "{page}");

    // A merged report is a baseline too.
    let merged = path("merged.json");
    let output = tollgate(&["merge", &first, &json, "--report", &merged]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(read_json(Path::new(&merged)).get("baseline").is_none());
    let output = load("scenarios/load/basic.yaml", &["--baseline", &merged]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("baseline note: the baseline ran 4 user(s) on 2 machine(s), this run 2 on 1"),
        "{out}"
    );

    // Another scenario: named, and its unmatched steps too (the old option's name).
    let output = load(
        "scenarios/load/anonymous.yaml",
        &["--baseline-file", &first],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    for note in [
        "baseline note: the baseline is of another scenario (LOAD-BASIC, this run LOAD-ANON)",
        "baseline note: not in the baseline: read spaces anonymously",
        "baseline note: only in the baseline: read spaces with Basic",
        "baseline note: no step matches: nothing is compared",
    ] {
        assert!(out.contains(note), "{note} missing:\n{out}");
    }
}

#[test]
fn a_baseline_that_does_not_read_or_a_report_of_no_known_format_stops_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let output = load(
        "scenarios/load/basic.yaml",
        &["--baseline", bad.to_str().unwrap()],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(
        out.contains("--baseline: ") && out.contains("bad.json"),
        "{out}"
    );

    let txt = dir.path().join("x.txt");
    let output = load(
        "scenarios/load/basic.yaml",
        &["--report", txt.to_str().unwrap()],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains(".json, .md or .html"), "{out}");

    let output = tollgate(&[
        "load",
        "--compare",
        "scenarios/load",
        "--baseline",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}
