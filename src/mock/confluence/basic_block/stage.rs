//! The Basic-auth block as a stage in front of Seraph (F-BASIC-10): a Basic
//! request neither on an allowed path nor for an allowed user is refused with
//! 403 before any password is checked; an allowed one goes on, and the session
//! its login opened is ended once it is answered.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::rules::{Judgement, is_basic, judge};
use crate::mock::confluence::respond::{JSON_UTF8, escape};
use crate::mock::confluence::seraph::Stamp;
use crate::mock::confluence::seraph::basic::{BasicHeader, parse_basic};
use crate::mock::confluence::state::State;
use crate::mock::sync::lock;
use crate::scenario::mock_config::Fault;

/// What a blocked request is told (the block's own wording is not public).
const BLOCKED: &str = "Basic authentication has been disabled on this instance.";

/// The stage's decision on one request.
#[derive(Debug)]
pub enum Outcome {
    /// Not a Basic request, or blocking is off.
    Untouched,
    /// Allowed through; end the session its login opens.
    EndSessionAfter,
    Refused(Response),
}

/// Judges a request before Seraph sees it.
pub fn check(state: &State, req: &Request) -> Outcome {
    let Some(authorization) = req.headers().get(header::AUTHORIZATION) else {
        return Outcome::Untouched;
    };
    let case_sensitive = state.faults.has(Fault::BasicBlockCaseSensitive);
    if !is_basic(authorization.as_bytes(), case_sensitive) {
        return Outcome::Untouched;
    }
    let user = match parse_basic(req.headers(), true) {
        BasicHeader::Credentials { user, .. } => user,
        BasicHeader::Absent | BasicHeader::Malformed => String::new(),
    };
    let path = state.relative(req.uri().path());
    let config = lock(&state.basic_block);
    match judge(&config, path, &user) {
        Judgement::NotBlocking => Outcome::Untouched,
        Judgement::Allowed => Outcome::EndSessionAfter,
        Judgement::Blocked => Outcome::Refused(blocked(req.headers())),
    }
}

/// F-BASIC-10: an allowed Basic request keeps no session. The
/// `basic_block_session_kept` fault leaves it alive.
pub fn end_session(state: &State, stamp: &Stamp) {
    if state.faults.has(Fault::BasicBlockSessionKept) {
        return;
    }
    if let Some(id) = stamp.new_session() {
        lock(&state.sessions).remove(id);
    }
}

/// The 403 of a blocked request, in the format `Accept` asks for: JSON, XML, or
/// plain text.
fn blocked(headers: &HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (content_type, body) = if accept.contains("json") {
        (
            JSON_UTF8,
            serde_json::json!({ "message": BLOCKED }).to_string(),
        )
    } else if accept.contains("xml") {
        (
            "application/xml;charset=UTF-8",
            format!("<status><message>{}</message></status>", escape(BLOCKED)),
        )
    } else {
        ("text/plain;charset=UTF-8", BLOCKED.to_owned())
    };
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}
