//! The runner against targets that misbehave at the HTTP level (wiremock) or are
//! not there at all: every case ends in a `fail` or `error` result, never a hang.

use std::path::Path;
use std::time::Duration;

use tollgate::report::model::{Outcome, RunReport};
use tollgate::run::{RunOptions, run_suite};
use tollgate::scenario;
use tollgate::session::{Target, TargetOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn scenario(yaml: &str) -> scenario::Scenario {
    scenario::load_str(yaml, Path::new("inline.yaml"), &|_| None)
        .unwrap_or_else(|d| panic!("{}", d.iter().map(ToString::to_string).collect::<String>()))
}

async fn run(yaml: &str, target: &str) -> RunReport {
    let options = RunOptions {
        target: TargetOptions {
            target: Target::Remote(target.to_string()),
            ..TargetOptions::default()
        },
        ..RunOptions::default()
    };
    run_suite(vec![scenario(yaml)], &options, |_| {})
        .await
        .expect("suite runs")
}

#[tokio::test]
async fn a_slow_target_is_an_error_after_the_step_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let yaml = "id: SLOW\ntitle: t\nsteps:\n  - name: slow\n    request: { path: /slow, timeout: 300ms }\n    expect: { status: 200 }\n";
    let report = run(yaml, &server.uri()).await;
    let step = &report.scenarios[0].steps[0];
    assert_eq!(step.outcome(), Outcome::Error);
    assert!(
        step.error().unwrap_or_default().contains("timed out"),
        "{:?}",
        step.error()
    );
    assert!(report.duration_ms < 10_000, "the timeout bounds the step");
}

#[tokio::test]
async fn nothing_listening_is_an_error_not_a_hang() {
    let yaml = "id: DOWN\ntitle: t\nsteps:\n  - name: one\n    request: { path: / }\n    expect: { status: 200 }\n  - name: two\n    request: { path: / }\n";
    let report = run(yaml, "http://127.0.0.1:9").await;
    let scenario = &report.scenarios[0];
    assert_eq!(scenario.outcome, Outcome::Error);
    assert!(
        scenario.steps[0]
            .error()
            .unwrap_or_default()
            .contains("could not connect")
    );
    assert_eq!(
        scenario.steps[1].outcome(),
        Outcome::Skip,
        "later steps are not run"
    );
    assert_eq!(report.counts.errored, 1);
}

#[tokio::test]
async fn a_garbage_body_fails_json_expectations_with_evidence() {
    let server = MockServer::start().await;
    Mock::given(path("/rest/api/user/current"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"\xff\xfe not json".to_vec()))
        .mount(&server)
        .await;
    let yaml = "id: GARBAGE\ntitle: t\nsteps:\n  - name: one\n    request: { path: /rest/api/user/current }\n    expect:\n      status: 200\n      json: { \"$.username\": alice }\n";
    let report = run(yaml, &server.uri()).await;
    let step = &report.scenarios[0].steps[0];
    assert_eq!(step.outcome(), Outcome::Fail);
    let failure = &step.failures()[0];
    assert_eq!(failure.check.to_string(), "json $.username");
    assert_eq!(failure.expected, "a JSON body");
    assert_eq!((failure.source.line, failure.source.col), (8, 29));
}

#[tokio::test]
async fn redirects_are_judged_not_followed_and_captures_feed_later_steps() {
    let server = MockServer::start().await;
    Mock::given(path("/login"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "/home")
                .insert_header("set-cookie", "JSESSIONID=abc123; Path=/; HttpOnly"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/home"))
        .and(wiremock::matchers::header("cookie", "JSESSIONID=abc123"))
        .respond_with(ResponseTemplate::new(200).set_body_string("welcome"))
        .mount(&server)
        .await;
    let yaml = r#"
id: REDIRECT
title: t
steps:
  - name: login redirects
    request: { path: /login }
    expect:
      status: 302
      headers: { location: /home }
      cookies: { JSESSIONID: { http_only: true, path: / } }
    capture:
      session: { cookie: JSESSIONID }
  - name: the captured cookie is sent
    request: { path: /home, cookies: { JSESSIONID: "${session}" } }
    expect: { status: 200, body: { contains: welcome } }
  - name: following the redirect without the cookie ends elsewhere
    request: { path: /login, follow_redirects: true }
    expect: { status: 404 }
"#;
    let report = run(yaml, &server.uri()).await;
    let scenario = &report.scenarios[0];
    assert_eq!(scenario.outcome, Outcome::Pass, "{:#?}", scenario.steps);
    let transcript = scenario.steps[1].transcript.as_ref().expect("a transcript");
    let cookie = transcript
        .request
        .headers
        .iter()
        .find(|(n, _)| n == "cookie")
        .expect("cookie sent");
    assert!(
        !cookie.1.contains("abc123"),
        "a captured session id is never shown: {}",
        cookie.1
    );
}

/// A target that refuses the first four requests with 429, then answers 200.
async fn limited_target() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(4)
        .mount(&server)
        .await;
    Mock::given(path("/limited"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_burst_is_judged_as_a_set_and_each_answer_on_its_own() {
    let server = limited_target().await;
    let passing = r#"
id: BURST
title: t
steps:
  - name: ten at five at once
    request: { path: /limited }
    burst: { count: 10, concurrency: 5 }
    expect:
      statuses: { 200: 6, 429: ">=4" }
      each: { 429: { headers: { retry-after: { present: true } } } }
"#;
    let report = run(passing, &server.uri()).await;
    let step = &report.scenarios[0].steps[0];
    assert_eq!(step.outcome(), Outcome::Pass, "{:#?}", step.failures());
    let summary = step.burst.as_ref().expect("a burst summary");
    assert_eq!(summary.statuses.values().sum::<u32>(), 10);
    assert_eq!(summary.statuses.get(&429), Some(&4));

    let failing = passing.replace("200: 6, 429: \">=4\"", "200: 10").replace(
        "retry-after: { present: true }",
        "x-missing: { present: true }",
    );
    let report = run(&failing, &limited_target().await.uri()).await;
    let step = &report.scenarios[0].steps[0];
    assert_eq!(step.outcome(), Outcome::Fail);
    let failures = step.failures();
    let checks: Vec<String> = failures.iter().map(|f| f.check.to_string()).collect();
    assert_eq!(
        checks,
        ["statuses 200", "header x-missing"],
        "{failures:#?}"
    );
    assert_eq!(failures[0].expected, "exactly 10 × 200");
    assert_eq!(failures[0].actual, "6 × 200 (6 × 200, 4 × 429)");
    assert!(
        failures[1].actual.ends_with("(in 4 of 10 answers)"),
        "{}",
        failures[1].actual
    );
}

#[tokio::test]
async fn the_certification_block_names_the_target_profile_hashes_and_verdict() {
    use sha2::Digest as _;
    use tollgate::report::model::Verdict;

    let yaml = "id: CERT\ntitle: t\nsteps:\n  - name: one\n    request: { path: / }\n";
    // A target URL with a password is refused before anything is sent (issue 12):
    // no report can name it.
    let with_userinfo = RunOptions {
        target: TargetOptions {
            target: Target::Remote("http://admin:Canary-Target-Pw@127.0.0.1:9".into()),
            ..TargetOptions::default()
        },
        ..RunOptions::default()
    };
    let refused = run_suite(vec![scenario(yaml)], &with_userinfo, |_| {}).await;
    let message = refused.expect_err("refused").to_string();
    assert!(!message.contains("Canary-Target-Pw"), "{message}");
    let options = RunOptions {
        target: TargetOptions {
            target: Target::Remote("http://127.0.0.1:9".into()),
            ..TargetOptions::default()
        },
        profile: Some("connect-jwt".into()),
        ..RunOptions::default()
    };
    let report = run_suite(vec![scenario(yaml), scenario(yaml)], &options, |_| {})
        .await
        .expect("suite runs");
    let cert = &report.certification;
    assert_eq!(cert.verdict, Verdict::NotConformant, "nothing listens");
    assert_eq!(cert.profile.as_deref(), Some("connect-jwt"));
    assert_eq!(cert.target, "http://127.0.0.1:9");
    assert_eq!(report.target, cert.target);
    assert_eq!(cert.tool_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        (&cert.started_at, &cert.finished_at),
        (&report.started_at, &report.finished_at)
    );
    // One entry per file, hashed from the text the loader parsed.
    assert_eq!(cert.scenario_files.len(), 1);
    assert_eq!(cert.scenario_files[0].path, "inline.yaml");
    assert_eq!(
        cert.scenario_files[0].sha256,
        hex::encode(sha2::Sha256::digest(yaml.as_bytes()))
    );
}

const NEEDS_PATS: &str = "id: NEEDS-PATS\ntitle: t\nrequires: { confluence: \">=7.9\" }\nsteps:\n  - name: one\n    request: { path: /rest/api/user/current }\n    expect: { status: 200 }\n";
const OLD_ONLY: &str = "id: OLD-ONLY\ntitle: t\nrequires: { confluence: \"<8\" }\nsteps:\n  - name: one\n    request: { path: /rest/api/user/current }\n    expect: { status: 200 }\n";

/// A real target's version comes from its applinks manifest, read without
/// credentials; a scenario outside its `requires` is skipped, saying why.
#[tokio::test]
async fn a_target_outside_a_scenarios_version_range_skips_it_with_the_version_read() {
    let mut config = tollgate::scenario::mock_config::MockConfig::default();
    config.confluence.version = Some("7.4.11".parse().unwrap());
    let mock = tollgate::mock::start(&config).await.unwrap();
    let options = RunOptions {
        target: TargetOptions {
            target: Target::Remote(mock.base_url().to_string()),
            ..TargetOptions::default()
        },
        ..RunOptions::default()
    };
    let report = run_suite(
        vec![scenario(NEEDS_PATS), scenario(OLD_ONLY)],
        &options,
        |_| {},
    )
    .await
    .unwrap();
    let [needs_pats, old_only] = &report.scenarios[..] else {
        panic!("two scenarios")
    };
    assert_eq!(needs_pats.outcome, Outcome::Skip);
    assert_eq!(
        needs_pats.skip_reason.as_deref(),
        Some("needs Confluence >=7.9; the target is 7.4.11 (from /rest/applinks/1.0/manifest)")
    );
    assert_eq!(old_only.outcome, Outcome::Pass);
    assert_eq!(
        report.certification.confluence_version.as_deref(),
        Some("7.4.11 (from /rest/applinks/1.0/manifest)")
    );
    assert_eq!(
        report.certification.verdict.to_string(),
        "incomplete: 1 of 2 ran"
    );
}

/// `--confluence-version` wins over the manifest; a target whose version cannot be
/// read skips what requires one and says how to give it.
#[tokio::test]
async fn the_version_given_wins_and_an_unreadable_one_skips_with_the_reason() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"type":"anonymous"}"#))
        .mount(&server)
        .await;
    let report = run(NEEDS_PATS, &server.uri()).await;
    let reason = report.scenarios[0].skip_reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with("needs Confluence >=7.9, and the target's version is unknown (/rest/applinks/1.0/manifest names no version)"),
        "{reason}"
    );
    assert!(reason.ends_with("pass --confluence-version"), "{reason}");

    let options = RunOptions {
        target: TargetOptions {
            target: Target::Remote(server.uri()),
            confluence_version: Some("8.5.4".parse().unwrap()),
            ..TargetOptions::default()
        },
        ..RunOptions::default()
    };
    let report = run_suite(vec![scenario(NEEDS_PATS)], &options, |_| {})
        .await
        .unwrap();
    assert_eq!(report.scenarios[0].outcome, Outcome::Pass);
    assert_eq!(
        report.certification.confluence_version.as_deref(),
        Some("8.5.4 (from --confluence-version)")
    );
    // The manifest was asked once, without credentials, and only while unknown.
    let asked: Vec<_> = server.received_requests().await.unwrap_or_default();
    let manifests: Vec<_> = asked
        .iter()
        .filter(|r| r.url.path() == "/rest/applinks/1.0/manifest")
        .collect();
    assert_eq!(manifests.len(), 1);
    assert!(manifests[0].headers.get("authorization").is_none());
}

/// The embedded mock plays the emulator's version, or `--confluence-version`,
/// unless the scenario's `mock:` says otherwise; its manifest agrees.
#[tokio::test]
async fn the_embedded_mock_plays_the_version_asked_and_its_manifest_says_so() {
    let manifest = "id: MANIFEST\ntitle: t\nrequires: { confluence: \">=7.9\" }\nsteps:\n  - name: manifest\n    request: { path: /rest/applinks/1.0/manifest, headers: { accept: application/json } }\n    expect: { status: 200, json: { $.version: \"8.5.4\" } }\n";
    let embedded = |version: Option<&str>| RunOptions {
        target: TargetOptions {
            confluence_version: version.map(|v| v.parse().unwrap()),
            ..TargetOptions::default()
        },
        ..RunOptions::default()
    };
    let report = run_suite(vec![scenario(manifest)], &embedded(Some("8.5.4")), |_| {})
        .await
        .unwrap();
    assert_eq!(
        report.scenarios[0].outcome,
        Outcome::Pass,
        "{:?}",
        report.scenarios[0]
    );
    let report = run_suite(vec![scenario(manifest)], &embedded(Some("7.4")), |_| {})
        .await
        .unwrap();
    assert_eq!(
        report.scenarios[0].skip_reason.as_deref(),
        Some("needs Confluence >=7.9; the embedded mock plays 7.4")
    );
    let pinned = format!("{manifest}mock: {{ confluence: {{ version: \"8.5.4\" }} }}\n");
    let report = run_suite(vec![scenario(&pinned)], &embedded(Some("7.4")), |_| {})
        .await
        .unwrap();
    assert_eq!(
        report.scenarios[0].outcome,
        Outcome::Pass,
        "the scenario's own version wins"
    );
}
