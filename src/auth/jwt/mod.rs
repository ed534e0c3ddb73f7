//! `auth: jwt` — a JWT minted when the step is sent (scenario-format.md): claims
//! with relative times ([`claims`]), the Connect query-string hash of this very
//! request ([`qsh`], F-JWT-3), and optionally one of the canonical bad tokens
//! ([`attack`], F-JWT-5).
//!
//! Tokens are assembled from JSON objects here and signed with jsonwebtoken's
//! `crypto::sign`: `jsonwebtoken::Header` holds only string extras and a closed
//! `alg` enum, while scenarios may put any JSON in the header and attacks need
//! `alg: none` or malformed segments.

pub mod attack;
pub mod claims;
pub mod qsh;
pub mod reuse;
pub mod token;

use std::fmt;

use serde_json::{Map, Value};

use crate::auth::keys::{SigningKey, algorithm};
use crate::scenario::model::{JwtAuth, JwtPlacement};

pub use attack::AttackError;
pub use claims::ClaimError;
pub use token::{
    MintRequest, SegmentError, SignError, Unsigned, b64, decode_segment, request_qsh, split,
};

/// Why no token could be minted. No message holds a key, a secret or a signature.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error(transparent)]
    Claim(#[from] ClaimError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Attack(#[from] AttackError),
}

/// The token, the `Authorization` header value (if `in: header`) or the URL with
/// `?jwt=` added (if `in: query`).
#[derive(Clone)]
pub struct Minted {
    pub token: String,
    pub authorization: Option<String>,
    pub url: url::Url,
    /// The key an attack signed with instead of the scenario's key (`wrong-key`,
    /// `jku-untrusted`, `kid-traversal`'s empty secret, …), so tests can prove the
    /// token is what it claims. `None` for valid tokens and unsigned attacks.
    pub attacker_key: Option<SigningKey>,
}

/// Never prints the token, which is a credential, nor the places it went (the
/// header, the URL's query): the URL is shown by its path only.
impl fmt::Debug for Minted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minted")
            .field("url_path", &self.url.path())
            .field("attacker_key", &self.attacker_key)
            .finish_non_exhaustive()
    }
}

/// The header and payload of `spec` for `request`, before any attack or signature:
/// claims resolved, the `qsh` added if asked, `header:` merged over
/// `{alg: <the key's>, typ: JWT}`.
pub fn prepare(
    spec: &JwtAuth,
    key: &SigningKey,
    request: &MintRequest<'_>,
    now: u64,
) -> Result<Unsigned, ClaimError> {
    let mut payload =
        claims::resolve_all(spec.claims.iter().map(|(k, v)| (k.clone(), v.clone())), now)?;
    if spec.qsh {
        payload.insert("qsh".into(), Value::String(request_qsh(request)));
    }
    let mut header = Map::new();
    header.insert("alg".into(), Value::String(key.alg().name().into()));
    header.insert("typ".into(), Value::String("JWT".into()));
    for (name, value) in &spec.header {
        header.insert(name.clone(), value.clone());
    }
    Ok(Unsigned { header, payload })
}

/// A token signed (or attacked) but not yet placed in a request.
pub struct Signed {
    pub token: String,
    /// As [`Minted::attacker_key`].
    pub attacker_key: Option<SigningKey>,
    /// The `exp` it carries, when that is a NumericDate: how long it may be reused.
    pub exp: Option<u64>,
}

/// Mints the token `spec` describes for `request`, signed with `key` (or turned
/// into the bad token `spec.attack` names), and places it.
pub fn mint(
    spec: &JwtAuth,
    key: &SigningKey,
    request: &MintRequest<'_>,
    now: u64,
) -> Result<Minted, JwtError> {
    let signed = sign(spec, key, request, now)?;
    Ok(place(spec, signed.token, signed.attacker_key, request.url))
}

/// The token `spec` describes for `request`, signed with `key` or attacked.
pub fn sign(
    spec: &JwtAuth,
    key: &SigningKey,
    request: &MintRequest<'_>,
    now: u64,
) -> Result<Signed, JwtError> {
    let token = prepare(spec, key, request, now)?;
    let exp = token.payload.get("exp").and_then(Value::as_u64);
    let (token, attacker_key) = match spec.attack {
        None => (token.sign(key.encoding_key(), algorithm(key.alg()))?, None),
        Some(name) => {
            let attacked = attack::apply(name, &token, key, request, now)?;
            (attacked.token, attacked.attacker_key)
        }
    };
    Ok(Signed {
        token,
        attacker_key,
        exp,
    })
}

/// `token` where `spec` puts it: the `Authorization` header, or `?jwt=` on `url`.
pub fn place(
    spec: &JwtAuth,
    token: String,
    attacker_key: Option<SigningKey>,
    url: &url::Url,
) -> Minted {
    let mut url = url.clone();
    let authorization = match spec.placement {
        JwtPlacement::Header => {
            let scheme = spec.scheme.as_deref().unwrap_or("Bearer");
            Some(format!("{scheme} {token}"))
        }
        JwtPlacement::Query => {
            // Connect reads `jwt` from the query first (F-TOKAUTH-4).
            url.query_pairs_mut().append_pair("jwt", &token);
            None
        }
    };
    Minted {
        token,
        authorization,
        url,
        attacker_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::{Alg, JwtMint};
    use indexmap::IndexMap;
    use jsonwebtoken::{Validation, decode};
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn spec(key: &str) -> JwtAuth {
        JwtAuth {
            key: key.into(),
            claims: IndexMap::from([
                ("iss".to_string(), json!("app")),
                ("iat".to_string(), json!("now")),
                ("exp".to_string(), json!("now+5m")),
            ]),
            header: IndexMap::new(),
            qsh: false,
            placement: JwtPlacement::Header,
            scheme: None,
            attack: None,
            mint: JwtMint::PerRequest,
        }
    }

    fn url() -> url::Url {
        url::Url::parse("http://127.0.0.1:8090/wiki/rest/api/space?limit=5").unwrap()
    }

    fn request(url: &url::Url) -> MintRequest<'_> {
        MintRequest {
            method: "GET",
            url,
            context_path: "/wiki",
        }
    }

    fn verified(token: &str, key: &SigningKey) -> Map<String, Value> {
        let mut validation = Validation::new(algorithm(key.alg()));
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        decode::<Map<String, Value>>(token, key.decoding_key(), &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn a_valid_token_carries_resolved_claims_and_verifies() {
        for alg in [Alg::HS256, Alg::RS256, Alg::ES256] {
            let key = SigningKey::generate("k", alg).unwrap();
            let url = url();
            let minted = mint(&spec("k"), &key, &request(&url), NOW).unwrap();
            let claims = verified(&minted.token, &key);
            assert_eq!(claims["iat"], json!(NOW));
            assert_eq!(claims["exp"], json!(NOW + 300));
            assert!(!claims.contains_key("qsh"));
            let (header, _, _) = split(&minted.token).unwrap();
            let header = decode_segment(header).unwrap();
            assert_eq!(header["alg"], json!(alg.name()));
            assert_eq!(header["typ"], json!("JWT"));
            assert_eq!(
                minted.authorization,
                Some(format!("Bearer {}", minted.token))
            );
            assert_eq!(minted.url, url);
            assert!(minted.attacker_key.is_none());
        }
    }

    #[test]
    fn qsh_covers_this_request_without_the_context_path() {
        let key = SigningKey::generate("k", Alg::HS256).unwrap();
        let mut spec = spec("k");
        spec.qsh = true;
        let url = url();
        let minted = mint(&spec, &key, &request(&url), NOW).unwrap();
        assert_eq!(
            verified(&minted.token, &key)["qsh"],
            json!(qsh::qsh("GET", "/rest/api/space", "limit=5", ""))
        );
    }

    #[test]
    fn header_fields_merge_over_the_defaults() {
        let key = SigningKey::generate("k", Alg::HS256).unwrap();
        let mut spec = spec("k");
        spec.header = IndexMap::from([
            ("kid".to_string(), json!("app-key")),
            ("typ".to_string(), json!("at+jwt")),
        ]);
        let url = url();
        let minted = mint(&spec, &key, &request(&url), NOW).unwrap();
        let header = decode_segment(split(&minted.token).unwrap().0).unwrap();
        assert_eq!(
            Value::Object(header),
            json!({"alg": "HS256", "typ": "at+jwt", "kid": "app-key"})
        );
    }

    #[test]
    fn scheme_jwt_and_query_placement() {
        let key = SigningKey::generate("k", Alg::HS256).unwrap();
        let url = url();
        let mut spec = spec("k");
        spec.scheme = Some("JWT".into());
        let minted = mint(&spec, &key, &request(&url), NOW).unwrap();
        assert_eq!(minted.authorization, Some(format!("JWT {}", minted.token)));

        spec.placement = JwtPlacement::Query;
        spec.qsh = true;
        let minted = mint(&spec, &key, &request(&url), NOW).unwrap();
        assert_eq!(minted.authorization, None);
        assert_eq!(
            minted.url.query(),
            Some(format!("limit=5&jwt={}", minted.token).as_str())
        );
        // The qsh ignores the `jwt` parameter it now sits next to (F-JWT-3).
        let placed = MintRequest {
            url: &minted.url,
            ..request(&url)
        };
        assert_eq!(
            verified(&minted.token, &key)["qsh"],
            json!(request_qsh(&placed))
        );
    }

    #[test]
    fn a_bad_claim_offset_is_an_error() {
        let key = SigningKey::generate("k", Alg::HS256).unwrap();
        let mut spec = spec("k");
        spec.claims.insert("exp".into(), json!("now+soon"));
        let url = url();
        let err = mint(&spec, &key, &request(&url), NOW)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("claim 'exp':"), "{err}");
    }

    #[test]
    fn debug_shows_no_token() {
        let key = SigningKey::generate("k", Alg::HS256).unwrap();
        let mut spec = spec("k");
        spec.placement = JwtPlacement::Query;
        let url = url();
        let minted = mint(&spec, &key, &request(&url), NOW).unwrap();
        let signature = minted.token.rsplit('.').next().unwrap();
        let shown = format!("{minted:?}");
        assert!(!shown.contains(signature), "{shown}");
        spec.placement = JwtPlacement::Header;
        spec.attack = Some(crate::scenario::model::JwtAttack::Expired);
        let minted = mint(&spec, &key, &request(&url), NOW).unwrap();
        let signature = minted.token.rsplit('.').next().unwrap();
        let shown = format!("{minted:?}");
        assert!(!shown.contains(signature), "{shown}");
        let attacked = attack::apply(
            crate::scenario::model::JwtAttack::Expired,
            &prepare(&spec, &key, &request(&url), NOW).unwrap(),
            &key,
            &request(&url),
            NOW,
        )
        .unwrap();
        let signature = attacked.token.rsplit('.').next().unwrap();
        let shown = format!("{attacked:?}");
        assert!(!shown.contains(signature), "{shown}");
    }

    #[test]
    fn split_wants_exactly_three_segments() {
        assert_eq!(split("a.b.c"), Some(("a", "b", "c")));
        assert_eq!(split("a.b."), Some(("a", "b", "")));
        assert_eq!(split("a.b"), None);
        assert_eq!(split("a.b.c.d"), None);
    }
}
