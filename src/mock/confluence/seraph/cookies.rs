//! Seraph's `Set-Cookie` values: the session (F-BASIC-7) and the remember-me
//! token (F-SESS-2), with the instance's context path and scheme.

use axum::http::HeaderValue;

use super::names::{REMEMBER_ME_COOKIE, REMEMBER_ME_SECS, SESSION_COOKIE};
use crate::mock::confluence::state::State;

/// `Set-Cookie` for a new session (F-BASIC-7): `Path` is the context path or `/`;
/// `Secure` when the mock serves HTTPS, as Tomcat marks it on secure requests.
pub fn session_cookie_header(state: &State, id: &str) -> HeaderValue {
    let secure = if state.is_https() { "; Secure" } else { "" };
    let path = cookie_path(state);
    // One buffer handed to the header as it is: a Basic login sets this on every
    // request.
    let mut text = String::with_capacity(64 + id.len() + path.len());
    for part in [
        SESSION_COOKIE,
        "=",
        id,
        "; Path=",
        path,
        secure,
        "; HttpOnly",
    ] {
        text.push_str(part);
    }
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// `Set-Cookie` for the remember-me token (F-SESS-2): HttpOnly, Max-Age 1209600,
/// `Path` the context path or `/`, `Secure` only when the request came over HTTPS.
pub fn remember_me_cookie_header(state: &State, token: &str) -> HeaderValue {
    let secure = if state.is_https() { "; Secure" } else { "" };
    cookie_header(&format!(
        "{REMEMBER_ME_COOKIE}={token}; Max-Age={REMEMBER_ME_SECS}; Path={}{secure}; HttpOnly",
        cookie_path(state)
    ))
}

/// `Set-Cookie` that deletes the remember-me cookie (logout).
pub fn remember_me_clear_header(state: &State) -> HeaderValue {
    cookie_header(&format!(
        "{REMEMBER_ME_COOKIE}=; Max-Age=0; Path={}; HttpOnly",
        cookie_path(state)
    ))
}

fn cookie_path(state: &State) -> &str {
    if state.context_path.is_empty() {
        "/"
    } else {
        &state.context_path
    }
}

fn cookie_header(text: &str) -> HeaderValue {
    // Ids are hex and paths come from config; a path with control characters is the
    // only way to fail here, and then the cookie is simply not set.
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}
