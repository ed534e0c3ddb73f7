//! The identity provider served beside the mock Confluence (emulator.md, "Identity
//! provider"): OIDC discovery, JWKS, `POST /token` (client_credentials, password,
//! refresh_token), RFC 7662 introspection (F-OAUTH-4), userinfo with RFC 6750 errors
//! (F-OAUTH-5) and RFC 7009 revocation. It is the IdP a REST-auth plugin asks
//! (F-OAUTH-3, F-PLUG-7), and a vendor can point a real plugin at it (`tollgate mock`).
//!
//! Its own axum server on its own port, so a scenario can take it down mid-run
//! (`POST /__tollgate/down`) and prove the plugin fails closed. [`router`] plus
//! [`IdpState`]; [`crate::mock::start_with_keys`] serves it.
//!
//! Modules, one concern each: [`form`] (strict form bodies), [`client_auth`]
//! (client_secret_basic / client_secret_post), [`tokens`] (the capped store),
//! [`issue`] (minting JWT or opaque tokens), [`routes`] (the OAuth endpoints),
//! [`control`] (mock-only `/__tollgate/*`), [`crowd`] (the Crowd SSO session
//! service, F-CROWD-*, whose store the Confluence side shares).

pub mod client_auth;
pub mod control;
pub mod crowd;
pub mod form;
pub mod issue;
pub mod routes;
pub mod tokens;

use std::future::Future;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::watch;

use crate::auth::keys::{Alg, KeyError, SigningKey};
use crate::mock::clock::Clock;
use crate::mock::confluence::lock;
use crate::scenario::mock_config::IdpConfig;

use crowd::CrowdSessions;
use tokens::TokenStore;

/// Name (and JWKS `kid`) of the key made when `idp.signing_key` names no given key.
pub const GENERATED_KEY_NAME: &str = "idp-rs256";

/// Most live access tokens (and, separately, refresh tokens) the IdP remembers:
/// the emulator keeps no unbounded state (ARCHITECTURE.md, "Invariants").
pub const MAX_TOKENS: usize = 10_000;

/// Realm named in the IdP's `WWW-Authenticate` challenges.
pub const REALM: &str = "tollgate-idp";

/// Everything one IdP instance knows. Cheap to clone (an `Arc`).
#[derive(Clone, Debug)]
pub struct IdpState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub config: IdpConfig,
    /// The IdP's base URL (`http://127.0.0.1:PORT`, no trailing slash): `iss` of
    /// its tokens and the prefix of every endpoint in discovery.
    pub issuer: String,
    pub clock: Clock,
    /// Made on first use: an RSA key costs tens of milliseconds, and most
    /// scenarios (one mock each) never ask the IdP for a token.
    key: OnceLock<SigningKey>,
    pub access: Mutex<TokenStore>,
    pub refresh: Mutex<TokenStore>,
    /// Crowd SSO sessions (F-CROWD-*), shared with the Confluence side.
    pub crowd: Arc<CrowdSessions>,
    next_grant: AtomicU64,
    /// `true` once the IdP is told to stop (`/__tollgate/down` or shutdown).
    down: watch::Sender<bool>,
}

impl Deref for IdpState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl IdpState {
    /// `issuer` is the IdP's base URL; `key` its signing key (see
    /// [`select_signing_key`]), generated on first use when `None`.
    pub fn new(config: &IdpConfig, issuer: &str, key: Option<SigningKey>, clock: Clock) -> Self {
        let cell = OnceLock::new();
        if let Some(key) = key {
            let _ = cell.set(key);
        }
        let (down, _) = watch::channel(false);
        let crowd = Arc::new(CrowdSessions::new(clock.clone()));
        Self(Arc::new(Inner {
            config: config.clone(),
            issuer: issuer.trim_end_matches('/').to_owned(),
            clock,
            key: cell,
            access: Mutex::new(TokenStore::new(MAX_TOKENS)),
            refresh: Mutex::new(TokenStore::new(MAX_TOKENS)),
            crowd,
            next_grant: AtomicU64::new(1),
            down,
        }))
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The mock's clock (shared with the Confluence side when started together).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The key that signs JWT access tokens and is published at `/jwks`.
    pub fn signing_key(&self) -> Result<&SigningKey, KeyError> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let generated = SigningKey::generate_shared(
            crate::auth::keys::KeyOwner::Mock,
            GENERATED_KEY_NAME,
            Alg::RS256,
        )?;
        // Two first requests may race; whichever key lands first is the key.
        Ok(self.key.get_or_init(|| generated))
    }

    /// The algorithm of the signing key, without making one (discovery is cheap).
    pub fn signing_alg(&self) -> Alg {
        self.key.get().map_or(Alg::RS256, SigningKey::alg)
    }

    /// Seconds since the Unix epoch on the mock's clock: real time plus however
    /// far the clock was advanced, so `exp` can be reached without sleeping.
    pub fn now_unix(&self) -> u64 {
        unix_now(&self.clock)
    }

    pub(crate) fn new_grant_id(&self) -> u64 {
        self.next_grant.fetch_add(1, Ordering::Relaxed)
    }

    /// Tells the server to stop accepting connections (requests in flight finish).
    pub fn stop(&self) {
        self.down.send_replace(true);
    }

    pub fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// Resolves once [`stop`](Self::stop) was called: the shutdown signal to hand
    /// to [`crate::mock::serve`].
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.down.subscribe();
        async move {
            let _ = rx.wait_for(|down| *down).await;
        }
    }

    /// Forgets every token issued so far.
    pub fn reset(&self) {
        *lock(&self.access) = TokenStore::new(MAX_TOKENS);
        *lock(&self.refresh) = TokenStore::new(MAX_TOKENS);
        self.crowd.clear();
    }

    /// The Crowd SSO session store, for the Confluence side to share (F-CROWD-*).
    pub fn crowd(&self) -> &Arc<CrowdSessions> {
        &self.crowd
    }
}

/// Seconds since the Unix epoch as the mock's clock sees it.
pub fn unix_now(clock: &Clock) -> u64 {
    clock.unix_seconds()
}

/// The key `idp.signing_key` names among `keys` (the scenario's `keys:`), or `None`
/// when it names none or a missing one (the IdP then makes [`GENERATED_KEY_NAME`]).
/// An HS256 key is refused: its secret could not be published at `/jwks`.
pub fn select_signing_key(
    config: &IdpConfig,
    keys: &[SigningKey],
) -> Result<Option<SigningKey>, String> {
    let Some(name) = config.signing_key.as_deref() else {
        return Ok(None);
    };
    match keys.iter().find(|k| k.name() == name) {
        Some(key) if key.alg() == Alg::HS256 => Err(format!(
            "idp.signing_key '{name}' is an HS256 secret; the IdP signs with RS256 or ES256 \
             so that /jwks can publish the public half"
        )),
        Some(key) => Ok(Some(key.clone())),
        None => Ok(None),
    }
}

/// The IdP's routes. Served on its own listener (not under Confluence's context path).
pub fn router(state: IdpState) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(routes::discovery))
        .route("/jwks", get(routes::jwks))
        .route("/token", post(routes::token))
        .route("/introspect", post(routes::introspect))
        .route("/userinfo", get(routes::userinfo).post(routes::userinfo))
        .route("/revoke", post(routes::revoke))
        .merge(crowd::routes())
        .merge(control::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> OAuthError {
    OAuthError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// A JSON answer that no cache may keep (RFC 6749 §5.1: `Cache-Control: no-store`
/// on anything carrying tokens; harmless elsewhere).
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        axum::Json(body),
    )
        .into_response()
}

/// An RFC 6749 §5.2 error: `{"error": code, "error_description": …}` with its
/// status; `invalid_client` carries the Basic challenge §5.2 asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
        }
    }

    /// 400 `invalid_request`: a missing, repeated or malformed parameter.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401 `invalid_client`: no, unknown or wrong client credentials.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// 400 `invalid_grant`: wrong resource-owner credentials, or a dead refresh token.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 500 `server_error`.
    pub fn server_error(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            description,
        )
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = json(
            self.status,
            &serde_json::json!({ "error": self.code, "error_description": self.description }),
        );
        if self.code == "invalid_client" {
            if let Ok(challenge) = HeaderValue::from_str(&format!("Basic realm=\"{REALM}\"")) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, challenge);
            }
        }
        response
    }
}
