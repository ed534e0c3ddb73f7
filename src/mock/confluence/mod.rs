//! The emulated Confluence node: shared [`State`] and the axum [`router`].
//!
//! One stage a concern, each in its module, run by [`pipeline`] in this order,
//! outermost first: [`limits`] (oversized headers) → [`client_addr::set_peer`] →
//! [`audit`] (F-PLUG-6, sees every final status) → [`seraph::oauth_challenge`]
//! (F-BASIC-8 on every 401, the plugin's too) → [`plugin_policy::gate`] (IP
//! allowlist, disabled Basic; F-PLUG-2/3) → [`seraph::authenticate`] (the
//! `slow_auth` wait, then session, remember-me, Crowd SSO ([`crowd_sso`]), Basic,
//! then the token authenticators: [`pats`], [`native_oauth`], the plugin's
//! bearer, Connect JWT; puts a [`Caller`] in the request) → [`rate_limit`]
//! (F-RATE-*) → [`plugin_rate`] (F-PLUG-5) → [`plugin_policy::authorize`]
//! (restricted public paths, groups, read-only; F-PLUG-1/4) → [`xsrf::check`]
//! (F-XSRF-1..4) → [`token_auth::mirror`] (the `/rest/token-auth/api/`
//! whitelist, before routing) → the resources ([`rest`], [`pats`],
//! [`native_oauth`], [`pages`], [`control`], [`audit`]), which authorize the
//! caller themselves.

pub mod audit;
pub mod client_addr;
pub mod connect_jwt;
pub mod content;
pub mod control;
pub mod crowd_sso;
pub mod limits;
pub mod native_oauth;
pub mod pages;
pub mod pats;
pub mod pipeline;
pub mod plugin_bearer;
pub mod plugin_policy;
pub mod plugin_rate;
pub mod rate_limit;
pub mod request;
pub mod rest;
pub mod seraph;
pub mod sessions;
pub mod token_auth;
pub mod users;
pub mod xsrf;

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::mock::clock::Clock;
use crate::mock::faults::FaultSet;
use crate::scenario::mock_config::{ConfluenceConfig, Fault};

use content::ContentStore;
use native_oauth::OauthStore;
use pats::PatStore;
use sessions::{Expiry, TokenStore};
use token_auth::Whitelist;
use users::Directory;

/// Lifetime of the remember-me cookie and its token (F-SESS-2: Max-Age 1209600).
pub const REMEMBER_ME_SECS: u64 = 1_209_600;

/// Who a request is, as [`seraph::authenticate`] decided (F-BASIC-1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// The stored user name.
    User(String),
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    /// The caller [`seraph::authenticate`] stored; anonymous if that stage did not run.
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous))
    }
}

/// Everything one mock Confluence instance knows. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct State(Arc<Inner>);

/// Only where it serves: the state holds passwords, sessions and tokens, and a
/// Debug line ends up in panic messages.
impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("base_url", &self.0.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct Inner {
    pub config: ConfluenceConfig,
    /// Normalized context path: empty, or `/name` without a trailing slash.
    pub context_path: String,
    /// What OAuth realms and absolute links name (no trailing slash).
    pub base_url: String,
    pub faults: FaultSet,
    pub clock: Clock,
    pub directory: Directory,
    pub sessions: Mutex<TokenStore>,
    pub remember_me: Mutex<TokenStore>,
    pub content: Mutex<ContentStore>,
    /// Personal access tokens (F-PAT-*).
    pub pats: Mutex<PatStore>,
    /// Codes and tokens of the native OAuth 2 provider (F-OAUTH-1/2).
    pub oauth: Mutex<OauthStore>,
    /// The `/rest/token-auth/api/` whitelist (F-TOKAUTH-3).
    pub token_auth: Whitelist,
    /// Data Center rate limiting (F-RATE-*); `None` when off.
    pub rate_limit: Option<rate_limit::RateLimiter>,
    /// The REST-auth plugin's per-token limit (F-PLUG-5); `None` when unlimited.
    pub plugin_rate: Option<plugin_rate::PluginRateLimiter>,
    /// The REST-auth plugin's access policies (F-PLUG-1..4); `None` without a plugin.
    pub plugin_policy: Option<plugin_policy::Policy>,
    /// The plugin's REST audit log (F-PLUG-6).
    pub audit: Mutex<audit::AuditLog>,
    /// The secret `atl_token`s are derived from (F-XSRF-4).
    pub xsrf: xsrf::TokenKey,
    /// `GET /rest/api/space` in its default window for a caller who sees
    /// everything, written once: spaces come from the content preset alone (no
    /// request and no reset changes them), so the bytes never change.
    pub space_list: std::sync::OnceLock<axum::body::Bytes>,
}

impl Deref for State {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl State {
    /// `origin` is where the server listens (`http://127.0.0.1:43121`); it becomes
    /// the base URL (plus the context path) when `base_url` is `auto`.
    pub fn new(config: &ConfluenceConfig, origin: &str) -> Self {
        let context_path = normalize_context_path(&config.context_path);
        let base_url = if config.base_url.trim().is_empty() || config.base_url == "auto" {
            format!("{}{context_path}", origin.trim_end_matches('/'))
        } else {
            config.base_url.trim_end_matches('/').to_owned()
        };
        let faults = FaultSet::new(&config.faults);
        let threshold = (config.captcha.enabled && !faults.has(Fault::NoCaptcha))
            .then_some(config.captcha.threshold);
        let max = config.sessions.max;
        let clock = Clock::new();
        Self(Arc::new(Inner {
            context_path,
            base_url,
            directory: Directory::new(&config.users, threshold),
            sessions: Mutex::new(TokenStore::new(
                Expiry::Idle(config.sessions.idle_timeout.get()),
                max,
            )),
            remember_me: Mutex::new(TokenStore::new(
                Expiry::Fixed(Duration::from_secs(REMEMBER_ME_SECS)),
                max,
            )),
            content: Mutex::new(ContentStore::new(config.content)),
            pats: Mutex::new(PatStore::new(&config.pats, &clock)),
            oauth: Mutex::new(OauthStore::default()),
            token_auth: Whitelist::new(&config.token_auth.whitelist),
            rate_limit: rate_limit::RateLimiter::new(config.rate_limit.as_ref()),
            plugin_rate: plugin_rate::PluginRateLimiter::new(
                config.plugin.as_ref().and_then(|p| p.rate_limit.as_ref()),
            ),
            plugin_policy: config.plugin.as_ref().map(plugin_policy::Policy::new),
            audit: Mutex::new(audit::AuditLog::new(
                &config
                    .plugin
                    .as_ref()
                    .map(|p| p.audit.clone())
                    .unwrap_or_default(),
            )),
            xsrf: xsrf::TokenKey::default(),
            space_list: std::sync::OnceLock::new(),
            faults,
            clock,
            config: config.clone(),
        }))
    }

    /// The mock's clock; advance it to expire sessions without sleeping.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Whether the mock serves HTTPS (its cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn context_path(&self) -> &str {
        &self.context_path
    }

    /// `path` below the context path (`/confluence/rest/x` → `/rest/x`).
    pub fn relative<'a>(&self, path: &'a str) -> &'a str {
        match path.strip_prefix(self.context_path.as_str()) {
            Some("") => "/",
            Some(rest) if rest.starts_with('/') => rest,
            _ => path,
        }
    }

    /// An absolute path inside the instance (`/login.action` → `/confluence/login.action`).
    pub fn path(&self, relative: &str) -> String {
        format!("{}{relative}", self.context_path)
    }

    /// Forgets sessions, remember-me tokens, failed logins, created content, OAuth
    /// tokens and the audit log; PATs go back to the seeds (seeds without a `value` get new ones).
    pub fn reset(&self) {
        lock(&self.sessions).clear();
        lock(&self.remember_me).clear();
        self.directory.reset_counters();
        *lock(&self.content) = ContentStore::new(self.config.content);
        *lock(&self.pats) = PatStore::new(&self.config.pats, &self.clock);
        *lock(&self.oauth) = OauthStore::default();
        self.rate_limit
            .iter()
            .for_each(rate_limit::RateLimiter::clear);
        self.plugin_rate
            .iter()
            .for_each(plugin_rate::PluginRateLimiter::clear);
        lock(&self.audit).clear();
    }
}

/// `confluence` → `/confluence`, `/` → ``, `/a/` → `/a`.
fn normalize_context_path(raw: &str) -> String {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Locks a mutex, shrugging off poisoning: a panicked handler must not take the
/// whole mock down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The router of one instance behind every stage ([`pipeline`]); mounted under the context path.
pub fn router(state: State) -> Router {
    let app = Router::new()
        .merge(rest::routes())
        .merge(pats::routes())
        .merge(native_oauth::routes())
        .merge(pages::routes())
        .merge(control::routes())
        .merge(audit::routes())
        .fallback(not_found)
        .with_state(state.clone());
    let app = if state.context_path.is_empty() {
        app
    } else {
        Router::new()
            .nest(&state.context_path, app)
            .fallback(not_found)
    };
    // Every stage runs before routing (the token-auth mirror rewrites the URI),
    // so the pipeline is the service of a router with nothing but a fallback.
    Router::new().fallback_service(pipeline::Pipeline::new(state, app))
}

async fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Page Not Found",
        "<p>The page you asked for does not exist.</p>",
    )
}

/// `application/json;charset=UTF-8`, the content type of every REST answer.
pub const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// A JSON response with Confluence's content type.
pub fn json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    // Most answers fit, so the buffer is not grown (and copied) as it fills.
    let mut bytes = Vec::with_capacity(512);
    if serde_json::to_writer(&mut bytes, body).is_err() {
        bytes.clear();
        bytes.extend_from_slice(b"{}");
    }
    json_bytes(status, bytes.into())
}

/// A JSON response from bytes already serialized (a cached body).
pub fn json_bytes(status: StatusCode, bytes: axum::body::Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))],
        axum::body::Body::from(bytes),
    )
        .into_response()
}

/// A JSON response from text already serialized (for byte-exact bodies).
pub fn raw_json(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))],
        text,
    )
        .into_response()
}

/// A minimal HTML page.
pub fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>{} - Confluence</title></head>\n<body>{body}</body></html>\n",
        escape(title)
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html;charset=UTF-8"),
        )],
        page,
    )
        .into_response()
}

/// Escapes text for HTML (`'` is left alone: attributes here use `"`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_paths_and_base_urls() {
        assert_eq!(normalize_context_path(""), "");
        assert_eq!(normalize_context_path("/"), "");
        assert_eq!(normalize_context_path("confluence/"), "/confluence");
        let config = ConfluenceConfig {
            context_path: "/wiki".into(),
            ..Default::default()
        };
        let state = State::new(&config, "http://127.0.0.1:9");
        assert_eq!(state.base_url(), "http://127.0.0.1:9/wiki");
        assert_eq!(state.relative("/wiki/rest/api"), "/rest/api");
        assert_eq!(state.relative("/wiki"), "/");
        assert_eq!(state.relative("/wikipedia"), "/wikipedia");
        assert_eq!(state.path("/login.action"), "/wiki/login.action");
        let config = ConfluenceConfig {
            base_url: "https://c.example.com/".into(),
            ..Default::default()
        };
        assert_eq!(
            State::new(&config, "http://x").base_url(),
            "https://c.example.com"
        );
    }
}
