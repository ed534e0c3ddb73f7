//! Ed25519 keys for the bundle's signature, on aws-lc-rs (already the crypto of
//! rustls and jsonwebtoken here). Private keys are PKCS#8 PEM, public keys SPKI
//! PEM, as `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::pem;

/// The name bundles and `keys gen --alg` use.
pub const ALG: &str = "Ed25519";

/// Why a key could not be made, read or used. Never holds key material.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("cannot make an Ed25519 key")]
    Generate,
    #[error("{0}")]
    Pem(String),
    #[error(
        "a {found} PEM block, not a PKCS#8 Ed25519 PRIVATE KEY (make one with `tollgate keys gen NAME --alg Ed25519`)"
    )]
    NotPrivate { found: String },
    #[error("a PRIVATE KEY that is not an Ed25519 PKCS#8 key")]
    NotEd25519Private,
    #[error(
        "a {found} PEM block, not an Ed25519 PUBLIC KEY (the .pub.pem `keys gen --alg Ed25519` wrote)"
    )]
    NotPublic { found: String },
    #[error("a PUBLIC KEY that is not an Ed25519 key")]
    NotEd25519Public,
}

/// A signing key. Debug shows its fingerprint only.
pub struct SignKey {
    pair: Ed25519KeyPair,
    spki_der: Vec<u8>,
}

impl std::fmt::Debug for SignKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignKey")
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl SignKey {
    /// A fresh key and its PKCS#8 PEM (to be written once, owner-readable).
    pub fn generate() -> Result<(Self, String), KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::Generate)?;
        let pem = pem::encode("PRIVATE KEY", pkcs8.as_ref());
        let key = Self::from_pkcs8_der(pkcs8.as_ref())?;
        Ok((key, pem))
    }

    /// The key of a PKCS#8 `PRIVATE KEY` PEM (v1 as openssl writes, or v2).
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let (label, der) = pem::decode(text).map_err(KeyError::Pem)?;
        if label != "PRIVATE KEY" {
            return Err(KeyError::NotPrivate { found: label });
        }
        Self::from_pkcs8_der(&der)
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|_| KeyError::NotEd25519Private)?;
        let spki_der = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::NotEd25519Private)?
            .as_ref()
            .to_vec();
        Ok(SignKey { pair, spki_der })
    }

    /// The public half as SPKI PEM.
    pub fn public_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.spki_der)
    }

    pub fn fingerprint(&self) -> String {
        pem::fingerprint(&self.spki_der)
    }

    /// The signature of `message`, base64.
    pub fn sign(&self, message: &[u8]) -> String {
        STANDARD.encode(self.pair.sign(message).as_ref())
    }
}

/// A public key to check signatures with.
#[derive(Clone, Debug)]
pub struct VerifyKey {
    spki_der: Vec<u8>,
}

impl VerifyKey {
    /// The key of an SPKI `PUBLIC KEY` PEM. A private key is refused: the
    /// verifier of a bundle should never be handed the signer's secret.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let (label, der) = pem::decode(text).map_err(KeyError::Pem)?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::NotPublic { found: label });
        }
        // Parsing checks the algorithm identifier and the point.
        UnparsedPublicKey::new(&ED25519, &der)
            .parse()
            .map_err(|_| KeyError::NotEd25519Public)?;
        Ok(VerifyKey { spki_der: der })
    }

    pub fn fingerprint(&self) -> String {
        pem::fingerprint(&self.spki_der)
    }

    /// Whether `signature` (base64, surrounding whitespace ignored) signs `message`.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        let Ok(signature) = STANDARD.decode(signature.trim()) else {
            return false;
        };
        UnparsedPublicKey::new(&ED25519, &self.spki_der)
            .verify(message, &signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_what_its_public_half_verifies() {
        let (key, private_pem) = SignKey::generate().unwrap();
        let again = SignKey::from_pem(&private_pem).unwrap();
        assert_eq!(key.fingerprint(), again.fingerprint());
        let public = VerifyKey::from_pem(&key.public_pem()).unwrap();
        assert_eq!(public.fingerprint(), key.fingerprint());
        let signature = key.sign(b"manifest");
        assert!(public.verifies(b"manifest", &signature));
        assert!(!public.verifies(b"manifesT", &signature));
        assert!(!public.verifies(b"manifest", "not base64!"));
        let (other, _) = SignKey::generate().unwrap();
        assert!(!public.verifies(b"manifest", &other.sign(b"manifest")));
    }

    #[test]
    fn an_openssl_pkcs8_v1_key_is_read() {
        // `openssl genpkey -algorithm ed25519` (PKCS#8 v1, RFC 8410 §10.3's example key).
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
                   -----END PRIVATE KEY-----\n";
        let key = SignKey::from_pem(pem).unwrap();
        assert!(
            key.public_pem()
                .starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA")
        );
    }

    #[test]
    fn keys_of_the_wrong_kind_are_refused_by_name() {
        let (key, private_pem) = SignKey::generate().unwrap();
        assert!(matches!(
            VerifyKey::from_pem(&private_pem),
            Err(KeyError::NotPublic { .. })
        ));
        assert!(matches!(
            SignKey::from_pem(&key.public_pem()),
            Err(KeyError::NotPrivate { .. })
        ));
        let debug = format!("{key:?}");
        assert!(debug.contains("sha256:"), "{debug}");
        assert!(!debug.contains("PRIVATE"), "{debug}");
    }
}
