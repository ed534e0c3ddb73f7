//! What the IdP records of every introspection, userinfo and JWKS call (the
//! evidence `expect.idp` judges), read both from the state and over HTTP at
//! `/__tollgate/calls`, and the IdP's own control endpoints: `clock` (expiry
//! without sleeping) and `rotate` (a new `kid`, the only key at `/jwks`).

mod idp_support;

use idp_support::{CLIENT, client, client_token, json_of, jwks_kids, loopback};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tollgate::mock::idp::log::{calls_from_json, token_digest};
use tollgate::mock::{IdpInLoop, LoopOptions};
use tollgate::scenario::mock_config::MockConfig;
use tollgate::wire::observed::{ClientAuth, IdpCall};

async fn idp() -> IdpInLoop {
    let idp = IdpInLoop::start(loopback(), LoopOptions::default()).unwrap();
    idp.begin(&MockConfig::default(), &[]).unwrap();
    idp
}

async fn token(idp: &IdpInLoop) -> String {
    client_token(&client(), idp.url(), CLIENT).await
}

async fn status(request: reqwest::RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

fn introspection(call: &IdpCall) -> (ClientAuth, Option<&str>, Option<&str>, Option<bool>) {
    match call {
        IdpCall::Introspection {
            client_auth,
            client,
            token_sha256,
            active,
        } => (
            *client_auth,
            client.as_deref(),
            token_sha256.as_deref(),
            *active,
        ),
        other => panic!("not an introspection: {other:?}"),
    }
}

#[tokio::test]
async fn every_introspection_is_recorded_with_its_client_authentication() {
    let idp = idp().await;
    let live = token(&idp).await;
    let digest = token_digest(&live);
    let url = format!("{}/introspect", idp.url());
    let state = idp.current();
    let mark = state.log.mark();
    let http = client();
    let basic = http
        .post(&url)
        .basic_auth(CLIENT.0, Some(CLIENT.1))
        .form(&[("token", live.as_str())]);
    assert_eq!(status(basic).await, StatusCode::OK);
    let post = http.post(&url).form(&[
        ("token", "unknown"),
        ("client_id", CLIENT.0),
        ("client_secret", CLIENT.1),
    ]);
    assert_eq!(status(post).await, StatusCode::OK);
    let none = http
        .post(&url)
        .form(&[("token", live.as_str()), ("client_id", "plugin")]);
    assert_eq!(status(none).await, StatusCode::UNAUTHORIZED);
    let wrong = http
        .post(&url)
        .basic_auth(CLIENT.0, Some("wrong"))
        .form(&[("token", live.as_str())]);
    assert_eq!(status(wrong).await, StatusCode::UNAUTHORIZED);
    let no_token = http.post(&url).basic_auth(CLIENT.0, Some(CLIENT.1));
    assert_eq!(status(no_token).await, StatusCode::BAD_REQUEST);
    let json_body = http
        .post(&url)
        .basic_auth(CLIENT.0, Some(CLIENT.1))
        .json(&json!({ "token": live }));
    assert_eq!(status(json_body).await, StatusCode::BAD_REQUEST);

    let calls = state.log.since(mark);
    let seen: Vec<_> = calls.iter().map(introspection).collect();
    let unknown = token_digest("unknown");
    assert_eq!(
        seen,
        [
            (
                ClientAuth::Basic,
                Some("tollgate"),
                Some(digest.as_str()),
                Some(true)
            ),
            (
                ClientAuth::Post,
                Some("tollgate"),
                Some(unknown.as_str()),
                Some(false)
            ),
            (
                ClientAuth::None,
                Some("plugin"),
                Some(digest.as_str()),
                None
            ),
            (
                ClientAuth::Basic,
                Some("tollgate"),
                Some(digest.as_str()),
                None
            ),
            (ClientAuth::Basic, Some("tollgate"), None, None),
            (ClientAuth::Basic, Some("tollgate"), None, None),
        ]
    );
    idp.shutdown().await;
}

#[tokio::test]
async fn userinfo_and_jwks_calls_are_recorded() {
    let idp = idp().await;
    let live = token(&idp).await;
    let state = idp.current();
    let mark = state.log.mark();
    let http = client();
    let userinfo = format!("{}/userinfo", idp.url());
    let ok = http.get(&userinfo).bearer_auth(&live).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let dead = http
        .post(&userinfo)
        .bearer_auth("dead")
        .send()
        .await
        .unwrap();
    assert_eq!(dead.status(), StatusCode::UNAUTHORIZED);
    let bare = http.get(&userinfo).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    let jwks = http
        .get(format!("{}/jwks", idp.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), StatusCode::OK);
    assert_eq!(
        state.log.since(mark),
        [
            IdpCall::Userinfo {
                token_sha256: Some(token_digest(&live)),
                status: 200
            },
            IdpCall::Userinfo {
                token_sha256: Some(token_digest("dead")),
                status: 401
            },
            IdpCall::Userinfo {
                token_sha256: None,
                status: 401
            },
            IdpCall::Jwks,
        ]
    );
    idp.shutdown().await;
}

#[tokio::test]
async fn the_calls_endpoint_pages_the_log_without_tokens() {
    let idp = idp().await;
    let live = token(&idp).await;
    let http = client();
    let calls = |since: u64| {
        let http = http.clone();
        let url = format!("{}/__tollgate/calls?since={since}", idp.url());
        async move { json_of(http.get(url)).await }
    };
    let first = calls(0).await;
    let next = first["next"].as_u64().unwrap();
    http.get(format!("{}/userinfo", idp.url()))
        .bearer_auth(&live)
        .send()
        .await
        .unwrap();
    http.get(format!("{}/jwks", idp.url()))
        .send()
        .await
        .unwrap();
    let page = calls(next).await;
    assert!(!page.to_string().contains(&live), "a token reached the log");
    assert_eq!(page["calls"][0]["kind"], "userinfo");
    assert_eq!(page["calls"][0]["token_sha256"], token_digest(&live));
    assert_eq!(page["calls"][0]["status"], 200);
    assert_eq!(page["calls"][1], json!({ "kind": "jwks" }));
    let (after, parsed) = calls_from_json(&page).unwrap();
    assert_eq!(after, next + 2);
    assert_eq!(parsed.len(), 2);
    assert_eq!(calls(after).await["calls"], json!([]));
    let bad = http
        .get(format!("{}/__tollgate/calls?since=soon", idp.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    idp.shutdown().await;
}

#[tokio::test]
async fn moving_the_idp_clock_expires_its_tokens() {
    let idp = idp().await;
    let live = token(&idp).await;
    let http = client();
    let active = || async {
        let request = http
            .post(format!("{}/introspect", idp.url()))
            .basic_auth(CLIENT.0, Some(CLIENT.1))
            .form(&[("token", live.as_str())]);
        json_of(request).await["active"].as_bool().unwrap()
    };
    assert!(active().await);
    let clock = format!("{}/__tollgate/clock", idp.url());
    let moved = http
        .post(format!("{clock}?advance=301s"))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["offset_ms"], 301_000);
    assert!(!active().await, "the 300 s token outlived the clock");
    // Confluence's syntax: a JSON body, and saturation far beyond any token.
    let far = http
        .post(&clock)
        .json(&json!({ "advance": "36500d" }))
        .send()
        .await
        .unwrap();
    assert_eq!(far.status(), StatusCode::OK);
    let bad = http.post(&clock).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    idp.shutdown().await;
}

#[tokio::test]
async fn rotation_signs_with_a_new_kid_and_publishes_only_it() {
    let idp = idp().await;
    let http = client();
    let kids = || jwks_kids(&http, idp.url());
    let before = kids().await;
    assert_eq!(before, [idp.signing_key().name()]);
    let old_token = token(&idp).await;
    let rotated = json_of(http.post(format!("{}/__tollgate/rotate", idp.url()))).await;
    let kid = rotated["kid"].as_str().unwrap().to_owned();
    assert!(kid.starts_with(&format!("{}-", before[0])), "{kid}");
    assert_eq!(kids().await, std::slice::from_ref(&kid));
    let new_token = token(&idp).await;
    let header = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_eq!(header(&old_token), before[0]);
    assert_eq!(header(&new_token), kid);
    // A second rotation never reuses a kid.
    http.post(format!("{}/__tollgate/rotate", idp.url()))
        .send()
        .await
        .unwrap();
    let again = kids().await;
    assert_ne!(again, [kid]);
    idp.shutdown().await;
}
