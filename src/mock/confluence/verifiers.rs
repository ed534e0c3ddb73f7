//! The verifiers one instance authenticates with that need more than its own
//! configuration: the scenario's keys or the identity provider. Built once, in
//! [`Verifiers::new`], and held by the instance's `State`; Seraph's steps read
//! them from there.

use crate::auth::keys::SigningKey;
use crate::mock::confluence::connect_jwt::issuers::ConnectJwtError;
use crate::mock::confluence::connect_jwt::verifier::ConnectJwtVerifier;
use crate::mock::confluence::crowd_sso::{CrowdSso, CrowdSsoError};
use crate::mock::confluence::plugin_bearer::{
    IdpEndpoint, PluginBearerError, PluginBearerVerifier,
};
use crate::mock::faults::FaultSet;
use crate::mock::idp::state::IdpState;
use crate::scenario::mock_config::ConfluenceConfig;

/// Why an instance cannot be built from its configuration and keys.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    #[error(transparent)]
    ConnectJwt(#[from] ConnectJwtError),
    #[error(transparent)]
    PluginBearer(#[from] PluginBearerError),
    #[error(transparent)]
    CrowdSso(#[from] CrowdSsoError),
}

/// Each verifier is `None` when its feature is off (or the instance runs
/// without an IdP, as a bare router in unit tests).
#[derive(Default)]
pub struct Verifiers {
    /// With `connect_jwt.issuers` (F-TOKAUTH-4, F-JWT-*).
    pub connect_jwt: Option<ConnectJwtVerifier>,
    /// With a `plugin:` (F-OAUTH-3, F-PLUG-7): asks its IdP over HTTP.
    pub plugin_bearer: Option<PluginBearerVerifier>,
    /// With `crowd.enabled` (F-CROWD-*): asks its Crowd server over HTTP.
    pub crowd_sso: Option<CrowdSso>,
}

/// Which verifiers are on; never their keys or secrets.
impl std::fmt::Debug for Verifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifiers")
            .field("connect_jwt", &self.connect_jwt.is_some())
            .field("plugin_bearer", &self.plugin_bearer.is_some())
            .field("crowd_sso", &self.crowd_sso.is_some())
            .finish()
    }
}

impl Verifiers {
    /// Every verifier `config` switches on, from the scenario's `keys` and the
    /// `idp` served beside this instance (whose URL, first client and clock are
    /// the defaults of where the plugin and the Crowd client call); `context_path`
    /// is the normalized one Connect's qsh is computed below.
    pub fn new(
        config: &ConfluenceConfig,
        keys: &[SigningKey],
        idp: &IdpState,
        context_path: &str,
    ) -> Result<Self, VerifierError> {
        let faults = FaultSet::new(&config.faults);
        let plugin_bearer = plugin_bearer(config, keys, idp, faults.clone())?;
        let connect_jwt = if config.connect_jwt.issuers.is_empty() {
            None
        } else {
            Some(ConnectJwtVerifier::new(
                &config.connect_jwt,
                keys,
                &faults,
                context_path,
            )?)
        };
        // Crowd SSO (F-CROWD-*): Confluence's Crowd client, by default at the
        // embedded IdP's Crowd service, over HTTP.
        let crowd_sso = if config.crowd.enabled {
            let server_url = config
                .crowd
                .server_url
                .clone()
                .unwrap_or_else(|| format!("{}/crowd", idp.issuer()));
            Some(CrowdSso::new(&config.crowd, &server_url, &faults)?)
        } else {
            None
        };
        Ok(Self {
            connect_jwt,
            plugin_bearer,
            crowd_sso,
        })
    }
}

/// The plugin's bearer check, when a `plugin:` is configured: its IdP is
/// `bearer.idp_url`, else the embedded one, and its client `bearer.client_id`
/// and `client_secret`, else the embedded IdP's first client.
fn plugin_bearer(
    config: &ConfluenceConfig,
    keys: &[SigningKey],
    idp: &IdpState,
    faults: FaultSet,
) -> Result<Option<PluginBearerVerifier>, VerifierError> {
    let Some(plugin) = &config.plugin else {
        return Ok(None);
    };
    let bearer = &plugin.bearer;
    let first = idp.config.clients.first();
    let endpoint = IdpEndpoint {
        url: bearer
            .idp_url
            .clone()
            .unwrap_or_else(|| idp.issuer().to_owned()),
        client_id: bearer
            .client_id
            .clone()
            .or_else(|| first.map(|c| c.id.clone()))
            .unwrap_or_default(),
        client_secret: bearer
            .client_secret
            .clone()
            .or_else(|| first.map(|c| c.secret.clone()))
            .unwrap_or_default(),
        client_auth: bearer.client_auth,
    };
    Ok(Some(PluginBearerVerifier::new(
        plugin,
        endpoint,
        keys,
        faults,
        idp.clock().clone(),
    )?))
}
