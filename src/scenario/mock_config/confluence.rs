//! `mock.confluence`: the emulated Confluence node, its users, stores and the
//! authentication features it switches on (the REST-auth plugin is `plugin.rs`,
//! faults `fault.rs`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;
use crate::scenario::version::ConfluenceVersion;

use super::debug::REDACTED_IN_DEBUG;
use super::fault::Fault;
use super::plugin::PluginConfig;

/// The Confluence side of the mock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ConfluenceConfig {
    /// The version the mock says it is (its applinks manifest), which
    /// `requires: { confluence: … }` is judged against. Absent: the run's
    /// `--confluence-version`, else [`ConfluenceVersion::emulated`].
    pub version: Option<ConfluenceVersion>,
    /// Context path such as `/confluence`; empty means the root.
    pub context_path: String,
    /// What OAuth realms and absolute links name; `auto` = the address the mock
    /// is bound to, plus the context path.
    pub base_url: String,
    /// Whether anonymous users may read content (the global "anonymous access").
    /// Off, the anonymous-allowed read resources still answer, filtered: lists
    /// are empty and direct reads 404 (F-ANON-4).
    pub anonymous_access: bool,
    /// The users Seraph knows.
    pub users: Vec<UserConfig>,
    /// The initial content.
    pub content: ContentPreset,
    /// Failed-login CAPTCHA (F-BASIC-6).
    pub captcha: CaptchaConfig,
    /// HTTP sessions (JSESSIONID).
    pub sessions: SessionsConfig,
    /// Personal access tokens (F-PAT-*).
    pub pats: PatsConfig,
    /// The `/rest/token-auth/api/` mirror (F-TOKAUTH-*).
    pub token_auth: TokenAuthConfig,
    /// Atlassian Connect JWT (F-JWT-*).
    pub connect_jwt: ConnectJwtConfig,
    /// Confluence's own OAuth 2 provider (F-OAUTH-1/2).
    pub native_oauth: NativeOauthConfig,
    /// A third-party REST-auth plugin in front of the REST API (seeds 002/003);
    /// absent = no plugin.
    pub plugin: Option<PluginConfig>,
    /// Data Center rate limiting (F-RATE-*); absent = off.
    pub rate_limit: Option<RateLimitConfig>,
    /// Crowd SSO (F-CROWD-*).
    pub crowd: CrowdConfig,
    /// Data Center's own Basic-auth block (F-BASIC-9/10); off by default.
    pub basic_auth_block: BasicAuthBlockConfig,
    /// Switches that make the mock non-conforming on purpose.
    pub faults: Vec<Fault>,
}

impl Default for ConfluenceConfig {
    fn default() -> Self {
        Self {
            version: None,
            context_path: String::new(),
            base_url: "auto".to_owned(),
            anonymous_access: false,
            users: vec![UserConfig {
                name: "alice".to_owned(),
                password: "alice-pw".to_owned(),
                ..UserConfig::default()
            }],
            content: ContentPreset::Default,
            captcha: CaptchaConfig::default(),
            sessions: SessionsConfig::default(),
            pats: PatsConfig::default(),
            token_auth: TokenAuthConfig::default(),
            connect_jwt: ConnectJwtConfig::default(),
            native_oauth: NativeOauthConfig::default(),
            plugin: None,
            rate_limit: None,
            crowd: CrowdConfig::default(),
            basic_auth_block: BasicAuthBlockConfig::default(),
            faults: Vec::new(),
        }
    }
}

/// One Confluence user. A key left out takes the default below (empty name and
/// password, group `confluence-users`, may log in).
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct UserConfig {
    pub name: String,
    pub password: String,
    /// Groups; a user in no group has no content permission.
    pub groups: Vec<String>,
    /// `false`: the password is right but the user may not log in (deactivated).
    pub can_login: bool,
    /// `false`: the user logs in but lacks the global "Can use" permission, so
    /// `/rest/api/` resources answer 403 (F-BASIC-11).
    pub can_use: bool,
    /// A system administrator (may read and change `/rest/basicauth/1.0/config`).
    pub admin: bool,
    /// Shown by `/rest/api/user/current`; defaults to the name.
    pub display_name: Option<String>,
}

/// Debug without the secret, since Debug output reaches panic messages.
impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("password", &REDACTED_IN_DEBUG)
            .field("groups", &self.groups)
            .field("can_login", &self.can_login)
            .field("can_use", &self.can_use)
            .field("admin", &self.admin)
            .field("display_name", &self.display_name)
            .finish()
    }
}

impl Default for UserConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            password: String::new(),
            groups: vec!["confluence-users".to_owned()],
            can_login: true,
            can_use: true,
            admin: false,
            display_name: None,
        }
    }
}

/// Which content the instance starts with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentPreset {
    /// A space TST "Test Space" and a page 65537 "Home" with one attachment.
    #[default]
    Default,
    /// No spaces and no pages.
    Empty,
}

/// CAPTCHA after failed logins (F-BASIC-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CaptchaConfig {
    pub enabled: bool,
    /// Failed logins after which Basic is refused for the user.
    pub threshold: u32,
}

impl Default for CaptchaConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: 3,
        }
    }
}

/// The JSESSIONID store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SessionsConfig {
    /// A session unused this long is gone.
    pub idle_timeout: Duration,
    /// At most this many live sessions; the oldest is evicted first.
    pub max: usize,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            max: 10_000,
        }
    }
}

/// Personal access tokens (F-PAT-1..4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PatsConfig {
    pub enabled: bool,
    /// Tokens a user may hold at once (F-PAT-4: 10).
    pub max_per_user: usize,
    /// Longest `expirationDuration` in days (F-PAT-4: 365), at most
    /// [`MAX_PAT_EXPIRY_DAYS`] so every expiry is a date the mock can write.
    #[serde(deserialize_with = "pat_expiry_days")]
    #[schemars(range(min = 1, max = 36_500))]
    pub max_expiry_days: u32,
    /// Longest token name in UTF-16 units, as Java counts (F-PAT-4: 40).
    pub max_name_length: usize,
    /// Tokens that exist when the mock starts.
    pub tokens: Vec<PatSeed>,
}

impl Default for PatsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_per_user: 10,
            max_expiry_days: 365,
            max_name_length: 40,
            tokens: Vec::new(),
        }
    }
}

/// The largest `pats.max_expiry_days`: 100 years. Far below the year 9999 that
/// dates stop at, even on a clock advanced by centuries.
pub const MAX_PAT_EXPIRY_DAYS: u32 = 36_500;

fn pat_expiry_days<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let days = u32::deserialize(deserializer)?;
    if !(1..=MAX_PAT_EXPIRY_DAYS).contains(&days) {
        return Err(serde::de::Error::custom(format!(
            "pats.max_expiry_days must be between 1 and {MAX_PAT_EXPIRY_DAYS} days"
        )));
    }
    Ok(days)
}

/// A PAT made at start-up. Give `value` (e.g. from a var) so the scenario knows
/// the raw token; it must be in the 8.7.2 format (44 base64 characters).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PatSeed {
    pub user: String,
    pub name: String,
    /// Absent = never expires. Negative lifetimes are written as `expired: true`.
    pub expires_in: Option<Duration>,
    /// Already expired when the mock starts.
    pub expired: bool,
    /// Already revoked when the mock starts.
    pub revoked: bool,
    pub value: Option<String>,
}

/// Debug without the secret, since Debug output reaches panic messages.
impl std::fmt::Debug for PatSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatSeed")
            .field("user", &self.user)
            .field("name", &self.name)
            .field("expires_in", &self.expires_in)
            .field("expired", &self.expired)
            .field("revoked", &self.revoked)
            .field("value", &REDACTED_IN_DEBUG)
            .finish()
    }
}

/// The `/rest/token-auth/api/` mirror (F-TOKAUTH-1..3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct TokenAuthConfig {
    /// url-patterns a plugin whitelisted (F-TOKAUTH-3), relative to the context path.
    pub whitelist: Vec<String>,
}

/// Atlassian Connect JWT (F-JWT-1..4, F-TOKAUTH-4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ConnectJwtConfig {
    pub issuers: Vec<JwtIssuer>,
    /// Clock skew allowed on `exp` and `nbf` (F-JWT-2: 30 s).
    pub leeway: Duration,
    /// Every issuer's `sub` names the user (F-JWT-2: the system property
    /// `atlassian.jwt.impersonation.allowed=true`; off by default).
    pub impersonation: bool,
}

impl Default for ConnectJwtConfig {
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            leeway: Duration::from_secs(30),
            impersonation: false,
        }
    }
}

/// A known Connect issuer: HS256 with `shared_secret`, or RS256 with `public_key`
/// (the name of a key in the scenario's `keys:`).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct JwtIssuer {
    pub iss: String,
    pub shared_secret: Option<String>,
    pub public_key: Option<String>,
    /// The app's own user: who its tokens act as unless impersonation applies.
    pub user: Option<String>,
    /// This issuer's `sub` names the user (F-JWT-2: an app with a user-agency
    /// grant, e.g. listed in `com.atlassian.connect.3la.authorised_add_on_keys`).
    pub impersonation: bool,
}

/// Debug without the secret, since Debug output reaches panic messages.
impl std::fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("iss", &self.iss)
            .field("shared_secret", &REDACTED_IN_DEBUG)
            .field("public_key", &self.public_key)
            .field("user", &self.user)
            .field("impersonation", &self.impersonation)
            .finish()
    }
}

/// Confluence's own OAuth 2 provider (F-OAUTH-1/2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct NativeOauthConfig {
    pub enabled: bool,
    /// Registered applications (authorization code + PKCE).
    pub clients: Vec<NativeOauthClient>,
    /// F-OAUTH-1: 3600 s.
    pub access_token_ttl: Duration,
}

impl Default for NativeOauthConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            clients: Vec::new(),
            access_token_ttl: Duration::from_secs(3600),
        }
    }
}

#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct NativeOauthClient {
    pub id: String,
    pub secret: String,
    pub redirect_uri: String,
}

/// Debug without the secret, since Debug output reaches panic messages.
impl std::fmt::Debug for NativeOauthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeOauthClient")
            .field("id", &self.id)
            .field("secret", &REDACTED_IN_DEBUG)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// Data Center rate limiting (F-RATE-1..4): a token bucket per user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct RateLimitConfig {
    /// "Max requests": the bucket's size. -1 with `fill: -1` = unlimited; 0/0 blocks all.
    pub capacity: i64,
    /// "Requests allowed": tokens added every `interval`.
    pub fill: i64,
    pub interval: Duration,
    /// Admin-configured URL patterns that are not counted (F-RATE-4).
    pub exempt: Vec<String>,
    /// Users with their own limit instead of the global one ("Adding exemptions"):
    /// `-1/-1` allow unlimited, `0/0` block all, else a bucket of their own.
    pub users: Vec<RateLimitUser>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            capacity: 20,
            fill: 5,
            interval: Duration::from_secs(1),
            exempt: Vec::new(),
            users: Vec::new(),
        }
    }
}

/// One user's exemption from the global rate limit (a list, not a map, so the
/// name may come from `${env:…}`, which mapping keys never take).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct RateLimitUser {
    pub user: String,
    pub capacity: i64,
    pub fill: i64,
    pub interval: Duration,
}

impl Default for RateLimitUser {
    fn default() -> Self {
        Self {
            user: String::new(),
            capacity: -1,
            fill: -1,
            interval: Duration::from_secs(1),
        }
    }
}

/// Crowd SSO (F-CROWD-1..4). Confluence's Crowd client asks a Crowd server over
/// HTTP (Crowd's REST session resource): by default the embedded IdP's Crowd
/// service, as the application `confluence`.
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CrowdConfig {
    /// Whether Confluence accepts `crowd.token_key` at all.
    pub enabled: bool,
    /// "Require consistent client IP address" (F-CROWD-2; on by default). A Crowd
    /// server setting: the embedded IdP's Crowd service takes it from here.
    pub require_consistent_ip: bool,
    /// Proxies whose `X-Forwarded-For` is believed: IPs, `192.168.*.*` wildcards,
    /// CIDRs (F-CROWD-3).
    pub trusted_proxies: Vec<String>,
    /// Mark the SSO cookie `Secure` (F-CROWD-1).
    pub secure_cookie: bool,
    /// The cookie's Domain; none for localhost (F-CROWD-1).
    pub cookie_domain: Option<String>,
    /// The Crowd server's base URL (`crowd.server.url` of `crowd.properties`
    /// without `/services/`); the session resource is
    /// `{server_url}/rest/usermanagement/1/session`. Absent: the embedded IdP's
    /// URL plus `/crowd`.
    pub server_url: Option<String>,
    /// The Crowd application Confluence authenticates as (`application.name`).
    pub application: String,
    /// That application's password (`application.password`).
    pub application_password: String,
}

impl Default for CrowdConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            require_consistent_ip: true,
            trusted_proxies: Vec::new(),
            secure_cookie: false,
            cookie_domain: None,
            server_url: None,
            application: crate::wire::DEFAULT_CROWD_APPLICATION.to_owned(),
            application_password: crate::wire::DEFAULT_CROWD_APPLICATION_PASSWORD.to_owned(),
        }
    }
}

/// Debug without the application password, since Debug output reaches panic
/// messages.
impl std::fmt::Debug for CrowdConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrowdConfig")
            .field("enabled", &self.enabled)
            .field("require_consistent_ip", &self.require_consistent_ip)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secure_cookie", &self.secure_cookie)
            .field("cookie_domain", &self.cookie_domain)
            .field("server_url", &self.server_url)
            .field("application", &self.application)
            .field("application_password", &REDACTED_IN_DEBUG)
            .finish()
    }
}

/// Data Center's own Basic-auth block (F-BASIC-9/10): the starting value of
/// `/rest/basicauth/1.0/config`, which an administrator may change at run time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct BasicAuthBlockConfig {
    /// Refuse Basic credentials (`block-requests`).
    pub block_requests: bool,
    /// Paths (below the context path) where Basic still works; `*` is any run
    /// of characters (`allowed-paths`).
    pub allowed_paths: Vec<String>,
    /// Users who may still use Basic; `*` is any run of characters
    /// (`allowed-users`).
    pub allowed_users: Vec<String>,
}
