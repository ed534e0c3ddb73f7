//! `tollgate idp` through the real binary: the identity provider alone, with a
//! signing key from a file, so a real plugin is configured once and a restart
//! changes nothing it relies on.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// Stops the server even when an assertion fails first.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tollgate idp` on an ephemeral loopback port; returns it and its bound URL.
fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["idp", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("tollgate idp starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    // "identity provider listening on http://127.0.0.1:PORT as URL"
    let bound = line
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (server, bound)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn get(url: &str) -> Value {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn introspect(base: &str, token: &str) -> Value {
    client()
        .post(format!("{base}/introspect"))
        .basic_auth("tollgate", Some("tollgate-secret"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn generate_key(dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["keys", "gen", "idp", "--alg", "RS256", "--out"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    dir.join("idp.pem").display().to_string()
}

#[tokio::test]
async fn the_idp_alone_serves_discovery_jwks_tokens_introspection_revocation_and_crowd() {
    let dir = tempfile::tempdir().unwrap();
    let key = generate_key(dir.path());
    let (server, base) = start(&["--key", &key, "--public-url", "https://idp.example.com/"]);

    let discovery = get(&format!("{base}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["issuer"], "https://idp.example.com");
    assert!(
        discovery["jwks_uri"]
            .as_str()
            .unwrap()
            .starts_with("https://idp.example.com/"),
        "{discovery}"
    );
    let jwks = get(&format!("{base}/jwks")).await;
    let modulus = jwks["keys"][0]["n"].as_str().unwrap().to_string();

    let token: Value = client()
        .post(format!("{base}/token"))
        .basic_auth("tollgate", Some("tollgate-secret"))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_string();
    let active = introspect(&base, &access).await;
    assert_eq!(active["active"], true, "{active}");
    assert_eq!(active["username"], "alice");
    let userinfo: Value = client()
        .get(format!("{base}/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        userinfo["preferred_username"]
            .as_str()
            .or(userinfo["username"].as_str()),
        Some("alice"),
        "{userinfo}"
    );
    let revoked = client()
        .post(format!("{base}/revoke"))
        .basic_auth("tollgate", Some("tollgate-secret"))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    assert_eq!(introspect(&base, &access).await["active"], false);

    // Crowd's SSO session service, as a Confluence Crowd client calls it.
    let session = client()
        .post(format!("{base}{}", tollgate::wire::CROWD_SESSION_PATH))
        .basic_auth("confluence", Some("confluence-secret"))
        .json(&json!({
            "username": "alice",
            "password": "alice-pw",
            "validation-factors": { "validationFactors": [{ "name": "remote_address", "value": "10.0.0.1" }] },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 201);

    // The key is the file's: a restart serves the same JWKS.
    drop(server);
    let (_server, base) = start(&["--key", &key]);
    assert_eq!(
        get(&format!("{base}/jwks")).await["keys"][0]["n"],
        modulus.as_str()
    );
    assert_eq!(
        get(&format!("{base}/.well-known/openid-configuration")).await["issuer"],
        base.as_str()
    );
}

#[test]
fn a_bad_public_url_or_key_file_is_a_usage_error() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["idp", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap()
    };
    let output = run(&["--public-url", "idp.example.com"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an http(s) URL"));
    let output = run(&["--key", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("regular file"));
}
