//! The mock Confluence's Crowd client over HTTP: what it sends the Crowd service
//! (seen in the IdP's log: application, user, factors in order), the session it
//! asks for at a form login (`validate-password=false`), the
//! `crowd_factors_missing` fault (the factors never reach Crowd), and a Crowd
//! server that is down, elsewhere or refuses the application.

mod common;

use common::client;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tollgate::mock::idp::log::token_digest;
use tollgate::mock::{RunningMock, start};
use tollgate::scenario::mock_config::{Fault, MockConfig};
use tollgate::wire::observed::IdpCall;
use tollgate::wire::{
    CLIENT_IP_HEADER, CROWD_SESSION_PATH, DEFAULT_CROWD_APPLICATION as APPLICATION,
    DEFAULT_CROWD_APPLICATION_PASSWORD as APPLICATION_PASSWORD,
};

async fn mock_with(config: Value) -> RunningMock {
    let config: MockConfig = serde_json::from_value(config).unwrap();
    start(&config).await.unwrap()
}

fn crowd_calls(mock: &RunningMock, since: u64) -> Vec<IdpCall> {
    mock.idp()
        .log
        .since(since)
        .into_iter()
        .filter(|call| {
            matches!(
                call,
                IdpCall::CrowdSession { .. } | IdpCall::CrowdValidation { .. }
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
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

fn sso_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("crowd.token_key="))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
        .filter(|t| !t.is_empty())
}

/// `/rest/api/user/current` with the SSO cookie from `peer` (and a forwarded-for
/// header): the user name, or `None` for anonymous.
async fn who(mock: &RunningMock, token: &str, peer: &str, xff: Option<&str>) -> Option<String> {
    let mut request = client()
        .get(format!("{}/rest/api/user/current", mock.base_url()))
        .header("cookie", format!("crowd.token_key={token}"))
        .header(CLIENT_IP_HEADER, peer);
    if let Some(xff) = xff {
        request = request.header("x-forwarded-for", xff);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["username"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn a_form_login_asks_crowd_for_a_session_without_the_password_and_validation_sends_the_factors()
 {
    let mock = mock_with(json!({ "confluence": { "crowd": { "enabled": true } } })).await;
    let mark = mock.idp().log.mark();
    let login = form_login(&mock, "10.0.0.5").await;
    assert_eq!(login.status(), StatusCode::FOUND);
    let token = sso_cookie(&login).expect("the SSO cookie");
    assert_eq!(
        who(&mock, &token, "10.0.0.5", Some("203.0.113.7"))
            .await
            .as_deref(),
        None,
        "another factor set (X-Forwarded-For from an untrusted peer) is refused"
    );
    assert_eq!(
        who(&mock, &token, "10.0.0.5", None).await.as_deref(),
        Some("alice")
    );
    assert_eq!(
        crowd_calls(&mock, mark),
        [
            IdpCall::CrowdSession {
                application: Some(APPLICATION.into()),
                user: Some("alice".into()),
                factors: pairs(&[("remote_address", "10.0.0.5")]),
                created: true,
            },
            IdpCall::CrowdValidation {
                application: Some(APPLICATION.into()),
                token_sha256: token_digest(&token),
                factors: pairs(&[
                    ("remote_address", "10.0.0.5"),
                    ("X-Forwarded-For", "203.0.113.7")
                ]),
                valid: false,
            },
            IdpCall::CrowdValidation {
                application: Some(APPLICATION.into()),
                token_sha256: token_digest(&token),
                factors: pairs(&[("remote_address", "10.0.0.5")]),
                valid: true,
            },
        ]
    );
    // Logout ends the session at Crowd (DELETE), so the token is dead.
    client()
        .get(format!("{}/logout.action", mock.base_url()))
        .header("cookie", format!("crowd.token_key={token}"))
        .send()
        .await
        .unwrap();
    assert!(mock.idp().crowd().is_empty());
}

/// The fault's evidence is on Crowd's side only: with "require consistent client
/// IP" off the answers are the same, but the validations carry no factors.
#[tokio::test]
async fn crowd_factors_missing_leaves_the_factors_out_of_every_validation() {
    let mut seen = Vec::new();
    for faults in [vec![], vec![Fault::CrowdFactorsMissing.name()]] {
        let mock = mock_with(json!({ "confluence": {
            "crowd": { "enabled": true, "require_consistent_ip": false },
            "faults": faults,
        } }))
        .await;
        let token = sso_cookie(&form_login(&mock, "10.0.0.5").await).unwrap();
        let mark = mock.idp().log.mark();
        assert_eq!(
            who(&mock, &token, "198.51.100.23", None).await.as_deref(),
            Some("alice")
        );
        let calls = crowd_calls(&mock, mark);
        let [IdpCall::CrowdValidation { factors, valid, .. }] = &calls[..] else {
            panic!("one validation: {calls:?}");
        };
        assert!(valid);
        seen.push(factors.clone());
    }
    assert_eq!(seen[0], pairs(&[("remote_address", "198.51.100.23")]));
    assert_eq!(seen[1], Vec::<(String, String)>::new());
}

#[tokio::test]
async fn crowd_factors_missing_with_a_consistent_ip_makes_every_token_invalid() {
    let mock = mock_with(json!({ "confluence": {
        "crowd": { "enabled": true },
        "faults": [Fault::CrowdFactorsMissing.name()],
    } }))
    .await;
    let token = sso_cookie(&form_login(&mock, "10.0.0.5").await).unwrap();
    assert_eq!(who(&mock, &token, "10.0.0.5", None).await, None);
}

#[tokio::test]
async fn validate_password_false_needs_an_application_and_a_known_user() {
    let mock = mock_with(json!({ "confluence": { "crowd": { "enabled": true } } })).await;
    let url = format!(
        "{}{CROWD_SESSION_PATH}?validate-password=false",
        mock.idp_url()
    );
    let ask = |user: &str, application: Option<(&str, &str)>| {
        let mut request = client().post(&url).json(&json!({
            "username": user,
            "validation-factors": { "validationFactors": [{ "name": "remote_address", "value": "10.0.0.5" }] },
        }));
        if let Some((name, secret)) = application {
            request = request.basic_auth(name, Some(secret));
        }
        request.send()
    };
    let made = ask("alice", Some((APPLICATION, APPLICATION_PASSWORD)))
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let body: Value = made.json().await.unwrap();
    assert_eq!(body["user"]["name"], "alice");
    let unknown = ask("mallory", Some((APPLICATION, APPLICATION_PASSWORD)))
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["reason"], "INVALID_USER_AUTHENTICATION");
    for application in [None, Some((APPLICATION, "wrong"))] {
        let denied = ask("alice", application).await.unwrap();
        assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    }
    // Without the flag the password is still required and checked.
    let no_password = client()
        .post(format!("{}{CROWD_SESSION_PATH}", mock.idp_url()))
        .basic_auth(APPLICATION, Some(APPLICATION_PASSWORD))
        .json(&json!({ "username": "alice" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_password.status(), StatusCode::BAD_REQUEST);
    let body: Value = no_password.json().await.unwrap();
    assert_eq!(body["reason"], "ILLEGAL_ARGUMENT");
    let created: Vec<bool> = mock
        .idp()
        .log
        .since(0)
        .into_iter()
        .filter_map(|call| match call {
            IdpCall::CrowdSession { created, .. } => Some(created),
            _ => None,
        })
        .collect();
    assert_eq!(created, [true, false, false, false, false]);
}

#[tokio::test]
async fn a_crowd_that_cannot_be_asked_makes_tokens_no_credential_and_logins_confluence_s_alone() {
    // A port nothing listens on: bind one, then free it.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/crowd", free.local_addr().unwrap());
    drop(free);
    for crowd in [
        json!({ "enabled": true, "server_url": dead }),
        json!({ "enabled": true, "application": APPLICATION, "application_password": "wrong" }),
    ] {
        let mock = mock_with(json!({ "confluence": { "crowd": crowd } })).await;
        let login = form_login(&mock, "10.0.0.5").await;
        assert_eq!(login.status(), StatusCode::FOUND, "{crowd}");
        assert!(login.headers().get("x-ausername").is_some());
        assert_eq!(sso_cookie(&login), None, "{crowd}");
        let session = client()
            .post(format!("{}{CROWD_SESSION_PATH}", mock.idp_url()))
            .basic_auth(APPLICATION, Some(APPLICATION_PASSWORD))
            .json(&json!({ "username": "alice", "password": "alice-pw",
                "validation-factors": { "validationFactors": [{ "name": "remote_address", "value": "10.0.0.5" }] } }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let token = session["token"].as_str().unwrap();
        assert_eq!(who(&mock, token, "10.0.0.5", None).await, None, "{crowd}");
    }
}

#[tokio::test]
async fn the_crowd_client_authenticates_as_the_configured_application() {
    // An `idp.clients` entry is a Crowd application too.
    let mock = mock_with(json!({ "confluence": { "crowd": {
        "enabled": true, "application": "tollgate", "application_password": "tollgate-secret",
    } } }))
    .await;
    let token = sso_cookie(&form_login(&mock, "10.0.0.5").await).unwrap();
    assert_eq!(
        who(&mock, &token, "10.0.0.5", None).await.as_deref(),
        Some("alice")
    );
    assert!(mock.idp().log.since(0).iter().all(|call| matches!(
        call,
        IdpCall::CrowdSession { application: Some(a), .. }
            | IdpCall::CrowdValidation { application: Some(a), .. } if a == "tollgate"
    )));
}

#[test]
fn the_application_password_is_a_secret() {
    let config: MockConfig = serde_json::from_value(json!({ "confluence": { "crowd": {
        "application": "wiki", "application_password": "s3cret-app-pw",
        "server_url": "https://crowd.example/crowd",
    } } }))
    .unwrap();
    assert!(!format!("{config:?}").contains("s3cret-app-pw"));
    assert!(config.secrets().iter().any(|s| s == "s3cret-app-pw"));
    let bad: MockConfig = serde_json::from_value(json!({ "confluence": { "crowd": {
        "enabled": true, "server_url": "crowd.example",
    } } }))
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let error = runtime.block_on(start(&bad)).unwrap_err();
    assert!(error.to_string().contains("server_url"), "{error}");
}
