//! Issue 15, items 4 and 5, through the binary: paths in a scenario are the
//! scenario file's (a suite copied anywhere runs the same from any folder, and
//! a missing key fails `check` at the path's own line), and a mock setting that
//! does nothing as written is refused at its `file:line:col` by `check` and
//! `run` alike.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn tollgate(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .env("NO_COLOR", "1")
        // Paths from these would be the working directory's: the test is about
        // the defaults written in the files.
        .env_remove("TOLLGATE_IDP_KEY")
        .env_remove("TOLLGATE_IDP_ES256_KEY")
        .current_dir(dir)
        .output()
        .expect("tollgate runs")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Each scenario's id and outcome, and the counts, of a JSON report.
fn verdicts(report: &Path) -> (Vec<(String, String)>, Value) {
    let text = std::fs::read_to_string(report).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let mut scenarios: Vec<(String, String)> = json["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    scenarios.sort();
    (scenarios, json["counts"].clone())
}

fn stdout_and_stderr(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_copied_suite_runs_the_same_from_its_folder_and_from_another() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().unwrap();
    let suite = temp.path().join("suite");
    for part in ["scenarios", "profiles", "fixtures"] {
        copy_dir(&repo.join(part), &suite.join(part));
    }
    let elsewhere = temp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let suite_text = suite.display().to_string();
    let report = |name: &str| temp.path().join(name).display().to_string();
    let scenarios = format!("{suite_text}/scenarios");
    let profile = format!("{suite_text}/profiles/jwt-public-key.yaml");
    let runs: [(&Path, Vec<String>, &str); 4] = [
        (
            &suite,
            vec!["run".into(), "scenarios".into()],
            "from-suite.json",
        ),
        (
            &elsewhere,
            vec!["run".into(), scenarios.clone()],
            "from-elsewhere.json",
        ),
        (
            &suite,
            vec!["run".into(), "--profile".into(), "jwt-public-key".into()],
            "profile-from-suite.json",
        ),
        (
            &elsewhere,
            vec!["run".into(), "--profile".into(), profile, scenarios.clone()],
            "profile-from-elsewhere.json",
        ),
    ];
    for (dir, args, name) in &runs {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        let spec = format!("json={}", report(name));
        args.extend(["--report", &spec]);
        let output = tollgate(&args, dir);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?} in {}: {}",
            dir.display(),
            stdout_and_stderr(&output)
        );
    }
    let (suite_run, suite_counts) = verdicts(Path::new(&report("from-suite.json")));
    let (other_run, other_counts) = verdicts(Path::new(&report("from-elsewhere.json")));
    assert!(suite_run.len() > 100, "{suite_run:?}");
    assert!(suite_run.iter().all(|(_, outcome)| outcome == "pass"));
    assert_eq!(suite_run, other_run);
    assert_eq!(suite_counts, other_counts);
    // The 27 scenarios that read fixtures/keys are among them, keys read.
    assert!(suite_run.iter().any(|(id, _)| id.starts_with("JWT-")));
    let (profile_suite, _) = verdicts(Path::new(&report("profile-from-suite.json")));
    let (profile_other, _) = verdicts(Path::new(&report("profile-from-elsewhere.json")));
    assert!(!profile_suite.is_empty());
    assert_eq!(profile_suite, profile_other);
}

const KEYED: &str = "id: PATH-1\ntitle: a key read from the scenario's folder\nonly: mock\nkeys:\n  app: { alg: RS256, private_key: keys/app.pem }\nmock:\n  confluence:\n    connect_jwt:\n      issuers: [{ iss: app, public_key: app, user: alice }]\nsteps:\n  - name: s\n    request: { path: /rest/api/user/current, auth: { jwt: { key: app, scheme: JWT, qsh: true, claims: { iss: app, iat: now, exp: now+3m } } } }\n    expect: { status: 200, json: { \"$.username\": alice } }\n";

#[test]
fn a_key_is_read_beside_the_scenario_and_a_missing_one_fails_check_at_its_line() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let temp = tempfile::tempdir().unwrap();
    let folder = temp.path().join("suite");
    std::fs::create_dir_all(folder.join("keys")).unwrap();
    std::fs::write(folder.join("keyed.yaml"), KEYED).unwrap();
    let scenario = folder.join("keyed.yaml").display().to_string();

    // No key yet: `check` fails, pointing at `private_key`'s value (line 5).
    let output = tollgate(&["check", &scenario], temp.path());
    let shown = stdout_and_stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains(&format!("{scenario}:5:35")),
        "the path's own position: {shown}"
    );
    assert!(shown.contains("key 'app': cannot read"), "{shown}");
    assert!(
        shown.contains("relative path is read from the folder"),
        "{shown}"
    );

    std::fs::copy(
        repo.join("fixtures/keys/test-rs256.pem"),
        folder.join("keys/app.pem"),
    )
    .unwrap();
    for dir in [temp.path(), folder.as_path(), repo] {
        let output = tollgate(&["run", &scenario], dir);
        assert_eq!(
            output.status.code(),
            Some(0),
            "from {}: {}",
            dir.display(),
            stdout_and_stderr(&output)
        );
    }
}

#[test]
fn a_crowd_setting_without_crowd_enabled_is_refused_by_check_and_run() {
    let temp = tempfile::tempdir().unwrap();
    let text = "id: INERT-1\ntitle: proxies Confluence never asks about\nmock:\n  confluence:\n    crowd:\n      trusted_proxies: [10.0.0.1]\nsteps:\n  - name: s\n    request: { path: /rest/api/space }\n    expect: { status: 200 }\n";
    std::fs::write(temp.path().join("inert.yaml"), text).unwrap();
    for command in ["check", "run"] {
        let output = tollgate(&[command, "inert.yaml"], temp.path());
        let shown = stdout_and_stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{command}: {shown}");
        assert!(shown.contains("inert.yaml:6:7"), "{command}: {shown}");
        assert!(
            shown.contains("`crowd.trusted_proxies` does nothing unless `crowd.enabled: true`"),
            "{command}: {shown}"
        );
    }
    let fixed = text.replace("    crowd:\n", "    crowd:\n      enabled: true\n");
    std::fs::write(temp.path().join("inert.yaml"), fixed).unwrap();
    let output = tollgate(&["check", "inert.yaml"], temp.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        stdout_and_stderr(&output)
    );
}
