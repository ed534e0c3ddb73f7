//! `auth: crowd_sso`: log in at the SSO server's session resource
//! (`{idp_url}/crowd/rest/usermanagement/1/session`, the embedded IdP's Crowd
//! service) and send the token it returns as the `crowd.token_key` cookie
//! (F-CROWD-1).
//!
//! The session is bound to `remote_address` = the step's `client_ip:` (the address
//! the mock will take for the peer), else `127.0.0.1`, the runner's own loopback
//! address (F-CROWD-2). The runner authenticates to Crowd as the step's
//! `application` (default: the emulator's, `confluence` / `confluence-secret`).
//! A new session per step, no cache: each step states its own address.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::error::{AuthError, shown};
use crate::wire::{CROWD_REMOTE_ADDRESS, CROWD_SESSION_PATH};

/// The address a session is bound to when the step names none.
pub const DEFAULT_REMOTE_ADDRESS: &str = "127.0.0.1";

/// How long the login at the SSO server may take.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct SessionResponse {
    token: String,
}

/// Who logs in at the SSO server, and as which Crowd application.
pub struct Login<'a> {
    pub application: &'a str,
    pub application_password: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    /// The address the session is bound to; default [`DEFAULT_REMOTE_ADDRESS`].
    pub remote_address: Option<&'a str>,
}

/// A new SSO token for `login.user`, bound to its remote address.
pub async fn login(
    http: &reqwest::Client,
    idp_url: &str,
    login: &Login<'_>,
) -> Result<String, AuthError> {
    let Login {
        application,
        application_password,
        user,
        password,
        remote_address,
    } = *login;
    let url = format!("{}{CROWD_SESSION_PATH}", idp_url.trim_end_matches('/'));
    let address = remote_address.unwrap_or(DEFAULT_REMOTE_ADDRESS);
    let body = json!({
        "username": user,
        "password": password,
        "validation-factors": {
            "validationFactors": [{ "name": CROWD_REMOTE_ADDRESS, "value": address }]
        }
    });
    let response = http
        .post(&url)
        .basic_auth(application, Some(application_password))
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&body)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| AuthError::SsoUnreachable {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let status = response.status();
    if status != reqwest::StatusCode::CREATED && status != reqwest::StatusCode::OK {
        let text = response.text().await.unwrap_or_default();
        return Err(AuthError::SsoRefused {
            user: user.to_string(),
            status,
            body: shown(&text),
        });
    }
    let session: SessionResponse = response
        .json()
        .await
        .map_err(|e| AuthError::SsoAnswer(e.to_string()))?;
    if session.token.is_empty()
        || !session
            .token
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b';')
    {
        return Err(AuthError::SsoToken);
    }
    Ok(session.token)
}
