//! What Seraph adds to every answer on the way out: the headers of the
//! authenticate stage's decision ([`stamp`]), and the OAuth 1 challenge on every
//! 401, whoever produced it ([`oauth_challenge`], F-BASIC-8).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::cookies::session_cookie_header;
use super::names::{X_AUSERNAME, X_SERAPH_LOGIN_REASON};
use crate::mock::confluence::request::form_encode;
use crate::mock::confluence::state::State;
use crate::scenario::mock_config::Fault;

/// What authentication adds to the response once the resource has answered
/// ([`stamp`]).
#[derive(Debug, Default)]
pub struct Stamp {
    /// `X-Seraph-LoginReason: OK` (a login happened on this request).
    pub(super) login_ok: bool,
    pub(super) new_session: Option<String>,
    /// F-OAUTH-2: a bearer-authenticated answer is `Cache-Control: private`.
    pub(super) cache_private: bool,
    /// `X-AUSERNAME` of the user (`None` for one whose name cannot be a header).
    pub(super) username: Option<HeaderValue>,
    pub(super) anonymous: bool,
}

impl Stamp {
    /// The session a login on this request opened, if any.
    pub fn new_session(&self) -> Option<&str> {
        self.new_session.as_deref()
    }
}

/// The Seraph headers the authenticate stage stamps on the resource's answer.
pub fn stamp(state: &State, stamp: Stamp, response: &mut Response) {
    let headers = response.headers_mut();
    if let Some(value) = stamp.username {
        // F-BASIC-7: X-AUSERNAME names the user, and only a user.
        headers.entry(X_AUSERNAME).or_insert(value);
    }
    if stamp.anonymous && state.faults.has(Fault::BasicChallenge) {
        // The `basic_challenge` fault breaks F-BASIC-2.
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Confluence\""),
        );
    }
    if stamp.login_ok {
        headers
            .entry(X_SERAPH_LOGIN_REASON)
            .or_insert(HeaderValue::from_static("OK"));
    }
    if let Some(id) = stamp.new_session {
        headers.append(header::SET_COOKIE, session_cookie_header(state, &id));
    }
    if stamp.cache_private {
        // F-OAUTH-2.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    }
}

/// `X-AUSERNAME` for `name`, written in ISO-8859-1 as servlet containers write
/// headers; `None` for a name outside Latin-1 or with control characters.
pub fn username_header(name: &str) -> Option<HeaderValue> {
    if name.is_ascii() {
        return HeaderValue::from_str(name).ok();
    }
    let bytes: Option<Vec<u8>> = name
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect();
    HeaderValue::from_bytes(&bytes?).ok()
}

/// F-BASIC-8: every 401 also carries `WWW-Authenticate: OAuth realm="<base URL>"`
/// with the base URL form-encoded, as the OAuth 1 filter writes it. Runs on the
/// way out, outside everything that can answer 401.
pub fn oauth_challenge(state: &State, response: &mut Response) {
    if response.status() == StatusCode::UNAUTHORIZED {
        let challenge = format!("OAuth realm=\"{}\"", form_encode(&state.base_url));
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .append(header::WWW_AUTHENTICATE, value);
        }
    }
}
