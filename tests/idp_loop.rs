//! The IdP in the loop (issue 13) on 127.0.0.1:0: one listener for a run, a fresh
//! state per scenario (`begin`) with the run's signing key, down and back up on
//! the same address, rotation, HTTPS with a generated CA a client can trust, and
//! a public URL advertised in discovery and `iss`.

mod idp_support;

use std::time::Duration;

use base64::Engine;
use idp_support::{client, client_token, json_of, jwks_kids, loopback};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use tollgate::mock::{IdpInLoop, LoopOptions, LoopTls};
use tollgate::scenario::mock_config::MockConfig;

fn config(client: &str, user: &str) -> MockConfig {
    serde_json::from_value(json!({
        "idp": {
            "clients": [{ "id": client, "secret": format!("{client}-secret"),
                          "grants": ["client_credentials", "password"] }],
            "users": [{ "name": user, "password": format!("{user}-pw") }],
        }
    }))
    .unwrap()
}

/// The status of a password grant for `user` by `client` (secrets as `config` sets them).
async fn password_grant(http: &Client, idp: &IdpInLoop, client: &str, user: &str) -> Value {
    let response = http
        .post(format!("{}/token", idp.url()))
        .basic_auth(client, Some(format!("{client}-secret")))
        .form(&[
            ("grant_type", "password"),
            ("username", user),
            ("password", &format!("{user}-pw")),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut body: Value = response.json().await.unwrap();
    body["status"] = json!(status);
    body
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn each_begin_brings_its_users_and_clients_and_keeps_the_run_key() {
    let idp = IdpInLoop::start(loopback(), LoopOptions::default()).unwrap();
    // One client for the whole test: its kept-alive connection sees each swap.
    let http = client();
    let first = idp.begin(&config("plugin-a", "ann"), &[]).unwrap();
    assert_eq!(
        password_grant(&http, &idp, "plugin-a", "ann").await["status"],
        200
    );
    assert_eq!(
        password_grant(&http, &idp, "plugin-b", "bob").await["status"],
        401
    );
    let kid = jwks_kids(&http, idp.url()).await;
    assert_eq!(kid, [idp.signing_key().name()]);
    let first_mark = first.log.mark();
    assert_eq!(first_mark, 1, "the JWKS fetch");

    let second = idp.begin(&config("plugin-b", "bob"), &[]).unwrap();
    assert_eq!(second.log.mark(), 0, "a new scenario starts a new log");
    assert_eq!(
        password_grant(&http, &idp, "plugin-a", "ann").await["status"],
        401
    );
    let granted = password_grant(&http, &idp, "plugin-b", "bob").await;
    assert_eq!(granted["status"], 200);
    assert_eq!(
        jwks_kids(&http, idp.url()).await,
        kid,
        "the run's key stays"
    );
    let header = jsonwebtoken::decode_header(granted["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some(kid[0].as_str()));
    assert_eq!(
        first.log.mark(),
        first_mark,
        "the old state hears nothing more"
    );
    assert_eq!(second.log.mark(), 1, "only the JWKS fetch is logged");
    idp.shutdown().await;
}

#[tokio::test]
async fn down_closes_connections_unanswered_until_the_next_begin() {
    let idp = IdpInLoop::start(loopback(), LoopOptions::default()).unwrap();
    let health = format!("{}/__tollgate/health", idp.url());
    let down = client()
        .post(format!("{}/__tollgate/down", idp.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(down.status(), StatusCode::OK);
    // A fresh client each time: no kept-alive connection to lean on.
    let mut refused = false;
    for _ in 0..50 {
        if client().get(&health).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the IdP still answers after going down");
    // Connected, then closed without a byte: not a refused connect.
    let mut stream = tokio::net::TcpStream::connect(idp.local_addr())
        .await
        .unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
    )
    .await
    .expect("the connection is closed at once");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");

    idp.begin(&MockConfig::default(), &[]).unwrap();
    let mut up = false;
    for _ in 0..50 {
        if let Ok(response) = client().get(&health).send().await {
            assert_eq!(response.status(), StatusCode::OK);
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(up, "begin did not bring the IdP back");
    idp.shutdown().await;
}

#[tokio::test]
async fn a_rotated_key_lasts_until_the_next_begin() {
    let idp = IdpInLoop::start(loopback(), LoopOptions::default()).unwrap();
    let http = client();
    let run_kid = vec![idp.signing_key().name().to_owned()];
    assert_eq!(jwks_kids(&http, idp.url()).await, run_kid);
    let rotated = http
        .post(format!("{}/__tollgate/rotate", idp.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let kids = jwks_kids(&http, idp.url()).await;
    assert_ne!(kids, run_kid);
    idp.begin(&MockConfig::default(), &[]).unwrap();
    assert_eq!(jwks_kids(&http, idp.url()).await, run_kid);
    idp.shutdown().await;
}

#[tokio::test]
async fn generated_https_is_trusted_through_the_written_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca_out = dir.path().join("idp-ca.pem");
    let options = LoopOptions {
        tls: LoopTls::Generated {
            ca_out: ca_out.clone(),
        },
        ..LoopOptions::default()
    };
    let idp = IdpInLoop::start(loopback(), options).unwrap();
    assert!(idp.url().starts_with("https://127.0.0.1:"), "{}", idp.url());
    let pem = std::fs::read_to_string(&ca_out).unwrap();
    assert_eq!(Some(pem.as_str()), idp.ca_pem());
    let trusting = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let discovery =
        json_of(trusting.get(format!("{}/.well-known/openid-configuration", idp.url()))).await;
    assert_eq!(discovery["issuer"], idp.url());
    assert!(
        client().get(idp.url()).send().await.is_err(),
        "a client without the CA must refuse the certificate"
    );
    idp.shutdown().await;
}

#[tokio::test]
async fn the_public_url_is_what_discovery_and_tokens_name() {
    let options = LoopOptions {
        public_url: Some("https://idp.example.test:8443/".into()),
        ..LoopOptions::default()
    };
    let idp = IdpInLoop::start(loopback(), options).unwrap();
    let public = "https://idp.example.test:8443";
    assert_eq!(idp.url(), public);
    idp.begin(&config("plugin", "carol"), &[]).unwrap();
    // Reached on the listen address; it calls itself by the public URL.
    let local = format!("http://{}", idp.local_addr());
    let http = client();
    let discovery = json_of(http.get(format!("{local}/.well-known/openid-configuration"))).await;
    assert_eq!(discovery["issuer"], public);
    for endpoint in [
        "jwks_uri",
        "introspection_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
    ] {
        let url = discovery[endpoint].as_str().unwrap();
        assert!(url.starts_with(&format!("{public}/")), "{endpoint}: {url}");
    }
    let token = client_token(&http, &local, ("plugin", "plugin-secret")).await;
    assert_eq!(claims(&token)["iss"], public);
    idp.shutdown().await;
}

#[tokio::test]
async fn a_shared_secret_cannot_be_the_run_key_and_start_needs_no_runtime_panic() {
    let hs = tollgate::auth::keys::SigningKey::from_secret("hs", vec![7; 32]);
    let options = LoopOptions {
        signing_key: Some(hs),
        ..LoopOptions::default()
    };
    let error = IdpInLoop::start(loopback(), options).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let outside =
        std::thread::spawn(|| IdpInLoop::start(loopback(), LoopOptions::default()).is_err());
    assert!(
        outside.join().unwrap(),
        "start outside a runtime is an error, not a panic"
    );
}

#[tokio::test]
async fn https_from_the_users_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let own = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("idp.crt"), dir.path().join("idp.key"));
    std::fs::write(&cert, own.cert.pem()).unwrap();
    std::fs::write(&key, own.signing_key.serialize_pem()).unwrap();
    let options = LoopOptions {
        tls: LoopTls::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        ..LoopOptions::default()
    };
    let idp = IdpInLoop::start(loopback(), options).unwrap();
    assert_eq!(idp.ca_pem(), None);
    let trusting = Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(own.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let health = trusting
        .get(format!("{}/__tollgate/health", idp.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    idp.shutdown().await;

    // A key file that is no key, or a certificate file that holds none, is refused.
    let swapped = LoopOptions {
        tls: LoopTls::Files {
            cert: key.clone(),
            key: cert,
        },
        ..LoopOptions::default()
    };
    let error = IdpInLoop::start(loopback(), swapped).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(!error.to_string().contains("PRIVATE KEY-----\n"), "{error}");
    let missing = LoopOptions {
        tls: LoopTls::Files {
            cert: dir.path().join("absent.crt"),
            key,
        },
        ..LoopOptions::default()
    };
    assert!(IdpInLoop::start(loopback(), missing).is_err());
}
