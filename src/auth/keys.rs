//! Named signing keys: generated with rcgen (aws-lc-rs) or read from PEM, used to
//! mint JWTs, and exported (PEM, JWKS) so a real server's admin can trust them.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

pub use crate::scenario::model::Alg;
use crate::scenario::model::KeySpec;

/// jsonwebtoken's name for an [`Alg`].
pub fn algorithm(alg: Alg) -> Algorithm {
    match alg {
        Alg::RS256 => Algorithm::RS256,
        Alg::ES256 => Algorithm::ES256,
        Alg::HS256 => Algorithm::HS256,
    }
}

impl KeyError {
    /// The key of `keys:` the error is about, when it is about one.
    pub fn key_name(&self) -> Option<&str> {
        match self {
            KeyError::Generate { .. } => None,
            KeyError::BadPem { name, .. }
            | KeyError::NoPublicHalf { name, .. }
            | KeyError::Unreadable { name, .. } => Some(name),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot generate a {alg} key: {reason}")]
    Generate { alg: Alg, reason: String },
    #[error("key '{name}': not a {alg} private key in PEM (PKCS#8): {reason}")]
    BadPem {
        name: String,
        alg: Alg,
        reason: String,
    },
    #[error("key '{name}': {alg} has no public half")]
    NoPublicHalf { name: String, alg: Alg },
    #[error("key '{name}': cannot read {path}: {reason}")]
    Unreadable {
        name: String,
        path: String,
        reason: String,
    },
}

/// The largest key file read (64 KiB). A PEM private key is under 4 KiB (an
/// RSA-4096 PKCS#8 key is about 3.3 KiB); `private_key: /dev/zero` or a
/// mistyped path to a large file must not be read until memory runs out.
pub const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// The text of a PEM key file: a regular file of at most [`MAX_KEY_FILE_BYTES`]
/// in UTF-8. The error says why not, without the file's content.
pub fn read_pem_file(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let metadata = file.metadata().map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file (PEM files are read from regular files only)".into());
    }
    let mut bytes = Vec::new();
    // The cap holds while reading, whatever the size the metadata gave.
    file.take(MAX_KEY_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > MAX_KEY_FILE_BYTES {
        return Err(format!(
            "larger than {} KiB, the limit for key files (a PEM key is a few KiB)",
            MAX_KEY_FILE_BYTES / 1024
        ));
    }
    String::from_utf8(bytes).map_err(|_| "not a PEM text file (it is not UTF-8)".into())
}

/// The material behind a key: a private key in PKCS#8 PEM, or an HMAC secret.
#[derive(Clone)]
enum Material {
    Asymmetric {
        private_pem: String,
        public_pem: String,
    },
    Secret(Vec<u8>),
}

/// A named key, ready to sign and to verify.
#[derive(Clone)]
pub struct SigningKey {
    name: String,
    alg: Alg,
    material: Material,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Never prints key material.
impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("name", &self.name)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Whose generated key it is: part of the cache key of
/// [`SigningKey::generate_shared`], so keys of different owners never coincide even
/// under the same name — an attack's `wrong-key` must not sign with the very key
/// of the scenario, whatever the scenario named it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyOwner {
    /// A scenario's `keys:` entry with `generate: true`.
    Scenario,
    /// A key an attack makes up ([`crate::auth::jwt::attack`]).
    Attacker,
    /// The embedded mock's own key (its IdP's token signing key).
    Mock,
}

/// One slot per (owner, name, alg). The outer lock is held only to find the slot;
/// the slot's lock is held while its key is generated, so two scenarios asking
/// for the same key wait for one generation, and different keys generate at once.
type SharedKeys = Mutex<HashMap<(KeyOwner, String, Alg), Arc<Mutex<Option<SigningKey>>>>>;

static SHARED_KEYS: OnceLock<SharedKeys> = OnceLock::new();

/// Bytes of an HS256 secret made at run time.
const GENERATED_SECRET_LEN: usize = 32;

impl SigningKey {
    /// A fresh key: RSA 2048 or P-256 by rcgen (aws-lc-rs), or 32 random bytes.
    pub fn generate(name: &str, alg: Alg) -> Result<Self, KeyError> {
        let rcgen_alg = match alg {
            Alg::HS256 => {
                let secret: [u8; GENERATED_SECRET_LEN] = rand::random();
                return Ok(Self::from_secret(name, secret.to_vec()));
            }
            Alg::RS256 => &rcgen::PKCS_RSA_SHA256,
            Alg::ES256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        };
        let pair = rcgen::KeyPair::generate_for(rcgen_alg).map_err(|e| KeyError::Generate {
            alg,
            reason: e.to_string(),
        })?;
        Self::from_private_pem(name, alg, &pair.serialize_pem())
    }

    /// The process's generated key for `owner`'s `name` and `alg`: made on first
    /// use, the same key on every later call.
    ///
    /// RSA generation was a third of `tollgate selftest`'s CPU (the suite, clean and once per
    /// fault, each scenario with its own mock), and sharing is sound: generated keys
    /// are test material made by this process and never shown (`tollgate keys gen`
    /// uses [`Self::generate`], always fresh); every embedded mock is still given
    /// the public half (or secret) of each key its scenario declares, so it trusts
    /// exactly what it trusted before; and a mock trusts no key of another
    /// scenario, since each scenario gets its own mock. Distinct names, algorithms
    /// and owners stay distinct keys.
    pub fn generate_shared(owner: KeyOwner, name: &str, alg: Alg) -> Result<Self, KeyError> {
        let slot = {
            let mut slots = SHARED_KEYS
                .get_or_init(SharedKeys::default)
                .lock()
                // The map only ever gains complete entries, so a panicking holder
                // cannot have left it half-written.
                .unwrap_or_else(PoisonError::into_inner);
            slots
                .entry((owner, name.to_string(), alg))
                .or_default()
                .clone()
        };
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = slot.as_ref() {
            return Ok(key.clone());
        }
        let key = Self::generate(name, alg)?;
        *slot = Some(key.clone());
        Ok(key)
    }

    /// An HS256 key from its shared secret.
    pub fn from_secret(name: &str, secret: Vec<u8>) -> Self {
        SigningKey {
            name: name.to_string(),
            alg: Alg::HS256,
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            material: Material::Secret(secret),
        }
    }

    /// An RS256 or ES256 key from its private half in PKCS#8 PEM.
    pub fn from_private_pem(name: &str, alg: Alg, pem: &str) -> Result<Self, KeyError> {
        let bad = |reason: String| KeyError::BadPem {
            name: name.to_string(),
            alg,
            reason,
        };
        let pair = rcgen::KeyPair::from_pem(pem).map_err(|e| bad(e.to_string()))?;
        let expected = match alg {
            Alg::RS256 => &rcgen::PKCS_RSA_SHA256,
            Alg::ES256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Alg::HS256 => return Err(bad("HS256 keys are secrets, not PEM".into())),
        };
        // rcgen reads any RSA key as PKCS#1 v1.5 SHA-256; a P-384 key is not ES256.
        if !pair.is_compatible(expected) && alg == Alg::ES256 {
            return Err(bad("the key is not on the P-256 curve".into()));
        }
        let public_pem = pair.public_key_pem();
        let (encoding, decoding) = match alg {
            Alg::RS256 => (
                EncodingKey::from_rsa_pem(pem.as_bytes()),
                DecodingKey::from_rsa_pem(public_pem.as_bytes()),
            ),
            _ => (
                EncodingKey::from_ec_pem(pem.as_bytes()),
                DecodingKey::from_ec_pem(public_pem.as_bytes()),
            ),
        };
        Ok(SigningKey {
            name: name.to_string(),
            alg,
            encoding: encoding.map_err(|e| bad(e.to_string()))?,
            decoding: decoding.map_err(|e| bad(e.to_string()))?,
            material: Material::Asymmetric {
                private_pem: pair.serialize_pem(),
                public_pem,
            },
        })
    }

    /// An RS256 or ES256 key from a PKCS#8 PEM, its algorithm read from the key.
    pub fn from_pem_any(name: &str, pem: &str) -> Result<Self, KeyError> {
        let alg = match rcgen::KeyPair::from_pem(pem) {
            Ok(pair) if pair.is_compatible(&rcgen::PKCS_ECDSA_P256_SHA256) => Alg::ES256,
            _ => Alg::RS256,
        };
        Self::from_private_pem(name, alg, pem)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The public half as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn public_pem(&self) -> Option<&str> {
        match &self.material {
            Material::Asymmetric { public_pem, .. } => Some(public_pem),
            Material::Secret(_) => None,
        }
    }

    /// The private half as PKCS#8 PEM; for `tollgate keys gen` only.
    pub fn private_pem(&self) -> Option<&str> {
        match &self.material {
            Material::Asymmetric { private_pem, .. } => Some(private_pem),
            Material::Secret(_) => None,
        }
    }

    /// The HMAC secret of an HS256 key.
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Secret(secret) => Some(secret),
            Material::Asymmetric { .. } => None,
        }
    }

    /// The public half as a JWK with `kid` = the key's name.
    pub fn jwk(&self) -> Result<Jwk, KeyError> {
        if self.alg == Alg::HS256 {
            return Err(KeyError::NoPublicHalf {
                name: self.name.clone(),
                alg: self.alg,
            });
        }
        let mut jwk = Jwk::from_encoding_key(&self.encoding, algorithm(self.alg)).map_err(|e| {
            KeyError::BadPem {
                name: self.name.clone(),
                alg: self.alg,
                reason: e.to_string(),
            }
        })?;
        jwk.common.key_id = Some(self.name.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        Ok(jwk)
    }
}

/// A JWKS of the asymmetric keys among `keys` (HMAC secrets are never published).
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> JwkSet {
    JwkSet {
        keys: keys.into_iter().filter_map(|k| k.jwk().ok()).collect(),
    }
}

/// The keys of one scenario, by name.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
}

impl KeyRing {
    /// Makes or reads every key of a scenario's `keys:`. PEM paths are read as
    /// the loader resolved them (relative to the scenario's file,
    /// `scenario::paths`).
    pub fn from_specs<'a>(
        specs: impl IntoIterator<Item = (&'a String, &'a KeySpec)>,
    ) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for (name, spec) in specs {
            let key = if let Some(secret) = &spec.secret {
                SigningKey::from_secret(name, secret.as_bytes().to_vec())
            } else if let Some(path) = &spec.private_key {
                let path = &path.inner;
                let pem = read_pem_file(path).map_err(|reason| KeyError::Unreadable {
                    name: name.clone(),
                    path: path.display().to_string(),
                    reason,
                })?;
                SigningKey::from_private_pem(name, spec.alg, &pem)?
            } else {
                SigningKey::generate_shared(KeyOwner::Scenario, name, spec.alg)?
            };
            keys.push(key);
        }
        Ok(KeyRing { keys })
    }

    pub fn get(&self, name: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// HMAC secrets: credentials the redactor must know.
    pub fn secrets(&self) -> impl Iterator<Item = String> + '_ {
        self.keys
            .iter()
            .filter_map(|k| k.secret())
            .map(|s| String::from_utf8_lossy(s).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde_json::json;

    fn round_trip(key: &SigningKey) {
        let claims = json!({ "sub": "alice", "exp": 4_000_000_000u64 });
        let token = encode(
            &Header::new(algorithm(key.alg())),
            &claims,
            key.encoding_key(),
        )
        .unwrap();
        let mut validation = Validation::new(algorithm(key.alg()));
        validation.required_spec_claims.clear();
        let decoded = decode::<serde_json::Value>(&token, key.decoding_key(), &validation).unwrap();
        assert_eq!(decoded.claims["sub"], "alice");
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        for alg in [Alg::RS256, Alg::ES256, Alg::HS256] {
            round_trip(&SigningKey::generate("k", alg).unwrap());
        }
    }

    #[test]
    fn a_key_read_back_from_its_pem_verifies_the_original_signatures() {
        let key = SigningKey::generate("app-rs256", Alg::RS256).unwrap();
        let again =
            SigningKey::from_private_pem("app-rs256", Alg::RS256, key.private_pem().unwrap())
                .unwrap();
        assert_eq!(key.public_pem(), again.public_pem());
        round_trip(&again);
    }

    #[test]
    fn jwks_publish_public_halves_only() {
        let rs = SigningKey::generate("rs", Alg::RS256).unwrap();
        let es = SigningKey::generate("es", Alg::ES256).unwrap();
        let hs = SigningKey::generate("hs", Alg::HS256).unwrap();
        let set = jwks([&rs, &es, &hs]);
        assert_eq!(set.keys.len(), 2);
        let rs_jwk = set.find("rs").unwrap();
        let from_jwk = DecodingKey::from_jwk(rs_jwk).unwrap();
        let token = encode(
            &Header::new(Algorithm::RS256),
            &json!({"exp": 4_000_000_000u64}),
            rs.encoding_key(),
        )
        .unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        assert!(decode::<serde_json::Value>(&token, &from_jwk, &validation).is_ok());
        let text = serde_json::to_string(&set).unwrap();
        assert!(!text.contains("\"d\""), "no private exponent in a JWKS");
    }

    fn public(key: &SigningKey) -> String {
        key.public_pem().unwrap().to_string()
    }

    #[test]
    fn a_shared_key_is_made_once_per_owner_name_and_alg() {
        let shared = |owner, name| SigningKey::generate_shared(owner, name, Alg::RS256).unwrap();
        let first = shared(KeyOwner::Scenario, "shared-test");
        assert_eq!(
            public(&first),
            public(&shared(KeyOwner::Scenario, "shared-test"))
        );
        assert_eq!(first.name(), "shared-test");
        round_trip(&first);
        let others = [
            shared(KeyOwner::Scenario, "shared-test-2"),
            shared(KeyOwner::Attacker, "shared-test"),
            shared(KeyOwner::Mock, "shared-test"),
        ];
        for other in &others {
            assert_ne!(public(&first), public(other), "{other:?}");
        }
        let es =
            SigningKey::generate_shared(KeyOwner::Scenario, "shared-test", Alg::ES256).unwrap();
        assert_eq!(es.alg(), Alg::ES256);
        assert_ne!(public(&first), public(&es));
    }

    #[test]
    fn generate_is_always_fresh() {
        let a = SigningKey::generate("k", Alg::ES256).unwrap();
        let b = SigningKey::generate("k", Alg::ES256).unwrap();
        assert_ne!(public(&a), public(&b));
    }

    #[test]
    fn generated_ring_keys_are_shared_across_rings_and_distinct_within_one() {
        let spec = KeySpec {
            alg: Alg::RS256,
            generate: true,
            private_key: None,
            secret: None,
        };
        let (app, other) = ("ring-test-app".to_string(), "ring-test-other".to_string());
        let ring = || KeyRing::from_specs([(&app, &spec), (&other, &spec)]).unwrap();
        let (first, second) = (ring(), ring());
        let key = |ring: &KeyRing, name: &str| public(ring.get(name).unwrap());
        assert_eq!(key(&first, &app), key(&second, &app));
        assert_ne!(key(&first, &app), key(&first, &other));
    }

    #[test]
    fn a_wrong_pem_is_a_clear_error() {
        let err = SigningKey::from_private_pem("x", Alg::RS256, "not a pem").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("key 'x': not a RS256 private key"),
            "{err}"
        );
    }

    fn ring_from_file(path: &Path) -> Result<KeyRing, KeyError> {
        let spec = KeySpec {
            alg: Alg::RS256,
            generate: false,
            private_key: Some(crate::scenario::de::Spanned::new(
                path.to_path_buf(),
                crate::scenario::yaml::Pos::default(),
            )),
            secret: None,
        };
        KeyRing::from_specs([(&"app".to_string(), &spec)])
    }

    #[cfg(unix)]
    #[test]
    fn a_device_as_key_file_is_refused_without_reading_it() {
        // Before the cap, /dev/zero was read until memory ran out (issue 12).
        let err = ring_from_file(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "key 'app': cannot read /dev/zero: not a regular file (PEM files are read from regular files only)"
        );
    }

    #[test]
    fn an_oversized_key_file_is_refused_by_name() {
        use std::io::Write;
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&vec![b'A'; MAX_KEY_FILE_BYTES + 1]).unwrap();
        let err = ring_from_file(file.path()).unwrap_err().to_string();
        assert!(err.contains(&file.path().display().to_string()), "{err}");
        assert!(err.contains("larger than 64 KiB"), "{err}");
        assert!(!err.contains("AAAA"), "{err}");
    }

    #[test]
    fn a_key_file_at_the_limit_is_read_and_judged_as_pem() {
        use std::io::Write;
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&vec![b'A'; MAX_KEY_FILE_BYTES]).unwrap();
        assert_eq!(
            read_pem_file(file.path()).unwrap().len(),
            MAX_KEY_FILE_BYTES
        );
        let err = ring_from_file(file.path()).unwrap_err().to_string();
        assert!(err.contains("not a RS256 private key"), "{err}");
    }
}
