//! `mock.confluence.plugin`: a REST-auth plugin in front of the REST API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;

use super::debug::REDACTED_IN_DEBUG;

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

/// Introspection at the IdP, or JWT validation with public keys (F-PLUG-7), and
/// where the IdP is.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PluginBearer {
    /// POST the token to the IdP's RFC 7662 endpoint.
    pub introspection: bool,
    /// Or GET the IdP's userinfo endpoint with it, as seed 002's plugin does for
    /// its "introspection": a 200 names the user (no `active` field), a 401 or 403
    /// means the token is not good.
    pub userinfo: bool,
    /// Or verify it as a JWT.
    pub jwt: Option<PluginJwt>,
    /// The IdP's base URL: `/introspect`, `/userinfo` and `/jwks` below it.
    /// Absent: the embedded IdP's.
    pub idp_url: Option<String>,
    /// The client the plugin introspects as. Absent: the embedded IdP's first
    /// client.
    pub client_id: Option<String>,
    /// That client's secret. Absent: the embedded IdP's first client's.
    pub client_secret: Option<String>,
    /// How the plugin authenticates at the introspection endpoint (RFC 6749
    /// §2.3.1).
    pub client_auth: PluginClientAuth,
}

/// Debug without the client secret, since Debug output reaches panic messages.
impl std::fmt::Debug for PluginBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginBearer")
            .field("introspection", &self.introspection)
            .field("userinfo", &self.userinfo)
            .field("jwt", &self.jwt)
            .field("idp_url", &self.idp_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED_IN_DEBUG),
            )
            .field("client_auth", &self.client_auth)
            .finish()
    }
}

/// Client authentication at the introspection endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PluginClientAuth {
    /// `client_secret_basic`: HTTP Basic.
    #[default]
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form.
    Post,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PluginJwt {
    /// Names of keys in the scenario's `keys:`, or `idp`: the keys the IdP
    /// publishes at `{idp_url}/jwks`, fetched over HTTP.
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
