//! Everything one mock Confluence instance knows: its configuration, clock,
//! users, tables (sessions, tokens, content, buckets, the audit log) and the
//! verifiers it was built with. Every stage and resource reads it; it reads no
//! stage, only the data types they keep.

use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::auth::keys::SigningKey;
use crate::mock::clock::Clock;
use crate::mock::confluence::audit::log::AuditLog;
use crate::mock::confluence::content::ContentStore;
use crate::mock::confluence::native_oauth::store::OauthStore;
use crate::mock::confluence::pats::store::PatStore;
use crate::mock::confluence::patterns::Whitelist;
use crate::mock::confluence::plugin_policy::policy::Policy;
use crate::mock::confluence::plugin_rate::limiter::PluginRateLimiter;
use crate::mock::confluence::rate_limit::limiter::RateLimiter;
use crate::mock::confluence::seraph::names::REMEMBER_ME_SECS;
use crate::mock::confluence::sessions::{Expiry, SessionStore};
use crate::mock::confluence::users::Directory;
use crate::mock::confluence::verifiers::{VerifierError, Verifiers};
use crate::mock::confluence::xsrf::token::TokenKey;
use crate::mock::faults::FaultSet;
use crate::mock::idp::state::IdpState;
use crate::mock::sync::lock;
use crate::scenario::mock_config::{BasicAuthBlockConfig, ConfluenceConfig, Fault};

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
    pub sessions: Mutex<SessionStore>,
    pub remember_me: Mutex<SessionStore>,
    pub content: Mutex<ContentStore>,
    /// Personal access tokens (F-PAT-*).
    pub pats: Mutex<PatStore>,
    /// Codes and tokens of the native OAuth 2 provider (F-OAUTH-1/2).
    pub oauth: Mutex<OauthStore>,
    /// The `/rest/token-auth/api/` whitelist (F-TOKAUTH-3).
    pub token_auth: Whitelist,
    /// Data Center rate limiting (F-RATE-*); `None` when off.
    pub rate_limit: Option<RateLimiter>,
    /// The REST-auth plugin's per-token limit (F-PLUG-5); `None` when unlimited.
    pub plugin_rate: Option<PluginRateLimiter>,
    /// The REST-auth plugin's access policies (F-PLUG-1..4); `None` without a plugin.
    pub plugin_policy: Option<Policy>,
    /// The plugin's REST audit log (F-PLUG-6).
    pub audit: Mutex<AuditLog>,
    /// The secret `atl_token`s are derived from (F-XSRF-4).
    pub xsrf: TokenKey,
    /// Connect JWT, the plugin's bearer check and Crowd SSO, as configured.
    pub verifiers: Verifiers,
    /// Data Center's Basic-auth block as it stands (F-BASIC-9/10); starts as
    /// configured, an administrator may change it.
    pub basic_block: Mutex<BasicAuthBlockConfig>,
    /// `GET /rest/api/space` in its default window for a caller who sees
    /// everything, written once: spaces come from the content preset alone (no
    /// request and no reset changes them), so the bytes never change.
    pub space_list: OnceLock<axum::body::Bytes>,
}

impl Deref for State {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl State {
    /// An instance on its own clock, without the verifiers that need keys or an
    /// IdP (Connect JWT, the plugin's bearer check, Crowd SSO are off): for a
    /// bare router and unit tests. `origin` is where the server listens
    /// (`http://127.0.0.1:43121`); it becomes the base URL (plus the context
    /// path) when `base_url` is `auto`.
    pub fn new(config: &ConfluenceConfig, origin: &str) -> Self {
        Self::assemble(config, origin, Clock::new(), Verifiers::default())
    }

    /// The instance `start` serves: every verifier `config` switches on, built
    /// from the scenario's `keys` and the `idp` beside it, whose clock it shares.
    pub fn with_idp(
        config: &ConfluenceConfig,
        origin: &str,
        keys: &[SigningKey],
        idp: &IdpState,
    ) -> Result<Self, VerifierError> {
        let verifiers = Verifiers::new(
            config,
            keys,
            idp,
            &normalize_context_path(&config.context_path),
        )?;
        Ok(Self::assemble(
            config,
            origin,
            idp.clock().clone(),
            verifiers,
        ))
    }

    fn assemble(
        config: &ConfluenceConfig,
        origin: &str,
        clock: Clock,
        verifiers: Verifiers,
    ) -> Self {
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
        let audit = config
            .plugin
            .as_ref()
            .map(|p| p.audit.clone())
            .unwrap_or_default();
        Self(Arc::new(Inner {
            context_path,
            base_url,
            directory: Directory::new(&config.users, threshold),
            sessions: Mutex::new(SessionStore::new(
                Expiry::Idle(config.sessions.idle_timeout.get()),
                max,
            )),
            remember_me: Mutex::new(SessionStore::new(
                Expiry::Fixed(Duration::from_secs(REMEMBER_ME_SECS)),
                max,
            )),
            content: Mutex::new(ContentStore::new(config.content)),
            pats: Mutex::new(PatStore::new(&config.pats, &clock)),
            oauth: Mutex::new(OauthStore::default()),
            token_auth: Whitelist::new(&config.token_auth.whitelist),
            rate_limit: RateLimiter::new(config.rate_limit.as_ref()),
            plugin_rate: PluginRateLimiter::new(
                config.plugin.as_ref().and_then(|p| p.rate_limit.as_ref()),
            ),
            plugin_policy: config.plugin.as_ref().map(Policy::new),
            audit: Mutex::new(AuditLog::new(&audit)),
            xsrf: TokenKey::default(),
            verifiers,
            space_list: OnceLock::new(),
            basic_block: Mutex::new(config.basic_auth_block.clone()),
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
    /// tokens, the audit log and the Basic-auth block's changes; PATs go back to the seeds (seeds without a `value` get new ones).
    pub fn reset(&self) {
        lock(&self.sessions).clear();
        lock(&self.remember_me).clear();
        self.directory.reset_counters();
        *lock(&self.content) = ContentStore::new(self.config.content);
        *lock(&self.pats) = PatStore::new(&self.config.pats, &self.clock);
        *lock(&self.oauth) = OauthStore::default();
        self.rate_limit.iter().for_each(RateLimiter::clear);
        self.plugin_rate.iter().for_each(PluginRateLimiter::clear);
        lock(&self.audit).clear();
        *lock(&self.basic_block) = self.config.basic_auth_block.clone();
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
