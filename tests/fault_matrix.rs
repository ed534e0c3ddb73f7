//! The suite must catch a non-conforming server: `tollgate selftest`'s run, in
//! process. With no fault every scenario passes against the embedded mock, each
//! suite fault makes at least one fail, and every fact is cited. Load-only faults
//! (`slow_auth`) break no fact: the matrix names them without running them.

use std::path::PathBuf;

use tollgate::scenario;
use tollgate::scenario::mock_config::Fault;
use tollgate::selftest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_mock_passes_every_fault_is_caught_and_every_fact_cited() {
    let scenarios = scenario::load_suite(&[PathBuf::from("scenarios")]).unwrap_or_else(|d| {
        panic!(
            "the suite loads: {}",
            d.iter().map(ToString::to_string).collect::<String>()
        )
    });
    assert!(
        scenarios.len() >= 15,
        "the suite has {} scenarios",
        scenarios.len()
    );
    let jobs = std::thread::available_parallelism().map_or(2, usize::from);
    let report = selftest::run(&scenarios, jobs, |fault, failing| {
        let name = fault.map_or("(clean)", |f| f.name());
        eprintln!("{name:<32} {}", failing.join(", "));
    })
    .await
    .expect("the suite runs");

    assert_eq!(
        report.clean_failures,
        Vec::<String>::new(),
        "the clean mock fails these"
    );
    let matrix: Vec<&str> = report.faults.iter().map(|f| f.fault.as_str()).collect();
    let suite: Vec<&str> = Fault::SUITE.iter().map(Fault::name).collect();
    assert_eq!(matrix, suite, "the matrix runs exactly the suite faults");
    let load_only: Vec<&str> = report.load_only.iter().map(|f| f.fault.as_str()).collect();
    assert_eq!(load_only, ["slow_auth"]);
    let uncaught: Vec<&str> = report.uncaught().map(|f| f.fault.as_str()).collect();
    assert!(
        uncaught.is_empty(),
        "faults no scenario caught: {uncaught:?}"
    );
    let uncited: Vec<&str> = report.uncited().map(|f| f.id.as_str()).collect();
    assert!(uncited.is_empty(), "facts no scenario cites: {uncited:?}");
    assert!(report.passed());

    let mut markdown = Vec::new();
    report.write_markdown(&mut markdown).unwrap();
    let markdown = String::from_utf8(markdown).unwrap();
    assert!(markdown.contains("| `basic_challenge` |"), "{markdown}");
    assert!(!markdown.contains("**nobody**"), "{markdown}");
    assert!(
        markdown.contains("`slow_auth` breaks no fact, so load thresholds (tests/load.rs)"),
        "{markdown}"
    );
}
