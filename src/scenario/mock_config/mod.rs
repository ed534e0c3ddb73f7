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
//!
//! One part of the block a file: [`confluence`], [`plugin`], [`idp`], [`fault`],
//! [`server`].

pub mod confluence;
mod debug;
pub mod fault;
pub mod idp;
pub mod inert;
pub mod plugin;
pub mod server;

#[cfg(test)]
mod tests;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use confluence::{
    BasicAuthBlockConfig, CaptchaConfig, ConfluenceConfig, ConnectJwtConfig, ContentPreset,
    CrowdConfig, JwtIssuer, MAX_PAT_EXPIRY_DAYS, NativeOauthClient, NativeOauthConfig, PatSeed,
    PatsConfig, RateLimitConfig, RateLimitUser, SessionsConfig, TokenAuthConfig, UserConfig,
};
pub use fault::Fault;
pub use idp::{Grant, IdpClient, IdpConfig, IdpUser, TokenFormat};
pub use plugin::{
    AuditConfig, PluginBearer, PluginClientAuth, PluginConfig, PluginJwt, PluginRateLimit,
};
pub use server::ServerConfig;

/// The whole `mock:` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct MockConfig {
    /// Serve the Confluence side over HTTPS.
    pub tls: bool,
    /// The emulated Confluence node.
    pub confluence: ConfluenceConfig,
    /// The identity provider (a later issue fills this in; any mapping is kept as is).
    pub idp: IdpConfig,
    /// Connection limits of both servers: timeouts, how many at once, HTTP/2.
    pub server: ServerConfig,
}

impl MockConfig {
    /// Values configured here that are credentials (passwords, client and
    /// application secrets, seeded tokens): the runner hands them to the redactor
    /// before anything is sent.
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
        let plugin = self
            .confluence
            .plugin
            .iter()
            .filter_map(|p| p.bearer.client_secret.clone());
        let crowd = std::iter::once(self.confluence.crowd.application_password.clone());
        confluence
            .chain(idp_users)
            .chain(idp_clients)
            .chain(issuers)
            .chain(pats)
            .chain(oauth)
            .chain(plugin)
            .chain(crowd)
            .collect()
    }
}
