//! The verifiers one instance authenticates with that need more than its own
//! configuration: the scenario's keys or the identity provider. Built once, in
//! [`Verifiers::new`], and held by the instance's `State`; Seraph's steps read
//! them from there.

use crate::auth::keys::{KeyError, SigningKey};
use crate::mock::confluence::connect_jwt::issuers::ConnectJwtError;
use crate::mock::confluence::connect_jwt::verifier::ConnectJwtVerifier;
use crate::mock::confluence::crowd_sso::{CrowdSso, CrowdSsoError};
use crate::mock::confluence::plugin_bearer::{PluginBearerError, PluginBearerVerifier};
use crate::mock::faults::FaultSet;
use crate::mock::idp::state::{GENERATED_KEY_NAME, IdpState};
use crate::scenario::mock_config::ConfluenceConfig;

/// Why an instance cannot be built from its configuration and keys.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    #[error(transparent)]
    ConnectJwt(#[from] ConnectJwtError),
    #[error(transparent)]
    PluginBearer(#[from] PluginBearerError),
    #[error(transparent)]
    IdpKey(#[from] KeyError),
    #[error(transparent)]
    CrowdSso(#[from] CrowdSsoError),
}

/// Each verifier is `None` when its feature is off (or the instance runs
/// without an IdP, as a bare router in unit tests).
#[derive(Default)]
pub struct Verifiers {
    /// With `connect_jwt.issuers` (F-TOKAUTH-4, F-JWT-*).
    pub connect_jwt: Option<ConnectJwtVerifier>,
    /// With a `plugin:` (F-OAUTH-3, F-PLUG-7), knowing the IdP's URL and first client.
    pub plugin_bearer: Option<PluginBearerVerifier>,
    /// With `crowd.enabled` (F-CROWD-*), sharing the IdP's Crowd sessions.
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
    /// `idp` served beside this instance; `context_path` is the normalized one
    /// Connect's qsh is computed below.
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
        // Crowd SSO (F-CROWD-*): Confluence shares the IdP's session store (an
        // `Arc`, no HTTP between them).
        let crowd_sso = if config.crowd.enabled {
            Some(CrowdSso::new(&config.crowd, idp.crowd().clone(), &faults)?)
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

/// The plugin's bearer check, when a `plugin:` is configured.
fn plugin_bearer(
    config: &ConfluenceConfig,
    keys: &[SigningKey],
    idp: &IdpState,
    faults: FaultSet,
) -> Result<Option<PluginBearerVerifier>, VerifierError> {
    let Some(plugin) = &config.plugin else {
        return Ok(None);
    };
    // The IdP's key is made now only when the plugin verifies with it.
    let wants_idp_key = plugin.bearer.jwt.as_ref().is_some_and(|jwt| {
        jwt.keys
            .iter()
            .any(|k| k == "idp" || k == GENERATED_KEY_NAME)
    });
    let idp_key = if wants_idp_key {
        Some(idp.signing_key()?.clone())
    } else {
        None
    };
    let client = idp
        .config
        .clients
        .first()
        .map(|c| (c.id.clone(), c.secret.clone()))
        .unwrap_or_default();
    Ok(Some(PluginBearerVerifier::new(
        plugin,
        idp.issuer().to_owned(),
        client,
        keys,
        idp_key,
        faults,
        idp.clock().clone(),
    )?))
}
