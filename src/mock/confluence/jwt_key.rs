//! A JWT verification key made ready once, when the plugin is configured or a
//! key set is fetched, so that a request only verifies.
//!
//! jsonwebtoken's `DecodingKey` keeps an RSA or EC public key as bytes (DER, or
//! a JWK's modulus and exponent), and each `decode` hands them to aws-lc, which
//! parses them into a key again: for RS256 that parse costs about as much as the
//! verification itself. Here an RS256 or ES256 key is parsed once into aws-lc's
//! `ParsedPublicKey`; HMAC keys stay jsonwebtoken's (nothing to parse).

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, DecodingKeyKind, Validation, decode};
use serde_json::Value;

/// A key the plugin verifies tokens of one algorithm with.
pub enum VerifyingKey {
    /// RS256 or ES256: parsed once.
    Public(ParsedPublicKey),
    /// HS256 (a secret), verified by jsonwebtoken.
    Secret(DecodingKey),
}

/// Never shows key material.
impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifyingKey::Public(_) => "VerifyingKey::Public",
            VerifyingKey::Secret(_) => "VerifyingKey::Secret",
        })
    }
}

impl VerifyingKey {
    /// `key` made ready for `alg`; `None` when it is not a key of that
    /// algorithm (a malformed modulus, an EC point off P-256).
    pub fn new(alg: Algorithm, key: &DecodingKey) -> Option<Self> {
        // jsonwebtoken's rule too: a key verifies only its own family.
        let parsed = match (alg, key.family(), key.kind()) {
            (Algorithm::RS256, AlgorithmFamily::Rsa, DecodingKeyKind::SecretOrDer(der)) => {
                ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der)
            }
            (
                Algorithm::RS256,
                AlgorithmFamily::Rsa,
                DecodingKeyKind::RsaModulusExponent { n, e },
            ) => RsaPublicKeyComponents { n, e }.to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256),
            (Algorithm::ES256, AlgorithmFamily::Ec, DecodingKeyKind::SecretOrDer(point)) => {
                ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            }
            (Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512, AlgorithmFamily::Hmac, _) => {
                return Some(VerifyingKey::Secret(key.clone()));
            }
            _ => return None,
        };
        parsed.ok().map(VerifyingKey::Public)
    }

    /// The claims of `token` if its signature verifies with this key under
    /// `alg` (the header's, already matched to the key's); `None` otherwise.
    /// Times, issuer and audience are left to the caller, on the mock's clock.
    pub fn claims(&self, token: &str, alg: Algorithm) -> Option<Value> {
        match self {
            VerifyingKey::Public(key) => {
                let (message, signature) = token.rsplit_once('.')?;
                let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
                key.verify_sig(message.as_bytes(), &signature).ok()?;
                let (_, payload) = message.rsplit_once('.')?;
                let claims: Value =
                    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
                // RFC 7519 §7.2: the claims are a JSON object.
                claims.is_object().then_some(claims)
            }
            VerifyingKey::Secret(key) => {
                let mut validation = Validation::new(alg);
                validation.required_spec_claims.clear();
                validation.validate_exp = false;
                validation.validate_nbf = false;
                validation.validate_aud = false;
                decode::<Value>(token, key, &validation)
                    .ok()
                    .map(|data| data.claims)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys::{Alg, SigningKey, algorithm};
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Header, encode};
    use serde_json::json;

    fn token(key: &SigningKey, claims: &Value) -> String {
        encode(
            &Header::new(algorithm(key.alg())),
            claims,
            key.encoding_key(),
        )
        .unwrap()
    }

    #[test]
    fn a_parsed_key_accepts_what_jsonwebtoken_accepts_and_refuses_what_it_refuses() {
        let claims = json!({ "sub": "alice", "exp": 1 });
        for alg in [Alg::RS256, Alg::ES256, Alg::HS256] {
            let key = match alg {
                Alg::HS256 => SigningKey::from_secret("k", b"a-shared-secret".to_vec()),
                _ => SigningKey::generate("k", alg).unwrap(),
            };
            let other = match alg {
                Alg::HS256 => SigningKey::from_secret("k", b"another-secret".to_vec()),
                _ => SigningKey::generate("other", alg).unwrap(),
            };
            let jwt_alg = algorithm(alg);
            let verifying = VerifyingKey::new(jwt_alg, key.decoding_key()).unwrap();
            let good = token(&key, &claims);
            assert_eq!(
                verifying.claims(&good, jwt_alg),
                Some(claims.clone()),
                "{alg}"
            );
            let forged = token(&other, &claims);
            assert_eq!(verifying.claims(&forged, jwt_alg), None, "{alg}");
            // A payload swapped under a good signature, a padded or cut signature.
            let (head, _) = good.split_once('.').unwrap();
            let (_, signature) = good.rsplit_once('.').unwrap();
            let other_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"mallory","exp":1}"#);
            for bad in [
                format!("{head}.{other_payload}.{signature}"),
                format!("{good}="),
                good[..good.len() - 4].to_string(),
                "a.b".to_string(),
                String::new(),
            ] {
                assert_eq!(verifying.claims(&bad, jwt_alg), None, "{alg}: {bad}");
            }
        }
    }

    #[test]
    fn a_key_from_a_jwk_verifies_and_a_key_of_the_other_family_is_refused() {
        let rsa = SigningKey::generate("r", Alg::RS256).unwrap();
        let ec = SigningKey::generate("e", Alg::ES256).unwrap();
        let set = serde_json::to_value(crate::auth::keys::jwks([&rsa, &ec])).unwrap();
        for (jwk, key) in set["keys"].as_array().unwrap().iter().zip([&rsa, &ec]) {
            let jwk: Jwk = serde_json::from_value(jwk.clone()).unwrap();
            let alg = algorithm(key.alg());
            let verifying = VerifyingKey::new(alg, &DecodingKey::from_jwk(&jwk).unwrap()).unwrap();
            let claims = json!({ "sub": "alice" });
            assert_eq!(verifying.claims(&token(key, &claims), alg), Some(claims));
        }
        assert!(VerifyingKey::new(Algorithm::ES256, rsa.decoding_key()).is_none());
        assert!(VerifyingKey::new(Algorithm::RS256, ec.decoding_key()).is_none());
        let not_a_key = DecodingKey::from_rsa_der(b"not a key");
        assert!(VerifyingKey::new(Algorithm::RS256, &not_a_key).is_none());
    }

    #[test]
    fn claims_that_are_no_object_are_refused() {
        let key = SigningKey::generate("r", Alg::RS256).unwrap();
        let verifying = VerifyingKey::new(Algorithm::RS256, key.decoding_key()).unwrap();
        let list = token(&key, &json!(["sub", "alice"]));
        assert_eq!(verifying.claims(&list, Algorithm::RS256), None);
    }
}
