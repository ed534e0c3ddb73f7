//! The `mock:` block of a scenario: plain data describing the embedded emulator.
//!
//! No HTTP here: `mock/` reads these types, `scenario/` only fills them. Every
//! struct is `#[serde(default)]` and its `Default` is the documented default of
//! emulator.md, so `mock: {}` gives a locked-down instance with one user
//! (alice / alice-pw in `confluence-users`). The loader reports unknown keys itself,
//! so nothing here uses `deny_unknown_fields`, `flatten` or `untagged`.
//!
//! Adding a key: add the field, give it a default in the `Default` impl, done.
//! Adding a fault: add a variant to [`Fault`], to [`Fault::SUITE`] (it breaks a
//! fact) or [`Fault::LOAD_ONLY`] (it breaks none), and to [`Fault::name`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;

/// What Debug shows in place of a password, secret or token.
const REDACTED_IN_DEBUG: &str = "[redacted]";

/// The whole `mock:` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct MockConfig {
    /// Serve HTTPS (not implemented yet: the mock refuses to start with `tls: true`).
    pub tls: bool,
    /// The emulated Confluence node.
    pub confluence: ConfluenceConfig,
    /// The identity provider (a later issue fills this in; any mapping is kept as is).
    pub idp: IdpConfig,
}

/// The identity provider served beside the mock Confluence (emulator.md,
/// "Identity provider").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct IdpConfig {
    /// OAuth clients and the grants each may use.
    pub clients: Vec<IdpClient>,
    /// Resource owners (password grant, userinfo, introspection `username`).
    pub users: Vec<IdpUser>,
    /// A key of the scenario's `keys:` (RS256 or ES256); generated if absent.
    pub signing_key: Option<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// `jwt`: signed access tokens; `opaque`: only introspection can validate them.
    pub format: TokenFormat,
    /// `aud` of issued JWTs.
    pub audience: String,
}

impl Default for IdpConfig {
    fn default() -> Self {
        Self {
            clients: vec![IdpClient {
                id: "tollgate".to_owned(),
                secret: "tollgate-secret".to_owned(),
                grants: vec![
                    Grant::ClientCredentials,
                    Grant::Password,
                    Grant::RefreshToken,
                ],
            }],
            users: vec![IdpUser {
                name: "alice".to_owned(),
                password: "alice-pw".to_owned(),
                claims: serde_json::Map::new(),
            }],
            signing_key: None,
            access_token_ttl: Duration::from_secs(300),
            refresh_token_ttl: Duration::from_secs(3600),
            format: TokenFormat::Jwt,
            audience: "confluence".to_owned(),
        }
    }
}

#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct IdpClient {
    pub id: String,
    pub secret: String,
    pub grants: Vec<Grant>,
}

/// Debug without the secret, since Debug output reaches panic messages.
impl std::fmt::Debug for IdpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpClient")
            .field("id", &self.id)
            .field("secret", &REDACTED_IN_DEBUG)
            .field("grants", &self.grants)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    ClientCredentials,
    Password,
    RefreshToken,
}

#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct IdpUser {
    pub name: String,
    pub password: String,
    /// Extra claims for tokens and userinfo, e.g. `{ email: alice@corp }`.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// Debug without the secret, since Debug output reaches panic messages.
impl std::fmt::Debug for IdpUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpUser")
            .field("name", &self.name)
            .field("password", &REDACTED_IN_DEBUG)
            .field("claims", &self.claims)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenFormat {
    #[default]
    Jwt,
    Opaque,
}

/// The Confluence side of the mock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ConfluenceConfig {
    /// Context path such as `/confluence`; empty means the root.
    pub context_path: String,
    /// What OAuth realms and absolute links name; `auto` = the address the mock
    /// is bound to, plus the context path.
    pub base_url: String,
    /// Whether anonymous users may read content (the global "anonymous access").
    pub anonymous_access: bool,
    /// Status of an anonymous content read when anonymous access is off:
    /// 401 (the default, F-ANON-3 body) or 404 (F-ANON-4 body); any other value
    /// reads as 401. F-ANON-4 is inferred, hence the switch.
    pub anonymous_denied_status: u16,
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
    /// Switches that make the mock non-conforming on purpose.
    pub faults: Vec<Fault>,
}

impl Default for ConfluenceConfig {
    fn default() -> Self {
        Self {
            context_path: String::new(),
            base_url: "auto".to_owned(),
            anonymous_access: false,
            anonymous_denied_status: 401,
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
    /// Longest `expirationDuration` in days (F-PAT-4: 365).
    pub max_expiry_days: u32,
    /// Tokens that exist when the mock starts.
    pub tokens: Vec<PatSeed>,
}

impl Default for PatsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_per_user: 10,
            max_expiry_days: 365,
            tokens: Vec::new(),
        }
    }
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
}

impl Default for ConnectJwtConfig {
    fn default() -> Self {
        Self {
            issuers: Vec::new(),
            leeway: Duration::from_secs(30),
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
    /// Who a token without `sub` acts as.
    pub user: Option<String>,
}

/// Debug without the secret, since Debug output reaches panic messages.
impl std::fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("iss", &self.iss)
            .field("shared_secret", &REDACTED_IN_DEBUG)
            .field("public_key", &self.public_key)
            .field("user", &self.user)
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

/// A REST-auth plugin (seeds 002/003). The later policy issue adds groups, IP
/// rules, toggles, rate limits and the audit log here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PluginConfig {
    /// How the plugin validates `Authorization: Bearer` tokens.
    pub bearer: PluginBearer,
    /// The attribute of the introspection answer that names the user (F-OAUTH-3).
    pub username_attribute: String,
    /// Whether PATs still work beside the plugin (F-PLUG-3).
    pub allow_pat: bool,
    /// Whether Confluence's own OAuth tokens still work beside the plugin (F-PLUG-3).
    pub allow_native_oauth: bool,
    /// Status of a refused token or a refused method (vendor-specific, F-PLUG-3).
    pub reject_status: u16,
    /// Refuse `Authorization: Basic` on the REST API (F-PLUG-3).
    pub disable_basic: bool,
    /// Users outside these groups get no API access; empty = everyone (F-PLUG-1).
    pub api_groups: Vec<String>,
    /// Users in these groups may only read: GET, HEAD, OPTIONS (F-PLUG-1).
    pub read_only_groups: Vec<String>,
    /// CIDRs the API may be called from; empty = any (F-PLUG-2).
    pub ip_allow: Vec<String>,
    /// Behind a reverse proxy, the header that names the client (F-PLUG-2).
    pub client_ip_header: String,
    /// The proxies whose `client_ip_header` is believed; empty = none (F-PLUG-2).
    pub trusted_proxies: Vec<String>,
    /// Anonymous-allowed paths the plugin forces authentication on (F-PLUG-4).
    pub restrict_public: Vec<String>,
    /// Paths the plugin does not judge; Confluence's own auth still applies (F-PLUG-4).
    pub bypass: Vec<String>,
    /// Requests per token per time frame; absent = unlimited (F-PLUG-5).
    pub rate_limit: Option<PluginRateLimit>,
    /// The REST audit log, read at `/__tollgate/audit` (F-PLUG-6).
    pub audit: AuditConfig,
}

/// F-PLUG-5: N requests per time frame, per token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PluginRateLimit {
    pub requests: u32,
    pub per: Duration,
}

impl Default for PluginRateLimit {
    fn default() -> Self {
        Self {
            requests: 100,
            per: Duration::from_secs(60),
        }
    }
}

/// F-PLUG-6: the audit log is trimmed after a number of entries or days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AuditConfig {
    pub max_entries: usize,
    pub max_age: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_age: Duration::from_secs(30 * 86_400),
        }
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
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            capacity: 20,
            fill: 5,
            interval: Duration::from_secs(1),
            exempt: Vec::new(),
        }
    }
}

/// Crowd SSO (F-CROWD-1..4). The SSO server is the embedded IdP's Crowd service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct CrowdConfig {
    /// Whether Confluence accepts `crowd.token_key` at all.
    pub enabled: bool,
    /// "Require consistent client IP address" (F-CROWD-2; on by default).
    pub require_consistent_ip: bool,
    /// Proxies whose `X-Forwarded-For` is believed: IPs, `192.168.*.*` wildcards,
    /// CIDRs (F-CROWD-3).
    pub trusted_proxies: Vec<String>,
    /// Mark the SSO cookie `Secure` (F-CROWD-1).
    pub secure_cookie: bool,
    /// The cookie's Domain; none for localhost (F-CROWD-1).
    pub cookie_domain: Option<String>,
}

impl Default for CrowdConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            require_consistent_ip: true,
            trusted_proxies: Vec::new(),
            secure_cookie: false,
            cookie_domain: None,
        }
    }
}

impl Default for PluginConfig {
    fn default() -> Self {
        Self {
            bearer: PluginBearer::default(),
            username_attribute: "username".to_owned(),
            allow_pat: true,
            allow_native_oauth: true,
            reject_status: 401,
            disable_basic: false,
            api_groups: Vec::new(),
            read_only_groups: Vec::new(),
            ip_allow: Vec::new(),
            client_ip_header: "X-Forwarded-For".to_owned(),
            trusted_proxies: Vec::new(),
            restrict_public: Vec::new(),
            bypass: Vec::new(),
            rate_limit: None,
            audit: AuditConfig::default(),
        }
    }
}

/// Introspection at the IdP, or JWT validation with public keys (F-PLUG-7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PluginBearer {
    /// POST the token to the IdP's RFC 7662 endpoint.
    pub introspection: bool,
    /// Or verify it as a JWT.
    pub jwt: Option<PluginJwt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PluginJwt {
    /// Names of keys in the scenario's `keys:` (or `idp`: the IdP's signing key).
    pub keys: Vec<String>,
    /// The claim that names the user.
    pub username_claim: String,
    /// Applied to the claim; the first group is the user name.
    pub username_regex: Option<String>,
    pub audience: Option<String>,
    pub issuer: Option<String>,
}

impl Default for PluginJwt {
    fn default() -> Self {
        Self {
            keys: vec!["idp".to_owned()],
            username_claim: "sub".to_owned(),
            username_regex: None,
            audience: None,
            issuer: None,
        }
    }
}

/// A switch that makes the mock misbehave on purpose. A suite fault
/// ([`Fault::SUITE`]) breaks exactly one fact of confluence-auth-facts.md, so the
/// conformance suite can prove it notices; a load-only fault ([`Fault::LOAD_ONLY`])
/// breaks none and exists so a load threshold can prove it notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Anonymous requests get `WWW-Authenticate: Basic realm="Confluence"` (breaks F-BASIC-2).
    BasicChallenge,
    /// Anonymous REST calls that need a user get a 302 to the login page instead of
    /// a 401 (breaks F-ANON-3).
    RestLoginRedirect,
    /// Anonymous users read content and pages with anonymous access off (breaks F-ANON-4, F-ANON-1).
    AnonymousRead,
    /// Failed logins never lock Basic behind the CAPTCHA (breaks F-BASIC-6).
    NoCaptcha,
    /// `Authorization: basic …` (lower case) authenticates (breaks F-BASIC-4).
    LowercaseBasicAccepted,
    /// An unknown JSESSIONID under `/rest/` falls back to anonymous (breaks F-SESS-1).
    StaleSessionAnonymous,
    /// An expired PAT still authenticates (breaks F-PAT-2).
    ExpiredPatAccepted,
    /// A revoked PAT still authenticates (breaks F-PAT-2).
    RevokedPatAccepted,
    /// `/rest/token-auth/api/` serves every path, whitelist or not (breaks F-TOKAUTH-2/3).
    TokenAuthOpen,
    /// Whitelist patterns match case-sensitively (breaks F-TOKAUTH-3).
    TokenAuthCaseSensitive,
    /// A Connect JWT with `alg: none` (any case) is accepted unsigned (breaks F-JWT-1).
    JwtAlgNone,
    /// An HS256 token signed with an RS256 issuer's public key verifies (breaks F-JWT-1).
    JwtKeyConfusion,
    /// Connect JWT signatures are not checked at all (breaks F-JWT-1).
    JwtSignatureUnchecked,
    /// `exp` and `nbf` are not checked (breaks F-JWT-2).
    JwtExpiryIgnored,
    /// The query-string hash is not checked (breaks F-JWT-3).
    JwtQshIgnored,
    /// A token from an unknown `iss` acts as a configured issuer (breaks F-JWT-2).
    JwtUnknownIssuer,
    /// The plugin's JWT validation ignores `aud` (breaks F-JWT-5, F-PLUG-7).
    JwtAudienceIgnored,
    /// A `kid` naming a file path selects the key (an empty one for /dev/null) (breaks F-JWT-5).
    JwtKidTraversal,
    /// The plugin lets in a token the IdP calls inactive (breaks F-OAUTH-3/4).
    IntrospectionInactiveAccepted,
    /// The plugin lets a bearer token in when the IdP cannot be reached (breaks F-OAUTH-3).
    IntrospectionFailOpen,
    /// The plugin caches introspection results, so a revoked token keeps working (breaks F-OAUTH-4).
    RevokedTokenCached,
    /// Rate limiting never refuses (breaks F-RATE-1/3).
    RateLimitOff,
    /// The limiter checks, then decrements later, so a concurrent burst overshoots (breaks F-RATE-1).
    RateLimitRace,
    /// Counted responses carry no X-RateLimit-* headers (breaks F-RATE-2).
    RateHeadersMissing,
    /// Exempt requests (UI, anonymous, exempt URLs) are counted too (breaks F-RATE-2/4).
    RateCountsExempt,
    /// An SSO token works from any address despite require_consistent_ip (breaks F-CROWD-2).
    CrowdIpUnbound,
    /// X-Forwarded-For from an untrusted peer is believed (breaks F-CROWD-3).
    CrowdTrustAnyXff,
    /// The SSO cookie lacks Secure/HttpOnly when configured (breaks F-CROWD-1).
    CrowdCookieInsecure,
    /// Form POSTs pass without X-Atlassian-Token or atl_token; the browser
    /// Origin check stays (breaks F-XSRF-2).
    XsrfOff,
    /// Read-only groups may write (breaks F-PLUG-1).
    ReadOnlyWrites,
    /// Users outside the allowed groups reach the API (breaks F-PLUG-1).
    GroupsIgnored,
    /// The IP allowlist is not applied (breaks F-PLUG-2).
    IpAllowIgnored,
    /// The client-IP header is believed from any peer (breaks F-PLUG-2).
    IpHeaderUntrusted,
    /// Basic still works with disable_basic on (breaks F-PLUG-3).
    DisableBasicIgnored,
    /// Restricted public paths stay anonymous (breaks F-PLUG-4).
    RestrictPublicIgnored,
    /// The plugin's per-token limit never refuses (breaks F-PLUG-5).
    PluginRateLimitOff,
    /// REST calls are not written to the audit log (breaks F-PLUG-6).
    AuditMissing,
    /// Every request that carries credentials waits a fixed delay (the mock's
    /// `SLOW_AUTH_DELAY`, 50 ms) before it is authenticated, then gets the clean
    /// answer (breaks no fact: load-only, for load thresholds).
    SlowAuth,
}

impl Fault {
    /// The faults that break a fact, in the order of emulator.md: the conformance
    /// suite must catch each (`tollgate selftest`, `tests/fault_matrix.rs`).
    pub const SUITE: &'static [Fault] = &[
        Fault::BasicChallenge,
        Fault::RestLoginRedirect,
        Fault::AnonymousRead,
        Fault::NoCaptcha,
        Fault::LowercaseBasicAccepted,
        Fault::StaleSessionAnonymous,
        Fault::ExpiredPatAccepted,
        Fault::RevokedPatAccepted,
        Fault::TokenAuthOpen,
        Fault::TokenAuthCaseSensitive,
        Fault::IntrospectionInactiveAccepted,
        Fault::IntrospectionFailOpen,
        Fault::RevokedTokenCached,
        Fault::JwtAlgNone,
        Fault::JwtKeyConfusion,
        Fault::JwtSignatureUnchecked,
        Fault::JwtExpiryIgnored,
        Fault::JwtQshIgnored,
        Fault::JwtUnknownIssuer,
        Fault::JwtAudienceIgnored,
        Fault::JwtKidTraversal,
        Fault::CrowdIpUnbound,
        Fault::CrowdTrustAnyXff,
        Fault::CrowdCookieInsecure,
        Fault::RateLimitOff,
        Fault::RateLimitRace,
        Fault::RateHeadersMissing,
        Fault::RateCountsExempt,
        Fault::PluginRateLimitOff,
        Fault::XsrfOff,
        Fault::ReadOnlyWrites,
        Fault::GroupsIgnored,
        Fault::IpAllowIgnored,
        Fault::IpHeaderUntrusted,
        Fault::DisableBasicIgnored,
        Fault::RestrictPublicIgnored,
        Fault::AuditMissing,
    ];

    /// The faults that break no fact, so no conformance scenario can catch them:
    /// only a load threshold judges them (`tests/load.rs`), and selftest leaves
    /// them out of the fault matrix.
    pub const LOAD_ONLY: &'static [Fault] = &[Fault::SlowAuth];

    /// Every fault the mock honours: [`Fault::SUITE`], then [`Fault::LOAD_ONLY`].
    /// A fault is listed once the mock honours it, so a fault that does nothing is
    /// refused as unknown rather than silently accepted.
    pub const ALL: &'static [Fault] =
        &concat::<{ Fault::SUITE.len() + Fault::LOAD_ONLY.len() }>(Fault::SUITE, Fault::LOAD_ONLY);

    /// Whether only load thresholds judge this fault (it is in [`Fault::LOAD_ONLY`]).
    pub fn is_load_only(self) -> bool {
        Fault::LOAD_ONLY.contains(&self)
    }

    /// The name scenarios write (`faults: [basic_challenge]`).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::BasicChallenge => "basic_challenge",
            Fault::RestLoginRedirect => "rest_login_redirect",
            Fault::AnonymousRead => "anonymous_read",
            Fault::NoCaptcha => "no_captcha",
            Fault::LowercaseBasicAccepted => "lowercase_basic_accepted",
            Fault::StaleSessionAnonymous => "stale_session_anonymous",
            Fault::ExpiredPatAccepted => "expired_pat_accepted",
            Fault::RevokedPatAccepted => "revoked_pat_accepted",
            Fault::TokenAuthOpen => "token_auth_open",
            Fault::TokenAuthCaseSensitive => "token_auth_case_sensitive",
            Fault::JwtAlgNone => "jwt_alg_none",
            Fault::JwtKeyConfusion => "jwt_key_confusion",
            Fault::JwtSignatureUnchecked => "jwt_signature_unchecked",
            Fault::JwtExpiryIgnored => "jwt_expiry_ignored",
            Fault::JwtQshIgnored => "jwt_qsh_ignored",
            Fault::JwtUnknownIssuer => "jwt_unknown_issuer",
            Fault::JwtAudienceIgnored => "jwt_audience_ignored",
            Fault::JwtKidTraversal => "jwt_kid_traversal",
            Fault::IntrospectionInactiveAccepted => "introspection_inactive_accepted",
            Fault::IntrospectionFailOpen => "introspection_fail_open",
            Fault::RevokedTokenCached => "revoked_token_cached",
            Fault::RateLimitOff => "rate_limit_off",
            Fault::RateLimitRace => "rate_limit_race",
            Fault::RateHeadersMissing => "rate_headers_missing",
            Fault::RateCountsExempt => "rate_counts_exempt",
            Fault::CrowdIpUnbound => "crowd_ip_unbound",
            Fault::CrowdTrustAnyXff => "crowd_trust_any_xff",
            Fault::CrowdCookieInsecure => "crowd_cookie_insecure",
            Fault::XsrfOff => "xsrf_off",
            Fault::ReadOnlyWrites => "read_only_writes",
            Fault::GroupsIgnored => "groups_ignored",
            Fault::IpAllowIgnored => "ip_allow_ignored",
            Fault::IpHeaderUntrusted => "ip_header_untrusted",
            Fault::DisableBasicIgnored => "disable_basic_ignored",
            Fault::RestrictPublicIgnored => "restrict_public_ignored",
            Fault::PluginRateLimitOff => "plugin_rate_limit_off",
            Fault::AuditMissing => "audit_missing",
            Fault::SlowAuth => "slow_auth",
        }
    }
}

/// `a` then `b`, at compile time, so [`Fault::ALL`] cannot drift from the two
/// lists it is made of.
const fn concat<const N: usize>(a: &[Fault], b: &[Fault]) -> [Fault; N] {
    assert!(a.len() + b.len() == N);
    let mut out = [Fault::BasicChallenge; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl MockConfig {
    /// Values configured here that are credentials (the users' passwords): the
    /// runner hands them to the redactor before anything is sent.
    pub fn secrets(&self) -> Vec<String> {
        let confluence = self.confluence.users.iter().map(|u| u.password.clone());
        let idp_users = self.idp.users.iter().map(|u| u.password.clone());
        let idp_clients = self.idp.clients.iter().map(|c| c.secret.clone());
        let issuers = self
            .confluence
            .connect_jwt
            .issuers
            .iter()
            .filter_map(|i| i.shared_secret.clone());
        let pats = self
            .confluence
            .pats
            .tokens
            .iter()
            .filter_map(|t| t.value.clone());
        let oauth = self
            .confluence
            .native_oauth
            .clients
            .iter()
            .map(|c| c.secret.clone());
        confluence
            .chain(idp_users)
            .chain(idp_clients)
            .chain(issuers)
            .chain(pats)
            .chain(oauth)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_block_is_a_locked_down_instance_with_alice() {
        let config: MockConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, MockConfig::default());
        let c = &config.confluence;
        assert!(!config.tls && !c.anonymous_access);
        assert_eq!(c.base_url, "auto");
        assert_eq!(c.users.len(), 1);
        assert_eq!(c.users[0].name, "alice");
        assert_eq!(c.users[0].groups, ["confluence-users"]);
        assert!(c.users[0].can_login);
        assert_eq!(
            c.captcha,
            CaptchaConfig {
                enabled: true,
                threshold: 3
            }
        );
        assert_eq!(c.sessions.idle_timeout.get().as_secs(), 1800);
        assert_eq!(c.sessions.max, 10_000);
        assert_eq!(c.anonymous_denied_status, 401);
    }

    #[test]
    fn partial_blocks_keep_the_other_defaults() {
        let json = r#"{"confluence":{"users":[{"name":"bob","password":"pw"}],
            "captcha":{"threshold":5},"sessions":{"idle_timeout":"2s"},
            "content":"empty","faults":["no_captcha"]},"idp":{}}"#;
        let config: MockConfig = serde_json::from_str(json).unwrap();
        let c = &config.confluence;
        assert_eq!(c.users[0].groups, ["confluence-users"]);
        assert_eq!(
            c.captcha,
            CaptchaConfig {
                enabled: true,
                threshold: 5
            }
        );
        assert_eq!(c.sessions.idle_timeout.get().as_secs(), 2);
        assert_eq!(c.sessions.max, 10_000);
        assert_eq!(c.content, ContentPreset::Empty);
        assert_eq!(c.faults, [Fault::NoCaptcha]);
    }

    #[test]
    fn fault_names_match_serde() {
        for fault in Fault::ALL {
            let json = serde_json::to_string(fault).unwrap();
            assert_eq!(json, format!("\"{}\"", fault.name()));
            let back: Fault = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *fault);
        }
    }

    /// The schema lists every variant, so a fault left out of both lists (and so
    /// out of `ALL` and the matrix) shows up here.
    #[test]
    fn every_fault_is_either_judged_by_the_suite_or_load_only() {
        fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        match (key.as_str(), value) {
                            ("const", serde_json::Value::String(s)) => out.push(s.clone()),
                            ("enum", serde_json::Value::Array(items)) => out
                                .extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned))),
                            _ => strings(value, out),
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
                _ => {}
            }
        }
        let mut variants = Vec::new();
        strings(&schemars::schema_for!(Fault).to_value(), &mut variants);
        let mut listed: Vec<String> = Fault::ALL.iter().map(|f| f.name().to_owned()).collect();
        assert_eq!(listed.len(), Fault::SUITE.len() + Fault::LOAD_ONLY.len());
        listed.sort();
        listed.dedup();
        variants.sort();
        assert_eq!(listed, variants, "ALL lists each variant exactly once");
        assert!(Fault::SUITE.iter().all(|f| !f.is_load_only()));
        assert!(Fault::LOAD_ONLY.iter().all(|f| f.is_load_only()));
        assert_eq!(Fault::LOAD_ONLY, [Fault::SlowAuth]);
        assert_eq!(Fault::ALL.first(), Some(&Fault::BasicChallenge));
        assert_eq!(Fault::ALL.last(), Some(&Fault::SlowAuth));
    }
}
