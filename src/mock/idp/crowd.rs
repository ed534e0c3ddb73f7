//! The Crowd SSO session service on the IdP (emulator.md, "Identity provider";
//! F-CROWD-1..4), in Crowd's own REST shape so a scenario can drive it directly:
//!
//! | request | answer |
//! |---|---|
//! | `POST /crowd/rest/usermanagement/1/session` `{"username","password","validation-factors":{"validationFactors":[{"name","value"}…]}}` | `201` `{"token","user":{"name"},…}` + `Location`; wrong user or password `400` `INVALID_USER_AUTHENTICATION` |
//! | `GET …/session/{token}` | `200` the session (no factor check); unknown or expired `404` `INVALID_SSO_TOKEN` |
//! | `POST …/session/{token}` `{"validationFactors":[…]}` | `200` and the session's idle time restarts; unknown or expired `404`, other factors `400`, both `INVALID_SSO_TOKEN` (F-CROWD-2) |
//! | `DELETE …/session/{token}` | `204`, known or not |
//!
//! Errors are Crowd's `{"reason":…,"message":…}`; a body that is not the JSON
//! asked for is `400` `ILLEGAL_ARGUMENT`, never a panic.
//!
//! The caller authenticates as a Crowd *application* with HTTP Basic, as a real
//! Crowd client does: the built-in [`APPLICATION`] / [`APPLICATION_PASSWORD`]
//! (what Confluence and the runner's `auth: crowd_sso` use), or any `idp.clients`
//! id and secret (so a scenario can configure its own). Otherwise `401`
//! `APPLICATION_ACCESS_DENIED` with `WWW-Authenticate: Basic realm="Crowd REST Service"`.
//! Users are the IdP's `idp.users`.
//!
//! The store ([`CrowdSessions`]) is shared with the Confluence side as an `Arc`
//! (see `confluence::crowd_sso`): Confluence validates tokens in-process instead of
//! over HTTP, so no port, application password or IdP outage stands between them.
//! It is capped at [`MAX_SESSIONS`] and sessions end after [`SESSION_IDLE`] without
//! validation, on the mock's clock. "Require consistent client IP address"
//! (F-CROWD-2) is a Crowd server setting; the mock takes it from
//! `confluence.crowd.require_consistent_ip` at start.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::IdpState;
use super::client_auth::basic_credentials;
use crate::mock::clock::Clock;
use crate::mock::confluence::lock;

/// Where the session resource lives on the IdP.
pub const SESSION_PATH: &str = "/crowd/rest/usermanagement/1/session";
/// The built-in Crowd application (HTTP Basic user) the service accepts.
pub const APPLICATION: &str = "confluence";
/// Its password.
pub const APPLICATION_PASSWORD: &str = "confluence-secret";
/// Most live SSO sessions; a full store drops expired ones, then the oldest.
pub const MAX_SESSIONS: usize = 10_000;
/// A session not validated for this long is gone (Crowd's default session timeout).
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// Most validation factors one request may carry.
pub const MAX_FACTORS: usize = 16;
/// Longest factor name or value, in bytes.
pub const MAX_FACTOR_LEN: usize = 1024;
/// The factor naming the client address (F-CROWD-2).
pub const REMOTE_ADDRESS: &str = "remote_address";
/// The factor holding the whole `X-Forwarded-For` header (F-CROWD-2).
pub const X_FORWARDED_FOR: &str = "X-Forwarded-For";

/// One validation factor, as Crowd writes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    pub value: String,
}

impl Factor {
    pub fn new(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: value.into(),
        }
    }
}

/// A live session, as the service reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub token: String,
    pub user: String,
    /// Unix milliseconds on the mock's clock.
    pub created_ms: u64,
    pub expiry_ms: u64,
}

/// What validating a token found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Validation {
    Valid(SessionInfo),
    /// Never issued, ended or expired (`404 INVALID_SSO_TOKEN`).
    Unknown,
    /// Live, but bound to other validation factors (`400 INVALID_SSO_TOKEN`, F-CROWD-2).
    FactorsDiffer,
}

#[derive(Debug)]
struct Session {
    user: String,
    /// Sorted, so comparison ignores order.
    factors: Vec<Factor>,
    created_ms: u64,
    last_used: Instant,
    seq: u64,
}

#[derive(Debug, Default)]
struct Store {
    entries: HashMap<String, Session>,
    /// Creation order, for evicting the oldest session.
    order: BTreeMap<u64, String>,
    next_seq: u64,
}

impl Store {
    fn remove(&mut self, token: &str) -> bool {
        match self.entries.remove(token) {
            Some(session) => {
                self.order.remove(&session.seq);
                true
            }
            None => false,
        }
    }
}

/// The Crowd server's SSO sessions: token → user and validation factors.
#[derive(Debug)]
pub struct CrowdSessions {
    clock: Clock,
    max: usize,
    store: Mutex<Store>,
    require_consistent_ip: AtomicBool,
}

impl CrowdSessions {
    pub fn new(clock: Clock) -> Self {
        Self::with_capacity(clock, MAX_SESSIONS)
    }

    /// A store of at most `max` sessions (0 keeps none: every token is unknown).
    pub fn with_capacity(clock: Clock, max: usize) -> Self {
        Self {
            clock,
            max,
            store: Mutex::new(Store::default()),
            require_consistent_ip: AtomicBool::new(true),
        }
    }

    /// "Require consistent client IP address" (F-CROWD-2; on by default).
    pub fn set_require_consistent_ip(&self, on: bool) {
        self.require_consistent_ip.store(on, Ordering::Relaxed);
    }

    pub fn require_consistent_ip(&self) -> bool {
        self.require_consistent_ip.load(Ordering::Relaxed)
    }

    /// Opens a session for `user` bound to `factors` (F-CROWD-2).
    pub fn create(&self, user: &str, mut factors: Vec<Factor>) -> SessionInfo {
        factors.sort();
        let token = new_token();
        let now = self.clock.now();
        let created_ms = self.unix_ms();
        let info = SessionInfo {
            token: token.clone(),
            user: user.to_owned(),
            created_ms,
            expiry_ms: created_ms.saturating_add(millis(SESSION_IDLE)),
        };
        if self.max == 0 {
            return info;
        }
        let mut store = lock(&self.store);
        if store.entries.len() >= self.max {
            let dead: Vec<String> = store
                .entries
                .iter()
                .filter(|(_, s)| expired(s, now))
                .map(|(t, _)| t.clone())
                .collect();
            for token in dead {
                store.remove(&token);
            }
        }
        while store.entries.len() >= self.max {
            let Some((_, oldest)) = store.order.pop_first() else {
                break;
            };
            store.entries.remove(&oldest);
        }
        let seq = store.next_seq;
        store.next_seq += 1;
        store.order.insert(seq, token.clone());
        store.entries.insert(
            token,
            Session {
                user: user.to_owned(),
                factors,
                created_ms,
                last_used: now,
                seq,
            },
        );
        info
    }

    /// Validates `token` against `factors`; `None` compares nothing (the option
    /// off, or the `crowd_ip_unbound` fault). A valid session's idle time restarts.
    pub fn validate(&self, token: &str, factors: Option<&[Factor]>) -> Validation {
        let now = self.clock.now();
        let now_ms = self.unix_ms();
        let mut store = lock(&self.store);
        let Some(session) = store.entries.get_mut(token) else {
            return Validation::Unknown;
        };
        if expired(session, now) {
            store.remove(token);
            return Validation::Unknown;
        }
        if let Some(factors) = factors {
            let mut given = factors.to_vec();
            given.sort();
            if given != session.factors {
                return Validation::FactorsDiffer;
            }
        }
        session.last_used = now;
        Validation::Valid(SessionInfo {
            token: token.to_owned(),
            user: session.user.clone(),
            created_ms: session.created_ms,
            expiry_ms: now_ms.saturating_add(millis(SESSION_IDLE)),
        })
    }

    /// The live session behind `token`, without a factor check or extension.
    pub fn get(&self, token: &str) -> Option<SessionInfo> {
        let now = self.clock.now();
        let mut store = lock(&self.store);
        let session = store.entries.get(token)?;
        if expired(session, now) {
            store.remove(token);
            return None;
        }
        let idle_left =
            SESSION_IDLE.saturating_sub(now.saturating_duration_since(session.last_used));
        Some(SessionInfo {
            token: token.to_owned(),
            user: session.user.clone(),
            created_ms: session.created_ms,
            expiry_ms: self.unix_ms().saturating_add(millis(idle_left)),
        })
    }

    /// Ends a session; whether it existed.
    pub fn remove(&self, token: &str) -> bool {
        lock(&self.store).remove(token)
    }

    pub fn len(&self) -> usize {
        lock(&self.store).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every session.
    pub fn clear(&self) {
        *lock(&self.store) = Store::default();
    }

    fn unix_ms(&self) -> u64 {
        self.clock.unix_seconds().saturating_mul(1000)
    }
}

fn expired(session: &Session, now: Instant) -> bool {
    now.saturating_duration_since(session.last_used) >= SESSION_IDLE
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// 24 characters of URL-safe base64 from 144 random bits, the length of a Crowd
/// token and safe in a cookie.
fn new_token() -> String {
    let bytes: [u8; 18] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The service's routes, merged into the IdP router.
pub fn routes() -> Router<IdpState> {
    Router::new().route(SESSION_PATH, post(create)).route(
        &format!("{SESSION_PATH}/{{token}}"),
        post(validate).get(show).delete(end),
    )
}

/// A Crowd REST error: `{"reason":…,"message":…}` with its status (and the Basic
/// challenge on 401).
#[derive(Debug)]
struct CrowdError {
    status: StatusCode,
    reason: &'static str,
    message: String,
}

impl IntoResponse for CrowdError {
    fn into_response(self) -> Response {
        let body = json!({ "reason": self.reason, "message": self.message });
        let mut response = super::json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Crowd REST Service\""),
            );
        }
        response
    }
}

fn error(status: StatusCode, reason: &'static str, message: impl Into<String>) -> CrowdError {
    CrowdError {
        status,
        reason,
        message: message.into(),
    }
}

fn invalid_token(status: StatusCode) -> Response {
    let message = if status == StatusCode::NOT_FOUND {
        "Token does not exist or has expired"
    } else {
        "Token is not valid for the given validation factors"
    };
    error(status, "INVALID_SSO_TOKEN", message).into_response()
}

fn illegal_argument(message: impl Into<String>) -> CrowdError {
    error(StatusCode::BAD_REQUEST, "ILLEGAL_ARGUMENT", message)
}

/// The application's HTTP Basic credentials must name [`APPLICATION`] or an
/// `idp.clients` entry; `Err` is the 401 to answer.
fn authenticate_application(state: &IdpState, headers: &HeaderMap) -> Result<(), CrowdError> {
    let denied = || {
        error(
            StatusCode::UNAUTHORIZED,
            "APPLICATION_ACCESS_DENIED",
            "Application failed to authenticate",
        )
    };
    let (name, password) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| basic_credentials(v.as_bytes()))
        .ok_or_else(denied)?;
    let builtin = name == APPLICATION && password == APPLICATION_PASSWORD;
    let configured = state
        .config
        .clients
        .iter()
        .any(|c| c.id == name && c.secret == password);
    if builtin || configured {
        Ok(())
    } else {
        Err(denied())
    }
}

#[derive(Deserialize)]
struct CreateBody {
    username: String,
    password: String,
    #[serde(rename = "validation-factors", default)]
    validation_factors: FactorList,
}

#[derive(Default, Deserialize)]
struct FactorList {
    #[serde(rename = "validationFactors", default)]
    validation_factors: Vec<Factor>,
}

fn checked(factors: Vec<Factor>) -> Result<Vec<Factor>, CrowdError> {
    if factors.len() > MAX_FACTORS {
        return Err(illegal_argument(format!(
            "at most {MAX_FACTORS} validation factors"
        )));
    }
    if factors
        .iter()
        .any(|f| f.name.len() > MAX_FACTOR_LEN || f.value.len() > MAX_FACTOR_LEN)
    {
        return Err(illegal_argument(format!(
            "a validation factor is longer than {MAX_FACTOR_LEN} bytes"
        )));
    }
    Ok(factors)
}

fn session_json(state: &IdpState, info: &SessionInfo) -> serde_json::Value {
    let base = format!("{}{SESSION_PATH}", state.issuer);
    json!({
        "expand": "user",
        "token": info.token,
        "user": { "name": info.user },
        "link": { "href": format!("{base}/{}", info.token), "rel": "self" },
        "created-date": info.created_ms,
        "expiry-date": info.expiry_ms,
    })
}

/// The token of the path; one that does not decode (`%ff`) is no token (unknown).
fn token_of(path: Result<Path<String>, PathRejection>) -> String {
    path.map(|Path(token)| token).unwrap_or_default()
}

/// `POST …/session`: authenticate a user and open an SSO session bound to the
/// given factors (F-CROWD-2).
async fn create(State(state): State<IdpState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(denied) = authenticate_application(&state, &headers) {
        return denied.into_response();
    }
    let body: CreateBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return illegal_argument(format!("the body is not a session request: {e}"))
                .into_response();
        }
    };
    let factors = match checked(body.validation_factors.validation_factors) {
        Ok(factors) => factors,
        Err(e) => return e.into_response(),
    };
    let known = state
        .config
        .users
        .iter()
        .find(|u| u.name == body.username && u.password == body.password);
    let Some(user) = known else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_USER_AUTHENTICATION",
            "Failed to authenticate principal, password was invalid",
        )
        .into_response();
    };
    let info = state.crowd.create(&user.name, factors);
    let mut response = super::json(StatusCode::CREATED, &session_json(&state, &info));
    let location = format!("{}{SESSION_PATH}/{}", state.issuer, info.token);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `POST …/session/{token}`: validate against the body's factors (F-CROWD-2),
/// unless "Require consistent client IP address" is off.
async fn validate(
    State(state): State<IdpState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(denied) = authenticate_application(&state, &headers) {
        return denied.into_response();
    }
    let token = token_of(token);
    let factors = if body.iter().all(u8::is_ascii_whitespace) {
        Vec::new()
    } else {
        match serde_json::from_slice::<FactorList>(&body) {
            Ok(list) => match checked(list.validation_factors) {
                Ok(factors) => factors,
                Err(e) => return e.into_response(),
            },
            Err(e) => {
                return illegal_argument(format!("the body is not validation factors: {e}"))
                    .into_response();
            }
        }
    };
    let compare = state.crowd.require_consistent_ip();
    match state
        .crowd
        .validate(&token, compare.then_some(&factors[..]))
    {
        Validation::Valid(info) => super::json(StatusCode::OK, &session_json(&state, &info)),
        Validation::Unknown => invalid_token(StatusCode::NOT_FOUND),
        Validation::FactorsDiffer => invalid_token(StatusCode::BAD_REQUEST),
    }
}

/// `GET …/session/{token}`: the live session, without a factor check.
async fn show(
    State(state): State<IdpState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    if let Err(denied) = authenticate_application(&state, &headers) {
        return denied.into_response();
    }
    match state.crowd.get(&token_of(token)) {
        Some(info) => super::json(StatusCode::OK, &session_json(&state, &info)),
        None => invalid_token(StatusCode::NOT_FOUND),
    }
}

/// `DELETE …/session/{token}`: ends it; `204` whether it existed or not.
async fn end(
    State(state): State<IdpState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    if let Err(denied) = authenticate_application(&state, &headers) {
        return denied.into_response();
    }
    state.crowd.remove(&token_of(token));
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(address: &str) -> Vec<Factor> {
        vec![Factor::new(REMOTE_ADDRESS, address)]
    }

    #[test]
    fn tokens_are_bound_to_their_factors_and_expire_idle() {
        let clock = Clock::new();
        let sessions = CrowdSessions::new(clock.clone());
        let info = sessions.create("alice", at("10.0.0.5"));
        assert_eq!(info.token.len(), 24);
        assert!(matches!(
            sessions.validate(&info.token, Some(&at("10.0.0.5"))),
            Validation::Valid(s) if s.user == "alice"
        ));
        assert_eq!(
            sessions.validate(&info.token, Some(&at("10.0.0.6"))),
            Validation::FactorsDiffer
        );
        assert!(matches!(
            sessions.validate(&info.token, None),
            Validation::Valid(_)
        ));
        clock.advance(SESSION_IDLE);
        assert_eq!(sessions.validate(&info.token, None), Validation::Unknown);
        assert!(sessions.is_empty());
    }

    #[test]
    fn factor_order_does_not_matter() {
        let sessions = CrowdSessions::new(Clock::new());
        let both = vec![
            Factor::new(X_FORWARDED_FOR, "1.2.3.4"),
            Factor::new(REMOTE_ADDRESS, "10.0.0.1"),
        ];
        let info = sessions.create("alice", both.clone());
        let reversed: Vec<Factor> = both.into_iter().rev().collect();
        assert!(matches!(
            sessions.validate(&info.token, Some(&reversed)),
            Validation::Valid(_)
        ));
    }

    #[test]
    fn the_store_is_capped() {
        let sessions = CrowdSessions::with_capacity(Clock::new(), 2);
        let first = sessions.create("a", vec![]);
        sessions.create("b", vec![]);
        sessions.create("c", vec![]);
        assert_eq!(sessions.len(), 2);
        assert!(
            sessions.get(&first.token).is_none(),
            "the oldest is evicted"
        );
        let none = CrowdSessions::with_capacity(Clock::new(), 0);
        let token = none.create("a", vec![]).token;
        assert_eq!(none.validate(&token, None), Validation::Unknown);
    }

    #[test]
    fn basic_credentials_parse_safely() {
        assert_eq!(
            basic_credentials(b"Basic Y29uZmx1ZW5jZTpjb25mbHVlbmNlLXNlY3JldA=="),
            Some(("confluence".into(), "confluence-secret".into()))
        );
        for bad in [
            &b"Basic"[..],
            b"Basic !!",
            b"Bearer x",
            b"Basic Zm9v",
            b"\xff\xfe",
        ] {
            assert_eq!(basic_credentials(bad), None);
        }
    }
}
