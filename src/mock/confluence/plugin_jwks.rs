//! The IdP's public keys as the REST-auth plugin knows them (F-PLUG-7): fetched
//! from `{idp_url}/jwks` over HTTP (RFC 7517), cached, and fetched again when a
//! token names a `kid` the cached set lacks, so a key the IdP rotated in is
//! picked up. Refetches are at most one per [`REFETCH_INTERVAL`] on the mock's
//! clock, so a flood of tokens with made-up `kid`s cannot hammer the IdP, and
//! one at a time (requests waiting for a fetch use its result).
//!
//! Only RSA keys (RS256) and P-256 EC keys (ES256) are taken; symmetric (`oct`)
//! keys are never trusted from a key set, and encryption keys are skipped.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::jwt_key::VerifyingKey;
use serde_json::Value;

use super::outbound::{self, AnswerError};
use crate::mock::clock::Clock;
use crate::mock::sync::lock;

/// The least time between two fetches caused by unknown `kid`s.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(1);

/// Keys taken from one set; the rest are ignored.
const MAX_KEYS: usize = 100;

/// One public key of the set, parsed when the set is fetched.
pub struct RemoteKey {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: VerifyingKey,
}

/// Why the key set could not be had (the plugin then fails closed).
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("JWKS request failed: {0}")]
    Request(#[source] reqwest::Error),
    #[error("JWKS answered {0}")]
    Status(reqwest::StatusCode),
    #[error("JWKS {0}")]
    Answer(#[from] AnswerError),
    #[error("JWKS answer is not a key set")]
    NotJwks,
    #[error("JWKS was fetched less than a second ago and failed")]
    RecentlyFailed,
}

/// The key set of one IdP, for one instance.
pub struct RemoteJwks {
    url: String,
    http: reqwest::Client,
    clock: Clock,
    cached: Mutex<Cached>,
    /// Whether an unknown `kid` sends it back to the IdP; off only under the
    /// `jwks_never_refetched` fault.
    refetch: bool,
    /// Held while fetching, so concurrent misses make one request.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Cached {
    keys: Arc<[RemoteKey]>,
    /// Whether `keys` came from a successful fetch.
    fetched: bool,
    /// When the last fetch was tried, successful or not.
    tried_at: Option<Instant>,
}

/// Where it fetches from.
impl std::fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl RemoteJwks {
    /// The set at `url`, fetched with `http`; nothing is fetched before the
    /// first token needs it.
    pub fn new(url: String, http: reqwest::Client, clock: Clock, refetch: bool) -> Self {
        Self {
            url,
            http,
            clock,
            refetch,
            cached: Mutex::new(Cached::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The keys to verify a token whose header names `kid`: the cached set, or a
    /// fresh one when nothing was fetched yet or `kid` is unknown (at most once
    /// per [`REFETCH_INTERVAL`]). `Err` when the IdP could not give a set that is
    /// needed.
    pub async fn keys(&self, kid: Option<&str>) -> Result<Arc<[RemoteKey]>, JwksError> {
        let seen = self.snapshot();
        match self.decide(&seen, kid) {
            Decision::Use => return Ok(seen.keys),
            Decision::Failed => return Err(JwksError::RecentlyFailed),
            Decision::Fetch => {}
        }
        let _one_at_a_time = self.fetching.lock().await;
        let now_seen = self.snapshot();
        if now_seen.tried_at != seen.tried_at {
            // Another request fetched while this one waited: its result stands.
            return if now_seen.fetched {
                Ok(now_seen.keys)
            } else {
                Err(JwksError::RecentlyFailed)
            };
        }
        let result = self.fetch().await;
        let mut cached = lock(&self.cached);
        cached.tried_at = Some(self.clock.now());
        match result {
            Ok(keys) => {
                cached.keys = keys.clone();
                cached.fetched = true;
                Ok(keys)
            }
            Err(e) => Err(e),
        }
    }

    fn snapshot(&self) -> Cached {
        let cached = lock(&self.cached);
        Cached {
            keys: cached.keys.clone(),
            fetched: cached.fetched,
            tried_at: cached.tried_at,
        }
    }

    fn decide(&self, seen: &Cached, kid: Option<&str>) -> Decision {
        let known = kid.is_none_or(|kid| seen.keys.iter().any(|k| k.kid.as_deref() == Some(kid)));
        if seen.fetched && (known || !self.refetch) {
            return Decision::Use;
        }
        let recent = seen
            .tried_at
            .is_some_and(|at| self.clock.now().saturating_duration_since(at) < REFETCH_INTERVAL);
        match (recent, seen.fetched) {
            (false, _) => Decision::Fetch,
            // An unknown kid soon after a fetch: the set stands, the token will
            // not verify with it.
            (true, true) => Decision::Use,
            (true, false) => Decision::Failed,
        }
    }

    async fn fetch(&self) -> Result<Arc<[RemoteKey]>, JwksError> {
        let response = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(JwksError::Request)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(JwksError::Status(response.status()));
        }
        let body = outbound::body(response).await?;
        parse(&body).ok_or(JwksError::NotJwks)
    }
}

enum Decision {
    Use,
    Fetch,
    Failed,
}

/// The usable keys of a JWKS document; `None` when it is not one. A key of a
/// kind the plugin cannot use is skipped, not an error.
fn parse(body: &[u8]) -> Option<Arc<[RemoteKey]>> {
    let document: Value = serde_json::from_slice(body).ok()?;
    let keys = document.get("keys")?.as_array()?;
    Some(
        keys.iter()
            .take(MAX_KEYS)
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter_map(|jwk| usable(&jwk))
            .collect(),
    )
}

fn usable(jwk: &Jwk) -> Option<RemoteKey> {
    if jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
        return None;
    }
    let alg = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    // A key that declares another algorithm is not used for this one.
    let declared = jwk.common.key_algorithm.as_ref();
    let fits = match alg {
        Algorithm::RS256 => matches!(declared, None | Some(KeyAlgorithm::RS256)),
        _ => matches!(declared, None | Some(KeyAlgorithm::ES256)),
    };
    if !fits {
        return None;
    }
    Some(RemoteKey {
        kid: jwk.common.key_id.clone(),
        alg,
        key: VerifyingKey::new(alg, &DecodingKey::from_jwk(jwk).ok()?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::keys::{Alg, SigningKey, jwks};
    use proptest::prelude::*;

    proptest! {
        /// Whatever an IdP answers, reading it as a key set never panics.
        #[test]
        fn any_answer_parses_or_is_refused(
            raw in proptest::collection::vec(any::<u8>(), 0..200),
            kty in prop_oneof![
                Just("RSA".to_owned()),
                Just("EC".to_owned()),
                Just("oct".to_owned()),
                ".{0,4}",
            ],
            member in ".{0,12}",
        ) {
            let _ = parse(&raw);
            let document = serde_json::json!({ "keys": [
                { "kty": kty, "n": member, "e": "AQAB", "crv": "P-256", "x": member, "y": member, "k": member }
            ] });
            let _ = parse(document.to_string().as_bytes());
        }
    }

    #[test]
    fn rsa_and_p256_keys_are_taken_and_secrets_never() {
        let rsa = SigningKey::generate("r", Alg::RS256).unwrap();
        let ec = SigningKey::generate("e", Alg::ES256).unwrap();
        let mut set = serde_json::to_value(jwks([&rsa, &ec])).unwrap();
        set["keys"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({ "kty": "oct", "k": "c2VjcmV0", "kid": "hmac" }));
        set["keys"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({ "kty": "unknown" }));
        let keys = parse(set.to_string().as_bytes()).unwrap();
        let kinds: Vec<(Option<&str>, Algorithm)> =
            keys.iter().map(|k| (k.kid.as_deref(), k.alg)).collect();
        assert_eq!(
            kinds,
            [(Some("r"), Algorithm::RS256), (Some("e"), Algorithm::ES256)]
        );
        for junk in [&b"[]"[..], b"{}", b"{\"keys\":1}", b"\xff"] {
            assert!(parse(junk).is_none());
        }
    }
}
