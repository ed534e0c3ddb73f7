//! `tollgate mock` as a stand-in target whose REST-auth plugin and Crowd client
//! talk to an identity provider started elsewhere (`mock::idp_server::start_idp_on`,
//! what `tollgate idp` serves), over HTTP as a real plugin does: introspection
//! with either client authentication, userinfo, the JWKS (fetched, cached,
//! refetched on an unknown `kid`, at most once a second), Crowd validation; and
//! the plugin failing closed when that IdP cannot be asked.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode as AxumStatus;
use axum::response::IntoResponse;
use axum::routing::get;
use common::client;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tollgate::auth::keys::{Alg, SigningKey, algorithm, jwks};
use tollgate::mock::idp::log::token_digest;
use tollgate::mock::idp_server::{RunningIdp, start_idp_on};
use tollgate::mock::{RunningMock, start};
use tollgate::scenario::mock_config::{Fault, MockConfig};
use tollgate::wire::control::ROTATE;
use tollgate::wire::observed::{ClientAuth, IdpCall};
use tollgate::wire::{
    CLIENT_IP_HEADER, CROWD_SESSION_PATH, DEFAULT_CROWD_APPLICATION as APPLICATION,
    DEFAULT_CROWD_APPLICATION_PASSWORD as APPLICATION_PASSWORD,
};

fn config(value: Value) -> MockConfig {
    serde_json::from_value(value).unwrap()
}

async fn idp_alone(idp: Value) -> RunningIdp {
    idp_alone_with_keys(idp, &[]).await
}

async fn idp_alone_with_keys(idp: Value, keys: &[SigningKey]) -> RunningIdp {
    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
    start_idp_on(&config(json!({ "idp": idp })), addr, keys, None)
        .await
        .unwrap()
}

/// A mock whose plugin's bearer block is `bearer` (and whose faults are `faults`).
async fn plugin_mock(bearer: Value, faults: &[Fault]) -> RunningMock {
    let faults: Vec<&str> = faults.iter().map(Fault::name).collect();
    start(&config(json!({ "confluence": {
        "plugin": { "bearer": bearer },
        "faults": faults,
    } })))
    .await
    .unwrap()
}

async fn password_token(idp_url: &str) -> String {
    let answer: Value = client()
        .post(format!("{idp_url}/token"))
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
    answer["access_token"].as_str().unwrap().to_owned()
}

/// `/rest/api/user/current` with the bearer token: the status and the user.
async fn as_bearer(mock: &RunningMock, token: &str) -> (StatusCode, Option<String>) {
    let response = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["username"].as_str().map(str::to_owned))
}

fn alice() -> (StatusCode, Option<String>) {
    (StatusCode::OK, Some("alice".to_owned()))
}

#[tokio::test]
async fn introspection_goes_to_the_configured_idp_with_either_client_authentication() {
    let idp = idp_alone(json!({ "format": "opaque" })).await;
    for client_auth in ["basic", "post"] {
        let mock = plugin_mock(
            json!({ "introspection": true, "idp_url": idp.url(), "client_auth": client_auth }),
            &[],
        )
        .await;
        // An opaque token only its issuer can judge: accepted, so that IdP was asked.
        let token = password_token(idp.url()).await;
        assert_eq!(as_bearer(&mock, &token).await, alice(), "{client_auth}");
        // A token of the mock's own IdP means nothing to the other one.
        let embedded = password_token(mock.idp_url()).await;
        assert_eq!(
            as_bearer(&mock, &embedded).await.0,
            StatusCode::UNAUTHORIZED
        );
        // Revoked at the IdP: refused at once (nothing cached).
        client()
            .post(format!("{}/revoke", idp.url()))
            .basic_auth("tollgate", Some("tollgate-secret"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(as_bearer(&mock, &token).await.0, StatusCode::UNAUTHORIZED);
    }
    // A client the IdP does not know gets no answer it can use: fail closed.
    let mock = plugin_mock(
        json!({ "introspection": true, "idp_url": idp.url(), "client_id": "tollgate", "client_secret": "wrong" }),
        &[],
    )
    .await;
    let token = password_token(idp.url()).await;
    assert_eq!(
        as_bearer(&mock, &token).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    idp.shutdown().await;
}

#[tokio::test]
async fn userinfo_goes_to_the_configured_idp() {
    let idp = idp_alone(json!({})).await;
    let mock = plugin_mock(json!({ "userinfo": true, "idp_url": idp.url() }), &[]).await;
    assert_eq!(
        as_bearer(&mock, &password_token(idp.url()).await).await,
        alice()
    );
    let embedded = password_token(mock.idp_url()).await;
    assert_eq!(
        as_bearer(&mock, &embedded).await.0,
        StatusCode::UNAUTHORIZED
    );
    idp.shutdown().await;
}

#[tokio::test]
async fn the_idp_key_is_the_configured_idp_s_jwks_and_expiry_is_judged() {
    // Its own ES256 key: the embedded IdPs of one process share a generated one.
    let key = SigningKey::generate("remote-idp", Alg::ES256).unwrap();
    let idp = idp_alone_with_keys(json!({ "signing_key": "remote-idp" }), &[key]).await;
    let bearer = json!({ "jwt": { "keys": ["idp"] }, "idp_url": idp.url() });
    let mock = plugin_mock(bearer.clone(), &[]).await;
    let token = password_token(idp.url()).await;
    assert_eq!(as_bearer(&mock, &token).await, alice());
    // The mock's own IdP signs with another key: refused.
    let embedded = password_token(mock.idp_url()).await;
    assert_eq!(
        as_bearer(&mock, &embedded).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Expired on the plugin's clock: refused, unless the fault ignores exp.
    mock.state().clock().advance(Duration::from_secs(301));
    assert_eq!(as_bearer(&mock, &token).await.0, StatusCode::UNAUTHORIZED);
    let faulty = plugin_mock(bearer, &[Fault::JwtExpiryIgnored]).await;
    faulty.state().clock().advance(Duration::from_secs(301));
    assert_eq!(as_bearer(&faulty, &token).await, alice());
    idp.shutdown().await;

    // An IdP that cannot be asked for its keys: fail closed, as introspection.
    let mock = plugin_mock(
        json!({ "jwt": { "keys": ["idp"] }, "idp_url": dead_url() }),
        &[],
    )
    .await;
    assert_eq!(
        as_bearer(&mock, &token).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

fn dead_url() -> String {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    url
}

/// The stand-in target: a mock whose plugin and Crowd client point at an
/// IdP started elsewhere, and that IdP's log showing each call arrived over HTTP.
#[tokio::test]
async fn a_stand_in_target_leaves_introspection_jwks_and_crowd_calls_in_its_idp_s_log() {
    let idp = idp_alone(json!({})).await;
    let log = &idp.idp().log;
    let mock = start(&config(json!({ "confluence": {
        "plugin": { "bearer": { "introspection": true, "idp_url": idp.url(), "client_auth": "post" } },
        "crowd": { "enabled": true, "server_url": format!("{}/crowd", idp.url()) },
    } })))
    .await
    .unwrap();

    let token = password_token(idp.url()).await;
    let mark = log.mark();
    assert_eq!(as_bearer(&mock, &token).await, alice());
    assert_eq!(
        log.since(mark),
        [IdpCall::Introspection {
            client_auth: ClientAuth::Post,
            client: Some("tollgate".into()),
            token_sha256: Some(token_digest(&token)),
            active: Some(true),
        }]
    );

    let session: Value = client()
        .post(format!("{}{CROWD_SESSION_PATH}", idp.url()))
        .basic_auth(APPLICATION, Some(APPLICATION_PASSWORD))
        .json(&json!({ "username": "alice", "password": "alice-pw",
            "validation-factors": { "validationFactors": [{ "name": "remote_address", "value": "10.0.0.5" }] } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sso = session["token"].as_str().unwrap();
    let mark = log.mark();
    let response = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header("cookie", format!("crowd.token_key={sso}"))
        .header(CLIENT_IP_HEADER, "10.0.0.5")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], "alice");
    assert_eq!(
        log.since(mark),
        [IdpCall::CrowdValidation {
            application: Some(APPLICATION.into()),
            token_sha256: token_digest(sso),
            factors: vec![("remote_address".into(), "10.0.0.5".into())],
            valid: true,
        }]
    );

    // JWT mode: the key set is fetched once, and again after the IdP rotates.
    let jwt_mock = plugin_mock(
        json!({ "jwt": { "keys": ["idp"] }, "idp_url": idp.url() }),
        &[],
    )
    .await;
    let mark = log.mark();
    assert_eq!(as_bearer(&jwt_mock, &token).await, alice());
    assert_eq!(as_bearer(&jwt_mock, &token).await, alice());
    assert_eq!(log.since(mark), [IdpCall::Jwks]);
    let rotated = client()
        .post(format!("{}{ROTATE}", idp.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let fresh = password_token(idp.url()).await;
    jwt_mock.state().clock().advance(Duration::from_secs(1));
    let mark = log.mark();
    assert_eq!(as_bearer(&jwt_mock, &fresh).await, alice());
    assert_eq!(log.since(mark), [IdpCall::Jwks]);
    assert!(
        mock.idp().log.since(0).is_empty() && jwt_mock.idp().log.since(0).is_empty(),
        "the mocks' own IdPs were never asked"
    );
    idp.shutdown().await;
}

/// A JWKS endpoint whose key set the test swaps, counting fetches.
#[derive(Clone, Default)]
struct KeySetServer {
    set: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    failing: Arc<Mutex<bool>>,
}

async fn serve_jwks(State(server): State<KeySetServer>) -> axum::response::Response {
    server.fetches.fetch_add(1, Ordering::SeqCst);
    if *server.failing.lock().unwrap() {
        return AxumStatus::INTERNAL_SERVER_ERROR.into_response();
    }
    axum::Json(server.set.lock().unwrap().clone()).into_response()
}

async fn key_set_server(server: KeySetServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/jwks", get(serve_jwks))
        .with_state(server);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn signed(key: &SigningKey, kid: &str) -> String {
    let mut header = jsonwebtoken::Header::new(algorithm(key.alg()));
    header.kid = Some(kid.to_owned());
    let claims = json!({ "sub": "alice", "exp": 4_000_000_000u64 });
    jsonwebtoken::encode(&header, &claims, key.encoding_key()).unwrap()
}

#[tokio::test]
async fn a_rotated_key_is_fetched_on_its_unknown_kid_at_most_once_a_second() {
    let first = SigningKey::generate("a", Alg::RS256).unwrap();
    let second = SigningKey::generate("b", Alg::ES256).unwrap();
    let server = KeySetServer::default();
    *server.set.lock().unwrap() = serde_json::to_value(jwks([&first])).unwrap();
    let url = key_set_server(server.clone()).await;
    let mock = plugin_mock(json!({ "jwt": { "keys": ["idp"] }, "idp_url": url }), &[]).await;
    let fetches = || server.fetches.load(Ordering::SeqCst);
    let second_second = || mock.state().clock().advance(Duration::from_secs(1));

    assert_eq!(fetches(), 0, "nothing is fetched before a token needs it");
    assert_eq!(as_bearer(&mock, &signed(&first, "a")).await, alice());
    assert_eq!(as_bearer(&mock, &signed(&first, "a")).await, alice());
    assert_eq!(fetches(), 1, "the set is cached");

    // The IdP rotates to an ES256 key.
    *server.set.lock().unwrap() = serde_json::to_value(jwks([&second])).unwrap();
    let rotated = signed(&second, "b");
    assert_eq!(
        as_bearer(&mock, &rotated).await.0,
        StatusCode::UNAUTHORIZED,
        "within a second of the last fetch the set stands"
    );
    assert_eq!(fetches(), 1);
    second_second();
    assert_eq!(as_bearer(&mock, &rotated).await, alice());
    assert_eq!(fetches(), 2);
    assert_eq!(
        as_bearer(&mock, &signed(&first, "a")).await.0,
        StatusCode::UNAUTHORIZED,
        "the retired key is gone"
    );

    // A flood of made-up kids: one fetch a second, however many arrive at once.
    second_second();
    let flood = (0..20).map(|i| {
        let token = signed(&second, &format!("made-up-{i}"));
        let mock = &mock;
        async move { as_bearer(mock, &token).await.0 }
    });
    let statuses = join_all(flood).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(fetches(), 3);

    // The IdP fails: a kid that needs a fetch fails closed; known keys still work.
    *server.failing.lock().unwrap() = true;
    second_second();
    let unknown = signed(&second, "c");
    assert_eq!(
        as_bearer(&mock, &unknown).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(as_bearer(&mock, &rotated).await, alice());
}

#[test]
fn the_plugin_client_secret_is_a_secret_and_a_bad_idp_url_stops_the_mock() {
    let with_secret = config(json!({ "confluence": { "plugin": { "bearer": {
        "introspection": true, "client_id": "wiki", "client_secret": "s3cret-client",
    } } } }));
    assert!(!format!("{with_secret:?}").contains("s3cret-client"));
    assert!(with_secret.secrets().iter().any(|s| s == "s3cret-client"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for bearer in [
        json!({ "introspection": true, "idp_url": "idp.example" }),
        json!({ "jwt": { "keys": ["idp"] }, "idp_url": "ftp://idp.example" }),
    ] {
        let bad = config(json!({ "confluence": { "plugin": { "bearer": bearer } } }));
        let error = runtime.block_on(start(&bad)).unwrap_err();
        assert!(error.to_string().contains("idp_url"), "{error}");
    }
}
