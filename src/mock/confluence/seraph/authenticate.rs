//! Seraph's authenticate stage (F-BASIC-*, F-SESS-*): who is calling, and what a
//! failed login answers.
//!
//! [`authenticate`] tries the HTTP session, then the remember-me cookie, then the
//! Crowd SSO cookie (with Crowd on), then the Basic header; the first that yields
//! a user wins (F-BASIC-1). It never challenges on its own (F-BASIC-2). When none
//! of them names a user, the token authenticators ([`super::tokens`]) are asked in
//! order. The `slow_auth` wait ([`super::credentials`]) comes first of all.

use std::net::IpAddr;
use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::auth_type::AuthType;
use super::basic::{BasicHeader, parse_basic};
use super::credentials::{SLOW_AUTH_DELAY, carries_credentials};
use super::names::{REMEMBER_ME_COOKIE, SESSION_COOKIE, X_SERAPH_LOGIN_REASON};
use super::stamp::{Stamp, username_header};
use super::tokens::{TokenAuthenticator, TokenRequest};
use crate::mock::confluence::caller::{AuthMethod, AuthenticatedToken, Caller};
use crate::mock::confluence::client_addr::Peer;
use crate::mock::confluence::crowd_sso::CrowdSso;
use crate::mock::confluence::request;
use crate::mock::confluence::respond::send_error;
use crate::mock::confluence::state::State;
use crate::mock::confluence::users::LoginOutcome;
use crate::mock::confluence::verdict::TokenVerdict;
use crate::mock::sync::lock;
use crate::scenario::mock_config::Fault;

/// A user some step found, and how.
type Found = Option<(String, AuthMethod)>;

/// The authenticate stage: decides the [`Caller`] (and puts it, with the
/// [`AuthMethod`], in the request), answers failed logins and `os_authType`
/// demands itself (`Err`); else what the stamp adds to the response.
pub async fn authenticate(state: &State, req: &mut Request) -> Result<Stamp, Response> {
    // First, so every authenticator (and the clock they read) sees the request
    // after the wait, as on a server whose authentication itself is slow.
    if state.faults.has(Fault::SlowAuth) && carries_credentials(req.headers(), req.uri()) {
        tokio::time::sleep(SLOW_AUTH_DELAY).await;
    }
    let is_rest = state.relative(req.uri().path()).starts_with("/rest/");
    let auth_type = AuthType::of(req.uri(), is_rest);
    let now = state.clock.now();
    let mut stamp = Stamp::default();
    let mut token = None;

    // F-BASIC-1, first the HTTP session.
    let session_cookie = request::cookie(req.headers(), SESSION_COOKIE);
    let mut found: Found = session_cookie
        .as_deref()
        .and_then(|id| lock(&state.sessions).lookup(id, now))
        .filter(|name| state.directory.can_login(name))
        .map(|name| (name, AuthMethod::Session));
    // Seraph's `getUser` stamps `OK` for a session user too (F-BASIC-12).
    stamp.login_ok = found.is_some();
    if found.is_none() {
        found = remembered(state, req.headers(), now, &mut stamp);
    }
    if found.is_none() {
        if let Some(sso_token) = state
            .verifiers
            .crowd_sso
            .as_ref()
            .and_then(|_| CrowdSso::token(req.headers()))
        {
            let peer = req
                .extensions()
                .get::<Peer>()
                .map_or(IpAddr::from([127, 0, 0, 1]), |p| p.0);
            // Boxed, and only with a cookie: the call to Crowd would otherwise
            // widen every request's future.
            found = Box::pin(crowd_sso(
                state,
                &sso_token,
                peer,
                req.headers(),
                now,
                &mut stamp,
            ))
            .await;
        }
    }
    if found.is_none() {
        found = basic(state, req.headers(), now, &mut stamp).map_err(login_failed)?;
    }
    // Without an `Authorization` header or a query (`?jwt=`) every token
    // authenticator passes, so the chain is not run.
    if found.is_none()
        && (req.headers().contains_key(header::AUTHORIZATION) || req.uri().query().is_some())
    {
        // Only the parts: the request's body is not `Sync`, and this future is
        // `Send`.
        let parts = TokenRequest {
            method: req.method(),
            uri: req.uri(),
            headers: req.headers(),
        };
        // Boxed: the chain's future (an introspection call among it) would
        // otherwise widen every request's future (see `pipeline`).
        let by_token = Box::pin(tokens(state, parts, now, &mut stamp)).await?;
        found = by_token.map(|(name, method, credential)| {
            token = Some(AuthenticatedToken::of(method, &credential));
            (name, method)
        });
    }
    if found.is_none() {
        if let Some(refused) = refuse_unauthenticated(state, auth_type, session_cookie.is_some()) {
            return Err(refused);
        }
    }
    record(req, found, &mut stamp);
    if let Some(token) = token {
        req.extensions_mut().insert(token);
    }
    Ok(stamp)
}

/// A login on this request: a new session and `X-Seraph-LoginReason: OK`.
fn open_session(state: &State, name: &str, now: Instant, stamp: &mut Stamp) {
    stamp.new_session = Some(lock(&state.sessions).create(name, now));
    stamp.login_ok = true;
}

/// F-BASIC-1, then the remember-me cookie (F-SESS-2); it opens a new session.
fn remembered(state: &State, headers: &HeaderMap, now: Instant, stamp: &mut Stamp) -> Found {
    let name = request::cookie(headers, REMEMBER_ME_COOKIE)
        .and_then(|token| lock(&state.remember_me).lookup(&token, now))
        .filter(|name| state.directory.can_login(name))?;
    open_session(state, &name, now, stamp);
    Some((name, AuthMethod::RememberMe))
}

/// Crowd SSO after remember-me (emulator.md's order): Crowd validates the
/// token; a valid SSO cookie opens a session (F-CROWD-4), an invalid one is no
/// credential at all.
async fn crowd_sso(
    state: &State,
    token: &str,
    peer: IpAddr,
    headers: &HeaderMap,
    now: Instant,
    stamp: &mut Stamp,
) -> Found {
    let crowd = state.verifiers.crowd_sso.as_ref()?;
    let claimed = crowd.validate(token, peer, headers).await?;
    let user = state.directory.get(&claimed)?;
    if !state.directory.can_login(&user.name) {
        return None;
    }
    let name = user.name.clone();
    open_session(state, &name, now, stamp);
    Some((name, AuthMethod::CrowdSso))
}

/// F-BASIC-1, last the Basic header; a Basic login opens a session (F-BASIC-7).
/// `Err` is the outcome of a failed login (F-BASIC-5/6), undecodable
/// credentials included.
fn basic(
    state: &State,
    headers: &HeaderMap,
    now: Instant,
    stamp: &mut Stamp,
) -> Result<Found, LoginOutcome> {
    match parse_basic(headers, state.faults.has(Fault::LowercaseBasicAccepted)) {
        BasicHeader::Absent => Ok(None),
        // Undecodable credentials are a failed login, never a crash (F-BASIC-4/5).
        BasicHeader::Malformed => Err(LoginOutcome::Failed),
        BasicHeader::Credentials {
            user: name,
            password,
        } => match state.directory.login(&name, &password) {
            LoginOutcome::Ok(name) => {
                open_session(state, &name, now, stamp);
                Ok(Some((name, AuthMethod::Basic)))
            }
            // F-BASIC-5 (AUTHENTICATED_FAILED), F-BASIC-6 (AUTHENTICATION_DENIED).
            failed => Err(failed),
        },
    }
}

/// The token authenticators, in order; the first that claims the token decides.
/// A token login keeps no session (F-PAT-4: invalidated after each PAT request;
/// OAuth bearer requests are stateless too), so none is opened. A user comes
/// with the token that authenticated them, as their authenticator read it.
async fn tokens(
    state: &State,
    token_request: TokenRequest<'_>,
    now: Instant,
    stamp: &mut Stamp,
) -> Result<Option<(String, AuthMethod, String)>, Response> {
    for authenticator in TokenAuthenticator::chain(state) {
        match authenticator.verify(state, token_request, now).await {
            TokenVerdict::Pass => continue,
            TokenVerdict::Anonymous => return Ok(None),
            TokenVerdict::User(name, how) => {
                // F-PAT-1: a valid PAT gives `X-Seraph-LoginReason: OK`; the OAuth
                // filter logs in through the same listener, so it does too.
                stamp.login_ok = true;
                stamp.cache_private = how == AuthMethod::NativeOauth;
                let credential = authenticator.credential(token_request).unwrap_or_default();
                return Ok(Some((name, how, credential)));
            }
            TokenVerdict::Reject(response) => return Err(response),
        }
    }
    Ok(None)
}

/// What an anonymous request is answered when it asked to be someone; `None`
/// lets it go on anonymously.
fn refuse_unauthenticated(
    state: &State,
    auth_type: AuthType,
    had_session_cookie: bool,
) -> Option<Response> {
    // F-BASIC-3: the only way to get a Basic challenge is to ask for one.
    if auth_type == AuthType::Basic {
        return Some(basic_challenge());
    }
    if auth_type == AuthType::Cookie {
        return Some(send_error(
            StatusCode::UNAUTHORIZED,
            "os_authType was 'cookie' but no valid cookie was sent.",
        ));
    }
    // F-SESS-1: a dead session cookie under `any` is refused, not made anonymous.
    if auth_type == AuthType::Any
        && had_session_cookie
        && !state.faults.has(Fault::StaleSessionAnonymous)
    {
        return Some(send_error(
            StatusCode::UNAUTHORIZED,
            "os_authType was 'any' and an invalid cookie was sent.",
        ));
    }
    None
}

/// Puts the decision into the request for the stages and resources after this one.
fn record(req: &mut Request, found: Found, stamp: &mut Stamp) {
    match found {
        Some((name, method)) => {
            stamp.username = username_header(&name);
            req.extensions_mut().insert(Caller::User(name));
            req.extensions_mut().insert(method);
        }
        None => {
            stamp.anonymous = true;
            req.extensions_mut().insert(Caller::Anonymous);
        }
    }
}

/// F-BASIC-5/6: a refused Basic login, on every path. Seraph's
/// `DefaultAuthenticator` answers with `sendError(401, "Basic Authentication
/// Failure - Reason : …")`, so the client gets Tomcat's HTML error page
/// (`text/html;charset=utf-8`, as KB 966681459's capture shows), never the
/// `/rest/api` JSON error.
fn login_failed(outcome: LoginOutcome) -> Response {
    let message = format!(
        "Basic Authentication Failure - Reason : {}",
        outcome.basic_page_reason()
    );
    let mut response = send_error(StatusCode::UNAUTHORIZED, &message);
    response.headers_mut().insert(
        X_SERAPH_LOGIN_REASON,
        HeaderValue::from_static(outcome.reason()),
    );
    response
}

/// F-BASIC-3: the challenge asked for with `os_authType=basic`.
fn basic_challenge() -> Response {
    let mut response = send_error(StatusCode::UNAUTHORIZED, "Basic authentication required");
    response.headers_mut().append(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"protected-area\""),
    );
    response
}
