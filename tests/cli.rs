//! The contract users script against, through the real binary: exit codes,
//! reports on disk, and secrets kept out of every output.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn tollgate(args: &[&str], dir: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command.args(args).env("NO_COLOR", "1");
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    command.output().expect("tollgate runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_suite_passes_on_the_embedded_mock_with_one_junit_testcase_per_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("out/junit.xml");
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let output = tollgate(
        &[
            "run",
            scenarios.to_str().unwrap(),
            "--report",
            &format!("junit={}", junit.display()),
        ],
        None,
    );
    let stdout = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.contains("passed, 0 failed, 0 errors"), "{summary}");
    assert!(
        summary.contains(" in "),
        "the summary ends with the wall time: {summary}"
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    let document = roxmltree::Document::parse(&xml).expect("valid XML");
    let testcases = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    let files = walk_yaml(&scenarios);
    assert_eq!(testcases, files, "one testcase per scenario file");
}

fn walk_yaml(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                walk_yaml(&p)
            } else {
                usize::from(p.extension().is_some_and(|e| e == "yaml"))
            }
        })
        .sum()
}

#[test]
fn a_target_with_nothing_listening_exits_1_with_errors_quickly() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let started = Instant::now();
    let output = tollgate(
        &[
            "run",
            scenarios.to_str().unwrap(),
            "--target",
            "http://127.0.0.1:9",
            "--allow-defaults",
        ],
        None,
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("ERROR"), "{out}");
    assert!(out.contains("could not connect"), "{out}");
    assert!(
        out.contains("SKIP"),
        "only: mock scenarios are skipped with a reason: {out}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        tollgate(&["run", "--target", "not a url"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        tollgate(&["run", "no/such/folder"], None).status.code(),
        Some(2)
    );
    assert_eq!(
        tollgate(&["run", "--report", "xml=x"], None).status.code(),
        Some(2)
    );
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let none = tollgate(
        &["run", scenarios.to_str().unwrap(), "--tag", "no-such-tag"],
        None,
    );
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
}

#[test]
fn usage_errors_say_why_once_and_keep_secrets_out() {
    let bad_target = tollgate(&["run", "--target", "ftp://admin:Url-secret@host"], None);
    let stderr = String::from_utf8_lossy(&bad_target.stderr);
    assert_eq!(bad_target.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        "error: --target 'ftp://admin:[redacted]@host' is not an http(s) URL such as https://confluence.example.com\n"
    );

    let bad_var = tollgate(&["run", "--var", "=Hunter2-secret"], None);
    assert_eq!(bad_var.status.code(), Some(2), "{}", text(&bad_var));
    assert!(
        !text(&bad_var).contains("Hunter2-secret"),
        "{}",
        text(&bad_var)
    );

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let merge = tollgate(&["merge", missing.to_str().unwrap()], None);
    assert_eq!(merge.status.code(), Some(2), "{}", text(&merge));
    assert!(
        String::from_utf8_lossy(&merge.stderr).starts_with("error: cannot read "),
        "{}",
        text(&merge)
    );
}

#[test]
fn schema_is_json_describing_the_scenario_keys() {
    let output = tollgate(&["schema"], None);
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let properties = schema["properties"].as_object().expect("properties");
    for key in [
        "id", "title", "tags", "refs", "only", "vars", "mock", "steps",
    ] {
        assert!(properties.contains_key(key), "schema lacks {key}");
    }
    assert_eq!(schema["additionalProperties"], false);
}

const PASSWORD: &str = "Canary-Pw-7f3a91c2";
const TOKEN: &str = "canaryToken5b2e8d41x";
/// From a variable named like a secret: one named otherwise (`CONF_USER`) is
/// evidence, shown (issue 15).
const FROM_ENV: &str = "canaryEnv9d0c77aa";

#[test]
fn no_report_or_console_line_shows_a_canary_secret() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = format!(
        r#"
id: CANARY-001
title: Secrets stay out of every report, even in failures
mock:
  confluence:
    users: [{{ name: canary, password: "{PASSWORD}" }}]
vars:
  extra: ${{env:TOLLGATE_CANARY_SECRET}}
steps:
  - name: basic login, expected to fail so evidence is printed
    request:
      path: /rest/api/user/current?os_password={PASSWORD}&x=${{extra}}
      auth: {{ basic: {{ user: canary, password: "{PASSWORD}" }} }}
    expect:
      json: {{ "$.username": "{PASSWORD}" }}
      headers: {{ x-ausername: "${{extra}}" }}
"#
    );
    let bearer = format!(
        r#"
id: CANARY-002
title: A bearer token and a form password are never shown
mock:
  confluence:
    users: [{{ name: canary, password: "{PASSWORD}" }}]
steps:
  - name: form login with the password in the body
    request:
      method: POST
      path: /dologin.action
      form: {{ os_username: canary, os_password: "{PASSWORD}" }}
    expect: {{ status: 302 }}
    capture:
      session: {{ cookie: JSESSIONID }}
  - name: a bearer token the server does not know, expected to fail
    request:
      path: /rest/api/space
      auth: {{ bearer: "{TOKEN}" }}
      cookies: {{ JSESSIONID: "${{session}}" }}
    expect:
      status: 418
      body: {{ contains: "{TOKEN}" }}
"#
    );
    std::fs::write(dir.path().join("canary.yaml"), scenario).unwrap();
    std::fs::write(dir.path().join("bearer.yaml"), bearer).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("TOLLGATE_CANARY_SECRET", FROM_ENV)
        .args([
            "run",
            ".",
            "--report",
            "junit=r.xml",
            "--report",
            "json=r.json",
            "--report",
            "md=r.md",
            "--report",
            "html=r.html",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "both scenarios fail on purpose: {}",
        text(&output)
    );
    let mut outputs = vec![("console", text(&output))];
    for file in ["r.xml", "r.json", "r.md", "r.html"] {
        outputs.push((
            file,
            std::fs::read_to_string(dir.path().join(file)).unwrap(),
        ));
    }
    for (name, content) in &outputs {
        for canary in [PASSWORD, TOKEN, FROM_ENV] {
            assert!(
                !content.contains(canary),
                "{name} shows {canary}:\n{content}"
            );
        }
        assert!(
            content.contains("[redacted]"),
            "{name} shows the evidence, redacted"
        );
    }
    // The evidence is still there: the failing step is reported with its check.
    assert!(outputs[0].1.contains("x-ausername"), "{}", outputs[0].1);
    // Every step's curl line, on its own: present, redacted, canary-free.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let curls: Vec<&str> = json["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .filter_map(|step| step["transcript"]["request"]["curl"].as_str())
        .collect();
    assert_eq!(curls.len(), 3, "one per step sent");
    for curl in curls {
        assert!(curl.starts_with("curl "), "{curl}");
        assert!(curl.contains("[redacted]"), "{curl}");
        for canary in [PASSWORD, TOKEN, FROM_ENV] {
            assert!(!curl.contains(canary), "{curl}");
        }
    }
}

/// Runs `scenario` with HTML and JSON reports; returns (exit code, JSON, HTML).
fn run_with_evidence(dir: &Path, scenario: &Path) -> (Option<i32>, serde_json::Value, String) {
    let html = dir.join("evidence/report.html");
    let json = dir.join("evidence/report.json");
    let output = tollgate(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--report",
            &format!("html={}", html.display()),
            "--report",
            &format!("json={}", json.display()),
        ],
        None,
    );
    let json = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    (
        output.status.code(),
        serde_json::from_str(&json).unwrap(),
        std::fs::read_to_string(&html).unwrap(),
    )
}

#[test]
fn the_evidence_reports_say_conformant_and_not_conformant_with_a_fault() {
    use sha2::Digest as _;

    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/basic/no-basic-challenge.yaml");
    let clean_dir = tempfile::tempdir().unwrap();
    let (code, json, html) = run_with_evidence(clean_dir.path(), &source);
    assert_eq!(code, Some(0));
    let cert = &json["certification"];
    assert_eq!(cert["verdict"], "conformant");
    assert_eq!(json["format"], "tollgate-report/1");
    assert_eq!(cert["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(cert["target"], "embedded mock");
    assert!(cert["profile"].is_null());
    assert!(cert["started_at"].as_str().unwrap() <= cert["finished_at"].as_str().unwrap());
    let bytes = std::fs::read(&source).unwrap();
    let files = cert["scenario_files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], source.display().to_string());
    assert_eq!(
        files[0]["sha256"],
        hex::encode(sha2::Sha256::digest(&bytes))
    );
    assert!(html.contains(r#"data-verdict="conformant""#), "{html}");
    assert!(html.contains(files[0]["sha256"].as_str().unwrap()));
    // The facts this target was judged on, and the rest of the table.
    let facts = &json["facts"];
    let exercised: Vec<&str> = facts["exercised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(exercised.contains(&"F-BASIC-2"), "{facts}");
    assert_eq!(
        exercised.len() + facts["not_exercised"].as_array().unwrap().len(),
        facts["total"].as_u64().unwrap() as usize
    );
    assert!(html.contains("Facts exercised on this target"), "{html}");

    // The same scenario against a mock that challenges with Basic (F-BASIC-8).
    let fault_dir = tempfile::tempdir().unwrap();
    let faulty = fault_dir.path().join("no-basic-challenge.yaml");
    let yaml = String::from_utf8(bytes).unwrap();
    std::fs::write(
        &faulty,
        format!("{yaml}\nmock: {{ confluence: {{ faults: [basic_challenge] }} }}\n"),
    )
    .unwrap();
    let (code, json, html) = run_with_evidence(fault_dir.path(), &faulty);
    assert_eq!(code, Some(1));
    assert_eq!(json["certification"]["verdict"], "not conformant");
    assert_eq!(json["counts"]["failed"], 1);
    assert!(html.contains(r#"data-verdict="not conformant""#), "{html}");
    assert!(html.contains("<pre class=\"curl\">curl "));
    assert!(html.contains("<details open>"));
}

/// Stops the standalone mock even when an assertion fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_suite_passes_against_a_standalone_mock_as_a_real_target() {
    use std::io::{BufRead, BufReader};

    // A real target for the whole suite has the Connect app of JWT-004/005
    // installed: that scenario's `mock:` block is the emulator's configuration.
    let connect = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/jwt/connect-target.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["mock", "--bind", "127.0.0.1:0", "--config"])
        .arg(&connect)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("mock starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let _guard = KillOnDrop(child);
    let mut first_line = String::new();
    BufReader::new(stdout).read_line(&mut first_line).unwrap();
    let url = first_line
        .trim()
        .rsplit(' ')
        .next()
        .expect("the line ends with the URL")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{first_line}");

    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let output = tollgate(
        &[
            "run",
            scenarios.to_str().unwrap(),
            "--target",
            &url,
            "--jobs",
            "1",
            // The standalone mock's users are the scenarios' defaults.
            "--allow-defaults",
        ],
        None,
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("SKIP"),
        "only: mock scenarios are skipped against a target: {out}"
    );
}

#[test]
fn keys_gen_then_export_gives_the_same_public_key_as_pem_and_jwks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let generated = tollgate(
        &["keys", "gen", "vendor-rs", "--alg", "RS256", "--out", out],
        None,
    );
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated));
    let public_at_gen = String::from_utf8_lossy(&generated.stdout)
        .lines()
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    let exported = tollgate(&["keys", "export", "vendor-rs", "--dir", out], None);
    assert_eq!(exported.status.code(), Some(0), "{}", text(&exported));
    let stdout = String::from_utf8_lossy(&exported.stdout);
    assert!(stdout.starts_with(&public_at_gen), "{stdout}");
    let json_start = stdout.find('{').expect("a JWKS follows the PEM");
    let jwks: serde_json::Value = serde_json::from_str(&stdout[json_start..]).expect("JWKS JSON");
    assert_eq!(jwks["keys"][0]["kid"], "vendor-rs");
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private part in a JWKS"
    );
    let again = tollgate(&["keys", "gen", "vendor-rs", "--out", out], None);
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing key is never overwritten"
    );
}

#[test]
fn an_https_mock_is_trusted_with_its_ca_refused_without_it_and_accepted_insecurely() {
    use std::io::{BufRead, BufReader};

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args([
            "mock",
            "--tls",
            "--bind",
            "127.0.0.1:0",
            "--ca-out",
            ca.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("mock starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let _guard = KillOnDrop(child);
    let mut first_line = String::new();
    BufReader::new(stdout).read_line(&mut first_line).unwrap();
    let url = first_line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{first_line}");
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );

    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/basic/preemptive-basic.yaml");
    let scenario = scenario.to_str().unwrap();
    let trusted = tollgate(
        &[
            "run",
            scenario,
            "--target",
            &url,
            "--ca-cert",
            ca.to_str().unwrap(),
            "--allow-defaults",
        ],
        None,
    );
    assert_eq!(trusted.status.code(), Some(0), "{}", text(&trusted));
    let untrusted = tollgate(
        &["run", scenario, "--target", &url, "--allow-defaults"],
        None,
    );
    assert_eq!(untrusted.status.code(), Some(1), "{}", text(&untrusted));
    assert!(
        text(&untrusted).contains("ERROR"),
        "an unknown CA is an error result: {}",
        text(&untrusted)
    );
    let insecure = tollgate(
        &[
            "run",
            scenario,
            "--target",
            &url,
            "--insecure",
            "--allow-defaults",
        ],
        None,
    );
    assert_eq!(insecure.status.code(), Some(0), "{}", text(&insecure));
}

#[test]
fn selftest_fails_when_a_fault_goes_uncaught_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = dir.path().join("matrix.json");
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/basic/no-basic-challenge.yaml");
    let output = tollgate(
        &[
            "selftest",
            scenario.to_str().unwrap(),
            "--report",
            &format!("json={}", matrix.display()),
        ],
        None,
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("basic_challenge                  caught by BASIC-002"),
        "{out}"
    );
    assert!(
        out.contains("no_captcha                       UNCAUGHT"),
        "{out}"
    );
    assert!(
        out.contains("fact F-CROWD-1 is cited by no scenario"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&matrix).unwrap()).unwrap();
    assert_eq!(json["clean_failures"], serde_json::json!([]));
    assert_eq!(json["faults"][0]["fault"], "basic_challenge");
}

#[test]
fn a_real_target_gets_no_emulator_default_credential_and_the_run_says_which_secret_is_missing() {
    // A listener that would see any request: nothing may reach it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let basic = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/basic");
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["run", basic.to_str().unwrap(), "--target", &url])
        .env("NO_COLOR", "1")
        .env_remove("CONF_PASSWORD")
        .output()
        .unwrap();
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("${env:CONF_PASSWORD}"), "{out}");
    assert!(out.contains("var 'password'"), "{out}");
    assert!(out.contains("nothing was sent"), "{out}");
    assert!(
        !out.contains("alice-pw"),
        "the default itself is not shown: {out}"
    );
    assert!(
        listener.accept().is_err(),
        "the target was contacted: {out}"
    );

    // Given the secret, the same run sends (and fails to connect: nothing answers).
    drop(listener);
    let given = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["run", basic.to_str().unwrap(), "--target", &url])
        .env("NO_COLOR", "1")
        .env("CONF_PASSWORD", "a-real-secret")
        .output()
        .unwrap();
    assert_eq!(given.status.code(), Some(1), "{}", text(&given));
}

#[test]
fn a_missed_should_is_a_warning_in_every_report_and_a_failure_only_under_strict() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("should.yaml");
    // The mock answers with no `X-Tollgate-Nonexistent` header: the must-level
    // checks hold, the should-level one misses.
    std::fs::write(
        &scenario,
        "id: SHOULD-001\n\
         title: Must holds, should misses\n\
         steps:\n\
         \x20 - name: current user\n\
         \x20   request: { path: /rest/api/user/current }\n\
         \x20   expect:\n\
         \x20     status: 200\n\
         \x20     should:\n\
         \x20       headers: { x-tollgate-nonexistent: { present: true } }\n",
    )
    .unwrap();
    let report = |format: &str, strict: bool| {
        let mut args = vec!["run".to_string(), scenario.display().to_string()];
        for (kind, file) in [
            ("junit", "r.xml"),
            ("json", "r.json"),
            ("md", "r.md"),
            ("html", "r.html"),
        ] {
            args.push("--report".into());
            args.push(format!(
                "{kind}={}",
                dir.path().join(format!("{format}-{file}")).display()
            ));
        }
        if strict {
            args.push("--strict".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tollgate(&args, None)
    };
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();

    let output = report("lenient", false);
    let console = text(&output);
    assert_eq!(output.status.code(), Some(0), "{console}");
    assert!(console.contains("WARN  SHOULD-001"), "{console}");
    assert!(
        console
            .contains("warning: header x-tollgate-nonexistent: expected present, actual (absent)"),
        "{console}"
    );
    assert!(
        console.contains("should.yaml:9:"),
        "the warning says where: {console}"
    );
    assert!(
        console.contains("1 scenario: 0 passed, 1 with warnings"),
        "{console}"
    );
    let json: serde_json::Value = serde_json::from_str(&read("lenient-r.json")).unwrap();
    assert_eq!(json["scenarios"][0]["outcome"], "warn");
    assert_eq!(json["counts"]["warned"], 1);
    assert_eq!(json["certification"]["verdict"], "conformant");
    assert_eq!(
        json["scenarios"][0]["steps"][0]["warnings"][0]["check"],
        "header x-tollgate-nonexistent"
    );
    let junit = read("lenient-r.xml");
    assert!(
        junit.contains(r#"<property name="warnings" value="1"/>"#),
        "{junit}"
    );
    assert!(
        junit.contains("warning: header x-tollgate-nonexistent"),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
    let markdown = read("lenient-r.md");
    assert!(markdown.contains("⚠️ passed with warnings"), "{markdown}");
    assert!(
        markdown.contains("warning, **header x-tollgate-nonexistent**"),
        "{markdown}"
    );
    let html = read("lenient-r.html");
    assert!(
        html.contains("<span class=\"tag warn\">WARN</span>"),
        "{html}"
    );
    assert!(
        html.contains("Warnings (should-level checks that missed)"),
        "{html}"
    );

    let output = report("strict", true);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let json: serde_json::Value = serde_json::from_str(&read("strict-r.json")).unwrap();
    assert_eq!(json["certification"]["verdict"], "not conformant");
    assert_eq!(json["certification"]["strict"], true);
    assert!(read("strict-r.html").contains(r#"data-verdict="not conformant""#));
}
