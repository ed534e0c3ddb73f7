//! Confluence's own OAuth 2 provider (F-OAUTH-1/2): the authorization-code grant
//! with PKCE, refresh tokens, and the bearer check for the tokens it issues.
//!
//! - `GET /rest/oauth2/latest/authorize` for a logged-in user (session, Basic, …)
//!   answers `302` to the client's `redirect_uri` with `code` and `state`; the
//!   consent screen is taken as accepted (the mock has no UI). Anonymous callers
//!   are sent to the login page like any page (F-ANON-1). An unknown client or a
//!   `redirect_uri` that is not the registered one is a `400` and never a redirect
//!   (RFC 6749 §4.1.2.1); other request errors redirect with `error=`.
//! - `POST /rest/oauth2/latest/token` (form; client authenticated by
//!   `client_id` + `client_secret` in the form): `authorization_code` (single-use
//!   code, 10 minutes, same client and `redirect_uri`, PKCE S256 checked when the
//!   authorization carried a `code_challenge`) and `refresh_token` (rotated: the
//!   old refresh token dies). Access tokens live `access_token_ttl` (F-OAUTH-1:
//!   3600 s), refresh tokens 90 days. Errors are RFC 6749 JSON: `invalid_client`
//!   401, others 400. No introspection endpoint (F-OAUTH-1).
//! - Bearer handling (F-OAUTH-2): a live access token makes its user the caller
//!   and the response `Cache-Control: private`; a dead or unknown one is "not
//!   authenticated" and the request goes on anonymously, with no
//!   `WWW-Authenticate: Bearer` ever sent.
//!
//! PKCE: only `S256` is accepted (`plain` is refused as `invalid_request`); a
//! request without `code_challenge` is allowed (PKCE optional, inferred).
//! Only SHA-256 hashes of codes and tokens are stored, each kind capped.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json as j;
use sha2::{Digest, Sha256};

use super::pages::login_redirect;
use super::seraph::{AuthMethod, TokenVerdict, bearer_token, rest_error};
use super::{Caller, State, escape, json, lock};
use crate::scenario::mock_config::{NativeOauthClient, NativeOauthConfig};

/// F-OAUTH-1: refresh tokens live 90 days.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(90 * 86_400);
/// An authorization code is good for 10 minutes (RFC 6749 §4.1.2 recommends at
/// most 10; inferred).
pub const CODE_TTL: Duration = Duration::from_secs(600);
/// Caps on the stores (oldest entry evicted first).
pub const MAX_CODES: usize = 1_000;
pub const MAX_TOKENS: usize = 10_000;

/// A grant: who, for which client.
#[derive(Clone, Debug)]
struct Grant {
    user: String,
    client_id: String,
    scope: Option<String>,
}

#[derive(Clone, Debug)]
struct Code {
    grant: Grant,
    redirect_uri: String,
    challenge: Option<String>,
}

#[derive(Debug)]
struct Entry<T> {
    value: T,
    expires: Instant,
    seq: u64,
}

/// SHA-256 hex of a secret → value, expiring, at most `max` entries.
#[derive(Debug)]
struct Capped<T> {
    max: usize,
    entries: HashMap<String, Entry<T>>,
    next_seq: u64,
}

impl<T> Capped<T> {
    fn new(max: usize) -> Self {
        Self {
            max,
            entries: HashMap::new(),
            next_seq: 0,
        }
    }

    fn insert(&mut self, secret: &str, value: T, expires: Instant, now: Instant) {
        if self.entries.len() >= self.max {
            self.entries.retain(|_, e| e.expires > now);
        }
        while self.entries.len() >= self.max {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.seq)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => self.entries.remove(&key),
                None => break,
            };
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.insert(
            digest(secret),
            Entry {
                value,
                expires,
                seq,
            },
        );
    }

    /// The live value of `secret`; an expired entry is dropped.
    fn get(&mut self, secret: &str, now: Instant) -> Option<&T> {
        let key = digest(secret);
        if self.entries.get(&key).is_some_and(|e| now >= e.expires) {
            self.entries.remove(&key);
        }
        self.entries.get(&key).map(|e| &e.value)
    }

    /// Removes and returns the live value of `secret` (single use).
    fn take(&mut self, secret: &str, now: Instant) -> Option<T> {
        let entry = self.entries.remove(&digest(secret))?;
        (now < entry.expires).then_some(entry.value)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// 32 random bytes, base64url without padding (43 characters). Never PAT-shaped:
/// a PAT is 44 characters of standard base64 (F-PAT-3).
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Codes, access tokens and refresh tokens of one instance.
#[derive(Debug)]
pub struct OauthStore {
    codes: Capped<Code>,
    access: Capped<Grant>,
    refresh: Capped<Grant>,
}

impl Default for OauthStore {
    fn default() -> Self {
        Self {
            codes: Capped::new(MAX_CODES),
            access: Capped::new(MAX_TOKENS),
            refresh: Capped::new(MAX_TOKENS),
        }
    }
}

impl OauthStore {
    /// Entries held, codes and tokens together (tests check the caps).
    pub fn len(&self) -> usize {
        self.codes.len() + self.access.len() + self.refresh.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The user of a live access token.
    pub fn user_of(&mut self, token: &str, now: Instant) -> Option<String> {
        self.access.get(token, now).map(|g| g.user.clone())
    }
}

/// The native OAuth step of the token authenticators (F-OAUTH-2). It is asked
/// only for bearer values the PAT step passed on; a value it does not know means
/// "not authenticated": anonymous, no challenge.
pub fn authenticate(state: &State, headers: &HeaderMap, now: Instant) -> TokenVerdict {
    if !state.config.native_oauth.enabled {
        return TokenVerdict::Pass;
    }
    let Some(token) = bearer_token(headers) else {
        return TokenVerdict::Pass;
    };
    let user = lock(&state.oauth).user_of(token, now);
    match user.and_then(|u| state.directory.get(&u).map(|u| u.name.clone())) {
        Some(name) if state.directory.can_login(&name) => {
            TokenVerdict::User(name, AuthMethod::NativeOauth)
        }
        _ => TokenVerdict::Anonymous,
    }
}

pub fn routes() -> Router<State> {
    Router::new()
        .route("/rest/oauth2/latest/authorize", get(authorize))
        .route("/rest/oauth2/latest/token", post(token))
}

fn client<'a>(config: &'a NativeOauthConfig, id: &str) -> Option<&'a NativeOauthClient> {
    config.clients.iter().find(|c| c.id == id)
}

fn disabled() -> Response {
    rest_error(StatusCode::NOT_FOUND, "The OAuth 2.0 provider is disabled")
}

/// An RFC 6749 §5.2 error.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = json(
        status,
        &j!({"error": error, "error_description": description}),
    );
    no_store(response.headers_mut());
    response
}

/// RFC 6749 §5.1: token answers are never cached.
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// `redirect_uri` plus `params`, appended to any query it already has.
fn redirect_to(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{sep}{}", query.finish());
    // A short HTML body names the target too, as servlet redirects often do; a
    // scenario can capture `code` from it (captures read bodies, not header parts).
    let body = format!(
        "<html><body>Redirecting to <a href=\"{0}\">{0}</a></body></html>",
        escape(&location)
    );
    match HeaderValue::from_str(&location) {
        Ok(value) => (
            StatusCode::FOUND,
            [
                (header::LOCATION, value),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html;charset=UTF-8"),
                ),
            ],
            body,
        )
            .into_response(),
        Err(_) => rest_error(StatusCode::BAD_REQUEST, "Invalid redirect_uri"),
    }
}

fn query_map(uri: &Uri) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        // The first of a repeated parameter wins.
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

/// `GET /rest/oauth2/latest/authorize` (F-OAUTH-1).
async fn authorize(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let config = &state.config.native_oauth;
    if !config.enabled {
        return disabled();
    }
    let q = query_map(&uri);
    let param = |name: &str| q.get(name).map(String::as_str).unwrap_or("");
    // Checked before anything is sent to the redirect URI (RFC 6749 §4.1.2.1).
    let Some(client) = client(config, param("client_id")) else {
        return rest_error(StatusCode::BAD_REQUEST, "Unknown client_id");
    };
    let redirect_uri = match q.get("redirect_uri") {
        None => client.redirect_uri.clone(),
        Some(given) if *given == client.redirect_uri => given.clone(),
        Some(_) => {
            return rest_error(
                StatusCode::BAD_REQUEST,
                "redirect_uri does not match the registered one",
            );
        }
    };
    let Caller::User(user) = caller else {
        // The user logs in first, then comes back here (F-ANON-1).
        return login_redirect(&state, &uri);
    };
    let mut out: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = q.get("state") {
        out.push(("state", s));
    }
    let fail = |error: &'static str, out: &mut Vec<(&str, &str)>| {
        out.insert(0, ("error", error));
        redirect_to(&redirect_uri, out)
    };
    if param("response_type") != "code" {
        return fail("unsupported_response_type", &mut out);
    }
    let challenge = q.get("code_challenge").cloned();
    match (
        challenge.as_deref(),
        q.get("code_challenge_method").map(String::as_str),
    ) {
        (None, None) => {}
        // RFC 7636 §4.2: 43..128 characters of base64url; S256 only here.
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => {}
        _ => return fail("invalid_request", &mut out),
    }
    let code = new_secret();
    let now = state.clock.now();
    lock(&state.oauth).codes.insert(
        &code,
        Code {
            grant: Grant {
                user,
                client_id: client.id.clone(),
                scope: q.get("scope").cloned(),
            },
            redirect_uri: redirect_uri.clone(),
            challenge,
        },
        now + CODE_TTL,
        now,
    );
    out.insert(0, ("code", &code));
    redirect_to(&redirect_uri, &out)
}

/// RFC 7636 §4.6: `BASE64URL(SHA256(code_verifier)) == code_challenge`.
fn pkce_ok(challenge: &str, verifier: Option<&str>) -> bool {
    verifier.is_some_and(|v| {
        (43..=128).contains(&v.len())
            && URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == challenge
    })
}

/// `POST /rest/oauth2/latest/token` (F-OAUTH-1).
async fn token(AxumState(state): AxumState<State>, body: Bytes) -> Response {
    let config = &state.config.native_oauth;
    if !config.enabled {
        return disabled();
    }
    let mut form: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        form.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    let field = |name: &str| form.get(name).map(String::as_str);
    let client = match client(config, field("client_id").unwrap_or("")) {
        Some(c) if field("client_secret") == Some(c.secret.as_str()) => c,
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed",
            );
        }
    };
    let now = state.clock.now();
    let mut store = lock(&state.oauth);
    let grant = match field("grant_type") {
        Some("authorization_code") => {
            let Some(code) = field("code").and_then(|c| store.codes.take(c, now)) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Unknown, used or expired authorization code",
                );
            };
            if code.grant.client_id != client.id
                || field("redirect_uri").is_some_and(|r| r != code.redirect_uri)
            {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The code was issued to another client or redirect_uri",
                );
            }
            if let Some(challenge) = &code.challenge {
                if !pkce_ok(challenge, field("code_verifier")) {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "PKCE verification failed",
                    );
                }
            }
            code.grant
        }
        Some("refresh_token") => {
            let Some(grant) = field("refresh_token").and_then(|t| store.refresh.take(t, now))
            else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Unknown or expired refresh token",
                );
            };
            if grant.client_id != client.id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token was issued to another client",
                );
            }
            grant
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Supported: authorization_code, refresh_token",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    };
    let ttl = config.access_token_ttl.get();
    let (access, refresh) = (new_secret(), new_secret());
    let mut answer = j!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": ttl.as_secs(),
        "refresh_token": refresh,
    });
    if let Some(scope) = &grant.scope {
        answer["scope"] = j!(scope);
    }
    store.access.insert(&access, grant.clone(), now + ttl, now);
    store
        .refresh
        .insert(&refresh, grant, now + REFRESH_TOKEN_TTL, now);
    drop(store);
    let mut response = json(StatusCode::OK, &answer);
    no_store(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_ok(challenge, Some(verifier)));
        assert!(!pkce_ok(challenge, Some("x".repeat(43).as_str())));
        assert!(!pkce_ok(challenge, None));
    }

    #[test]
    fn stores_expire_take_once_and_cap() {
        let t0 = Instant::now();
        let mut store: Capped<u32> = Capped::new(2);
        store.insert("a", 1, t0 + Duration::from_secs(10), t0);
        assert_eq!(store.get("a", t0), Some(&1));
        assert_eq!(store.get("a", t0 + Duration::from_secs(10)), None);
        assert_eq!(store.len(), 0);
        store.insert("b", 2, t0 + Duration::from_secs(10), t0);
        assert_eq!(store.take("b", t0), Some(2));
        assert_eq!(store.take("b", t0), None);
        for (i, k) in ["c", "d", "e"].iter().enumerate() {
            store.insert(k, i as u32, t0 + Duration::from_secs(10), t0);
        }
        assert_eq!(store.len(), 2);
        assert_eq!(store.get("c", t0), None);
        assert_eq!(store.get("e", t0), Some(&2));
        // Secrets are stored hashed.
        assert!(store.entries.keys().all(|k| k.len() == 64));
    }

    #[test]
    fn secrets_are_never_pat_shaped() {
        let s = new_secret();
        assert_eq!(s.len(), 43);
        assert!(super::super::pats::parse_raw(&s).is_none());
    }
}
