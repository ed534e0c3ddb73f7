//! Authentication the way Seraph does it (F-BASIC-*, F-SESS-*): who is calling,
//! what a failed login answers, and the headers every response carries.
//!
//! [`authenticate`] tries the HTTP session, then the remember-me cookie, then the
//! Crowd SSO cookie (with Crowd on, [`crowd_sso`]), then the Basic header; the first
//! that yields a user wins (F-BASIC-1). It never
//! challenges on its own (F-BASIC-2). When none of them names a user, an
//! `Authorization: Bearer` value goes through the [`TOKEN_AUTHENTICATORS`] in
//! order (PAT, then native OAuth; the REST-auth plugin's bearer and Connect JWT
//! verifiers join that list): the first that claims the token decides.
//! [`oauth_challenge`] adds the OAuth 1 challenge to every 401, whoever produced
//! it (F-BASIC-8).
//!
//! The `slow_auth` fault (load-only: it breaks no fact) holds every request that
//! [`carries_credentials`] for [`SLOW_AUTH_DELAY`] before all of this, here and
//! nowhere else, so no way of authenticating escapes it and anonymous requests
//! stay fast.

use axum::extract::Request;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Serialize;

use super::connect_jwt::{ConnectJwtVerifier, JwtOutcome};
use super::crowd_sso;
use super::plugin_bearer::{BearerOutcome, PluginBearerVerifier};
use super::request::{self, form_encode};
use super::users::LoginOutcome;
use super::{Caller, REMEMBER_ME_SECS, State, escape, json, lock, native_oauth, pats};
use crate::scenario::mock_config::Fault;

pub const SESSION_COOKIE: &str = "JSESSIONID";
pub const REMEMBER_ME_COOKIE: &str = "seraph.confluence";
pub const X_SERAPH_LOGIN_REASON: HeaderName = HeaderName::from_static("x-seraph-loginreason");
pub const X_AUSERNAME: HeaderName = HeaderName::from_static("x-ausername");

/// How long the `slow_auth` fault holds each request that carries credentials
/// before authenticating it. The clean mock authenticates in well under a
/// millisecond, so a latency threshold it meets is breached by a wide margin,
/// while a load run with the fault on stays short.
pub const SLOW_AUTH_DELAY: Duration = Duration::from_millis(50);

/// `os_authType` (F-BASIC-3): what the client says it authenticates with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    Basic,
    Cookie,
    Any,
    None,
}

impl AuthType {
    /// From the query; absent means `any` under `/rest/` and `none` elsewhere, and
    /// an unknown value means `none`.
    pub fn of(uri: &Uri, is_rest: bool) -> Self {
        match request::query_param(uri, "os_authType").as_deref() {
            Some("basic") => AuthType::Basic,
            Some("cookie") => AuthType::Cookie,
            Some("any") => AuthType::Any,
            Some(_) => AuthType::None,
            None if is_rest => AuthType::Any,
            None => AuthType::None,
        }
    }
}

/// What the `Authorization` header holds, as far as Basic is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BasicHeader {
    /// No header, or another scheme: not Basic, so the request stays anonymous.
    Absent,
    /// `Basic ` followed by something that is not base64.
    Malformed,
    Credentials {
        user: String,
        password: String,
    },
}

/// Parses Basic credentials (F-BASIC-4): only a header starting with exactly
/// `Basic ` counts (the scheme is case-sensitive in Seraph, unlike RFC 7617);
/// the payload is base64 of ISO-8859-1 text, split at the first `:`, and with no
/// colon both user and password are empty. `any_case` is the
/// `lowercase_basic_accepted` fault.
pub fn parse_basic(headers: &HeaderMap, any_case: bool) -> BasicHeader {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return BasicHeader::Absent;
    };
    let bytes = value.as_bytes();
    let is_basic = bytes.starts_with(b"Basic ")
        || (any_case && bytes.len() >= 6 && bytes[..6].eq_ignore_ascii_case(b"basic "));
    if !is_basic {
        return BasicHeader::Absent;
    }
    let payload = bytes[6..].trim_ascii();
    let Ok(decoded) = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT.decode(payload)
    else {
        return BasicHeader::Malformed;
    };
    // ISO-8859-1: every byte is the code point of the same value (ASCII, the
    // usual case, is already UTF-8 as it is).
    let text: String = if decoded.is_ascii() {
        String::from_utf8(decoded).unwrap_or_default()
    } else {
        decoded.iter().map(|&b| char::from(b)).collect()
    };
    match text.split_once(':') {
        Some((user, password)) => BasicHeader::Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        },
        None => BasicHeader::Credentials {
            user: String::new(),
            password: String::new(),
        },
    }
}

/// How the caller was authenticated; [`authenticate`] puts it in the request's
/// extensions beside the [`Caller`] (anonymous requests have none). Resources that
/// care read it, e.g. PAT management refuses PAT callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    RememberMe,
    /// A `crowd.token_key` the Crowd server validated (F-CROWD-2).
    CrowdSso,
    Basic,
    /// A personal access token (F-PAT-1).
    Pat,
    /// An access token of Confluence's own OAuth 2 provider (F-OAUTH-2).
    NativeOauth,
    /// A bearer token a REST-auth plugin validated (F-OAUTH-3, F-PLUG-7).
    PluginBearer,
    /// An Atlassian Connect JWT (F-JWT-*, F-TOKAUTH-4).
    ConnectJwt,
}

/// The `Bearer` token of the `Authorization` header, as the PAT filter reads it
/// (F-PAT-1): the header starts with `Bearer` (case-sensitive) and has exactly two
/// space-separated parts. Anything else is no bearer token at all. Native OAuth
/// reads the header the same way here (the facts are silent on its parsing).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("Bearer"), Some(token), None) if !token.is_empty() => Some(token),
        _ => None,
    }
}

/// Whether the request presents something an authenticator checks: the session,
/// remember-me or Crowd SSO cookie, any `Authorization` header (Basic, Bearer,
/// JWT), or a Connect `?jwt=`. Valid or not: a real server pays for checking a bad
/// credential too, and a load test that sends bad ones must see the cost.
pub fn carries_credentials(headers: &HeaderMap, uri: &Uri) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || [SESSION_COOKIE, REMEMBER_ME_COOKIE, crowd_sso::SSO_COOKIE]
            .iter()
            .any(|name| request::cookie(headers, name).is_some())
        || request::query_param(uri, "jwt").is_some_and(|token| !token.is_empty())
}

/// What one token authenticator made of a request.
#[derive(Debug)]
pub enum TokenVerdict {
    /// Not a token of its kind: the next authenticator looks.
    Pass,
    /// Its kind, but invalid, expired or revoked: no one else looks and the request
    /// goes on anonymously (F-PAT-2, F-OAUTH-2: never a 401 by itself).
    Anonymous,
    /// The token names this (stored) user.
    User(String, AuthMethod),
    /// The request ends here with this answer (verifiers that refuse bad tokens,
    /// like a REST-auth plugin's bearer or Connect JWT).
    Reject(Response),
}

/// The token authenticators, tried in [`TOKEN_AUTHENTICATORS`] order after the
/// session, remember-me and Basic have named no one (emulator.md: "session,
/// remember-me, Crowd SSO, Basic, PAT, native OAuth, plugin bearer, Connect JWT").
/// A new verifier is a variant here, an arm in [`TokenAuthenticator::verify`] and
/// a place in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAuthenticator {
    /// `?jwt=` or `Authorization: JWT …` (F-TOKAUTH-4); refuses bad tokens itself.
    ConnectJwt,
    /// Bearer values that decode to the 44-character PAT shape (F-PAT-1..3).
    Pat,
    /// Every other bearer value (F-OAUTH-2).
    NativeOauth,
    /// With a REST-auth plugin: PATs only if the plugin allows them (F-PLUG-3).
    PluginPatGate,
    /// With a REST-auth plugin: Confluence's own live OAuth tokens, if allowed;
    /// anything else goes on to the plugin instead of becoming anonymous.
    PluginNativeOauth,
    /// The plugin's own validation, which refuses what it cannot verify
    /// (F-OAUTH-3: a missing or invalid token gets 401).
    PluginBearer,
}

/// The order the token authenticators are asked in without a REST-auth plugin.
/// The PAT step claims only PAT-shaped values, so native OAuth sees every other
/// bearer value.
pub const TOKEN_AUTHENTICATORS: &[TokenAuthenticator] = &[
    TokenAuthenticator::ConnectJwt,
    TokenAuthenticator::Pat,
    TokenAuthenticator::NativeOauth,
];

/// The order with a REST-auth plugin in front of the REST API.
pub const PLUGIN_TOKEN_AUTHENTICATORS: &[TokenAuthenticator] = &[
    TokenAuthenticator::ConnectJwt,
    TokenAuthenticator::PluginPatGate,
    TokenAuthenticator::PluginNativeOauth,
    TokenAuthenticator::PluginBearer,
];

/// The request parts a token authenticator may read (Connect JWT also reads the
/// method and the `jwt` query parameter).
#[derive(Clone, Copy, Debug)]
pub struct TokenRequest<'a> {
    pub method: &'a axum::http::Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    /// Where `start` put the verifiers that need the IdP or the scenario's keys.
    pub extensions: &'a axum::http::Extensions,
}

impl TokenAuthenticator {
    /// Async so verifiers that call out (introspection at an IdP) fit the same list.
    pub async fn verify(self, state: &State, req: TokenRequest<'_>, now: Instant) -> TokenVerdict {
        match self {
            TokenAuthenticator::Pat => pats::authenticate(state, req.headers, now),
            TokenAuthenticator::NativeOauth => native_oauth::authenticate(state, req.headers, now),
            TokenAuthenticator::ConnectJwt => {
                let Some(verifier) = req.extensions.get::<std::sync::Arc<ConnectJwtVerifier>>()
                else {
                    return TokenVerdict::Pass;
                };
                let authorization = req
                    .headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok());
                let query = req.uri.query().unwrap_or_default();
                let unix_now = state.clock.unix_seconds();
                match verifier.verify(
                    req.method.as_str(),
                    req.uri.path(),
                    query,
                    authorization,
                    unix_now,
                ) {
                    JwtOutcome::NoToken => TokenVerdict::Pass,
                    JwtOutcome::User { name } => match state.directory.get(&name) {
                        Some(user) if state.directory.can_login(&user.name) => {
                            TokenVerdict::User(user.name.clone(), AuthMethod::ConnectJwt)
                        }
                        _ => TokenVerdict::Reject(jwt_error(
                            401,
                            "The JWT names no user of this instance.",
                        )),
                    },
                    JwtOutcome::Reject { status, message } => {
                        TokenVerdict::Reject(jwt_error(status, &message))
                    }
                }
            }
            TokenAuthenticator::PluginPatGate => {
                let plugin_allows = state.config.plugin.as_ref().is_none_or(|p| p.allow_pat);
                match pats::authenticate(state, req.headers, now) {
                    TokenVerdict::Pass => TokenVerdict::Pass,
                    _ if !plugin_allows => {
                        plugin_reject(state, "personal access tokens are disabled")
                    }
                    verdict => verdict,
                }
            }
            TokenAuthenticator::PluginNativeOauth => {
                let plugin_allows = state
                    .config
                    .plugin
                    .as_ref()
                    .is_none_or(|p| p.allow_native_oauth);
                match native_oauth::authenticate(state, req.headers, now) {
                    verdict @ TokenVerdict::User(..) if plugin_allows => verdict,
                    _ => TokenVerdict::Pass,
                }
            }
            TokenAuthenticator::PluginBearer => {
                let Some(verifier) = req.extensions.get::<std::sync::Arc<PluginBearerVerifier>>()
                else {
                    return TokenVerdict::Pass;
                };
                let authorization = req
                    .headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok());
                // Boxed: the introspection call's future is large, and only
                // plugin bearer requests make it.
                match Box::pin(verifier.verify(authorization)).await {
                    BearerOutcome::NotBearer => TokenVerdict::Pass,
                    // The plugin maps to a Confluence user; one Confluence does not know
                    // (or who may not log in) is refused like a bad token.
                    BearerOutcome::User { name } => match state.directory.get(&name) {
                        Some(user) if state.directory.can_login(&user.name) => {
                            TokenVerdict::User(user.name.clone(), AuthMethod::PluginBearer)
                        }
                        _ => plugin_reject(state, "the token names no Confluence user"),
                    },
                    BearerOutcome::Reject { status, reason } => {
                        TokenVerdict::Reject(bearer_error(status, &reason))
                    }
                }
            }
        }
    }
}

/// The JWT filter's refusal (F-TOKAUTH-4): the status it chose and its message,
/// as the `/rest/api` error shape.
fn jwt_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    let body = serde_json::json!({
        "statusCode": status.as_u16(),
        "message": message,
        "reason": status.canonical_reason().unwrap_or_default(),
    });
    (status, axum::Json(body)).into_response()
}

/// The plugin's refusal of a token it will not take (F-PLUG-3's `reject_status`).
fn plugin_reject(state: &State, reason: &str) -> TokenVerdict {
    let status = state
        .config
        .plugin
        .as_ref()
        .map_or(401, |p| p.reject_status);
    TokenVerdict::Reject(bearer_error(status, reason))
}

/// An RFC 6750 error answer (F-OAUTH-5): `invalid_token` on 401, with a JSON body
/// in the `/rest/api` error shape.
fn bearer_error(status: u16, reason: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    let body = serde_json::json!({
        "statusCode": status.as_u16(),
        "message": reason,
        "reason": status.canonical_reason().unwrap_or_default(),
    });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let escaped = reason.replace('"', "'");
        if let Ok(value) = HeaderValue::from_str(&format!(
            "Bearer realm=\"Confluence\", error=\"invalid_token\", error_description=\"{escaped}\""
        )) {
            response
                .headers_mut()
                .append(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

/// What authentication adds to the response once the resource has answered
/// ([`stamp`]).
#[derive(Debug, Default)]
pub struct Stamp {
    /// `X-Seraph-LoginReason: OK` (a login happened on this request).
    login_ok: bool,
    new_session: Option<String>,
    /// F-OAUTH-2: a bearer-authenticated answer is `Cache-Control: private`.
    cache_private: bool,
    /// `X-AUSERNAME` of the user (`None` for one whose name cannot be a header).
    username: Option<HeaderValue>,
    anonymous: bool,
}

/// The authenticate stage: decides the [`Caller`] (and puts it, with the
/// [`AuthMethod`], in the request), answers failed logins and `os_authType`
/// demands itself (`Err`); else what [`stamp`] adds to the response.
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

    // F-BASIC-1, first the HTTP session.
    let session_cookie = request::cookie(req.headers(), SESSION_COOKIE);
    let mut user = session_cookie
        .as_deref()
        .and_then(|id| lock(&state.sessions).lookup(id, now))
        .filter(|name| state.directory.can_login(name));
    let mut method = user.is_some().then_some(AuthMethod::Session);

    // F-BASIC-1, then the remember-me cookie (F-SESS-2); it opens a new session.
    if user.is_none() {
        let remembered = request::cookie(req.headers(), REMEMBER_ME_COOKIE)
            .and_then(|token| lock(&state.remember_me).lookup(&token, now))
            .filter(|name| state.directory.can_login(name));
        if let Some(name) = remembered {
            stamp.new_session = Some(lock(&state.sessions).create(&name, now));
            stamp.login_ok = true;
            user = Some(name);
            method = Some(AuthMethod::RememberMe);
        }
    }

    // Crowd SSO after remember-me (emulator.md's order); a valid SSO cookie opens a
    // session (F-CROWD-4), an invalid one is no credential at all.
    if user.is_none() {
        if let Some(name) = crowd_sso::authenticate(state, req.headers(), req.extensions()) {
            stamp.new_session = Some(lock(&state.sessions).create(&name, now));
            stamp.login_ok = true;
            user = Some(name);
            method = Some(AuthMethod::CrowdSso);
        }
    }

    // F-BASIC-1, last the Basic header; a Basic login opens a session (F-BASIC-7).
    if user.is_none() {
        match parse_basic(
            req.headers(),
            state.faults.has(Fault::LowercaseBasicAccepted),
        ) {
            BasicHeader::Absent => {}
            // Undecodable credentials are a failed login, never a crash (F-BASIC-4/5).
            BasicHeader::Malformed => return Err(login_failed(is_rest, "AUTHENTICATED_FAILED")),
            BasicHeader::Credentials {
                user: name,
                password,
            } => {
                match state.directory.login(&name, &password) {
                    LoginOutcome::Ok(name) => {
                        stamp.new_session = Some(lock(&state.sessions).create(&name, now));
                        stamp.login_ok = true;
                        user = Some(name);
                        method = Some(AuthMethod::Basic);
                    }
                    // F-BASIC-5 (AUTHENTICATED_FAILED), F-BASIC-6 (AUTHENTICATION_DENIED).
                    failed => return Err(login_failed(is_rest, failed.reason())),
                }
            }
        }
    }

    // Then the token authenticators, in order; the first that claims the token
    // decides. A token login keeps no session (F-PAT-4: invalidated after each
    // PAT request; OAuth bearer requests are stateless too), so none is opened.
    if user.is_none() {
        let token_request = TokenRequest {
            method: req.method(),
            uri: req.uri(),
            headers: req.headers(),
            extensions: req.extensions(),
        };
        let authenticators = if state.config.plugin.is_some() {
            PLUGIN_TOKEN_AUTHENTICATORS
        } else {
            TOKEN_AUTHENTICATORS
        };
        for authenticator in authenticators {
            match authenticator.verify(state, token_request, now).await {
                TokenVerdict::Pass => continue,
                TokenVerdict::Anonymous => {}
                TokenVerdict::User(name, how) => {
                    // F-PAT-1: a valid PAT gives `X-Seraph-LoginReason: OK`; the OAuth
                    // filter logs in through the same listener, so it does too.
                    stamp.login_ok = true;
                    stamp.cache_private = how == AuthMethod::NativeOauth;
                    user = Some(name);
                    method = Some(how);
                }
                TokenVerdict::Reject(response) => return Err(response),
            }
            break;
        }
    }

    if user.is_none() {
        // F-BASIC-3: the only way to get a Basic challenge is to ask for one.
        if auth_type == AuthType::Basic {
            return Err(basic_challenge());
        }
        if auth_type == AuthType::Cookie {
            return Err(send_error(
                StatusCode::UNAUTHORIZED,
                "os_authType was 'cookie' but no valid cookie was sent.",
            ));
        }
        // F-SESS-1: a dead session cookie under `any` is refused, not made anonymous.
        if auth_type == AuthType::Any
            && session_cookie.is_some()
            && !state.faults.has(Fault::StaleSessionAnonymous)
        {
            return Err(send_error(
                StatusCode::UNAUTHORIZED,
                "os_authType was 'any' and an invalid cookie was sent.",
            ));
        }
    }

    match user {
        Some(name) => {
            stamp.username = username_header(&name);
            req.extensions_mut().insert(Caller::User(name));
            if let Some(method) = method {
                req.extensions_mut().insert(method);
            }
        }
        None => {
            stamp.anonymous = true;
            req.extensions_mut().insert(Caller::Anonymous);
        }
    }
    Ok(stamp)
}

/// The Seraph headers [`authenticate`] stamps on the resource's answer.
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

/// The F-ANON-4 error shape of `/rest/api/*`, fields in Confluence's order.
#[derive(Serialize)]
pub struct RestError<'a> {
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    pub data: RestErrorData,
    pub message: &'a str,
    pub reason: &'a str,
}

#[derive(Serialize)]
pub struct RestErrorData {
    pub authorized: bool,
    pub valid: bool,
    pub errors: [(); 0],
    pub successful: bool,
}

/// A `/rest/api` error response (F-ANON-4).
pub fn rest_error(status: StatusCode, message: &str) -> Response {
    let body = RestError {
        status_code: status.as_u16(),
        data: RestErrorData {
            authorized: status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            valid: true,
            errors: [],
            successful: false,
        },
        message,
        reason: status.canonical_reason().unwrap_or(""),
    };
    json(status, &body)
}

/// F-BASIC-5/6: a refused login. The body names the reason: JSON under `/rest/`,
/// Seraph's text elsewhere.
fn login_failed(is_rest: bool, reason: &'static str) -> Response {
    let message = format!("Basic Authentication Failure - Reason : {reason}");
    let mut response = if is_rest {
        rest_error(StatusCode::UNAUTHORIZED, &message)
    } else {
        (StatusCode::UNAUTHORIZED, message).into_response()
    };
    response
        .headers_mut()
        .insert(X_SERAPH_LOGIN_REASON, HeaderValue::from_static(reason));
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

/// Tomcat's error page, as `HttpServletResponse.sendError` produces it.
pub fn send_error(status: StatusCode, message: &str) -> Response {
    let title = format!(
        "HTTP Status {} – {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><title>{title}</title></head><body><h1>{title}</h1>\
         <p><b>Message</b> {}</p></body></html>",
        escape(message)
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html;charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(value).unwrap(),
        );
        headers
    }

    fn creds(user: &str, password: &str) -> BasicHeader {
        BasicHeader::Credentials {
            user: user.into(),
            password: password.into(),
        }
    }

    #[test]
    fn basic_is_case_sensitive_latin1_and_split_at_the_first_colon() {
        assert_eq!(
            parse_basic(&auth(b"Basic YWxpY2U6YWxpY2UtcHc="), false),
            creds("alice", "alice-pw")
        );
        assert_eq!(
            parse_basic(&auth(b"basic YWxpY2U6YWxpY2UtcHc="), false),
            BasicHeader::Absent
        );
        assert_eq!(
            parse_basic(&auth(b"basic YWxpY2U6YWxpY2UtcHc="), true),
            creds("alice", "alice-pw")
        );
        assert_eq!(
            parse_basic(&auth(b"BASIC YWxpY2U6YWxpY2UtcHc="), false),
            BasicHeader::Absent
        );
        // "a:b:c" → user a, password b:c
        assert_eq!(
            parse_basic(&auth(b"Basic YTpiOmM="), false),
            creds("a", "b:c")
        );
        // "alice" without a colon → empty user and password
        assert_eq!(parse_basic(&auth(b"Basic YWxpY2U="), false), creds("", ""));
        // 0xE9 is é in ISO-8859-1: "\xe9:x"
        assert_eq!(parse_basic(&auth(b"Basic 6Tp4"), false), creds("é", "x"));
        assert_eq!(
            parse_basic(&auth(b"Basic !!not base64!!"), false),
            BasicHeader::Malformed
        );
        assert_eq!(
            parse_basic(&auth(b"Bearer abc"), false),
            BasicHeader::Absent
        );
        assert_eq!(parse_basic(&HeaderMap::new(), false), BasicHeader::Absent);
    }

    /// The `slow_auth` fault waits exactly when this says yes, so this is where
    /// "anonymous requests are not delayed" is proved, without timing anything.
    #[test]
    fn credentials_are_what_an_authenticator_would_check() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let plain = uri("/rest/api/content");
        let cookie = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, HeaderValue::from_static(value));
            headers
        };
        for value in [
            &b"Basic YWxpY2U6YWxpY2UtcHc="[..],
            b"basic YWxpY2U6YWxpY2UtcHc=",
            b"Bearer abc",
            b"JWT a.b.c",
        ] {
            assert!(carries_credentials(&auth(value), &plain), "{value:?}");
        }
        for value in [
            "JSESSIONID=abc",
            "a=1; seraph.confluence=abc",
            "crowd.token_key=abc; b=2",
        ] {
            assert!(carries_credentials(&cookie(value), &plain), "{value}");
        }
        assert!(carries_credentials(
            &HeaderMap::new(),
            &uri("/rest/api/content?a=1&jwt=a.b.c")
        ));

        // Anonymous: nothing, other cookies and headers, an empty `jwt`, and
        // `os_authType=basic` (asking for credentials is not sending them).
        let mut other = cookie("atlassian.xsrf.token=x; JSESSIONIDX=y");
        other.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        other.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!carries_credentials(&HeaderMap::new(), &plain));
        assert!(!carries_credentials(&other, &plain));
        assert!(!carries_credentials(
            &HeaderMap::new(),
            &uri("/rest/api/content?jwt=&os_authType=basic")
        ));
    }

    #[test]
    fn auth_type_defaults_to_any_under_rest() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert_eq!(AuthType::of(&uri("/rest/api/space"), true), AuthType::Any);
        assert_eq!(AuthType::of(&uri("/login.action"), false), AuthType::None);
        assert_eq!(
            AuthType::of(&uri("/x?os_authType=basic"), false),
            AuthType::Basic
        );
        assert_eq!(
            AuthType::of(&uri("/rest/x?os_authType=weird"), true),
            AuthType::None
        );
        assert_eq!(
            AuthType::of(&uri("/x?os_authType=cookie"), false),
            AuthType::Cookie
        );
    }
}
