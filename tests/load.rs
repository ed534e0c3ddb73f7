//! `tollgate load` and `tollgate merge` through the real binary. Counts only:
//! runs are bounded by iterations, so how many requests went out is exact, and
//! no assertion rests on how fast this machine is. The one threshold that must
//! fail rests on a lower bound (`slow_auth` sleeps at least its delay).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::load_report::hdr_of;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;

fn tollgate(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .env("NO_COLOR", "1")
        .envs(envs.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
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

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// tollgate's JSON load report: per request name (`GET step`), (requests, failures).
fn counts(report: &Path) -> std::collections::BTreeMap<String, (u64, u64)> {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            (
                step["request"].as_str().unwrap().to_string(),
                (
                    step["requests"].as_u64().unwrap(),
                    step["failures"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

const BOUNDED: &str = r#"
id: LOAD-T
title: Three steps a stub target answers in known ways
steps:
  - name: header left out
    request: { path: /a }
    expect: { status: 200, headers: { x-ausername: alice } }
  - name: expected 401
    request: { path: /b }
    expect: { status: 401 }
  - name: first thirty then 503
    request: { path: /c }
    expect: { status: 200 }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_load_sends_what_goose_counts_and_misses_of_expect_are_failures() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/a"))
        .respond_with(ResponseTemplate::new(200))
        .expect(100)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/b"))
        .respond_with(ResponseTemplate::new(401))
        .expect(100)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/c"))
        .respond_with(ResponseTemplate::new(200))
        .up_to_n_times(30)
        .expect(30)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/c"))
        .respond_with(ResponseTemplate::new(503))
        .expect(70)
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "bounded.yaml", BOUNDED);
    let report = dir.path().join("report.json");
    let uri = server.uri();
    let output = tokio::task::spawn_blocking({
        let (scenario, report) = (scenario.clone(), report.clone());
        move || {
            tollgate(
                &[
                    "load",
                    scenario.to_str().unwrap(),
                    "--target",
                    &uri,
                    "--users",
                    "4",
                    "--iterations",
                    "25",
                    "--report",
                    report.to_str().unwrap(),
                ],
                &[],
            )
        }
    })
    .await
    .unwrap();
    let out = text(&output);
    // No thresholds were set: failures alone do not fail the run.
    assert_eq!(output.status.code(), Some(0), "{out}");

    // 4 users × 25 iterations per step, as the server saw them...
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 300, "{out}");
    // ...and as goose reports them, with expect's misses as failures: a 200
    // without the header fails though goose alone would pass it, an expected 401
    // passes though goose alone would fail it.
    let counts = counts(&report);
    assert_eq!(counts["GET header left out"], (100, 100), "{counts:?}");
    assert_eq!(counts["GET expected 401"], (100, 0), "{counts:?}");
    assert_eq!(counts["GET first thirty then 503"], (100, 70), "{counts:?}");
    // The console table says the same.
    let row = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}: {out}"))
            .split_whitespace()
            .skip(name.split_whitespace().count())
            .take(2)
            .map(|n| n.parse::<u64>().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(row("header left out"), [100, 100], "{out}");
    assert_eq!(row("expected 401"), [100, 0], "{out}");
    assert_eq!(row("first thirty then 503"), [100, 70], "{out}");
    assert!(out.contains("total"), "{out}");
    server.verify().await;
}

#[test]
fn the_basic_flow_prints_p99_and_req_s_writes_html_and_an_impossible_threshold_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("x.html");
    let output = tollgate(
        &[
            "load",
            "scenarios/load/basic.yaml",
            "--run-time",
            "1s",
            "--users",
            "2",
            "--report",
            html.to_str().unwrap(),
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    for column in ["req/s", "p50", "p90", "p99", "p99.9", "max"] {
        assert!(out.contains(column), "{column} missing: {out}");
    }
    assert!(out.contains("threshold pass: error-rate<0.1%"), "{out}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<html"), "goose's HTML report");
    assert!(
        page.contains("read spaces with Basic"),
        "the step is named in it"
    );

    let output = tollgate(
        &[
            "load",
            "scenarios/load/basic.yaml",
            "--iterations",
            "5",
            "--users",
            "2",
            "--threshold",
            "p99<1us",
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("threshold FAIL: p99<1us"), "{out}");
}

#[test]
fn slow_auth_breaches_a_latency_threshold() {
    // Every authenticated request waits at least 50 ms, so no median can be
    // below it: the breach does not depend on this machine's speed.
    let output = tollgate(
        &[
            "load",
            "scenarios/load/basic.yaml",
            "--fault",
            "slow_auth",
            "--iterations",
            "3",
            "--users",
            "2",
            "--threshold",
            "p50<50ms",
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("threshold FAIL: p50<50ms"), "{out}");
    assert!(out.contains("read spaces with Basic"), "{out}");
}

#[test]
fn the_auth_cost_table_has_every_flow_from_one_command() {
    let output = tollgate(
        &[
            "load",
            "--compare",
            "scenarios/load",
            "--run-time",
            "1s",
            "--users",
            "2",
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("flow "))
        .collect();
    assert!(!table.is_empty(), "no table: {out}");
    let flows = [
        "anonymous",
        "basic",
        "connect-jwt-hs256",
        "oauth-introspection",
        "pat",
        "plugin-jwt-rs256",
        "session",
    ];
    assert_eq!(table.len(), flows.len() + 2, "{out}");
    assert!(table[1].starts_with("anonymous "), "baseline first: {out}");
    assert!(table[1].contains("1.00x"), "{out}");
    for flow in flows {
        let row = table
            .iter()
            .find(|l| l.starts_with(&format!("{flow} ")))
            .unwrap_or_else(|| panic!("no row for {flow}: {out}"));
        let failures: u64 = row.split_whitespace().nth(2).unwrap().parse().unwrap();
        assert_eq!(failures, 0, "{flow} failed on the clean mock: {out}");
    }
}

#[test]
fn merge_adds_up_runs_from_several_machines() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for (machine, users) in [("a", "2"), ("b", "3")] {
        let report = dir.path().join(format!("{machine}.json"));
        let output = tollgate(
            &[
                "load",
                "scenarios/load/pat.yaml",
                "--iterations",
                "10",
                "--users",
                users,
                "--report",
                report.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        reports.push(report);
    }
    let merged = dir.path().join("merged.json");
    let markdown = dir.path().join("merged.md");
    let mut args = vec!["merge"];
    args.extend(reports.iter().map(|r| r.to_str().unwrap()));
    args.extend([
        "--report",
        merged.to_str().unwrap(),
        "--report",
        markdown.to_str().unwrap(),
    ]);
    let output = tollgate(&args, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("on 2 machine(s)"), "{out}");

    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    let step = |name: &str| {
        summary["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {summary}"))
            .clone()
    };
    // 2 + 3 users, 10 iterations each; one token made and revoked per user.
    assert_eq!(step("read spaces with the PAT")["requests"], 50);
    assert_eq!(step("read spaces with the PAT")["latency"]["count"], 50);
    assert_eq!(step("make a token once per user")["requests"], 5);
    assert_eq!(step("revoke the token when the user stops")["requests"], 5);
    assert_eq!(summary["machines"], 2);
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.contains("| read spaces with the PAT | 50 | 0 |"), "{md}");

    // A merged summary merges again with another run.
    let output = tollgate(
        &[
            "merge",
            merged.to_str().unwrap(),
            reports[0].to_str().unwrap(),
        ],
        &[],
    );
    let out = text(&output);
    assert!(out.contains("on 3 machine(s)"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("read spaces with the PAT") && l.contains(" 70 ")),
        "{out}"
    );
}

#[test]
fn no_load_output_or_report_shows_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let canary = "canary-Load-pw-7731";
    let encoded = base64_basic("alice", canary);
    let reports: Vec<PathBuf> = ["r.html", "r.json", "r.md"]
        .iter()
        .map(|name| dir.path().join(name))
        .collect();
    let mut args = vec![
        "load",
        "scenarios/load/basic.yaml",
        "--iterations",
        "3",
        "--users",
        "2",
    ];
    for report in &reports {
        args.extend(["--report", report.to_str().unwrap()]);
    }
    // The wrong password: every request is refused, so failure messages and
    // error tables are written too.
    let output = tollgate(&args, &[("CONF_PASSWORD", canary)]);
    let out = text(&output);
    assert!(out.contains("read spaces with Basic"), "{out}");
    assert!(!out.contains(canary) && !out.contains(&encoded), "{out}");
    for report in &reports {
        let body = std::fs::read_to_string(report).unwrap();
        assert!(
            !body.contains(canary) && !body.contains(&encoded),
            "{} leaks the password",
            report.display()
        );
    }
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
fn a_load_the_format_cannot_drive_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "burst.yaml",
        "id: LOAD-B\ntitle: t\nsteps:\n  - name: b\n    request: { path: / }\n    burst: { count: 5, concurrency: 5 }\n    expect: { statuses: { 200: 5 } }\n",
    );
    let output = tollgate(&["load", scenario.to_str().unwrap()], &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("burst.yaml:4:"), "{out}");
    assert!(out.contains("under load, the users are the burst"), "{out}");

    let output = tollgate(
        &["load", "scenarios/load/basic.yaml", "--threshold", "p99<<1"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let output = tollgate(
        &[
            "load",
            "scenarios/load/basic.yaml",
            "--iterations",
            "1",
            "--run-time",
            "1s",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn a_target_that_is_down_gives_failures_and_exit_1_not_a_hang() {
    let output = tollgate(
        &[
            "load",
            "scenarios/load/basic.yaml",
            "--target",
            "http://127.0.0.1:9",
            "--allow-defaults",
            "--iterations",
            "3",
            "--users",
            "2",
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("no answer: 6 request(s)"), "{out}");
    assert!(out.contains("threshold FAIL: error-rate<0.1%"), "{out}");
}

/// A scenario without an error-rate threshold is still judged: a run in which no
/// request got an answer fails, and goose's per-request warning is printed once
/// with its count instead of once per request.
#[test]
fn a_load_that_got_no_answer_fails_by_default_and_says_each_warning_once() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "no-thresholds.yaml",
        "id: LOAD-NO-THRESHOLDS\ntitle: t\nsteps:\n  - name: read\n    request: { path: /rest/api/space }\n    expect: { status: 200 }\nload: { users: 2, iterations: 40 }\n",
    );
    let output = tollgate(
        &[
            "load",
            scenario.to_str().unwrap(),
            "--target",
            "http://127.0.0.1:9",
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("threshold FAIL: some request answered and error-rate<100%"),
        "{out}"
    );
    assert!(out.contains("80 of 80 failed, 0 answered"), "{out}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.lines().count() < 20,
        "80 failures, not 80 warning lines:\n{stderr}"
    );
}

#[test]
fn the_html_report_loads_nothing_plots_in_svg_and_the_json_report_follows_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let (html, json) = (dir.path().join("x.html"), dir.path().join("x.json"));
    let output = tollgate(
        &[
            "load",
            "scenarios/load/basic.yaml",
            "--run-time",
            "2s",
            "--users",
            "2",
            "--quiet",
            "--report",
            html.to_str().unwrap(),
            "--report",
            json.to_str().unwrap(),
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("p99.99"), "{out}");

    let page = std::fs::read_to_string(&html).unwrap();
    for loads in [
        "\"http", "'http", "(http", "src=", "href=", "@import", "<script",
    ] {
        assert!(
            !page.contains(loads),
            "the page loads something ({loads}):\n{page}"
        );
    }
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );
    assert!(page.matches("<svg").count() >= 2, "{page}");
    for part in [
        "Latency over time",
        "Requests per second",
        "Latency histogram",
        "p99.99",
        "scenarios/load/basic.yaml",
        env!("CARGO_PKG_VERSION"),
        "users: 2",
        "read spaces with Basic",
    ] {
        assert!(page.contains(part), "{part} missing:\n{page}");
    }

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let misses = common::load_report::schema_misses(&report);
    assert!(misses.is_empty(), "{misses:#?}\n{report}");
    let step = &report["steps"][0];
    assert!(!step["series"].as_array().unwrap().is_empty(), "{report}");
    assert_eq!(hdr_of(step).len(), step["requests"].as_u64().unwrap());
    // The checker is not vacuous.
    let mut broken = report.clone();
    broken["steps"][0]["phase"] = "sometimes".into();
    broken["run"] = Value::Null;
    assert_eq!(common::load_report::schema_misses(&broken).len(), 2);
}

#[test]
fn merge_adds_the_histograms_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for (machine, users) in [("a", "2"), ("b", "3")] {
        let report = dir.path().join(format!("{machine}.json"));
        let output = tollgate(
            &[
                "load",
                "scenarios/load/basic.yaml",
                "--iterations",
                "20",
                "--users",
                users,
                "--quiet",
                "--report",
                report.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        reports.push(report);
    }
    let merged = dir.path().join("merged.json");
    let output = tollgate(
        &[
            "merge",
            reports[0].to_str().unwrap(),
            reports[1].to_str().unwrap(),
            "--report",
            merged.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let read = |path: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let mut both = hdr_of(&read(&reports[0])["steps"][0]);
    both.add(hdr_of(&read(&reports[1])["steps"][0])).unwrap();
    let merged_step = read(&merged)["steps"][0].clone();
    let merged_hdr = hdr_of(&merged_step);
    assert_eq!(merged_hdr.len(), 100, "2×20 + 3×20 requests");
    assert_eq!(merged_hdr, both);
    assert_eq!(
        merged_hdr.value_at_quantile(0.99),
        both.value_at_quantile(0.99)
    );
    assert_eq!(merged_step["latency"]["count"], 100);
    // The console's p99 is the merged histogram's.
    let out = text(&output);
    let p99 = out
        .lines()
        .find(|l| l.starts_with("total:"))
        .and_then(|l| l.rsplit("p99 ").next())
        .unwrap_or_else(|| panic!("no total line: {out}"))
        .to_string();
    let expected = both.value_at_quantile(0.99);
    let shown = match expected {
        0..1_000 => format!("{expected}us"),
        1_000..1_000_000 => format!("{:.1}ms", expected as f64 / 1e3),
        _ => format!("{:.2}s", expected as f64 / 1e6),
    };
    assert_eq!(p99.trim(), shown, "{out}");
}

#[test]
fn progress_lines_come_each_second_on_stderr_unless_quiet() {
    let run = |quiet: bool| {
        let mut args = vec![
            "load",
            "scenarios/load/basic.yaml",
            "--run-time",
            "2s",
            "--users",
            "2",
        ];
        if quiet {
            args.push("--quiet");
        }
        tollgate(&args, &[])
    };
    let loud = run(false);
    assert_eq!(loud.status.code(), Some(0), "{}", text(&loud));
    let stderr = String::from_utf8_lossy(&loud.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("s] read spaces with Basic: "))
        .unwrap_or_else(|| panic!("no progress line:\n{stderr}"));
    for part in ["req/s", " err, p50 ", ", p99 "] {
        assert!(line.contains(part), "{line}");
    }
    assert!(line.starts_with('['), "{line}");
    assert!(
        !String::from_utf8_lossy(&loud.stdout).contains("s] read spaces"),
        "progress stays off stdout"
    );

    let quiet = run(true);
    assert_eq!(quiet.status.code(), Some(0), "{}", text(&quiet));
    assert!(!text(&quiet).contains("s] read spaces"), "{}", text(&quiet));
}

#[test]
fn a_load_in_which_every_request_fails_exits_1_with_its_reasons_and_failed_checks() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "all-fail.yaml",
        "id: LOAD-ALL-FAIL\ntitle: t\nsteps:\n  - name: read\n    request:\n      path: /rest/api/space\n      auth: { basic: { user: alice, password: not-alices } }\n    expect: { status: 200 }\nload: { users: 2, iterations: 5 }\n",
    );
    let output = tollgate(&["load", scenario.to_str().unwrap(), "--quiet"], &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("10 of 10 failed"), "{out}");
    assert!(out.contains("failure reasons (first 1):"), "{out}");
    assert!(
        out.contains("read: status expected 200, got 401 (line 8) (10x)"),
        "{out}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(last, "  ✗ read › status: 10 of 10 failed", "{stdout}");
    assert!(stdout.contains("failed checks:"), "{stdout}");

    // No answer at all: the reason says so, without the URL.
    let output = tollgate(
        &[
            "load",
            scenario.to_str().unwrap(),
            "--quiet",
            "--target",
            "http://127.0.0.1:9",
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("read: no answer (could not connect)"), "{out}");
    assert!(out.contains("✗ read › no answer: 10 of 10 failed"), "{out}");
}

#[test]
fn compare_with_a_report_writes_the_cost_table_in_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let flows = dir.path().join("flows");
    std::fs::create_dir(&flows).unwrap();
    for flow in ["basic", "anonymous"] {
        std::fs::copy(
            format!("scenarios/load/{flow}.yaml"),
            flows.join(format!("{flow}.yaml")),
        )
        .unwrap();
    }
    let (markdown, json) = (dir.path().join("x.md"), dir.path().join("x.json"));
    let output = tollgate(
        &[
            "load",
            "--compare",
            flows.to_str().unwrap(),
            "--run-time",
            "1s",
            "--users",
            "2",
            "--warm-up",
            "0s",
            "--report",
            markdown.to_str().unwrap(),
            "--report",
            json.to_str().unwrap(),
        ],
        &[],
    );
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");

    let table = std::fs::read_to_string(&markdown).unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 3, "a heading and two flows: {table}");
    assert!(rows[0].contains("| cost | mints |"), "{table}");
    assert!(
        rows[1].starts_with("| anonymous |"),
        "baseline first: {table}"
    );
    assert!(rows[1].contains("| 1.00x |"), "{table}");
    assert!(rows[2].starts_with("| basic |"), "{table}");

    let json: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(json["format"], "tollgate-compare/1");
    assert_eq!(json["flows"].as_array().unwrap().len(), 2, "{json}");
    assert_eq!(json["flows"][1]["rounds"], 1);
    // Each flow's own goose report is still written beside the table.
    assert!(dir.path().join("x-basic.md").exists(), "{out}");

    let refused = tollgate(
        &[
            "load",
            "--compare",
            flows.to_str().unwrap(),
            "--report",
            "x.txt",
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
}

#[test]
fn repeat_and_warm_up_belong_to_compare() {
    let output = tollgate(&["load", "scenarios/load/basic.yaml", "--repeat", "3"], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let output = tollgate(
        &["load", "--compare", "scenarios/load", "--repeat", "0"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}
