//! Issue 13's proof, through the real binary: a standalone `tollgate mock`
//! configured as a plugin of one kind is the "real" target, its plugin or Crowd
//! client pointed at the run's own IdP (`tollgate run --idp-listen`). Each
//! certification profile runs every one of its scenarios there and passes; the
//! same target with one fault fails, and the reports show what the target asked
//! (or did not ask) tollgate's IdP.
//!
//! The target must know the IdP's address before the run starts, so the test
//! picks a free loopback port for it first (and tries again with another should
//! something take it in between).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// Stops the stand-in target even when an assertion fails first.
struct Target(Child);

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `tollgate mock --config` with `config` (a `mock:` block naming `IDP` where
/// the IdP's URL goes), listening once it answers a connect; tried again on
/// another port when the one chosen was taken meanwhile.
fn start_target(dir: &Path, config: &str, idp_port: u16) -> (Target, String) {
    let path = dir.join(format!("target-{idp_port}.yaml"));
    let text = config.replace("IDP", &format!("http://127.0.0.1:{idp_port}"));
    std::fs::write(&path, text).unwrap();
    for _attempt in 0..3 {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["mock", "--config"])
            .arg(&path)
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("tollgate mock starts");
        let mut target = Target(child);
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return (target, format!("http://{addr}"));
            }
            if target.0.try_wait().unwrap().is_some() {
                break; // it could not bind: another port
            }
            assert!(
                Instant::now() < deadline,
                "the stand-in target never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("the stand-in target found no free port in three tries");
}

/// `tollgate run --profile PROFILE` against a stand-in built from `config`, with
/// the IdP in the loop; its console output and its Markdown report.
fn run_profile(profile: &str, config: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    for _attempt in 0..3 {
        let idp_port = free_port();
        let (_target, url) = start_target(dir.path(), config, idp_port);
        let report: PathBuf = dir.path().join("report.md");
        let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["run", "--profile", profile, "--target", &url])
            .args(["--idp-listen", &format!("127.0.0.1:{idp_port}")])
            .arg("--report")
            .arg(format!("md={}", report.display()))
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("CONF_USER", "alice")
            .env("CONF_PASSWORD", "alice-pw")
            // The stand-in's plugin refetches a JWKS at most once a second.
            .env("TOLLGATE_JWKS_REFETCH_WAIT", "2s")
            .output()
            .expect("tollgate runs");
        let text = console(&output);
        if text.contains("cannot serve tollgate's IdP") {
            continue; // the port was taken between choosing and binding it
        }
        let markdown = std::fs::read_to_string(&report).unwrap_or_default();
        return (output, markdown);
    }
    panic!("no free port for the IdP in three tries");
}

fn console(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every scenario of the profile ran against the stand-in, none skipped, all passed.
fn assert_all_pass(profile: &str, config: &str, scenarios: usize) {
    let (output, _) = run_profile(profile, config);
    let text = console(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("{scenarios} scenarios: {scenarios} passed")),
        "{text}"
    );
    assert!(text.contains(" 0 skipped"), "{text}");
    assert!(
        text.contains("tollgate's IdP in the loop at http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("verdict: conformant"), "{text}");
}

/// The run fails; `evidence` appears on the console and in the Markdown report.
fn assert_caught(profile: &str, config: &str, failing: &str, evidence: &[&str]) {
    let (output, markdown) = run_profile(profile, config);
    let text = console(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("FAIL  {failing}")), "{text}");
    assert!(text.contains("verdict: not conformant"), "{text}");
    // Markdown escapes `_` and marks up names and values; the words stay.
    let plain: String = markdown
        .replace("\\_", "_")
        .chars()
        .filter(|c| !matches!(c, '*' | '`'))
        .collect();
    for shown in evidence {
        assert!(text.contains(shown), "console lacks {shown:?}:\n{text}");
        assert!(plain.contains(shown), "report lacks {shown:?}:\n{plain}");
    }
}

const INTROSPECTION: &str =
    "mock:\n  confluence:\n    plugin:\n      bearer: { introspection: true, idp_url: \"IDP\" }\n";

#[test]
fn oauth_introspection_runs_whole_against_a_plugin_of_the_run_s_idp() {
    assert_all_pass("oauth-introspection", INTROSPECTION, 6);
}

#[test]
fn a_plugin_serving_a_revoked_token_from_a_cache_is_caught_on_the_idp_s_side() {
    let cached = INTROSPECTION.replace(
        "    plugin:",
        "    faults: [revoked_token_cached]\n    plugin:",
    );
    // The answer is a 200, and the IdP was never asked about the revoked token.
    assert_caught(
        "oauth-introspection",
        &cached,
        "OAUTH-202",
        &["idp introspections count", "no introspections call"],
    );
}

const JWT: &str = "mock:\n  confluence:\n    plugin:\n      bearer:\n        idp_url: \"IDP\"\n        jwt: { keys: [idp], username_claim: email, username_regex: \"^(.+)@corp$\", audience: confluence }\n";

#[test]
fn jwt_public_key_runs_whole_against_a_plugin_reading_the_run_s_jwks() {
    assert_all_pass("jwt-public-key", JWT, 20);
}

#[test]
fn a_plugin_that_never_reads_the_jwks_again_is_caught_on_the_idp_s_side() {
    let stale = JWT.replace(
        "    plugin:",
        "    faults: [jwks_never_refetched]\n    plugin:",
    );
    assert_caught(
        "jwt-public-key",
        &stale,
        "OAUTH-303",
        &["idp jwks count", "no jwks call"],
    );
}

#[test]
fn a_plugin_accepting_an_expired_jwt_is_caught() {
    let expired = JWT.replace(
        "    plugin:",
        "    faults: [jwt_expiry_ignored]\n    plugin:",
    );
    assert_caught(
        "jwt-public-key",
        &expired,
        "JWT-ATK-09",
        &["expected 401 or 403, actual 200"],
    );
}

const CROWD: &str = "mock:\n  confluence:\n    crowd: { enabled: true, secure_cookie: true, server_url: \"IDP/crowd\" }\n";

#[test]
fn crowd_sso_runs_whole_against_confluence_asking_the_run_s_crowd() {
    assert_all_pass("crowd-sso", CROWD, 4);
}

#[test]
fn a_confluence_that_does_not_forward_the_client_address_is_caught_by_what_crowd_was_asked() {
    let unforwarded = CROWD.replace(
        "    crowd:",
        "    faults: [crowd_factors_missing]\n    crowd:",
    );
    // CROWD-003 keeps every answer the same (consistent IP off): only Crowd's
    // side shows the missing factor.
    assert_caught(
        "crowd-sso",
        &unforwarded,
        "CROWD-003",
        &[
            "idp crowd_validations factor remote_address",
            "with no validation factors",
        ],
    );
}

#[test]
fn an_https_idp_writes_its_ca_for_the_target_and_the_run_trusts_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_target, url) = start_target(dir.path(), "mock: {}\n", free_port());
    let ca = dir.path().join("idp-ca.pem");
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["run", "--target", &url, "--id", "OAUTH-101"])
        .args(["--idp-listen", "127.0.0.1:0", "--idp-tls-ca-out"])
        .arg(&ca)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = console(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("tollgate's IdP in the loop at https://127.0.0.1:"),
        "{text}"
    );
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
}

#[test]
fn the_idp_in_the_loop_is_refused_where_it_cannot_work_and_nothing_is_sent() {
    for (args, said) in [
        (
            vec![
                "--target",
                "http://127.0.0.1:9",
                "--idp-listen",
                "0.0.0.0:8091",
            ],
            "add --idp-public-url http://HOST:8091",
        ),
        (vec!["--idp-listen", "127.0.0.1:0"], "give --target URL too"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["run", "--id", "OAUTH-101"])
            .args(&args)
            .current_dir(root())
            .output()
            .unwrap();
        let text = console(&output);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(text.contains(said), "{text}");
    }
}

#[test]
fn without_the_idp_in_the_loop_its_scenarios_are_skipped_saying_why() {
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["run", "--target", "http://127.0.0.1:9", "--id", "OAUTH-101"])
        .args(["--id", "OAUTH-201", "--setup", "oauth-introspection"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("CONF_USER", "alice")
        .output()
        .unwrap();
    let text = console(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("needs tollgate's IdP in the loop: --idp-listen ADDR"),
        "{text}"
    );
    assert!(text.contains("verdict: incomplete"), "{text}");
    let undeclared = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["run", "--target", "http://127.0.0.1:9", "--id", "OAUTH-201"])
        .args(["--idp-listen", "127.0.0.1:0"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("CONF_USER", "alice")
        .output()
        .unwrap();
    let text = console(&undeclared);
    assert!(
        text.contains("needs a target set up for oauth-introspection"),
        "{text}"
    );
}
