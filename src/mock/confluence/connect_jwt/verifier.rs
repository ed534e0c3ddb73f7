//! The Connect JWT filter's checks (F-TOKAUTH-4, F-JWT-1..4), in the server
//! plugin's order; see the module docs of `connect_jwt`.

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use super::issuers::{ConnectJwtError, Issuer, IssuerKey, issuers};
use crate::auth::jwt::{decode_segment, qsh, split};
use crate::auth::keys::SigningKey;
use crate::mock::faults::FaultSet;
use crate::scenario::mock_config::{ConnectJwtConfig, Fault};

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

#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    alg_none: bool,
    key_confusion: bool,
    signature_unchecked: bool,
    expiry_ignored: bool,
    qsh_ignored: bool,
    unknown_issuer: bool,
    kid_traversal: bool,
    impersonation_open: bool,
}

type Rejection = (u16, String);

/// What a signature covers and the signature itself, as the token carries them.
struct Signed<'a> {
    header: &'a Map<String, Value>,
    /// `base64url(header).base64url(payload)`.
    message: &'a str,
    signature: &'a str,
}

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
    ) -> Result<Self, ConnectJwtError> {
        Ok(Self {
            issuers: issuers(config, keys)?,
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
                impersonation_open: faults.has(Fault::ConnectImpersonationOpen),
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
        let signed = Signed {
            header: &header,
            message: &format!("{header_b64}.{payload_b64}"),
            signature,
        };
        let issuer = self.issuer(iss, alg, &signed)?;
        // Nimbus parses the claims once the signature holds: a `sub` that is not
        // a string makes the claims set unparsable (400).
        let sub = match payload.get("sub") {
            None | Some(Value::Null) => None,
            Some(Value::String(sub)) => Some(sub.as_str()),
            Some(_) => return Err(unparsable("the JWT's sub is not a string")),
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

        self.acting_user(issuer, sub)
    }

    /// F-JWT-2, as the Connect plugin's `ThreeLeggedAuthFilter` decides: without
    /// `sub`, the app's own user; an empty `sub` is a 400 whatever the setting;
    /// another `sub` names the user only where impersonation is allowed
    /// (`connect_impersonation_open`: always), and is ignored otherwise. Confluence
    /// looks the subject up as a user key; the mock's user keys are their names.
    fn acting_user(&self, issuer: &Issuer, sub: Option<&str>) -> Result<String, Rejection> {
        match sub {
            Some("") => Err(unparsable(format!(
                "Add-on '{}' disallowed to impersonate user ''",
                issuer.iss
            ))),
            Some(sub) if issuer.impersonation || self.faults.impersonation_open => {
                Ok(sub.to_owned())
            }
            _ => issuer
                .user
                .clone()
                .ok_or_else(|| (403, format!("issuer '{}' acts as no user", issuer.iss))),
        }
    }

    /// The issuer whose key verified the token (`alg: None` is `none` under
    /// `jwt_alg_none`: nothing to verify).
    fn issuer(
        &self,
        iss: &str,
        alg: Option<Algorithm>,
        signed: &Signed<'_>,
    ) -> Result<&Issuer, Rejection> {
        let known = self.issuers.iter().find(|i| i.iss == iss);
        match (known, alg) {
            (Some(issuer), None) => Ok(issuer),
            (Some(issuer), Some(alg)) => {
                self.check_signature(issuer, alg, signed.header, signed.message, signed.signature)?;
                Ok(issuer)
            }
            // F-TOKAUTH-4: the plugin's exact words.
            (None, _) if !self.faults.unknown_issuer => Err(unauthorized(UNKNOWN_ISSUER_MESSAGE)),
            // `jwt_unknown_issuer`: the broken server ignores which `iss` it was
            // told and takes the first configured issuer whose key verifies the
            // token (as a filter that tries "all app links" would). The signature
            // is still checked, so only a validly signed token from a renamed
            // issuer gets in.
            (None, None) => self
                .issuers
                .first()
                .ok_or_else(|| unauthorized(UNKNOWN_ISSUER_MESSAGE)),
            (None, Some(alg)) => self
                .issuers
                .iter()
                .find(|i| {
                    self.check_signature(i, alg, signed.header, signed.message, signed.signature)
                        .is_ok()
                })
                .ok_or_else(|| unauthorized("JWT signature does not verify")),
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
pub fn token_of(query: &str, authorization: Option<&str>) -> Option<String> {
    let from_query = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name == "jwt" && !value.is_empty())
        .map(|(_, value)| value.into_owned());
    from_query.or_else(|| {
        let (scheme, token) = authorization?.trim().split_once(char::is_whitespace)?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("JWT") && !token.is_empty()).then(|| token.to_string())
    })
}
