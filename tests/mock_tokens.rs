//! The mock's token features over real HTTP on 127.0.0.1:0: personal access
//! tokens (F-PAT-1..4), Confluence's own OAuth 2 provider (F-OAUTH-1/2), the
//! `/rest/token-auth/api/` mirror (F-TOKAUTH-1..3), and garbage tokens that must
//! never take the server down.

mod common;

use common::{basic, client, header, mock_with};

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Response;
use reqwest::header::{SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tollgate::mock::RunningMock;

const NOT_AUTHENTICATED: &str = "Client must be authenticated to access this resource.";

async fn get_auth(mock: &RunningMock, path: &str, authorization: &str) -> Response {
    client()
        .get(format!("{}{path}", mock.base_url()))
        .header("Authorization", authorization)
        .send()
        .await
        .unwrap()
}

/// `/rest/api/user/current` with this `Authorization`: `(type, username)`.
async fn who(mock: &RunningMock, authorization: &str) -> (String, Option<String>) {
    let response = get_auth(mock, "/rest/api/user/current", authorization).await;
    assert_eq!(response.status(), 200, "user/current is anonymous-allowed");
    let body: Value = response.json().await.unwrap();
    (
        body["type"].as_str().unwrap().to_owned(),
        body["username"].as_str().map(str::to_owned),
    )
}

async fn create_pat(mock: &RunningMock, auth: &str, body: Value) -> Response {
    client()
        .post(format!("{}/rest/pat/latest/tokens", mock.base_url()))
        .header("Authorization", auth)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Alice's new token: `(id, rawToken)`.
async fn alice_pat(mock: &RunningMock, days: Option<u32>) -> (u64, String) {
    let mut body = json!({ "name": "test" });
    if let Some(days) = days {
        body["expirationDuration"] = json!(days);
    }
    let response = create_pat(mock, &basic("alice", "alice-pw"), body).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (
        body["id"].as_u64().unwrap(),
        body["rawToken"].as_str().unwrap().to_owned(),
    )
}

fn two_users() -> Value {
    json!([
        { "name": "alice", "password": "alice-pw" },
        { "name": "bob", "password": "bob-pw" },
    ])
}

// ---------------------------------------------------------------- F-PAT-3/4

/// Issue 12: `max_expiry_days: 4294967295` (the loader now refuses it; code can
/// still build it) with a matching `expirationDuration` overflowed the expiry
/// date and panicked the connection. An expiry the mock cannot write is a 400
/// like any other (F-PAT-4).
#[tokio::test]
async fn an_expiry_past_the_last_date_is_a_400_not_a_panic() {
    let mut config = tollgate::scenario::mock_config::MockConfig::default();
    config.confluence.pats.max_expiry_days = u32::MAX;
    let mock = tollgate::mock::start(&config).await.unwrap();
    for days in [json!(u32::MAX), json!(3_000_000), json!(i64::MAX)] {
        let response = create_pat(
            &mock,
            &basic("alice", "alice-pw"),
            json!({ "name": "far", "expirationDuration": days }),
        )
        .await;
        assert_eq!(response.status(), 400, "{days}");
    }
    let (_, raw) = alice_pat(&mock, Some(36_500)).await;
    assert_eq!(raw.len(), 44);
}

#[tokio::test]
async fn creating_a_pat_answers_201_with_a_44_char_token_of_id_colon_20_bytes() {
    let mock = mock_with(json!({})).await;
    let response = create_pat(
        &mock,
        &basic("alice", "alice-pw"),
        json!({ "name": "ci", "expirationDuration": 90 }),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in ["id", "name", "createdAt", "expiringAt", "rawToken"] {
        assert!(keys.contains(&key), "{key} in {body}");
    }
    assert_eq!(body["name"], "ci");
    let stamp = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$").unwrap();
    assert!(
        stamp.is_match(body["createdAt"].as_str().unwrap()),
        "{body}"
    );
    assert!(
        stamp.is_match(body["expiringAt"].as_str().unwrap()),
        "{body}"
    );
    assert!(body["createdAt"].as_str() < body["expiringAt"].as_str());

    let raw = body["rawToken"].as_str().unwrap();
    assert_eq!(raw.len(), 44);
    let bytes = STANDARD.decode(raw).unwrap();
    assert_eq!(bytes.len(), 33);
    let id_part = std::str::from_utf8(&bytes[..12]).unwrap();
    assert!(id_part.bytes().all(|b| b.is_ascii_digit()), "{id_part}");
    assert_eq!(bytes[12], b':');
    assert_eq!(
        id_part.parse::<u64>().unwrap(),
        body["id"].as_u64().unwrap()
    );

    // Two tokens never share a secret.
    let (_, other) = alice_pat(&mock, None).await;
    assert_ne!(STANDARD.decode(other).unwrap()[13..], bytes[13..]);
}

#[tokio::test]
async fn pat_creation_is_limited_and_validated() {
    let mock = mock_with(json!({})).await;
    let alice = basic("alice", "alice-pw");
    let cases = [
        json!({ "name": "x", "expirationDuration": 366 }),
        json!({ "name": "x", "expirationDuration": 0 }),
        json!({ "name": "x", "expirationDuration": -5 }),
        json!({ "name": "" }),
        json!({ "expirationDuration": 5 }),
        json!({ "name": "x".repeat(300) }),
        // F-PAT-4: at most 40 characters.
        json!({ "name": "x".repeat(41) }),
        json!({ "name": "   " }),
        json!({ "name": "x", "expirationDuration": "ten" }),
    ];
    for case in cases {
        let response = create_pat(&mock, &alice, case.clone()).await;
        assert_eq!(response.status(), 400, "{case}");
    }
    let garbage = client()
        .post(format!("{}/rest/pat/latest/tokens", mock.base_url()))
        .header("Authorization", &alice)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);

    // F-PAT-4: ten per user (one more is the plugin's 403); the 365-day maximum
    // and a 40-character name are allowed; no expiry allowed.
    let (_, _) = alice_pat(&mock, Some(365)).await;
    let forty = create_pat(&mock, &alice, json!({ "name": "x".repeat(40) })).await;
    assert_eq!(forty.status(), 201);
    for _ in 2..10 {
        alice_pat(&mock, None).await;
    }
    let eleventh = create_pat(&mock, &alice, json!({ "name": "eleventh" })).await;
    assert_eq!(eleventh.status(), 403);
    let listed: Value = get_auth(&mock, "/rest/pat/latest/tokens", &alice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 10);
    assert!(listed.to_string().find("rawToken").is_none());
}

#[tokio::test]
async fn only_the_owner_sees_lists_and_revokes_a_token() {
    let mock = mock_with(json!({ "users": two_users() })).await;
    let (id, raw) = alice_pat(&mock, Some(30)).await;
    let (alice, bob) = (basic("alice", "alice-pw"), basic("bob", "bob-pw"));
    let path = format!("/rest/pat/latest/tokens/{id}");

    let own = get_auth(&mock, &path, &alice).await;
    assert_eq!(own.status(), 200);
    let own: Value = own.json().await.unwrap();
    assert_eq!(own["id"].as_u64(), Some(id));
    assert!(own.get("rawToken").is_none());

    // F-PAT-3: another user's token is the plugin's AuthorisationException, 401.
    let bob_get = get_auth(&mock, &path, &bob).await;
    assert_eq!(bob_get.status(), 401);
    assert!(
        bob_get
            .text()
            .await
            .unwrap()
            .contains("has no access to token")
    );
    let bobs: Value = get_auth(&mock, "/rest/pat/latest/tokens", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bobs, json!([]));
    let url = format!("{}{path}", mock.base_url());
    let bob_delete = client()
        .delete(&url)
        .header("Authorization", &bob)
        .send()
        .await
        .unwrap();
    assert_eq!(bob_delete.status(), 401);
    assert_eq!(who(&mock, &format!("Bearer {raw}")).await.0, "known");

    let delete = client()
        .delete(&url)
        .header("Authorization", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);
    assert_eq!(get_auth(&mock, &path, &alice).await.status(), 404);
    // Deleting what nobody holds is still 204.
    let again = client()
        .delete(&url)
        .header("Authorization", &alice)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
    assert_eq!(
        get_auth(&mock, "/rest/pat/latest/tokens/not-a-number", &alice)
            .await
            .status(),
        404
    );
    // F-PAT-2: the revoked token is not refused, only anonymous.
    assert_eq!(
        who(&mock, &format!("Bearer {raw}")).await,
        ("anonymous".into(), None)
    );
}

#[tokio::test]
async fn pat_management_needs_an_authenticated_user_a_pat_included() {
    let mock = mock_with(json!({})).await;
    let anonymous = client()
        .get(format!("{}/rest/pat/latest/tokens", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.text().await.unwrap().contains(NOT_AUTHENTICATED));
    let (_, raw) = alice_pat(&mock, None).await;
    // The plugin's TokensResource asks only that the caller be authenticated.
    let with_pat = create_pat(&mock, &format!("Bearer {raw}"), json!({ "name": "n" })).await;
    assert_eq!(with_pat.status(), 201);
    let disabled = mock_with(json!({ "pats": { "enabled": false } })).await;
    let response = get_auth(
        &disabled,
        "/rest/pat/latest/tokens",
        &basic("alice", "alice-pw"),
    )
    .await;
    assert_eq!(response.status(), 404);
}

// ---------------------------------------------------------------- F-PAT-1/2

#[tokio::test]
async fn a_valid_pat_authenticates_with_ok_and_username_and_keeps_no_session() {
    let mock = mock_with(json!({})).await;
    let (_, raw) = alice_pat(&mock, Some(1)).await;
    let response = get_auth(&mock, "/rest/api/space", &format!("Bearer {raw}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-seraph-loginreason"), Some("OK"));
    assert_eq!(header(&response, "x-ausername"), Some("alice"));
    // F-PAT-4: the session is invalidated after each PAT request: none is handed out.
    assert!(response.headers().get(SET_COOKIE).is_none());
    assert!(response.headers().get("cache-control").is_none());
}

#[tokio::test]
async fn the_bearer_header_must_be_bearer_and_the_token_split_as_string_utils_splits() {
    let mock = mock_with(json!({})).await;
    let (_, raw) = alice_pat(&mock, None).await;
    for value in [
        format!("bearer {raw}"),
        format!("BEARER {raw}"),
        format!("Bearer {raw} x"),
        format!("Bearer\t{raw}"),
        // (Leading and trailing blanks are not part of a field value in HTTP.)
        format!("Token {raw}"),
        raw.clone(),
    ] {
        let (kind, user) = who(&mock, &value).await;
        assert_eq!((kind.as_str(), user), ("anonymous", None), "{value:?}");
    }
    // commons-lang's `StringUtils.split` merges adjacent spaces: still two parts.
    for value in [format!("Bearer {raw}"), format!("Bearer  {raw}")] {
        assert_eq!(
            who(&mock, &value).await.1.as_deref(),
            Some("alice"),
            "{value:?}"
        );
    }
}

#[tokio::test]
async fn dead_pats_make_the_request_anonymous_never_a_401_by_themselves() {
    let expired = STANDARD.encode([b"000000000007:".as_slice(), &[7u8; 20]].concat());
    let revoked = STANDARD.encode([b"000000000008:".as_slice(), &[8u8; 20]].concat());
    let live = STANDARD.encode([b"000000000009:".as_slice(), &[9u8; 20]].concat());
    let mock = mock_with(json!({
        "users": two_users(),
        "pats": { "tokens": [
            { "user": "alice", "name": "e", "expired": true, "value": expired },
            { "user": "alice", "name": "r", "revoked": true, "value": revoked },
            { "user": "bob", "name": "l", "expires_in": "1h", "value": live },
            { "user": "alice", "name": "generated" },
        ] }
    }))
    .await;
    let unknown = STANDARD.encode([b"000000000999:".as_slice(), &[9u8; 20]].concat());
    let wrong_secret = STANDARD.encode([b"000000000009:".as_slice(), &[1u8; 20]].concat());
    for token in [&expired, &revoked, &unknown, &wrong_secret] {
        let response = get_auth(&mock, "/rest/api/user/current", &format!("Bearer {token}")).await;
        assert_eq!(response.status(), 200);
        assert!(header(&response, "x-ausername").is_none());
        assert!(header(&response, "x-seraph-loginreason").is_none());
        assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "anonymous", "{token}");
        // A resource that needs a user answers as it answers anyone anonymous
        // (the PAT resource is not anonymous-allowed, F-ANON-3).
        let space = get_auth(&mock, "/rest/pat/latest/tokens", &format!("Bearer {token}")).await;
        assert_eq!(space.status(), 401);
        let challenges: Vec<_> = space.headers().get_all(WWW_AUTHENTICATE).iter().collect();
        assert!(
            challenges
                .iter()
                .all(|c| !c.to_str().unwrap().contains("Bearer"))
        );
        assert!(space.text().await.unwrap().contains(NOT_AUTHENTICATED));
    }
    assert_eq!(
        who(&mock, &format!("Bearer {live}")).await.1.as_deref(),
        Some("bob")
    );
    // Expiry follows the mock's clock.
    mock.state().clock().advance(Duration::from_secs(3600));
    assert_eq!(who(&mock, &format!("Bearer {live}")).await.0, "anonymous");
}

#[tokio::test]
async fn a_created_pat_expires_on_the_mock_clock_and_reset_forgets_it() {
    let mock = mock_with(json!({})).await;
    let (_, raw) = alice_pat(&mock, Some(2)).await;
    mock.state().clock().advance(Duration::from_secs(86_400));
    assert_eq!(who(&mock, &format!("Bearer {raw}")).await.0, "known");
    mock.state().clock().advance(Duration::from_secs(86_400));
    assert_eq!(who(&mock, &format!("Bearer {raw}")).await.0, "anonymous");
    let (_, fresh) = alice_pat(&mock, None).await;
    let reset = client()
        .post(format!("{}/__tollgate/reset", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    assert_eq!(who(&mock, &format!("Bearer {fresh}")).await.0, "anonymous");
}

#[tokio::test]
async fn a_session_comes_before_a_dead_pat_and_a_pat_of_a_locked_out_user_is_anonymous() {
    let mock = mock_with(json!({
        "users": [{ "name": "alice", "password": "alice-pw" },
                  { "name": "carol", "password": "carol-pw", "can_login": false }],
        "pats": { "tokens": [{ "user": "carol", "name": "c",
            "value": STANDARD.encode([b"000000000001:".as_slice(), &[1u8; 20]].concat()) }] }
    }))
    .await;
    let carol = STANDARD.encode([b"000000000001:".as_slice(), &[1u8; 20]].concat());
    assert_eq!(who(&mock, &format!("Bearer {carol}")).await.0, "anonymous");
    let login = get_auth(&mock, "/rest/api/user/current", &basic("alice", "alice-pw")).await;
    let cookie = header(&login, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let response = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header("Cookie", cookie)
        .header(
            "Authorization",
            "Bearer MDAwMDAwMDAwOTk5OhERERERERERERERERERERERERER",
        )
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["username"], "alice");
}

// ---------------------------------------------------------------- F-OAUTH-1/2

const REDIRECT: &str = "http://localhost:9999/cb";

async fn oauth_mock() -> RunningMock {
    mock_with(json!({ "native_oauth": { "clients": [
        { "id": "app", "secret": "app-secret", "redirect_uri": REDIRECT }
    ] } }))
    .await
}

fn challenge_of(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn authorize(mock: &RunningMock, query: &str, auth: Option<&str>) -> Response {
    let mut request = client().get(format!(
        "{}/rest/oauth2/latest/authorize?{query}",
        mock.base_url()
    ));
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    request.send().await.unwrap()
}

/// A code for alice, with PKCE `verifier`.
async fn code_for_alice(mock: &RunningMock, verifier: &str) -> String {
    let query = format!(
        "client_id=app&redirect_uri={}&response_type=code&state=st&code_challenge={}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>(),
        challenge_of(verifier)
    );
    let response = authorize(mock, &query, Some(&basic("alice", "alice-pw"))).await;
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(header(&response, "location").unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let params: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    assert_eq!(params[1], ("state".into(), "st".into()));
    assert_eq!(params[0].0, "code");
    params[0].1.clone()
}

async fn token(mock: &RunningMock, form: &[(&str, &str)]) -> Response {
    client()
        .post(format!("{}/rest/oauth2/latest/token", mock.base_url()))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn exchange(mock: &RunningMock, code: &str, verifier: &str) -> Response {
    token(
        mock,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "app"),
            ("client_secret", "app-secret"),
            ("code_verifier", verifier),
        ],
    )
    .await
}

#[tokio::test]
async fn the_code_flow_with_pkce_issues_tokens_that_authenticate_privately() {
    let mock = oauth_mock().await;
    let verifier = "v".repeat(50);
    let code = code_for_alice(&mock, &verifier).await;
    let response = exchange(&mock, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();

    let response = get_auth(&mock, "/rest/api/space", &format!("Bearer {access}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), Some("private"));
    assert_eq!(header(&response, "x-ausername"), Some("alice"));
    assert!(response.headers().get(SET_COOKIE).is_none());

    // Single-use code.
    assert_eq!(exchange(&mock, &code, &verifier).await.status(), 400);

    // F-OAUTH-1: 3600 s; afterwards the token means "not authenticated".
    mock.state().clock().advance(Duration::from_secs(3600));
    let expired = get_auth(&mock, "/rest/api/user/current", &format!("Bearer {access}")).await;
    assert!(expired.headers().get(WWW_AUTHENTICATE).is_none());
    assert!(expired.headers().get("x-ausername").is_none());
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["type"], "anonymous");

    // The refresh token (90 days) still works, and is rotated.
    let refreshed = token(
        &mock,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", "app"),
            ("client_secret", "app-secret"),
        ],
    )
    .await;
    assert_eq!(refreshed.status(), 200);
    let body: Value = refreshed.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(who(&mock, &format!("Bearer {access}")).await.0, "known");
    let again = token(
        &mock,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", "app"),
            ("client_secret", "app-secret"),
        ],
    )
    .await;
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn pkce_and_client_checks_refuse_the_exchange() {
    let mock = oauth_mock().await;
    let verifier = "a".repeat(43);
    let code = code_for_alice(&mock, &verifier).await;
    let wrong = exchange(&mock, &code, &"b".repeat(43)).await;
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // A failed attempt burns the code.
    assert_eq!(exchange(&mock, &code, &verifier).await.status(), 400);

    let code = code_for_alice(&mock, &verifier).await;
    let missing = token(
        &mock,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "app"),
            ("client_secret", "app-secret"),
        ],
    )
    .await;
    assert_eq!(missing.status(), 400);

    let code = code_for_alice(&mock, &verifier).await;
    let bad_client = token(
        &mock,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "app"),
            ("client_secret", "nope"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(bad_client.status(), 401);
    let body: Value = bad_client.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let other_redirect = token(
        &mock,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://evil.example/cb"),
            ("client_id", "app"),
            ("client_secret", "app-secret"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(other_redirect.status(), 400);
    for grant in ["password", "client_credentials", ""] {
        let response = token(
            &mock,
            &[
                ("grant_type", grant),
                ("client_id", "app"),
                ("client_secret", "app-secret"),
            ],
        )
        .await;
        assert_eq!(response.status(), 400, "{grant}");
    }
}

#[tokio::test]
async fn authorize_refuses_unknown_clients_and_redirects_other_errors() {
    let mock = oauth_mock().await;
    let alice = basic("alice", "alice-pw");
    let cb = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>();
    let unknown = authorize(&mock, "client_id=nope&response_type=code", Some(&alice)).await;
    assert_eq!(unknown.status(), 400);
    let evil = authorize(
        &mock,
        "client_id=app&redirect_uri=http%3A%2F%2Fevil.example%2F&response_type=code",
        Some(&alice),
    )
    .await;
    assert_eq!(evil.status(), 400);
    assert!(evil.headers().get("location").is_none());
    let token_type = authorize(
        &mock,
        &format!("client_id=app&redirect_uri={cb}&response_type=token&state=s"),
        Some(&alice),
    )
    .await;
    assert_eq!(token_type.status(), 302);
    assert_eq!(
        header(&token_type, "location"),
        Some("http://localhost:9999/cb?error=unsupported_response_type&state=s")
    );
    let plain = authorize(
        &mock,
        &format!(
            "client_id=app&redirect_uri={cb}&response_type=code&code_challenge={}&code_challenge_method=plain",
            "x".repeat(43)
        ),
        Some(&alice),
    )
    .await;
    assert!(
        header(&plain, "location")
            .unwrap()
            .contains("error=invalid_request")
    );
    let anonymous = authorize(&mock, "client_id=app&response_type=code", None).await;
    assert_eq!(anonymous.status(), 302);
    assert!(
        header(&anonymous, "location")
            .unwrap()
            .contains("/login.action?os_destination=")
    );
    let disabled = mock_with(json!({ "native_oauth": { "enabled": false } })).await;
    let off = authorize(&disabled, "client_id=app&response_type=code", Some(&alice)).await;
    assert_eq!(off.status(), 404);
}

// ---------------------------------------------------------------- F-TOKAUTH

#[tokio::test]
async fn token_auth_blocks_by_default_with_an_empty_200() {
    let mock = mock_with(json!({})).await;
    let alice = basic("alice", "alice-pw");
    for path in [
        "/rest/token-auth/api/user/current",
        "/rest/token-auth/api/content/65537",
        "/rest/token-auth/api/content?limit=1",
        "/rest/token-auth/api",
    ] {
        let response = get_auth(&mock, path, &alice).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().get("content-type").is_none(), "{path}");
        assert_eq!(response.text().await.unwrap(), "", "{path}");
    }
    // Not the mirror: served as usual.
    let plain = get_auth(&mock, "/rest/token-auth/apix", &alice).await;
    assert_eq!(plain.status(), 404);
}

#[tokio::test]
async fn whitelisted_paths_reach_the_resource_under_a_context_path_too() {
    let mock = mock_with(json!({
        "context_path": "/wiki",
        "token_auth": { "whitelist": [
            "/rest/token-auth/api/content/*/child/attachment",
            "/rest/token-auth/api/CONTENT",
        ] }
    }))
    .await;
    let alice = basic("alice", "alice-pw");
    let attachments = get_auth(
        &mock,
        "/rest/token-auth/api/content/65537/child/attachment",
        &alice,
    )
    .await;
    assert_eq!(attachments.status(), 200);
    let body: Value = attachments.json().await.unwrap();
    assert_eq!(body["results"][0]["title"], "report.txt");
    // The query survives the rewrite; the exact pattern matches in any case.
    let listed = get_auth(&mock, "/rest/token-auth/api/content?title=Home", &alice).await;
    let body: Value = listed.json().await.unwrap();
    assert_eq!(body["results"][0]["id"], "65537");
    // `//` collapses before matching and routing.
    let doubled = get_auth(&mock, "/rest/token-auth/api//content", &alice).await;
    assert_eq!(doubled.status(), 200);
    assert!(!doubled.text().await.unwrap().is_empty());
    let page = get_auth(&mock, "/rest/token-auth/api/content/65537", &alice).await;
    assert_eq!(page.text().await.unwrap(), "");
    // Anonymous on a whitelisted path gets what the resource gives anonymous:
    // the attachment list is anonymous-allowed and hides the page (F-ANON-4).
    let anonymous = client()
        .get(format!(
            "{}/rest/token-auth/api/content/65537/child/attachment",
            mock.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 404);
}

// ---------------------------------------------------------------- garbage

#[tokio::test]
async fn garbage_tokens_never_panic_and_the_server_keeps_serving() {
    let mock = oauth_mock().await;
    let long = format!("Bearer {}", "A".repeat(7000));
    let values: Vec<String> = vec![
        "Bearer".into(),
        "Bearer ".into(),
        "Bearer %%%%".into(),
        "Bearer !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!".into(),
        format!("Bearer {}", "=".repeat(44)),
        format!("Bearer {}", STANDARD.encode([b'9'; 33])),
        format!(
            "Bearer {}",
            STANDARD.encode(b"99999999999999999999:xxxxxxxxxxxx")
        ),
        format!(
            "Bearer {}",
            STANDARD.encode([b"000000000001:".as_slice(), &[0xff; 20]].concat())
        ),
        "Bearer é".into(),
        long,
    ];
    for value in &values {
        let response = get_auth(&mock, "/rest/api/user/current", value).await;
        assert_eq!(response.status(), 200, "{value:.40}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "anonymous");
    }
    // Binary header values go through the raw socket path of hyper.
    let binary = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe\x80").unwrap();
    let response = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header("Authorization", binary)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Garbage at the OAuth endpoints.
    for body in ["", "%%%", "grant_type", "\u{0}\u{1}", "code=&&&="] {
        let response = client()
            .post(format!("{}/rest/oauth2/latest/token", mock.base_url()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{body:?}");
    }
    let odd = authorize(
        &mock,
        "client_id=%ff%fe&redirect_uri=%00",
        Some(&basic("alice", "alice-pw")),
    )
    .await;
    assert_eq!(odd.status(), 400);
    let pat_garbage = client()
        .post(format!("{}/rest/pat/latest/tokens", mock.base_url()))
        .header("Authorization", basic("alice", "alice-pw"))
        // JSON, so the XSRF check (F-XSRF-1) lets it reach the resource.
        .header("Content-Type", "application/json")
        .body(vec![0xff, 0x00, 0x7b])
        .send()
        .await
        .unwrap();
    assert_eq!(pat_garbage.status(), 400);
    assert_eq!(who(&mock, &basic("alice", "alice-pw")).await.0, "known");
}
