//! What CI jobs and vendors read, through the real binary (issue 15, items 1, 2
//! and 6): JUnit that CI tools annotate, and evidence of every check.

use std::path::Path;
use std::process::Output;

mod common;
use common::cli::tollgate_in as tollgate;

/// Runs `scenarios` (relative to `dir`) with every report into `out`.
fn run_with_reports(dir: &Path, scenarios: &str, out: &Path, extra: &[&str]) -> Output {
    let report = |format: &str, name: &str| format!("{format}={}", out.join(name).display());
    let mut args = vec![
        "run".to_string(),
        scenarios.to_string(),
        "--report".into(),
        report("junit", "junit.xml"),
        "--report".into(),
        report("json", "report.json"),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tollgate(&args, dir)
}

fn junit(out: &Path) -> junit_parser::TestSuites {
    let xml = std::fs::read(out.join("junit.xml")).unwrap();
    junit_parser::from_reader(std::io::Cursor::new(xml)).expect("a JUnit document")
}

#[test]
fn junit_testcases_carry_file_and_line_and_no_classname_ends_in_yaml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let output = run_with_reports(root, "scenarios/basic", out.path(), &[]);
    let console = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{console}");

    let suites = junit(out.path());
    let suite = &suites.suites[0];
    assert!(suite.timestamp.is_some(), "timestamp");
    assert!(suite.hostname.as_deref().is_some_and(|h| !h.is_empty()));
    let property = |name: &str| {
        let found = suite.properties.vec.iter().find(|(k, _)| k == name);
        found.map(|(_, v)| v.clone())
    };
    assert_eq!(property("verdict").as_deref(), Some("conformant"));
    assert_eq!(property("target").as_deref(), Some("embedded mock"));
    assert_eq!(property("profile").as_deref(), Some("(none)"));
    assert_eq!(
        property("tool_version").as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert!(property("warnings").is_some());
    assert!(suite.cases.len() >= 10, "{}", suite.cases.len());
    for case in &suite.cases {
        let file = case.file.as_deref().expect("file");
        assert!(
            file.starts_with("scenarios/basic/"),
            "relative as given: {file}"
        );
        let line = case.line.expect("line") as usize;
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let written = text.lines().nth(line - 1).unwrap_or_default();
        assert!(
            written.starts_with("id: "),
            "{file}:{line} is the id: {written}"
        );
        let id = written.trim_start_matches("id: ").trim();
        assert!(
            case.original_name.starts_with(&format!("{id}: ")),
            "{}",
            case.original_name
        );
        assert_eq!(case.classname.as_deref(), Some("tollgate.basic"));
    }
}

#[test]
fn a_passing_step_lists_its_checks_with_expected_and_actual_in_json_and_verbose() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let scenario = "scenarios/basic/wrong-password.yaml";
    let output = run_with_reports(root, scenario, out.path(), &["--verbose"]);
    let console = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{console}");

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let step = &json["scenarios"][0]["steps"][0];
    assert_eq!(step["outcome"], "pass", "{step}");
    let checks = step["checks"].as_array().expect("checks");
    let status = checks
        .iter()
        .find(|c| c["check"] == "status")
        .expect("the status check");
    assert_eq!(status["passed"], true);
    assert_eq!(status["level"], "must");
    assert_eq!(status["expected"], "401");
    assert_eq!(status["actual"], "401");
    assert_eq!(status["source"]["file"], scenario);
    assert!(status["source"]["line"].as_u64().unwrap() > 1);
    for check in checks {
        for field in ["expected", "actual"] {
            assert!(check[field].is_string(), "{field} of {check}");
        }
    }
    // `--verbose`: each check of the passing step on the console.
    assert!(
        console.contains("step `wrong password` passed"),
        "{console}"
    );
    assert!(
        console.contains(
            "ok   status: expected 401, actual 401 --> scenarios/basic/wrong-password.yaml:"
        ),
        "{console}"
    );
    assert!(
        console.contains("ok   header www-authenticate: expected matching"),
        "{console}"
    );
}

#[test]
fn a_failure_message_holds_expected_and_actual() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let yaml =
        std::fs::read_to_string(root.join("scenarios/basic/no-basic-challenge.yaml")).unwrap();
    // A mock that challenges with Basic (F-BASIC-8).
    std::fs::create_dir(dir.path().join("basic")).unwrap();
    std::fs::write(
        dir.path().join("basic/no-basic-challenge.yaml"),
        format!("{yaml}\nmock: {{ confluence: {{ faults: [basic_challenge] }} }}\n"),
    )
    .unwrap();
    let output = run_with_reports(dir.path(), "basic", dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let suites = junit(dir.path());
    let case = &suites.suites[0].cases[0];
    assert_eq!(case.file.as_deref(), Some("basic/no-basic-challenge.yaml"));
    assert_eq!(case.classname.as_deref(), Some("tollgate.basic"));
    assert!(case.status.is_failure());
    let message = &case.status.failure_as_ref().message;
    assert!(message.contains("expected"), "{message}");
    assert!(message.contains(", actual "), "{message}");
}
