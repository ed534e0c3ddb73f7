//! Certification profiles: every shipped profile loads and names only scenarios
//! of the suite; a bad profile is reported at file:line:col; and `tollgate run
//! --profile connect-jwt --target URL` certifies a conforming standalone mock,
//! refuses a faulty one, and sends nothing while a required var is missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use tollgate::run::select;
use tollgate::scenario::{self, profile};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tollgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        // The profile's vars come from the command line here, never from the
        // environment of whoever runs the tests.
        .env_remove("CONNECT_ISSUER")
        .env_remove("CONNECT_SHARED_SECRET")
        .env_remove("CONNECT_USER")
        .output()
        .expect("tollgate runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const EXPECTED: &[&str] = &[
    "basic-locked-down",
    "connect-jwt",
    "crowd-sso",
    "jwt-public-key",
    "oauth-introspection",
    "oauth-userinfo",
    "pat",
    "plugin-policies",
    "plugin-rate-limit",
    "rate-limit",
];

#[test]
fn every_profile_loads_and_names_only_scenarios_of_the_suite() {
    let suite = scenario::load_suite(&[root().join("scenarios")]).expect("the suite loads");
    let files = profile::discover(&root().join("profiles"));
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, EXPECTED);
    for file in &files {
        let profile = profile::load_file(file).unwrap_or_else(|d| {
            panic!("{}", d.iter().map(ToString::to_string).collect::<String>())
        });
        for selector in &profile.scenarios {
            if let profile::Selector::Id(id) = &selector.inner {
                assert!(
                    suite.iter().any(|s| s.id.inner == *id),
                    "{}:{}: '{id}' is no scenario id of the suite",
                    file.display(),
                    selector.pos.line
                );
            }
        }
        let unmatched = profile.check_against(&suite);
        assert!(unmatched.is_empty(), "{unmatched:?}");
        let selected = select::select_profile(suite.clone(), &profile).unwrap();
        assert!(!selected.is_empty(), "{} selects nothing", file.display());
        // A profile that names its target's setup certifies a real target: every
        // one of its scenarios must run there, none skipped as mock-only, and each
        // setup a scenario requires must be the profile's own.
        if let Some(setup) = profile.setup {
            for scenario in &selected {
                assert_ne!(
                    scenario.only,
                    Some(tollgate::scenario::model::Only::Mock),
                    "{}: {} is only: mock",
                    file.display(),
                    scenario.id.inner
                );
                if let Some(required) = scenario.requires_setup.filter(|s| s.on_target()) {
                    assert_eq!(required, setup, "{}: {}", file.display(), scenario.id.inner);
                }
            }
        }
    }
}

#[test]
fn an_invalid_profile_is_reported_at_file_line_col_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(
        &path,
        "name: broken\ntitle: A broken profile\nrequires_var: []\nscenarios:\n  - BASIC-001\n  - { tgs: pat }\n",
    )
    .unwrap();
    let errors = profile::load_file(&path).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|d| d.location()).collect();
    let file = path.display();
    assert!(
        shown.contains(&format!("{file}:6:5")),
        "the bad selector: {shown:?}"
    );
    assert!(
        shown.contains(&format!("{file}:3:1")),
        "the unknown top-level key: {shown:?}"
    );

    // Through the binary: exit 2, the location and a suggestion on stderr.
    let output = tollgate(&["run", "--profile", path.to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains(&format!("{file}:3:1")), "{out}");
    assert!(
        out.contains("unknown key 'tgs', expected one of tag"),
        "{out}"
    );
    assert!(out.contains("did you mean 'requires_vars'?"), "{out}");

    // A selector naming no scenario is an error too, with the place it is written.
    let path = dir.path().join("ghost.yaml");
    std::fs::write(
        &path,
        "name: ghost\ntitle: Names a scenario that does not exist\nscenarios: [BASIC-001, BASIC-099]\n",
    )
    .unwrap();
    let output = tollgate(&["run", "--profile", path.to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains(&format!("{}:3:24", path.display())), "{out}");
    assert!(
        out.contains("no scenario in the suite has id 'BASIC-099'"),
        "{out}"
    );
}

#[test]
fn an_unknown_profile_name_exits_2_listing_the_available_ones() {
    let output = tollgate(&["run", "--profile", "no-such-profile"]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    for name in EXPECTED {
        assert!(out.contains(name), "{name} is listed: {out}");
    }
}

#[test]
fn missing_required_vars_are_named_before_anything_is_sent() {
    // Nothing listens on port 9 of 127.0.0.1: had anything been sent, the run
    // would end with errors (exit 1), not exit 2.
    let output = tollgate(&[
        "run",
        "--profile",
        "connect-jwt",
        "--target",
        "http://127.0.0.1:9",
        "--var",
        "connect_user=alice",
    ]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("connect_issuer"), "{out}");
    assert!(out.contains("CONNECT_SHARED_SECRET"), "{out}");
    assert!(
        !out.contains("connect_user="),
        "a given var is not named: {out}"
    );
    assert!(out.contains("nothing was sent"), "{out}");
}

/// A `tollgate mock` on 127.0.0.1:0, stopped when dropped.
struct Mock {
    child: Child,
    url: String,
}

impl Mock {
    fn start(config: &Path) -> Mock {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["mock", "--bind", "127.0.0.1:0", "--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .spawn()
            .expect("mock starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first_line = String::new();
        BufReader::new(stdout).read_line(&mut first_line).unwrap();
        let url = first_line.trim().rsplit(' ').next().unwrap().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{first_line}");
        Mock { child, url }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The vendor's side: their app's issuer, secret and user, as the emulator is
/// told them (not the scenario files' defaults, so the vars really travel).
const ISSUER: &str = "com.example.vendor-app";
const SECRET: &str = "vendor-shared-secret-7f3a";
const USER: &str = "alice";

fn mock_config(dir: &Path, faults: &str) -> PathBuf {
    let path = dir.join(format!("mock{}.yaml", faults.len()));
    std::fs::write(
        &path,
        format!(
            "confluence:\n  connect_jwt:\n    issuers:\n      - {{ iss: {ISSUER}, shared_secret: {SECRET}, user: {USER} }}\n  faults: [{faults}]\n"
        ),
    )
    .unwrap();
    path
}

fn run_connect_profile(url: &str, reports: &Path) -> Output {
    let html = format!("html={}", reports.join("evidence.html").display());
    let json = format!("json={}", reports.join("evidence.json").display());
    tollgate(&[
        "run",
        "--profile",
        "connect-jwt",
        "--target",
        url,
        // The standalone mock's users are the scenarios' defaults.
        "--allow-defaults",
        "--report",
        &html,
        "--report",
        &json,
        "--var",
        &format!("connect_issuer={ISSUER}"),
        "--var",
        &format!("connect_secret={SECRET}"),
        "--var",
        &format!("connect_user={USER}"),
    ])
}

#[test]
fn connect_jwt_calls_a_conforming_standalone_mock_incomplete_and_a_faulty_one_not_conformant() {
    let dir = tempfile::tempdir().unwrap();

    let clean = Mock::start(&mock_config(dir.path(), ""));
    let output = run_connect_profile(&clean.url, dir.path());
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    // Nothing failed, but the profile's `only: mock` scenarios could not run on a
    // standalone mock: a certificate counts what ran, so this one is not `conformant`.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("evidence.json")).unwrap())
            .unwrap();
    let (ran, total) = (
        json["counts"]["passed"].as_u64().unwrap(),
        json["counts"]["total"].as_u64().unwrap(),
    );
    assert!(0 < ran && ran < total, "{json:#}");
    assert_verdict(dir.path(), &format!("incomplete: {ran} of {total} ran"));
    assert!(out.contains("PASS  JWT-004"), "{out}");
    assert!(out.contains("PASS  JWT-005"), "{out}");
    assert!(
        out.contains("SKIP  JWT-ATK-11") && out.contains("only: mock"),
        "scenarios that need the emulator are skipped with their reason: {out}"
    );
    assert!(
        !out.contains(SECRET),
        "the shared secret is never shown: {out}"
    );
    drop(clean);

    for fault in ["jwt_qsh_ignored", "jwt_alg_none"] {
        let faulty = Mock::start(&mock_config(dir.path(), fault));
        let output = run_connect_profile(&faulty.url, dir.path());
        let out = text(&output);
        assert_eq!(output.status.code(), Some(1), "{fault}: {out}");
        assert_verdict(dir.path(), "not conformant");
        assert!(out.contains("FAIL  JWT-005"), "{fault}: {out}");
        assert!(!out.contains(SECRET), "{fault}: {out}");
    }
}

/// The evidence reports of the last run name `verdict`, the profile, and never the
/// shared secret.
fn assert_verdict(reports: &Path, verdict: &str) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("evidence.json")).unwrap())
            .unwrap();
    assert_eq!(json["certification"]["verdict"], verdict, "{json:#}");
    assert_eq!(json["certification"]["profile"], "connect-jwt");
    let html = std::fs::read_to_string(reports.join("evidence.html")).unwrap();
    assert!(
        html.contains(&format!("Verdict: <strong>{verdict}</strong>")),
        "the HTML names the verdict"
    );
    for text in [json.to_string(), html] {
        assert!(
            !text.contains(SECRET),
            "an evidence report shows the shared secret"
        );
    }
}
