//! Confluence's Crowd client: Crowd's REST session resource over HTTP, as the
//! Crowd integration client (`RestCrowdClient`) calls it, authenticated with HTTP
//! Basic as the Crowd application (`crowd.properties`' `application.name` and
//! `application.password`):
//!
//! | call | request | what counts |
//! |---|---|---|
//! | [`CrowdClient::validate`] | `POST {server}/rest/usermanagement/1/session/{token}` `{"validationFactors":[{"name","value"}…]}` | `200` names the user (`$.user.name`) |
//! | [`CrowdClient::lookup`] | `GET …/session/{token}` (no factor check; only the `crowd_ip_unbound` fault uses it) | `200` names the user |
//! | [`CrowdClient::create`] | `POST …/session?validate-password=false` `{"username","validation-factors":{"validationFactors":[…]}}` | `200`/`201` carries `$.token` |
//! | [`CrowdClient::end`] | `DELETE …/session/{token}` | nothing |
//!
//! Anything else (another status, a body that is not the JSON expected, over
//! 64 KiB, no answer within 2 s, Crowd down) is "no": the token names nobody,
//! no session is made. Crowd's own spelling of the shapes: doc
//! developer.atlassian.com/server/crowd/rest (Token / "Authenticate user", with
//! `validate-password`), `CrowdHttpAuthenticator.authenticateWithoutValidatingPassword`.

use axum::http::HeaderValue;
use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::json;

use super::outbound;

/// Crowd's session resource, below the Crowd server's base URL.
pub const SESSION_RESOURCE: &str = "/rest/usermanagement/1/session";

/// What a token may keep unescaped in the path: Crowd's tokens are URL-safe
/// base64; anything else (a dot segment, a slash) is escaped so a cookie cannot
/// steer the call to another resource.
const TOKEN_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

/// One validation factor (F-CROWD-2), in the shape the Crowd service reads.
pub use crate::mock::idp::crowd::sessions::Factor;

/// `crowd.server_url` is not an `http` or `https` URL.
#[derive(Debug, thiserror::Error)]
pub enum CrowdClientError {
    #[error("confluence.crowd.server_url: '{0}' is not an http or https URL")]
    BadUrl(String),
    #[error("confluence.crowd: cannot build the Crowd client: {0}")]
    Client(#[source] reqwest::Error),
}

/// A Crowd server and the application Confluence is to it.
pub struct CrowdClient {
    http: reqwest::Client,
    /// `{server_url}/rest/usermanagement/1/session`.
    sessions: String,
    application: String,
    /// `Basic base64(application:password)`, marked sensitive; made once.
    authorization: HeaderValue,
}

/// Where it calls and as whom, never the password.
impl std::fmt::Debug for CrowdClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrowdClient")
            .field("sessions", &self.sessions)
            .field("application", &self.application)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct SessionAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    user: Option<UserAnswer>,
}

#[derive(Deserialize)]
struct UserAnswer {
    name: String,
}

impl CrowdClient {
    pub fn new(
        server_url: &str,
        application: &str,
        password: &str,
    ) -> Result<Self, CrowdClientError> {
        if !outbound::is_callable(server_url) {
            return Err(CrowdClientError::BadUrl(server_url.to_owned()));
        }
        let http = outbound::client(server_url).map_err(CrowdClientError::Client)?;
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{application}:{password}"));
        // Base64 is always a valid header value; an empty one would only fail
        // the application's authentication, never panic.
        let mut authorization = HeaderValue::from_str(&format!("Basic {credentials}"))
            .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        authorization.set_sensitive(true);
        Ok(Self {
            http,
            sessions: format!(
                "{}{SESSION_RESOURCE}",
                server_url.trim().trim_end_matches('/')
            ),
            application: application.to_owned(),
            authorization,
        })
    }

    /// The user a valid `token` names, validated against `factors`
    /// (F-CROWD-2); `None` for any other answer.
    pub async fn validate(&self, token: &str, factors: &[Factor]) -> Option<String> {
        let request = self
            .http
            .post(self.token_url(token))
            .json(&json!({ "validationFactors": factors }));
        self.user_of(request).await
    }

    /// The user of a live session, without a factor check.
    pub async fn lookup(&self, token: &str) -> Option<String> {
        self.user_of(self.http.get(self.token_url(token))).await
    }

    /// A new SSO session for `user`, whose password Confluence already checked,
    /// bound to `factors`; its token, or `None` when Crowd made none.
    pub async fn create(&self, user: &str, factors: &[Factor]) -> Option<String> {
        let request = self
            .http
            .post(&self.sessions)
            .query(&[("validate-password", "false")])
            .json(&json!({
                "username": user,
                "validation-factors": { "validationFactors": factors },
            }));
        let answer = self.send(request).await?;
        answer.token.filter(|t| !t.is_empty())
    }

    /// Ends the session behind `token`; Crowd's answer changes nothing here.
    pub async fn end(&self, token: &str) {
        let request = self.http.delete(self.token_url(token));
        let _ = self.authorized(request).send().await;
    }

    fn token_url(&self, token: &str) -> String {
        format!(
            "{}/{}",
            self.sessions,
            utf8_percent_encode(token, TOKEN_SEGMENT)
        )
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .header(reqwest::header::ACCEPT, "application/json")
    }

    async fn user_of(&self, request: reqwest::RequestBuilder) -> Option<String> {
        let answer = self.send(request).await?;
        answer.user.map(|u| u.name).filter(|n| !n.is_empty())
    }

    /// A `200` or `201` answer read as a session; anything else is `None`.
    async fn send(&self, request: reqwest::RequestBuilder) -> Option<SessionAnswer> {
        let response = self.authorized(request).send().await.ok()?;
        if !matches!(response.status().as_u16(), 200 | 201) {
            return None;
        }
        let body = outbound::body(response).await.ok()?;
        serde_json::from_slice(&body).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::CROWD_SESSION_PATH;

    #[test]
    fn the_embedded_crowd_service_sits_below_crowd() {
        assert_eq!(CROWD_SESSION_PATH, format!("/crowd{SESSION_RESOURCE}"));
    }

    #[test]
    fn tokens_cannot_leave_their_path_segment() {
        let client = CrowdClient::new("http://127.0.0.1:9/crowd/", "app", "pw").unwrap();
        assert_eq!(
            client.token_url("aB-_9"),
            "http://127.0.0.1:9/crowd/rest/usermanagement/1/session/aB-_9"
        );
        assert!(client.token_url("../x").ends_with("/session/%2E%2E%2Fx"));
        assert!(!format!("{client:?}").contains("pw"));
    }

    #[test]
    fn a_server_url_must_be_http() {
        assert!(CrowdClient::new("crowd.example", "app", "pw").is_err());
    }
}
