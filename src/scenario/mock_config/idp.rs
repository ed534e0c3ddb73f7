//! `mock.idp`: the identity provider beside the mock Confluence.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scenario::duration::Duration;

use super::debug::REDACTED_IN_DEBUG;

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
