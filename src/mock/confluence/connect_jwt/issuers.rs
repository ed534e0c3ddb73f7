//! Connect issuers as configured (F-JWT-1): each verifies HS256 with its shared
//! secret or RS256 with a public key of the scenario's `keys:`, never both.

use jsonwebtoken::DecodingKey;

use crate::auth::keys::SigningKey;
use crate::scenario::mock_config::ConnectJwtConfig;
use crate::scenario::model::Alg;

/// What is wrong with `connect_jwt.issuers` (names and algorithms only, never
/// a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectJwtError {
    #[error("connect_jwt: issuer '{0}' is configured twice")]
    Duplicate(String),
    #[error("connect_jwt issuer '{iss}': public_key '{key}' is not a key of `keys:`")]
    UnknownKey { iss: String, key: String },
    #[error(
        "connect_jwt issuer '{iss}': key '{key}' is {alg}, but Connect verifies RS256 only (F-JWT-1)"
    )]
    NotRs256 { iss: String, key: String, alg: Alg },
    #[error(
        "connect_jwt issuer '{0}': give exactly one of shared_secret (HS256) and public_key (RS256)"
    )]
    NotOneKey(String),
}

pub(super) struct Issuer {
    pub(super) iss: String,
    pub(super) key: IssuerKey,
    pub(super) user: Option<String>,
    /// Whether `sub` names the user (F-JWT-2): the global switch or this issuer's.
    pub(super) impersonation: bool,
}

/// F-JWT-1: an issuer verifies HS256 with its shared secret or RS256 with its
/// public key, never both.
pub(super) enum IssuerKey {
    Secret(DecodingKey),
    Rsa {
        key: DecodingKey,
        /// The public key's PEM text as an HMAC key: what a verifier suffering
        /// `jwt_key_confusion` checks an HS256 token with.
        pem_as_secret: DecodingKey,
    },
}

/// The configured issuers with their keys resolved.
pub(super) fn issuers(
    config: &ConnectJwtConfig,
    keys: &[SigningKey],
) -> Result<Vec<Issuer>, ConnectJwtError> {
    let mut issuers: Vec<Issuer> = Vec::with_capacity(config.issuers.len());
    for issuer in &config.issuers {
        let name = &issuer.iss;
        if issuers.iter().any(|i| i.iss == *name) {
            return Err(ConnectJwtError::Duplicate(name.clone()));
        }
        let key = match (&issuer.shared_secret, &issuer.public_key) {
            (Some(secret), None) => IssuerKey::Secret(DecodingKey::from_secret(secret.as_bytes())),
            (None, Some(key_name)) => rsa_key(name, key_name, keys)?,
            _ => return Err(ConnectJwtError::NotOneKey(name.clone())),
        };
        issuers.push(Issuer {
            iss: name.clone(),
            key,
            user: issuer.user.clone(),
            impersonation: config.impersonation || issuer.impersonation,
        });
    }
    Ok(issuers)
}

/// The RS256 key `key_name` names among `keys` (F-JWT-1: Connect verifies RS256 only).
fn rsa_key(iss: &str, key_name: &str, keys: &[SigningKey]) -> Result<IssuerKey, ConnectJwtError> {
    let key =
        keys.iter()
            .find(|k| k.name() == key_name)
            .ok_or_else(|| ConnectJwtError::UnknownKey {
                iss: iss.to_owned(),
                key: key_name.to_owned(),
            })?;
    match (key.alg(), key.public_pem()) {
        (Alg::RS256, Some(pem)) => Ok(IssuerKey::Rsa {
            key: key.decoding_key().clone(),
            pem_as_secret: DecodingKey::from_secret(pem.as_bytes()),
        }),
        (alg, _) => Err(ConnectJwtError::NotRs256 {
            iss: iss.to_owned(),
            key: key_name.to_owned(),
            alg,
        }),
    }
}
