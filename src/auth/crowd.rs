//! `auth: crowd_sso`: log in at the SSO server's session resource
//! (`{idp_url}/crowd/rest/usermanagement/1/session`, the embedded IdP's Crowd
//! service) and send the token it returns as the `crowd.token_key` cookie
//! (F-CROWD-1).
//!
//! The session is bound to `remote_address` = the step's `client_ip:` (the address
//! the mock will take for the peer), else `127.0.0.1`, the runner's own loopback
//! address (F-CROWD-2). The runner authenticates to Crowd as the built-in
//! application (`confluence` / `confluence-secret`). A new session per step, no
//! cache: each step states its own address.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::mock::idp::crowd::{APPLICATION, APPLICATION_PASSWORD, REMOTE_ADDRESS, SESSION_PATH};

/// The SSO cookie Confluence reads (F-CROWD-1).
pub const SSO_COOKIE: &str = "crowd.token_key";

/// The address a session is bound to when the step names none.
pub const DEFAULT_REMOTE_ADDRESS: &str = "127.0.0.1";

/// How long the login at the SSO server may take.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct SessionResponse {
    token: String,
}

/// A new SSO token for `user`, bound to `remote_address`.
pub async fn login(
    http: &reqwest::Client,
    idp_url: &str,
    user: &str,
    password: &str,
    remote_address: Option<&str>,
) -> Result<String, String> {
    let url = format!("{}{SESSION_PATH}", idp_url.trim_end_matches('/'));
    let address = remote_address.unwrap_or(DEFAULT_REMOTE_ADDRESS);
    let body = json!({
        "username": user,
        "password": password,
        "validation-factors": {
            "validationFactors": [{ "name": REMOTE_ADDRESS, "value": address }]
        }
    });
    let response = http
        .post(&url)
        .basic_auth(APPLICATION, Some(APPLICATION_PASSWORD))
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&body)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("cannot reach the SSO server at {url}: {e}"))?;
    let status = response.status();
    if status != reqwest::StatusCode::CREATED && status != reqwest::StatusCode::OK {
        let text = response.text().await.unwrap_or_default();
        let shown: String = text.chars().take(200).collect();
        return Err(format!(
            "the SSO server refused the login of '{user}': {status} {shown}"
        ));
    }
    let session: SessionResponse = response
        .json()
        .await
        .map_err(|e| format!("the SSO server's session answer is not Crowd JSON: {e}"))?;
    if session.token.is_empty()
        || !session
            .token
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';')
    {
        return Err("the SSO server's token cannot be sent as a cookie".into());
    }
    Ok(session.token)
}
