//! Crowd SSO over real HTTP on 127.0.0.1:0: the IdP's session service (create,
//! validate, delete, application authentication, expiry, garbage input), and the
//! Confluence side (F-CROWD-1..4): validation with and without a consistent IP,
//! trusted-proxy walking, Seraph's order, the cookie's attributes, each fault
//! flipping its fact, and the runner's `auth: crowd_sso`.

mod common;

use common::client;

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, SET_COOKIE, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tollgate::auth::keys::KeyRing;
use tollgate::auth::oauth::TokenCache;
use tollgate::auth::{AuthContext, credential};
use tollgate::mock::idp::crowd::SESSION_IDLE;
use tollgate::mock::{RunningMock, start};
use tollgate::scenario::compile;
use tollgate::scenario::mock_config::{Fault, MockConfig};
use tollgate::scenario::model::{Auth, CrowdSsoAuth};
use tollgate::scenario::template::Scope;
use tollgate::wire::{
    CLIENT_IP_HEADER, CROWD_SESSION_PATH as SESSION_PATH, DEFAULT_CROWD_APPLICATION as APPLICATION,
    DEFAULT_CROWD_APPLICATION_PASSWORD as APPLICATION_PASSWORD,
};

async fn mock_with(config: Value) -> RunningMock {
    let config: MockConfig = serde_json::from_value(config).unwrap();
    start(&config).await.unwrap()
}

/// A mock with Crowd on and `crowd` merged into its `confluence.crowd` block.
async fn crowd_mock(crowd: Value, faults: &[Fault]) -> RunningMock {
    let mut block = json!({ "enabled": true });
    if let (Some(block), Some(extra)) = (block.as_object_mut(), crowd.as_object()) {
        block.extend(extra.clone());
    }
    let faults: Vec<&str> = faults.iter().map(Fault::name).collect();
    mock_with(json!({ "confluence": { "crowd": block, "faults": faults } })).await
}

fn session_url(mock: &RunningMock) -> String {
    format!("{}{SESSION_PATH}", mock.idp_url())
}

fn app(request: RequestBuilder) -> RequestBuilder {
    request.basic_auth(APPLICATION, Some(APPLICATION_PASSWORD))
}

fn factors(pairs: &[(&str, &str)]) -> Value {
    let list: Vec<Value> = pairs
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect();
    json!({ "validationFactors": list })
}

async fn create_raw(mock: &RunningMock, user: &str, password: &str, address: &str) -> Response {
    app(client().post(session_url(mock)))
        .json(&json!({
            "username": user,
            "password": password,
            "validation-factors": factors(&[("remote_address", address)]),
        }))
        .send()
        .await
        .unwrap()
}

/// A token for alice bound to `remote_address` = `address`.
async fn token_at(mock: &RunningMock, address: &str) -> String {
    let response = create_raw(mock, "alice", "alice-pw", address).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn validate(mock: &RunningMock, token: &str, address: &str) -> Response {
    app(client().post(format!("{}/{token}", session_url(mock))))
        .json(&factors(&[("remote_address", address)]))
        .send()
        .await
        .unwrap()
}

async fn reason(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["reason"].as_str().unwrap_or_default().to_owned()
}

/// `GET /rest/api/user/current` with the SSO cookie, from `peer`, with an optional
/// `X-Forwarded-For`.
async fn current_user(
    mock: &RunningMock,
    token: &str,
    peer: &str,
    forwarded_for: Option<&str>,
) -> Response {
    let mut request = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header("cookie", format!("crowd.token_key={token}"))
        .header(CLIENT_IP_HEADER, peer);
    if let Some(xff) = forwarded_for {
        request = request.header("x-forwarded-for", xff);
    }
    request.send().await.unwrap()
}

/// Who `/rest/api/user/current` says the caller is: the user name, or `None`.
async fn who(response: Response) -> Option<String> {
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["username"].as_str().map(str::to_owned)
}

fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

async fn form_login(mock: &RunningMock, peer: &str) -> Response {
    client()
        .post(format!("{}/dologin.action", mock.base_url()))
        .header(CLIENT_IP_HEADER, peer)
        .header("x-atlassian-token", "no-check")
        .form(&[("os_username", "alice"), ("os_password", "alice-pw")])
        .send()
        .await
        .unwrap()
}

// ---- the session service ----

#[tokio::test]
async fn sessions_are_created_validated_and_deleted() {
    let mock = crowd_mock(json!({}), &[]).await;
    let response = create_raw(&mock, "alice", "alice-pw", "10.0.0.5").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(body["user"]["name"], "alice");
    assert_eq!(token.len(), 24);
    assert_eq!(location, format!("{}/{token}", session_url(&mock)));
    assert!(body["expiry-date"].as_u64() > body["created-date"].as_u64());

    let url = format!("{}/{token}", session_url(&mock));
    let got = app(client().get(&url)).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(
        validate(&mock, &token, "10.0.0.5").await.status(),
        StatusCode::OK
    );
    // F-CROWD-2: other factors are a 400 INVALID_SSO_TOKEN.
    let other = validate(&mock, &token, "10.0.0.6").await;
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    assert_eq!(reason(other).await, "INVALID_SSO_TOKEN");

    let deleted = app(client().delete(&url)).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = validate(&mock, &token, "10.0.0.5").await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(reason(gone).await, "INVALID_SSO_TOKEN");
    assert_eq!(
        app(client().get(&url)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let again = app(client().delete(&url)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    assert!(mock.idp().crowd().is_empty());
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_are_invalid_user_authentication() {
    let mock = crowd_mock(json!({}), &[]).await;
    for (user, password) in [("alice", "wrong"), ("nobody", "alice-pw"), ("", "")] {
        let response = create_raw(&mock, user, password, "10.0.0.5").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(reason(response).await, "INVALID_USER_AUTHENTICATION");
    }
    assert!(mock.idp().crowd().is_empty());
}

#[tokio::test]
async fn the_application_must_authenticate() {
    let mock = crowd_mock(json!({}), &[]).await;
    let body = json!({ "username": "alice", "password": "alice-pw" });
    let none = client()
        .post(session_url(&mock))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(
        none.headers()[WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert_eq!(reason(none).await, "APPLICATION_ACCESS_DENIED");
    for (name, secret) in [(APPLICATION, "wrong"), ("nobody", APPLICATION_PASSWORD)] {
        let response = client()
            .post(session_url(&mock))
            .basic_auth(name, Some(secret))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let garbled = client()
        .get(format!("{}/x", session_url(&mock)))
        .header(AUTHORIZATION, "Basic !!!")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), StatusCode::UNAUTHORIZED);
    // An `idp.clients` entry is an application too (the default `tollgate`).
    let configured = client()
        .post(session_url(&mock))
        .basic_auth("tollgate", Some("tollgate-secret"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(configured.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn garbage_bodies_are_400_illegal_argument_never_a_panic() {
    let mock = crowd_mock(json!({}), &[]).await;
    let token = token_at(&mock, "10.0.0.5").await;
    let long = "x".repeat(2000);
    let many: Vec<Value> = (0..40)
        .map(|i| json!({ "name": format!("f{i}"), "value": "v" }))
        .collect();
    let bodies: Vec<Vec<u8>> = vec![
        b"not json".to_vec(),
        b"[]".to_vec(),
        b"{\"username\":\"alice\"}".to_vec(),
        b"{\"username\":1,\"password\":2}".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        json!({ "username": "alice", "password": "alice-pw", "validation-factors": { "validationFactors": "x" } })
            .to_string()
            .into_bytes(),
        json!({ "username": "alice", "password": "alice-pw", "validation-factors": { "validationFactors": many } })
            .to_string()
            .into_bytes(),
        json!({ "username": "alice", "password": "alice-pw", "validation-factors": factors(&[("remote_address", &long)]) })
            .to_string()
            .into_bytes(),
    ];
    for body in &bodies {
        let created = app(client().post(session_url(&mock)))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::BAD_REQUEST, "{body:?}");
        assert_eq!(reason(created).await, "ILLEGAL_ARGUMENT");
        let validated = app(client().post(format!("{}/{token}", session_url(&mock))))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(validated.status(), StatusCode::BAD_REQUEST, "{body:?}");
    }
    // A token path of any shape is just an unknown token.
    let odd = app(client().get(format!("{}/%00%ff..%2F", session_url(&mock))))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        validate(&mock, &token, "10.0.0.5").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sessions_expire_on_the_mock_clock_and_validation_extends_them() {
    let mock = crowd_mock(json!({}), &[]).await;
    let token = token_at(&mock, "10.0.0.5").await;
    let half = SESSION_IDLE / 2 + Duration::from_secs(1);
    mock.state().clock().advance(half);
    assert_eq!(
        validate(&mock, &token, "10.0.0.5").await.status(),
        StatusCode::OK
    );
    mock.state().clock().advance(half);
    assert_eq!(
        validate(&mock, &token, "10.0.0.5").await.status(),
        StatusCode::OK
    );
    mock.state().clock().advance(SESSION_IDLE);
    assert_eq!(
        validate(&mock, &token, "10.0.0.5").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        who(current_user(&mock, &token, "10.0.0.5", None).await).await,
        None
    );
}

// ---- the Confluence side ----

#[tokio::test]
async fn a_valid_cookie_logs_in_and_opens_a_session() {
    let mock = crowd_mock(json!({}), &[]).await;
    let token = token_at(&mock, "10.0.0.5").await;
    let response = current_user(&mock, &token, "10.0.0.5", None).await;
    assert_eq!(response.headers()["x-seraph-loginreason"], "OK");
    // F-CROWD-4: a session is opened...
    let session = set_cookie(&response, "JSESSIONID").expect("a session");
    assert_eq!(who(response).await.as_deref(), Some("alice"));
    // ...and works alone.
    let alone = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header("cookie", format!("JSESSIONID={}", cookie_value(&session)))
        .header(CLIENT_IP_HEADER, "10.0.0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(who(alone).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn with_a_consistent_ip_another_address_is_anonymous() {
    let mock = crowd_mock(json!({}), &[]).await;
    let token = token_at(&mock, "10.0.0.5").await;
    let response = current_user(&mock, &token, "198.51.100.23", None).await;
    assert!(set_cookie(&response, "JSESSIONID").is_none());
    assert!(response.headers().get("x-ausername").is_none());
    assert_eq!(who(response).await, None);
    // Under /rest/ an invalid SSO cookie is anonymous, not a 401 (unlike F-SESS-1):
    // a resource that is not anonymous-allowed answers F-ANON-3's 401 (the space
    // list is anonymous-allowed and would answer 200, F-ANON-4).
    let space = client()
        .get(format!("{}/rest/pat/latest/tokens", mock.base_url()))
        .header("cookie", format!("crowd.token_key={token}"))
        .header(CLIENT_IP_HEADER, "198.51.100.23")
        .send()
        .await
        .unwrap();
    assert_eq!(space.status(), StatusCode::UNAUTHORIZED);
    let body = space.text().await.unwrap();
    assert!(!body.contains("invalid cookie"), "{body}");
    assert!(body.contains("Client must be authenticated"), "{body}");
}

#[tokio::test]
async fn without_a_consistent_ip_any_holder_is_the_user() {
    let mock = crowd_mock(json!({ "require_consistent_ip": false }), &[]).await;
    let token = token_at(&mock, "10.0.0.5").await;
    let response = current_user(&mock, &token, "198.51.100.23", None).await;
    assert_eq!(who(response).await.as_deref(), Some("alice"));
    assert_eq!(
        validate(&mock, &token, "192.0.2.1").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn with_crowd_off_the_cookie_is_ignored() {
    let mock = mock_with(json!({})).await;
    let token = token_at(&mock, "127.0.0.1").await;
    assert_eq!(
        who(current_user(&mock, &token, "127.0.0.1", None).await).await,
        None
    );
}

#[tokio::test]
async fn a_crowd_user_unknown_to_confluence_is_anonymous() {
    let mock = mock_with(json!({
        "confluence": { "crowd": { "enabled": true } },
        "idp": { "users": [{ "name": "bob", "password": "bob-pw" }] },
    }))
    .await;
    let response = create_raw(&mock, "bob", "bob-pw", "10.0.0.5").await;
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        who(current_user(&mock, token, "10.0.0.5", None).await).await,
        None
    );
}

#[tokio::test]
async fn seraph_order_is_session_then_crowd_then_basic() {
    let mock = mock_with(json!({
        "confluence": {
            "crowd": { "enabled": true },
            "users": [
                { "name": "alice", "password": "alice-pw" },
                { "name": "bob", "password": "bob-pw" },
            ],
        },
        "idp": { "users": [{ "name": "bob", "password": "bob-pw" }] },
    }))
    .await;
    let bob = {
        let response = create_raw(&mock, "bob", "bob-pw", "127.0.0.1").await;
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    };
    // Crowd before Basic: a wrong Basic password is never looked at.
    let response = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header("cookie", format!("crowd.token_key={bob}"))
        .basic_auth("alice", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(who(response).await.as_deref(), Some("bob"));
    // The session before Crowd.
    let login = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .basic_auth("alice", Some("alice-pw"))
        .send()
        .await
        .unwrap();
    let session = cookie_value(&set_cookie(&login, "JSESSIONID").unwrap());
    let both = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header(
            "cookie",
            format!("JSESSIONID={session}; crowd.token_key={bob}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(who(both).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn forwarded_for_is_believed_only_through_trusted_proxies() {
    let trusted = json!({ "trusted_proxies": ["172.16.0.9", "192.168.*.*", "10.0.0.0/8"] });
    let mock = crowd_mock(trusted, &[]).await;
    let token = token_at(&mock, "203.0.113.7").await;
    for proxy in ["172.16.0.9", "192.168.4.20", "10.20.30.40"] {
        let response = current_user(&mock, &token, proxy, Some("203.0.113.7")).await;
        assert_eq!(who(response).await.as_deref(), Some("alice"), "via {proxy}");
    }
    for (peer, xff) in [
        ("198.51.100.23", "203.0.113.7"),
        ("172.16.0.10", "203.0.113.7"),
        ("10.0.0.1", "203.0.113.7, 198.51.100.23"),
        ("10.0.0.1", "not-an-address"),
    ] {
        let response = current_user(&mock, &token, peer, Some(xff)).await;
        assert_eq!(who(response).await, None, "{peer} with {xff}");
    }
    // Behind two trusted hops, the walk reaches the client; the token was issued
    // with the same header, which is a factor too (F-CROWD-2).
    let chained = app(client().post(session_url(&mock)))
        .json(&json!({
            "username": "alice",
            "password": "alice-pw",
            "validation-factors": factors(&[
                ("remote_address", "203.0.113.7"),
                ("X-Forwarded-For", "203.0.113.7, 192.168.1.1"),
            ]),
        }))
        .send()
        .await
        .unwrap();
    let body: Value = chained.json().await.unwrap();
    let chained = body["token"].as_str().unwrap();
    let response = current_user(&mock, chained, "10.0.0.1", Some("203.0.113.7, 192.168.1.1")).await;
    assert_eq!(who(response).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn a_bad_trusted_proxy_entry_stops_the_mock_from_starting() {
    let config: MockConfig = serde_json::from_value(json!({
        "confluence": { "crowd": { "enabled": true, "trusted_proxies": ["proxy.example"] } }
    }))
    .unwrap();
    let error = start(&config).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("proxy.example"), "{error}");
}

#[tokio::test]
async fn form_login_sets_the_sso_cookie_and_logout_deletes_it() {
    let mock = crowd_mock(
        json!({ "secure_cookie": true, "cookie_domain": "example.com" }),
        &[],
    )
    .await;
    let login = form_login(&mock, "10.0.0.5").await;
    assert_eq!(login.status(), StatusCode::FOUND);
    let cookie = set_cookie(&login, "crowd.token_key").expect("the SSO cookie");
    let token = cookie_value(&cookie);
    // F-CROWD-1.
    assert_eq!(
        cookie,
        format!("crowd.token_key={token}; Domain=example.com; Path=/; Secure; HttpOnly")
    );
    // The login's session is bound to the login's address (F-CROWD-2).
    assert_eq!(
        who(current_user(&mock, &token, "10.0.0.5", None).await)
            .await
            .as_deref(),
        Some("alice")
    );
    assert_eq!(
        who(current_user(&mock, &token, "10.0.0.6", None).await).await,
        None
    );

    let logout = client()
        .get(format!("{}/logout.action", mock.base_url()))
        .header("cookie", format!("crowd.token_key={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_cookie(&logout, "crowd.token_key").as_deref(),
        Some("crowd.token_key=; Max-Age=0; Domain=example.com; Path=/; Secure; HttpOnly")
    );
    assert!(mock.idp().crowd().is_empty());
    assert_eq!(
        who(current_user(&mock, &token, "10.0.0.5", None).await).await,
        None
    );
}

#[tokio::test]
async fn without_secure_cookie_the_cookie_is_httponly_only_and_crowd_off_sets_none() {
    let mock = crowd_mock(json!({ "cookie_domain": "localhost" }), &[]).await;
    let login = form_login(&mock, "10.0.0.5").await;
    let cookie = set_cookie(&login, "crowd.token_key").unwrap();
    assert!(cookie.ends_with("; Path=/; HttpOnly"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");

    let off = mock_with(json!({})).await;
    let login = form_login(&off, "10.0.0.5").await;
    assert_eq!(login.status(), StatusCode::FOUND);
    assert!(set_cookie(&login, "crowd.token_key").is_none());
}

// ---- faults ----

#[tokio::test]
async fn crowd_ip_unbound_accepts_a_token_from_anywhere() {
    let mock = crowd_mock(json!({}), &[Fault::CrowdIpUnbound]).await;
    let token = token_at(&mock, "10.0.0.5").await;
    let response = current_user(&mock, &token, "198.51.100.23", None).await;
    assert_eq!(who(response).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn crowd_trust_any_xff_believes_an_untrusted_peer() {
    let mock = crowd_mock(json!({}), &[Fault::CrowdTrustAnyXff]).await;
    let token = token_at(&mock, "203.0.113.7").await;
    let response = current_user(&mock, &token, "198.51.100.23", Some("203.0.113.7")).await;
    assert_eq!(who(response).await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn crowd_cookie_insecure_drops_secure_and_httponly() {
    let mock = crowd_mock(
        json!({ "secure_cookie": true }),
        &[Fault::CrowdCookieInsecure],
    )
    .await;
    let login = form_login(&mock, "10.0.0.5").await;
    let cookie = set_cookie(&login, "crowd.token_key").unwrap();
    assert!(cookie.ends_with("; Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure") && !cookie.contains("HttpOnly"));
}

// ---- the runner's side ----

#[tokio::test]
async fn auth_crowd_sso_logs_in_at_the_bound_address_and_sends_the_cookie() {
    let mock = crowd_mock(json!({}), &[]).await;
    let scope = Scope::new();
    let url = url::Url::parse(mock.base_url()).unwrap();
    let http = client();
    let (keys, tokens) = (KeyRing::default(), TokenCache::default());
    let ctx = AuthContext {
        scope: &scope,
        method: "GET",
        url: &url,
        context_path: "",
        keys: &keys,
        idp_url: mock.idp_url(),
        http: &http,
        tokens: &tokens,
        jwts: None,
        now: 0,
        client_ip: Some("10.0.0.5"),
    };
    let as_app = |application: &str, application_password: &str, password: &str| {
        Auth::CrowdSso(CrowdSsoAuth {
            user: "alice".into(),
            password: password.into(),
            application: application.into(),
            application_password: application_password.into(),
        })
    };
    let auth = as_app(
        tollgate::wire::DEFAULT_CROWD_APPLICATION,
        tollgate::wire::DEFAULT_CROWD_APPLICATION_PASSWORD,
        "alice-pw",
    );
    let sent = credential(&compile::auth(&auth), &ctx).await.unwrap();
    let (name, token) = sent.cookie.clone().unwrap();
    assert_eq!(name, "crowd.token_key");
    assert!(sent.authorization.is_none());
    assert!(sent.secrets.contains(&token) && sent.secrets.contains(&"alice-pw".to_string()));
    assert_eq!(
        who(current_user(&mock, &token, "10.0.0.5", None).await)
            .await
            .as_deref(),
        Some("alice")
    );

    let wrong = as_app(
        tollgate::wire::DEFAULT_CROWD_APPLICATION,
        tollgate::wire::DEFAULT_CROWD_APPLICATION_PASSWORD,
        "nope",
    );
    let error = credential(&compile::auth(&wrong), &ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("INVALID_USER_AUTHENTICATION"), "{error}");

    // The application is the scenario's to name: one Crowd does not know is refused
    // before any user is checked.
    let stranger = as_app("not-confluence", "app-pw", "alice-pw");
    let error = credential(&compile::auth(&stranger), &ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("401"), "{error}");
}
