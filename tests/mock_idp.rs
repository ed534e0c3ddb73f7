//! The mock identity provider over real HTTP on 127.0.0.1:0 (discovery, JWKS,
//! every grant, RFC 7662 introspection, RFC 7009 revocation, userinfo with RFC 6750
//! errors, expiry on the mock's clock, garbage input, going down), and the REST-auth
//! plugin's bearer check against it (F-OAUTH-3/4, F-PLUG-7) with each of its faults.

use std::net::SocketAddr;
use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tollgate::auth::keys::{Alg, SigningKey};
use tollgate::mock::confluence::plugin_bearer::{
    BearerOutcome, FAIL_CLOSED_STATUS, FAULT_FALLBACK_USER, PluginBearerVerifier,
};
use tollgate::mock::{RunningMock, idp_addr, start, start_with_keys};
use tollgate::scenario::mock_config::{Fault, MockConfig};

const CLIENT: (&str, &str) = ("tollgate", "tollgate-secret");

async fn mock_with(config: Value) -> RunningMock {
    let config: MockConfig = serde_json::from_value(config).unwrap();
    start_with_keys(&config, &[]).await.unwrap()
}

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn post_form(
    mock: &RunningMock,
    path: &str,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> Response {
    let mut request = client()
        .post(format!("{}{path}", mock.idp_url()))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    request.send().await.unwrap()
}

async fn json_of(response: Response) -> Value {
    response.json().await.unwrap()
}

async fn password_grant(mock: &RunningMock) -> Value {
    let response = post_form(
        mock,
        "/token",
        Some(CLIENT),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_of(response).await
}

async fn introspect(mock: &RunningMock, token: &str) -> Value {
    let response = post_form(mock, "/introspect", Some(CLIENT), &[("token", token)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    json_of(response).await
}

async fn userinfo(mock: &RunningMock, token: &str) -> Response {
    client()
        .get(format!("{}/userinfo", mock.idp_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn error_code(body: &Value) -> &str {
    body["error"].as_str().unwrap_or("")
}

#[tokio::test]
async fn discovery_names_every_endpoint_and_the_jwks_verifies_issued_tokens() {
    let mock = start(&MockConfig::default()).await.unwrap();
    let idp = mock.idp_url().to_owned();
    assert_ne!(idp, mock.base_url());
    let doc = json_of(
        client()
            .get(format!("{idp}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(doc["issuer"], idp);
    for (field, path) in [
        ("token_endpoint", "/token"),
        ("introspection_endpoint", "/introspect"),
        ("userinfo_endpoint", "/userinfo"),
        ("revocation_endpoint", "/revoke"),
        ("jwks_uri", "/jwks"),
    ] {
        assert_eq!(doc[field], format!("{idp}{path}"), "{field}");
    }
    assert_eq!(
        doc["grant_types_supported"],
        json!(["client_credentials", "password", "refresh_token"])
    );

    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();
    let jwks = json_of(client().get(format!("{idp}/jwks")).send().await.unwrap()).await;
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let header = decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some("idp-rs256"));
    let jwk = set.find("idp-rs256").expect("kid = key name");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["confluence"]);
    validation.set_issuer(&[&idp]);
    let claims = decode::<Value>(token, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["username"], "alice");
    assert_eq!(claims["client_id"], "tollgate");
    assert_eq!(claims["scope"], "openid");
    assert!(claims["jti"].is_string() && claims["iat"].is_u64());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        300
    );
}

#[tokio::test]
async fn a_configured_signing_key_signs_and_an_hmac_key_is_refused() {
    let es = SigningKey::generate("corp-es256", Alg::ES256).unwrap();
    let config: MockConfig =
        serde_json::from_value(json!({ "idp": { "signing_key": "corp-es256" } })).unwrap();
    let mock = start_with_keys(&config, std::slice::from_ref(&es))
        .await
        .unwrap();
    let tokens = password_grant(&mock).await;
    let header = decode_header(tokens["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.kid.as_deref(), Some("corp-es256"));
    let jwks = json_of(
        client()
            .get(format!("{}/jwks", mock.idp_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(jwks["keys"][0]["kid"], "corp-es256");

    let hs = SigningKey::generate("corp-es256", Alg::HS256).unwrap();
    let err = start_with_keys(&config, &[hs]).await.unwrap_err();
    assert!(err.to_string().contains("HS256"), "{err}");
}

#[tokio::test]
async fn every_grant_issues_what_rfc_6749_says() {
    let mock = start(&MockConfig::default()).await.unwrap();

    let response = post_form(
        &mock,
        "/token",
        Some(CLIENT),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "read write"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cc = json_of(response).await;
    assert_eq!(cc["token_type"], "Bearer");
    assert_eq!(cc["expires_in"], 300);
    assert_eq!(cc["scope"], "read write");
    assert!(cc.get("refresh_token").is_none(), "{cc}");
    let info = introspect(&mock, cc["access_token"].as_str().unwrap()).await;
    assert_eq!(info["sub"], "tollgate");
    assert!(info.get("username").is_none());

    // client_secret_post works as well as Basic.
    let response = post_form(
        &mock,
        "/token",
        None,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
            ("client_id", CLIENT.0),
            ("client_secret", CLIENT.1),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let pw = json_of(response).await;
    let refresh = pw["refresh_token"].as_str().unwrap().to_owned();

    let response = post_form(
        &mock,
        "/token",
        Some(CLIENT),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed = json_of(response).await;
    assert_ne!(refreshed["access_token"], pw["access_token"]);
    assert_ne!(refreshed["refresh_token"], pw["refresh_token"]);
    let info = introspect(&mock, refreshed["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (info["active"].clone(), info["username"].clone()),
        (json!(true), json!("alice"))
    );

    // Refresh tokens rotate: the old one is spent.
    let response = post_form(
        &mock,
        "/token",
        Some(CLIENT),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&json_of(response).await), "invalid_grant");
}

/// Client (Basic), form, expected status and `error`.
type TokenCase<'a> = (
    Option<(&'a str, &'a str)>,
    Vec<(&'a str, &'a str)>,
    StatusCode,
    &'a str,
);

#[tokio::test]
async fn client_and_grant_failures_get_their_rfc_6749_errors() {
    let mock = mock_with(json!({ "idp": { "clients": [
        { "id": "tollgate", "secret": "tollgate-secret", "grants": ["password", "refresh_token"] },
        { "id": "machine", "secret": "m", "grants": ["client_credentials"] }
    ] } }))
    .await;
    let cases: Vec<TokenCase> = vec![
        (
            None,
            vec![("grant_type", "client_credentials")],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(("tollgate", "wrong")),
            vec![("grant_type", "password")],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(("nobody", "x")),
            vec![("grant_type", "password")],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(CLIENT),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "tollgate"),
                ("client_secret", "tollgate-secret"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(CLIENT),
            vec![("grant_type", "client_credentials")],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
        ),
        (
            Some(("machine", "m")),
            vec![
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "alice-pw"),
            ],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
        ),
        (
            Some(CLIENT),
            vec![
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "nope"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            Some(CLIENT),
            vec![
                ("grant_type", "password"),
                ("username", "mallory"),
                ("password", "alice-pw"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            Some(CLIENT),
            vec![("grant_type", "password"), ("username", "alice")],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(CLIENT),
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "made-up"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        ),
        (
            Some(CLIENT),
            vec![("grant_type", "authorization_code")],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            Some(CLIENT),
            vec![],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (basic, form, status, code) in cases {
        let response = post_form(&mock, "/token", basic, &form).await;
        assert_eq!(response.status(), status, "{basic:?} {form:?}");
        if status == StatusCode::UNAUTHORIZED {
            assert_eq!(
                response.headers()[WWW_AUTHENTICATE],
                "Basic realm=\"tollgate-idp\""
            );
        }
        assert_eq!(
            error_code(&json_of(response).await),
            code,
            "{basic:?} {form:?}"
        );
    }
    let response = post_form(
        &mock,
        "/token",
        Some(("machine", "m")),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn introspection_requires_a_client_and_tells_active_from_inactive() {
    let mock = start(&MockConfig::default()).await.unwrap();
    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();

    let response = post_form(&mock, "/introspect", None, &[("token", token)]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&json_of(response).await), "invalid_client");
    let response = post_form(
        &mock,
        "/introspect",
        Some(("tollgate", "x")),
        &[("token", token)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = post_form(&mock, "/introspect", Some(CLIENT), &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let info = introspect(&mock, token).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["username"], "alice");
    assert_eq!(info["sub"], "alice");
    assert_eq!(info["client_id"], "tollgate");
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["aud"], "confluence");
    assert_eq!(info["iss"], mock.idp_url());
    assert_eq!(info["scope"], "openid");
    for field in ["exp", "iat", "jti"] {
        assert!(!info[field].is_null(), "{field}");
    }
    // Inactive is `active` alone (RFC 7662 §2.2), and refresh tokens never pass
    // for access tokens.
    assert_eq!(
        introspect(&mock, "made-up").await,
        json!({ "active": false })
    );
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&mock, refresh).await, json!({ "active": false }));
}

#[tokio::test]
async fn revocation_always_answers_200_and_kills_the_token_everywhere() {
    let mock = start(&MockConfig::default()).await.unwrap();
    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&mock, token).await.status(), StatusCode::OK);

    let response = post_form(&mock, "/revoke", None, &[("token", token)]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = post_form(&mock, "/revoke", Some(CLIENT), &[("token", token)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(introspect(&mock, token).await, json!({ "active": false }));
    assert_eq!(
        userinfo(&mock, token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = post_form(&mock, "/revoke", Some(CLIENT), &[("token", "never-issued")]).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Revoking a refresh token ends its grant's access tokens too (RFC 7009 §2.1).
    let tokens = password_grant(&mock).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = post_form(
        &mock,
        "/revoke",
        Some(CLIENT),
        &[("token", refresh), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(introspect(&mock, access).await["active"], false);
    let response = post_form(
        &mock,
        "/token",
        Some(CLIENT),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn userinfo_answers_claims_or_an_rfc_6750_challenge() {
    let mock = mock_with(json!({ "idp": { "users": [
        { "name": "alice", "password": "alice-pw", "claims": { "email": "alice@corp", "sub": "spoof" } }
    ] } }))
    .await;
    let tokens = password_grant(&mock).await;
    let response = userinfo(&mock, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_of(response).await;
    assert_eq!(body["sub"], "alice", "extra claims never override sub");
    assert_eq!(body["preferred_username"], "alice");
    assert_eq!(body["username"], "alice");
    assert_eq!(body["email"], "alice@corp");

    let response = client()
        .get(format!("{}/userinfo", mock.idp_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer ") && !challenge.contains("error="),
        "{challenge}"
    );

    let response = userinfo(&mock, "garbage").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

#[tokio::test]
async fn tokens_expire_on_the_mock_clock() {
    let mock = start(&MockConfig::default()).await.unwrap();
    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    // One clock for both sides: advancing Confluence's expires the IdP's tokens
    // (whole seconds, so 298 leaves a second of margin before exp at 300).
    mock.state().clock().advance(Duration::from_secs(298));
    assert_eq!(introspect(&mock, token).await["active"], true);
    mock.idp().clock().advance(Duration::from_secs(3));
    assert_eq!(introspect(&mock, token).await, json!({ "active": false }));
    assert_eq!(
        userinfo(&mock, token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The refresh token (3600 s) outlives it…
    let response = post_form(
        &mock,
        "/token",
        Some(CLIENT),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let refresh = json_of(response).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // …until its own end.
    mock.idp().clock().advance(Duration::from_secs(3600));
    let response = post_form(
        &mock,
        "/token",
        Some(CLIENT),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn opaque_tokens_are_not_jwts_but_introspect() {
    let mock = mock_with(json!({ "idp": { "format": "opaque" } })).await;
    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();
    assert!(!token.contains('.') && token.len() >= 43, "{token}");
    assert_eq!(introspect(&mock, token).await["username"], "alice");
}

#[tokio::test]
async fn garbage_is_a_400_and_the_idp_keeps_serving() {
    let mock = start(&MockConfig::default()).await.unwrap();
    let url = format!("{}/token", mock.idp_url());
    let http = client();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", br#"{"grant_type":"password"}"#.to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=password&grant_type=client_credentials".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x80, b'&', b'%', b'%'],
        ),
        (
            "application/x-www-form-urlencoded",
            "a=1&".repeat(10_000).into_bytes(),
        ),
        ("text/plain", b"\x00\x01\x02".to_vec()),
    ];
    for (content_type, body) in bodies {
        for path in ["/token", "/introspect", "/revoke"] {
            let response = http
                .post(format!("{}{path}", mock.idp_url()))
                .basic_auth(CLIENT.0, Some(CLIENT.1))
                .header(CONTENT_TYPE, content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{path} {content_type}"
            );
            assert_eq!(error_code(&json_of(response).await), "invalid_request");
        }
    }
    for authorization in ["Basic !!!", "Basic", "Basic Zm9v", "Bearer x"] {
        let response = http
            .post(&url)
            .header(AUTHORIZATION, authorization)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization}"
        );
    }
    for authorization in [&b"Bearer \xff\xfe"[..], b"Bearer", b"bearer  "] {
        let response = http
            .get(format!("{}/userinfo", mock.idp_url()))
            .header(
                AUTHORIZATION,
                reqwest::header::HeaderValue::from_bytes(authorization).unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Not even HTTP.
    let addr: SocketAddr = mock
        .idp_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"\x16\x03\x01garbage\r\n\r\n")
        .await
        .unwrap();
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut sink)).await;

    let response = http
        .get(format!("{}/__tollgate/health", mock.idp_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = http
        .get(format!("{}/nothing", mock.idp_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn going_down_refuses_later_connections_and_leaves_confluence_up() {
    let mock = start(&MockConfig::default()).await.unwrap();
    let response = client()
        .post(format!("{}/__tollgate/down", mock.idp_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let addr: SocketAddr = mock
        .idp_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let refused = async {
        loop {
            match TcpStream::connect(addr).await {
                Err(e) => break e.kind(),
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    };
    let kind = tokio::time::timeout(Duration::from_secs(5), refused)
        .await
        .expect("the IdP stops accepting");
    assert_eq!(kind, std::io::ErrorKind::ConnectionRefused);
    assert!(
        client()
            .get(format!("{}/jwks", mock.idp_url()))
            .send()
            .await
            .is_err()
    );
    let response = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    mock.shutdown().await;
}

#[test]
fn the_idp_listens_on_the_port_after_confluence() {
    let fixed: SocketAddr = "0.0.0.0:8090".parse().unwrap();
    assert_eq!(idp_addr(fixed).unwrap(), "0.0.0.0:8091".parse().unwrap());
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    assert_eq!(idp_addr(any).unwrap(), any);
    assert!(idp_addr("127.0.0.1:65535".parse().unwrap()).is_err());
}

// ---- The plugin's bearer check (F-OAUTH-3/4, F-PLUG-7) ----

async fn plugin_mock(plugin: Value, faults: &[Fault], idp: Value) -> RunningMock {
    let faults: Vec<&str> = faults.iter().map(Fault::name).collect();
    mock_with(json!({
        "confluence": { "plugin": plugin, "faults": faults },
        "idp": idp,
    }))
    .await
}

fn verifier(mock: &RunningMock) -> &PluginBearerVerifier {
    mock.plugin_bearer().expect("a plugin is configured")
}

async fn verify(mock: &RunningMock, token: &str) -> BearerOutcome {
    verifier(mock)
        .verify(Some(&format!("Bearer {token}")))
        .await
}

fn user(name: &str) -> BearerOutcome {
    BearerOutcome::User { name: name.into() }
}

fn status(outcome: &BearerOutcome) -> Option<u16> {
    match outcome {
        BearerOutcome::Reject { status, .. } => Some(*status),
        _ => None,
    }
}

async fn take_down(mock: &RunningMock) {
    let response = client()
        .post(format!("{}/__tollgate/down", mock.idp_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let addr: SocketAddr = mock
        .idp_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    while TcpStream::connect(addr).await.is_ok() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn revoke(mock: &RunningMock, token: &str) {
    let response = post_form(mock, "/revoke", Some(CLIENT), &[("token", token)]).await;
    assert_eq!(response.status(), StatusCode::OK);
}

fn introspection() -> Value {
    json!({ "bearer": { "introspection": true } })
}

#[tokio::test]
async fn introspection_plugin_accepts_active_refuses_inactive_and_fails_closed() {
    let mock = plugin_mock(introspection(), &[], json!({ "format": "opaque" })).await;
    let plugin = verifier(&mock);
    assert_eq!(plugin.verify(None).await, BearerOutcome::NotBearer);
    assert_eq!(
        plugin.verify(Some("Basic YTpi")).await,
        BearerOutcome::NotBearer
    );
    assert_eq!(status(&plugin.verify(Some("Bearer a b")).await), Some(401));

    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(verify(&mock, token).await, user("alice"));
    assert_eq!(status(&verify(&mock, "made-up").await), Some(401));
    // Every request asks: a revoked token is refused at once.
    revoke(&mock, token).await;
    assert_eq!(status(&verify(&mock, token).await), Some(401));

    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();
    take_down(&mock).await;
    assert_eq!(
        status(&verify(&mock, token).await),
        Some(FAIL_CLOSED_STATUS)
    );
}

#[tokio::test]
async fn the_username_attribute_and_reject_status_are_configurable() {
    let mock = plugin_mock(
        json!({ "bearer": { "introspection": true }, "username_attribute": "client_id", "reject_status": 403 }),
        &[],
        json!({}),
    )
    .await;
    let token = password_grant(&mock).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify(&mock, &token).await, user("tollgate"));
    assert_eq!(status(&verify(&mock, "made-up").await), Some(403));
}

#[tokio::test]
async fn fault_introspection_inactive_accepted_lets_inactive_tokens_in() {
    let mock = plugin_mock(
        introspection(),
        &[Fault::IntrospectionInactiveAccepted],
        json!({}),
    )
    .await;
    let tokens = password_grant(&mock).await;
    let token = tokens["access_token"].as_str().unwrap();
    revoke(&mock, token).await;
    // As the user the (revoked) JWT claims; an opaque made-up one as the fallback.
    assert_eq!(verify(&mock, token).await, user("alice"));
    assert_eq!(verify(&mock, "made-up").await, user(FAULT_FALLBACK_USER));
    // Only that check is broken: the IdP going down still fails closed.
    take_down(&mock).await;
    assert_eq!(
        status(&verify(&mock, token).await),
        Some(FAIL_CLOSED_STATUS)
    );
}

#[tokio::test]
async fn fault_introspection_fail_open_lets_tokens_in_while_the_idp_is_down() {
    let mock = plugin_mock(introspection(), &[Fault::IntrospectionFailOpen], json!({})).await;
    let token = password_grant(&mock).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        status(&verify(&mock, "made-up").await),
        Some(401),
        "inactive still refused"
    );
    take_down(&mock).await;
    assert_eq!(verify(&mock, &token).await, user("alice"));
    assert_eq!(verify(&mock, "made-up").await, user(FAULT_FALLBACK_USER));
}

#[tokio::test]
async fn fault_revoked_token_cached_keeps_revoked_tokens_working_until_exp() {
    let mock = plugin_mock(introspection(), &[Fault::RevokedTokenCached], json!({})).await;
    let token = password_grant(&mock).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify(&mock, &token).await, user("alice"));
    revoke(&mock, &token).await;
    assert_eq!(
        verify(&mock, &token).await,
        user("alice"),
        "served from the cache"
    );
    assert_eq!(status(&verify(&mock, "made-up").await), Some(401));
    mock.idp().clock().advance(Duration::from_secs(301));
    assert_eq!(
        status(&verify(&mock, &token).await),
        Some(401),
        "the cache ends at exp"
    );
}

fn jwt_plugin(audience: &str) -> Value {
    json!({ "bearer": { "jwt": {
        "keys": ["idp"], "username_claim": "email", "username_regex": "^(.+)@corp$", "audience": audience
    } } })
}

fn corp_alice(audience: &str) -> Value {
    json!({ "audience": audience, "users": [
        { "name": "alice", "password": "alice-pw", "claims": { "email": "alice@corp" } }
    ] })
}

#[tokio::test]
async fn jwt_plugin_verifies_signature_expiry_audience_and_maps_the_user() {
    let mock = plugin_mock(jwt_plugin("confluence"), &[], corp_alice("confluence")).await;
    let token = password_grant(&mock).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify(&mock, &token).await, user("alice"));

    // A signature from another key, a tampered payload, garbage, no user.
    let other = SigningKey::generate("idp-rs256", Alg::RS256).unwrap();
    let claims = json!({ "email": "alice@corp", "aud": "confluence", "exp": 4_000_000_000u64 });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("idp-rs256".into());
    let forged = jsonwebtoken::encode(&header, &claims, other.encoding_key()).unwrap();
    assert_eq!(status(&verify(&mock, &forged).await), Some(401));
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"{"email":"admin@corp","aud":"confluence","exp":4000000000}"#,
    );
    parts[1] = &forged_payload;
    assert_eq!(status(&verify(&mock, &parts.join(".")).await), Some(401));
    for garbage in ["a.b.c", "x", "e30.e30.e30"] {
        assert_eq!(
            status(&verify(&mock, garbage).await),
            Some(401),
            "{garbage}"
        );
    }

    // Revocation is invisible to JWT validation (only introspection sees it);
    // expiry is not.
    mock.idp().clock().advance(Duration::from_secs(301));
    assert_eq!(status(&verify(&mock, &token).await), Some(401));
}

#[tokio::test]
async fn jwt_plugin_refuses_an_unmapped_user_and_another_audience() {
    let mock = plugin_mock(jwt_plugin("confluence"), &[], corp_alice("other-app")).await;
    let token = password_grant(&mock).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(status(&verify(&mock, &token).await), Some(401));

    let mock = plugin_mock(jwt_plugin("confluence"), &[], json!({})).await;
    let token = password_grant(&mock).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        status(&verify(&mock, &token).await),
        Some(401),
        "no email claim"
    );
}

#[tokio::test]
async fn fault_jwt_audience_ignored_accepts_tokens_for_another_audience() {
    let mock = plugin_mock(
        jwt_plugin("confluence"),
        &[Fault::JwtAudienceIgnored],
        corp_alice("other-app"),
    )
    .await;
    let token = password_grant(&mock).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify(&mock, &token).await, user("alice"));
    // Only the audience: expiry still counts.
    mock.idp().clock().advance(Duration::from_secs(301));
    assert_eq!(status(&verify(&mock, &token).await), Some(401));
}

#[tokio::test]
async fn jwt_plugin_with_a_scenario_key_and_a_misconfigured_plugin() {
    let key = SigningKey::generate("partner-es256", Alg::ES256).unwrap();
    let config: MockConfig =
        serde_json::from_value(json!({ "confluence": { "plugin": { "bearer": { "jwt": {
        "keys": ["partner-es256"], "issuer": "partner"
    } } } } }))
        .unwrap();
    let mock = start_with_keys(&config, std::slice::from_ref(&key))
        .await
        .unwrap();
    let sign = |claims: Value| jwtoken(&key, &claims);
    let good = sign(json!({ "sub": "bob", "iss": "partner", "exp": 4_000_000_000u64 }));
    assert_eq!(verify(&mock, &good).await, user("bob"));
    let wrong_iss = sign(json!({ "sub": "bob", "iss": "evil", "exp": 4_000_000_000u64 }));
    assert_eq!(status(&verify(&mock, &wrong_iss).await), Some(401));
    let no_exp = sign(json!({ "sub": "bob", "iss": "partner" }));
    assert_eq!(status(&verify(&mock, &no_exp).await), Some(401));

    for plugin in [
        json!({ "bearer": { "introspection": true, "jwt": {} } }),
        json!({ "bearer": { "jwt": { "keys": ["missing"] } } }),
        json!({ "bearer": { "jwt": { "keys": ["idp"], "username_regex": "(" } } }),
    ] {
        let config: MockConfig =
            serde_json::from_value(json!({ "confluence": { "plugin": plugin } })).unwrap();
        assert!(start(&config).await.is_err(), "{plugin}");
    }
}

fn jwtoken(key: &SigningKey, claims: &Value) -> String {
    let header = jsonwebtoken::Header::new(tollgate::auth::keys::algorithm(key.alg()));
    jsonwebtoken::encode(&header, claims, key.encoding_key()).unwrap()
}
