//! The Atlassian Connect JWT filter of the emulated Confluence (F-TOKAUTH-4,
//! F-JWT-1..4): a pure function from a request's method, path, query and
//! `Authorization` header to "no token", "this user" or "refuse with this status".
//!
//! The authentication stage calls [`ConnectJwtVerifier::verify`]; it keeps no
//! state, so it needs no lock. Time is the mock's clock (`now`), not the wall
//! clock, so scenarios can advance it past `exp`.
//!
//! Order of checks, as the server plugin does them: parse (400) → `alg` (401) →
//! `iss` picks the key from the *unverified* payload (unknown: 401 with the
//! plugin's message) → signature (401) → `iat`/`exp`/`nbf` (401) → `qsh` (401) →
//! the user (`sub`, else the issuer's user; none: 403).
//!
//! Faults (each breaks exactly one check; see [`Fault`]): `jwt_alg_none`,
//! `jwt_key_confusion`, `jwt_signature_unchecked`, `jwt_expiry_ignored`,
//! `jwt_qsh_ignored`, `jwt_unknown_issuer`, `jwt_kid_traversal`.
//! `jwt_audience_ignored` belongs to the REST-auth plugin, not here: Connect never
//! looks at `aud`.

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use crate::auth::jwt::{decode_segment, qsh, split};
use crate::auth::keys::SigningKey;
use crate::mock::faults::FaultSet;
use crate::scenario::mock_config::{ConnectJwtConfig, Fault};
use crate::scenario::model::Alg;

/// F-TOKAUTH-4: the body of the 401 for an `iss` nobody configured.
pub const UNKNOWN_ISSUER_MESSAGE: &str =
    "Your presented credentials do not provide access to this resource.";

/// What the Connect filter decided about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwtOutcome {
    /// No JWT (or an OPTIONS request): the other authenticators decide.
    NoToken,
    /// A valid token acting as this user.
    User { name: String },
    /// Refused: 400 unparsable, 401 bad signature or claims, 403 other.
    Reject { status: u16, message: String },
}

/// Built once per mock from its config and keys; verifies Connect JWTs.
pub struct ConnectJwtVerifier {
    issuers: Vec<Issuer>,
    leeway: u64,
    context_path: String,
    faults: Faults,
    /// The content of `/dev/null` as an HMAC key, for `jwt_kid_traversal`.
    dev_null: DecodingKey,
}

/// Never prints key material.
impl fmt::Debug for ConnectJwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers: Vec<&str> = self.issuers.iter().map(|i| i.iss.as_str()).collect();
        f.debug_struct("ConnectJwtVerifier")
            .field("issuers", &issuers)
            .field("leeway", &self.leeway)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

struct Issuer {
    iss: String,
    key: IssuerKey,
    user: Option<String>,
}

/// F-JWT-1: an issuer verifies HS256 with its shared secret or RS256 with its
/// public key, never both.
enum IssuerKey {
    Secret(DecodingKey),
    Rsa {
        key: DecodingKey,
        /// The public key's PEM text as an HMAC key: what a verifier suffering
        /// `jwt_key_confusion` checks an HS256 token with.
        pem_as_secret: DecodingKey,
    },
}

#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    alg_none: bool,
    key_confusion: bool,
    signature_unchecked: bool,
    expiry_ignored: bool,
    qsh_ignored: bool,
    unknown_issuer: bool,
    kid_traversal: bool,
}

type Rejection = (u16, String);

fn unparsable(message: impl Into<String>) -> Rejection {
    (400, message.into())
}

fn unauthorized(message: impl Into<String>) -> Rejection {
    (401, message.into())
}

impl ConnectJwtVerifier {
    /// `keys` are the scenario's named keys; an RS256 issuer names one by `public_key`.
    pub fn new(
        config: &ConnectJwtConfig,
        keys: &[SigningKey],
        faults: &FaultSet,
        context_path: &str,
    ) -> Result<Self, String> {
        let mut issuers: Vec<Issuer> = Vec::with_capacity(config.issuers.len());
        for issuer in &config.issuers {
            let name = &issuer.iss;
            if issuers.iter().any(|i| i.iss == *name) {
                return Err(format!("connect_jwt: issuer '{name}' is configured twice"));
            }
            let key = match (&issuer.shared_secret, &issuer.public_key) {
                (Some(secret), None) => {
                    IssuerKey::Secret(DecodingKey::from_secret(secret.as_bytes()))
                }
                (None, Some(key_name)) => {
                    let key = keys.iter().find(|k| k.name() == key_name).ok_or_else(|| {
                        format!(
                            "connect_jwt issuer '{name}': public_key '{key_name}' is not a key of `keys:`"
                        )
                    })?;
                    // F-JWT-1: Connect verifies RS256 only.
                    let pem = match (key.alg(), key.public_pem()) {
                        (Alg::RS256, Some(pem)) => pem,
                        _ => {
                            return Err(format!(
                                "connect_jwt issuer '{name}': key '{key_name}' is {}, but Connect verifies RS256 only (F-JWT-1)",
                                key.alg()
                            ));
                        }
                    };
                    IssuerKey::Rsa {
                        key: key.decoding_key().clone(),
                        pem_as_secret: DecodingKey::from_secret(pem.as_bytes()),
                    }
                }
                _ => {
                    return Err(format!(
                        "connect_jwt issuer '{name}': give exactly one of shared_secret (HS256) and public_key (RS256)"
                    ));
                }
            };
            issuers.push(Issuer {
                iss: name.clone(),
                key,
                user: issuer.user.clone(),
            });
        }
        Ok(Self {
            issuers,
            leeway: config.leeway.get().as_secs(),
            context_path: context_path.to_string(),
            faults: Faults {
                alg_none: faults.has(Fault::JwtAlgNone),
                key_confusion: faults.has(Fault::JwtKeyConfusion),
                signature_unchecked: faults.has(Fault::JwtSignatureUnchecked),
                expiry_ignored: faults.has(Fault::JwtExpiryIgnored),
                qsh_ignored: faults.has(Fault::JwtQshIgnored),
                unknown_issuer: faults.has(Fault::JwtUnknownIssuer),
                kid_traversal: faults.has(Fault::JwtKidTraversal),
            },
            dev_null: DecodingKey::from_secret(&[]),
        })
    }

    /// `path` is the full request path (context path included), `query` the raw
    /// query string, `authorization` the `Authorization` header; `now` is the
    /// mock's time in seconds since the epoch.
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        query: &str,
        authorization: Option<&str>,
        now: u64,
    ) -> JwtOutcome {
        // F-TOKAUTH-4: OPTIONS (CORS preflight) is never authenticated here.
        if method.eq_ignore_ascii_case("OPTIONS") {
            return JwtOutcome::NoToken;
        }
        let Some(token) = token_of(query, authorization) else {
            return JwtOutcome::NoToken;
        };
        match self.check(&token, method, path, query, now) {
            Ok(name) => JwtOutcome::User { name },
            Err((status, message)) => JwtOutcome::Reject { status, message },
        }
    }

    fn check(
        &self,
        token: &str,
        method: &str,
        path: &str,
        query: &str,
        now: u64,
    ) -> Result<String, Rejection> {
        let (header_b64, payload_b64, signature) =
            split(token).ok_or_else(|| unparsable("the JWT does not have three segments"))?;
        let header =
            decode_segment(header_b64).map_err(|e| unparsable(format!("the JWT header is {e}")))?;
        let payload = decode_segment(payload_b64)
            .map_err(|e| unparsable(format!("the JWT payload is {e}")))?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or_else(|| unparsable("the JWT header has no alg"))?;

        // F-JWT-1: HS256 and RS256 only (JWS names are case-sensitive); `none` in
        // any spelling is refused unless `jwt_alg_none`.
        let alg = match alg {
            "HS256" => Some(Algorithm::HS256),
            "RS256" => Some(Algorithm::RS256),
            none if none.eq_ignore_ascii_case("none") && self.faults.alg_none => None,
            other => {
                return Err(unauthorized(format!(
                    "JWT algorithm '{other}' is not accepted; use HS256 or RS256"
                )));
            }
        };

        // The issuer is read before anything is verified: it picks the key.
        let iss = payload
            .get("iss")
            .and_then(Value::as_str)
            .ok_or_else(|| unauthorized("the JWT has no iss claim"))?;
        let known = self.issuers.iter().find(|i| i.iss == iss);
        let message = format!("{}.{}", header_b64, payload_b64);
        let issuer = match (known, alg) {
            (Some(issuer), None) => issuer,
            (Some(issuer), Some(alg)) => {
                self.check_signature(issuer, alg, &header, &message, signature)?;
                issuer
            }
            (None, _) if !self.faults.unknown_issuer => {
                // F-TOKAUTH-4: the plugin's exact words.
                return Err(unauthorized(UNKNOWN_ISSUER_MESSAGE));
            }
            // `jwt_unknown_issuer`: the broken server ignores which `iss` it was
            // told and takes the first configured issuer whose key verifies the
            // token (as a filter that tries "all app links" would). The signature
            // is still checked, so only a validly signed token from a renamed
            // issuer gets in.
            (None, None) => self
                .issuers
                .first()
                .ok_or_else(|| unauthorized(UNKNOWN_ISSUER_MESSAGE))?,
            (None, Some(alg)) => self
                .issuers
                .iter()
                .find(|i| {
                    self.check_signature(i, alg, &header, &message, signature)
                        .is_ok()
                })
                .ok_or_else(|| unauthorized("JWT signature does not verify"))?,
        };

        self.check_times(&payload, now)?;

        // F-JWT-3, F-JWT-4: the hash of this very request; `context-qsh` is not special.
        if !self.faults.qsh_ignored {
            let expected = qsh::qsh(method, path, query, &self.context_path);
            match payload.get("qsh").and_then(Value::as_str) {
                Some(given) if given == expected => {}
                Some(_) => {
                    return Err(unauthorized(
                        "the JWT's qsh does not match this request (F-JWT-3)",
                    ));
                }
                None => return Err(unauthorized("the JWT has no qsh claim")),
            }
        }

        // F-JWT-2: `sub` is optional and becomes the subject.
        match payload.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => Ok(sub.clone()),
            Some(Value::String(_)) | None => issuer.user.clone().ok_or_else(|| {
                (
                    403,
                    format!(
                        "the JWT has no sub and issuer '{}' acts as no user",
                        issuer.iss
                    ),
                )
            }),
            Some(_) => Err(unauthorized("the JWT's sub is not a string")),
        }
    }

    /// F-JWT-1: the key `issuer` verifies `alg` with, then the signature.
    fn check_signature(
        &self,
        issuer: &Issuer,
        alg: Algorithm,
        header: &Map<String, Value>,
        message: &str,
        signature: &str,
    ) -> Result<(), Rejection> {
        let key = self.key_for(issuer, alg, header)?;
        if self.faults.signature_unchecked {
            return Ok(());
        }
        // jsonwebtoken's `crypto::verify` rather than `decode`: `decode` reads the
        // header into its typed `Header` (which refuses header fields that are not
        // strings, though the server accepts them) and checks `exp`/`nbf` against
        // the wall clock, whereas the mock's clock may have been advanced.
        match jsonwebtoken::crypto::verify(signature, message.as_bytes(), key, alg) {
            Ok(true) => Ok(()),
            Ok(false) => Err(unauthorized("JWT signature does not verify")),
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::Base64(_) => {
                    Err(unparsable("the JWT signature is not base64url"))
                }
                _ => Err(unauthorized(format!("JWT signature does not verify ({e})"))),
            },
        }
    }

    fn key_for<'a>(
        &'a self,
        issuer: &'a Issuer,
        alg: Algorithm,
        header: &Map<String, Value>,
    ) -> Result<&'a DecodingKey, Rejection> {
        // `kid` never chooses a key (F-JWT-5: kid traversal/injection), unless
        // `jwt_kid_traversal`: then a `kid` that looks like a path names a file
        // whose content is the HMAC key. The mock never touches its disk: the
        // only file it "reads" is /dev/null (empty); any other path is missing.
        let path_kid = header
            .get("kid")
            .and_then(Value::as_str)
            .filter(|kid| kid.contains('/') || kid.contains('\\'));
        if let (true, Some(kid)) = (self.faults.kid_traversal, path_kid) {
            return match (alg, kid.ends_with("/dev/null")) {
                (Algorithm::HS256, true) => Ok(&self.dev_null),
                _ => Err(unauthorized(format!("no key file for kid '{kid}'"))),
            };
        }
        match (&issuer.key, alg) {
            (IssuerKey::Secret(key), Algorithm::HS256) => Ok(key),
            (IssuerKey::Rsa { key, .. }, Algorithm::RS256) => Ok(key),
            (IssuerKey::Rsa { pem_as_secret, .. }, Algorithm::HS256)
                if self.faults.key_confusion =>
            {
                Ok(pem_as_secret)
            }
            (IssuerKey::Secret(_), _) => Err(unauthorized(format!(
                "issuer '{}' signs with a shared secret; an {alg:?} token is refused (F-JWT-1)",
                issuer.iss
            ))),
            (IssuerKey::Rsa { .. }, _) => Err(unauthorized(format!(
                "issuer '{}' signs with RS256; an {alg:?} token is refused (F-JWT-1)",
                issuer.iss
            ))),
        }
    }

    /// F-JWT-2: `iat` and `exp` required and numeric, `nbf` numeric if present;
    /// `leeway` on `exp` and `nbf`; `exp` after `nbf`.
    fn check_times(&self, payload: &Map<String, Value>, now: u64) -> Result<(), Rejection> {
        let numeric = |name: &str, required: bool| match payload.get(name) {
            Some(Value::Number(n)) => Ok(n.as_f64()),
            None if !required => Ok(None),
            None => Err(unauthorized(format!("the JWT has no {name} claim"))),
            Some(_) => Err(unauthorized(format!("the JWT's {name} is not a number"))),
        };
        numeric("iat", true)?;
        let exp = numeric("exp", true)?;
        let nbf = numeric("nbf", false)?;
        if self.faults.expiry_ignored {
            return Ok(());
        }
        // f64 holds every NumericDate of the next 285 million years exactly.
        let (now, leeway) = (now as f64, self.leeway as f64);
        if exp.is_some_and(|exp| now > exp + leeway) {
            return Err(unauthorized("the JWT has expired"));
        }
        if let Some(nbf) = nbf {
            if nbf - leeway > now {
                return Err(unauthorized("the JWT is not valid yet (nbf)"));
            }
            if exp.is_some_and(|exp| exp <= nbf) {
                return Err(unauthorized("the JWT's exp is not after its nbf"));
            }
        }
        Ok(())
    }
}

/// F-TOKAUTH-4: the `jwt` query parameter first, else `Authorization: JWT <token>`
/// (scheme case-insensitive). Other schemes (Basic, Bearer) are not Connect's.
fn token_of(query: &str, authorization: Option<&str>) -> Option<String> {
    let from_query = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name == "jwt" && !value.is_empty())
        .map(|(_, value)| value.into_owned());
    from_query.or_else(|| {
        let (scheme, token) = authorization?.trim().split_once(char::is_whitespace)?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("JWT") && !token.is_empty()).then(|| token.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::attack::UNKNOWN_ISSUER;
    use crate::auth::jwt::{MintRequest, Minted, mint};
    use crate::scenario::mock_config::JwtIssuer;
    use crate::scenario::model::{JwtAttack, JwtAuth, JwtPlacement};
    use indexmap::IndexMap;
    use serde_json::json;
    use std::collections::BTreeSet;

    const NOW: u64 = 1_700_000_000;
    const SECRET: &str = "a-shared-secret-of-thirty-two-by";
    const URL: &str = "http://127.0.0.1:8090/wiki/rest/api/space?limit=5&expand=a";

    /// An HS256 issuer `hs-app` (acts as alice) and an RS256 issuer `rs-app`
    /// (acts as bob), with the keys that sign their tokens.
    struct World {
        hs: SigningKey,
        rs: SigningKey,
        config: ConnectJwtConfig,
    }

    fn world() -> World {
        let hs = SigningKey::from_secret("hs", SECRET.as_bytes().to_vec());
        let rs = SigningKey::generate("rs", Alg::RS256).unwrap();
        let config = ConnectJwtConfig {
            issuers: vec![
                JwtIssuer {
                    iss: "hs-app".into(),
                    shared_secret: Some(SECRET.into()),
                    public_key: None,
                    user: Some("alice".into()),
                },
                JwtIssuer {
                    iss: "rs-app".into(),
                    shared_secret: None,
                    public_key: Some("rs".into()),
                    user: Some("bob".into()),
                },
            ],
            ..ConnectJwtConfig::default()
        };
        World { hs, rs, config }
    }

    impl World {
        fn verifier(&self, faults: &[Fault]) -> ConnectJwtVerifier {
            ConnectJwtVerifier::new(
                &self.config,
                std::slice::from_ref(&self.rs),
                &FaultSet::new(faults),
                "/wiki",
            )
            .unwrap()
        }

        fn key(&self, alg: Alg) -> &SigningKey {
            match alg {
                Alg::HS256 => &self.hs,
                _ => &self.rs,
            }
        }
    }

    fn spec(alg: Alg, attack: Option<JwtAttack>) -> JwtAuth {
        let iss = if alg == Alg::HS256 {
            "hs-app"
        } else {
            "rs-app"
        };
        JwtAuth {
            key: "k".into(),
            claims: IndexMap::from([
                ("iss".to_string(), json!(iss)),
                ("iat".to_string(), json!("now")),
                ("exp".to_string(), json!("now+3m")),
            ]),
            header: IndexMap::new(),
            qsh: true,
            placement: JwtPlacement::Header,
            scheme: Some("JWT".into()),
            attack,
        }
    }

    fn minted(spec: &JwtAuth, key: &SigningKey, method: &str) -> Result<Minted, String> {
        let url = url::Url::parse(URL).unwrap();
        let request = MintRequest {
            method,
            url: &url,
            context_path: "/wiki",
        };
        mint(spec, key, &request, NOW).map_err(|e| e.to_string())
    }

    fn send(verifier: &ConnectJwtVerifier, minted: &Minted, now: u64) -> JwtOutcome {
        verifier.verify(
            "GET",
            minted.url.path(),
            minted.url.query().unwrap_or(""),
            minted.authorization.as_deref(),
            now,
        )
    }

    fn user(name: &str) -> JwtOutcome {
        JwtOutcome::User { name: name.into() }
    }

    fn status(outcome: &JwtOutcome) -> u16 {
        match outcome {
            JwtOutcome::Reject { status, .. } => *status,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    /// Every variant of [`JwtAttack`], read from its JSON Schema, so a new attack
    /// is covered without editing this list.
    fn all_attacks() -> Vec<JwtAttack> {
        fn names(value: &Value, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(s)) = map.get("const") {
                        out.push(s.clone());
                    }
                    if let Some(Value::Array(items)) = map.get("enum") {
                        out.extend(items.iter().filter_map(|v| v.as_str().map(String::from)));
                    }
                    map.values().for_each(|v| names(v, out));
                }
                Value::Array(items) => items.iter().for_each(|v| names(v, out)),
                _ => {}
            }
        }
        let schema = schemars::schema_for!(JwtAttack);
        let mut found = Vec::new();
        names(schema.as_value(), &mut found);
        found.sort();
        found.dedup();
        let attacks: Vec<JwtAttack> = found
            .iter()
            .map(|n| serde_json::from_value(json!(n)).unwrap())
            .collect();
        assert!(attacks.len() >= 23, "{found:?}");
        attacks
    }

    /// The attacks a fault lets through for an issuer of `alg` (wrong-audience
    /// always passes: Connect does not read `aud`).
    fn expected_through(fault: Option<Fault>, alg: Alg) -> BTreeSet<String> {
        use JwtAttack::*;
        let rs = alg == Alg::RS256;
        let mut through = vec![WrongAudience];
        match fault {
            None => {}
            Some(Fault::JwtAlgNone) => through.extend([AlgNone, AlgNoneCase]),
            Some(Fault::JwtKeyConfusion) if rs => through.push(Hs256WithPublicKey),
            Some(Fault::JwtSignatureUnchecked) => {
                through.extend([StripSignature, NullSignature, TamperPayload, WrongKey]);
                // The attacker signs jku/x5u/jwk tokens with an RSA key: an HS256
                // issuer still refuses RS256 (F-JWT-1); kid tokens are HS256, which
                // an RS256 issuer refuses.
                if rs {
                    through.extend([JkuUntrusted, X5uUntrusted, EmbeddedJwk]);
                } else {
                    through.extend([KidTraversal, KidInjection]);
                }
            }
            Some(Fault::JwtExpiryIgnored) => through.extend([Expired, NotYetValid]),
            Some(Fault::JwtQshIgnored) => through.extend([WrongQsh, ContextQsh]),
            Some(Fault::JwtUnknownIssuer) => through.push(WrongIssuer),
            Some(Fault::JwtKidTraversal) => through.push(KidTraversal),
            Some(_) => {}
        }
        through.iter().map(|a| format!("{a:?}")).collect()
    }

    /// Every attack token for an issuer of `alg` (RSA key generation is slow in
    /// debug builds, so each is minted once and sent to every verifier).
    fn attack_tokens(world: &World, alg: Alg) -> Vec<(JwtAttack, Minted)> {
        all_attacks()
            .into_iter()
            .filter_map(
                |attack| match minted(&spec(alg, Some(attack)), world.key(alg), "GET") {
                    Ok(minted) => Some((attack, minted)),
                    Err(e) => {
                        // Only hs256-with-public-key cannot be minted (for an HS256 key).
                        assert_eq!(
                            (attack, alg),
                            (JwtAttack::Hs256WithPublicKey, Alg::HS256),
                            "{e}"
                        );
                        None
                    }
                },
            )
            .collect()
    }

    fn accepted_attacks(
        world: &World,
        faults: &[Fault],
        tokens: &[(JwtAttack, Minted)],
    ) -> BTreeSet<String> {
        let verifier = world.verifier(faults);
        let mut through = BTreeSet::new();
        for (attack, minted) in tokens {
            match send(&verifier, minted, NOW) {
                JwtOutcome::User { .. } => {
                    through.insert(format!("{attack:?}"));
                }
                JwtOutcome::Reject { status, message } => {
                    assert_eq!(status, 401, "{attack:?}: {message}");
                    if *attack == JwtAttack::WrongIssuer && faults.is_empty() {
                        assert_eq!(message, UNKNOWN_ISSUER_MESSAGE);
                    }
                }
                JwtOutcome::NoToken => panic!("{attack:?}: no token seen"),
            }
        }
        through
    }

    #[test]
    fn valid_hs256_and_rs256_tokens_with_qsh_act_as_their_user() {
        let world = world();
        let verifier = world.verifier(&[]);
        let hs = minted(&spec(Alg::HS256, None), &world.hs, "GET").unwrap();
        assert_eq!(send(&verifier, &hs, NOW), user("alice"));
        let mut rs_spec = spec(Alg::RS256, None);
        rs_spec.claims.insert("sub".into(), json!("carol"));
        let rs = minted(&rs_spec, &world.rs, "GET").unwrap();
        assert_eq!(send(&verifier, &rs, NOW), user("carol"));
        // Another method than the token was minted for: the qsh differs.
        let post = verifier.verify(
            "POST",
            rs.url.path(),
            rs.url.query().unwrap(),
            rs.authorization.as_deref(),
            NOW,
        );
        assert_eq!(status(&post), 401);
    }

    #[test]
    fn a_clean_verifier_refuses_every_attack_but_wrong_audience() {
        let world = world();
        for alg in [Alg::HS256, Alg::RS256] {
            let tokens = attack_tokens(&world, alg);
            assert_eq!(
                accepted_attacks(&world, &[], &tokens),
                expected_through(None, alg),
                "{alg}"
            );
        }
    }

    #[test]
    fn each_fault_lets_through_exactly_its_attacks() {
        let world = world();
        let tokens = [Alg::HS256, Alg::RS256].map(|alg| (alg, attack_tokens(&world, alg)));
        for fault in [
            Fault::JwtAlgNone,
            Fault::JwtKeyConfusion,
            Fault::JwtSignatureUnchecked,
            Fault::JwtExpiryIgnored,
            Fault::JwtQshIgnored,
            Fault::JwtUnknownIssuer,
            Fault::JwtKidTraversal,
            // Not a Connect fault: changes nothing here.
            Fault::JwtAudienceIgnored,
        ] {
            for (alg, tokens) in &tokens {
                let alg = *alg;
                assert_eq!(
                    accepted_attacks(&world, &[fault], tokens),
                    expected_through(Some(fault), alg),
                    "{fault} with an {alg} issuer"
                );
            }
        }
    }

    #[test]
    fn unknown_issuer_fault_acts_as_the_issuer_whose_key_verifies() {
        let world = world();
        let verifier = world.verifier(&[Fault::JwtUnknownIssuer]);
        let rs = minted(
            &spec(Alg::RS256, Some(JwtAttack::WrongIssuer)),
            &world.rs,
            "GET",
        )
        .unwrap();
        assert_eq!(send(&verifier, &rs, NOW), user("bob"));
        // An unknown issuer with a key nobody configured is still refused.
        let stranger = SigningKey::generate("x", Alg::RS256).unwrap();
        let mut spec = spec(Alg::RS256, None);
        spec.claims.insert("iss".into(), json!(UNKNOWN_ISSUER));
        let token = minted(&spec, &stranger, "GET").unwrap();
        assert_eq!(status(&send(&verifier, &token, NOW)), 401);
    }

    #[test]
    fn the_query_parameter_wins_over_the_header() {
        let world = world();
        let verifier = world.verifier(&[]);
        let good = minted(&spec(Alg::HS256, None), &world.hs, "GET").unwrap();
        let bad = minted(
            &spec(Alg::HS256, Some(JwtAttack::WrongKey)),
            &world.hs,
            "GET",
        )
        .unwrap();
        let (path, query) = ("/wiki/rest/api/space", "limit=5&expand=a");
        let with_jwt = |token: &str| format!("{query}&jwt={token}");
        let header = |token: &str| format!("JWT {token}");
        let good_in_query = verifier.verify(
            "GET",
            path,
            &with_jwt(&good.token),
            Some(&header(&bad.token)),
            NOW,
        );
        assert_eq!(good_in_query, user("alice"));
        let bad_in_query = verifier.verify(
            "GET",
            path,
            &with_jwt(&bad.token),
            Some(&header(&good.token)),
            NOW,
        );
        assert_eq!(status(&bad_in_query), 401);
        // In the query alone, too; the qsh leaves the `jwt` parameter out.
        let mut query_spec = spec(Alg::HS256, None);
        query_spec.placement = JwtPlacement::Query;
        let in_query = minted(&query_spec, &world.hs, "GET").unwrap();
        assert!(in_query.authorization.is_none());
        assert_eq!(send(&verifier, &in_query, NOW), user("alice"));
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_other_requests_have_no_token() {
        let world = world();
        let verifier = world.verifier(&[]);
        let good = minted(&spec(Alg::HS256, None), &world.hs, "GET").unwrap();
        let (path, query) = (good.url.path(), good.url.query().unwrap());
        let lower = format!("jwt {}", good.token);
        assert_eq!(
            verifier.verify("GET", path, query, Some(&lower), NOW),
            user("alice")
        );
        let bearer = format!("Bearer {}", good.token);
        for (method, auth) in [
            ("GET", Some(bearer.as_str())),
            ("GET", Some("Basic YWxpY2U6YWxpY2UtcHc=")),
            ("GET", Some("JWT ")),
            ("GET", None),
            ("OPTIONS", Some(lower.as_str())),
        ] {
            assert_eq!(
                verifier.verify(method, path, query, auth, NOW),
                JwtOutcome::NoToken,
                "{method} {auth:?}"
            );
        }
        assert_eq!(
            verifier.verify("GET", path, "jwt=", None, NOW),
            JwtOutcome::NoToken
        );
    }

    #[test]
    fn leeway_is_30_seconds_on_both_sides() {
        let world = world();
        let verifier = world.verifier(&[]);
        // exp = NOW + 180.
        let token = minted(&spec(Alg::HS256, None), &world.hs, "GET").unwrap();
        assert_eq!(send(&verifier, &token, NOW + 210), user("alice"));
        assert_eq!(status(&send(&verifier, &token, NOW + 211)), 401);
        for (nbf, accepted) in [("now+30s", true), ("now+31s", false)] {
            let mut spec = spec(Alg::HS256, None);
            spec.claims.insert("nbf".into(), json!(nbf));
            let token = minted(&spec, &world.hs, "GET").unwrap();
            let outcome = send(&verifier, &token, NOW);
            assert_eq!(outcome == user("alice"), accepted, "nbf {nbf}: {outcome:?}");
        }
        // Configured leeway.
        let mut strict = world.config.clone();
        strict.leeway = crate::scenario::duration::Duration::from_secs(0);
        let strict = ConnectJwtVerifier::new(
            &strict,
            std::slice::from_ref(&world.rs),
            &FaultSet::default(),
            "/wiki",
        )
        .unwrap();
        assert_eq!(send(&strict, &token_at(&world), NOW + 180), user("alice"));
        assert_eq!(status(&send(&strict, &token_at(&world), NOW + 181)), 401);
    }

    fn token_at(world: &World) -> Minted {
        minted(&spec(Alg::HS256, None), &world.hs, "GET").unwrap()
    }

    #[test]
    fn exp_must_follow_nbf() {
        let world = world();
        let verifier = world.verifier(&[]);
        let mut spec = spec(Alg::HS256, None);
        spec.claims.insert("nbf".into(), json!("now+3m"));
        let token = minted(&spec, &world.hs, "GET").unwrap();
        assert_eq!(status(&send(&verifier, &token, NOW + 60)), 401);
    }

    #[test]
    fn unparsable_tokens_get_400() {
        let world = world();
        let verifier = world.verifier(&[]);
        let header = crate::auth::jwt::b64(r#"{"alg":"HS256"}"#);
        let payload = crate::auth::jwt::b64(r#"{"iss":"hs-app"}"#);
        for token in [
            "garbage".to_string(),
            "a.b".to_string(),
            "a.b.c.d".to_string(),
            format!("{header}.!!!.sig"),
            format!("{}.{payload}.", crate::auth::jwt::b64("not json")),
            format!("{}.{payload}.", crate::auth::jwt::b64("[1]")),
            format!("{}.{payload}.", crate::auth::jwt::b64(r#"{"typ":"JWT"}"#)),
            format!("{header}.{payload}.***"),
        ] {
            let outcome = verifier.verify("GET", "/wiki/x", "", Some(&format!("JWT {token}")), NOW);
            assert_eq!(status(&outcome), 400, "{token}: {outcome:?}");
        }
    }

    #[test]
    fn rs256_for_a_shared_secret_issuer_is_refused() {
        let world = world();
        let verifier = world.verifier(&[]);
        let mut spec = spec(Alg::RS256, None);
        spec.claims.insert("iss".into(), json!("hs-app"));
        let token = minted(&spec, &world.rs, "GET").unwrap();
        let outcome = send(&verifier, &token, NOW);
        assert!(
            matches!(&outcome, JwtOutcome::Reject { status: 401, message } if message.contains("shared secret")),
            "{outcome:?}"
        );
    }

    #[test]
    fn no_sub_and_no_issuer_user_is_403() {
        let mut world = world();
        world.config.issuers[0].user = None;
        let verifier = world.verifier(&[]);
        let token = minted(&spec(Alg::HS256, None), &world.hs, "GET").unwrap();
        assert_eq!(status(&send(&verifier, &token, NOW)), 403);
    }

    #[test]
    fn a_misconfigured_issuer_is_an_error() {
        let world = world();
        let es = SigningKey::generate("es", Alg::ES256).unwrap();
        let build = |issuer: JwtIssuer, keys: &[SigningKey]| {
            let config = ConnectJwtConfig {
                issuers: vec![issuer],
                ..ConnectJwtConfig::default()
            };
            ConnectJwtVerifier::new(&config, keys, &FaultSet::default(), "").unwrap_err()
        };
        let issuer = |secret: Option<&str>, key: Option<&str>| JwtIssuer {
            iss: "x".into(),
            shared_secret: secret.map(String::from),
            public_key: key.map(String::from),
            user: None,
        };
        assert!(build(issuer(None, Some("nope")), &[]).contains("not a key of"));
        assert!(build(issuer(None, Some("es")), &[es]).contains("RS256 only"));
        assert!(
            build(
                issuer(Some("s"), Some("rs")),
                std::slice::from_ref(&world.rs)
            )
            .contains("exactly one")
        );
        assert!(build(issuer(None, None), &[]).contains("exactly one"));
    }
}
