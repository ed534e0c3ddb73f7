//! The canonical bad tokens of F-JWT-5 (RFC 8725; the jwt_tool catalogue): each
//! [`JwtAttack`] turns the valid token of a spec into the one bad token its name
//! promises, changing nothing else, so a refusal can only be for that reason.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use super::{MintRequest, Unsigned, b64, qsh};
use crate::auth::keys::{SigningKey, algorithm};
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
#[derive(Clone, Debug)]
pub struct Attacked {
    pub token: String,
    pub attacker_key: Option<SigningKey>,
}

impl Attacked {
    fn plain(token: String) -> Self {
        Self {
            token,
            attacker_key: None,
        }
    }
}

/// Turns `valid` (the header and payload the spec asks for, signed with `key`)
/// into the bad token `attack` names; `request` and `now` are those of the mint.
pub fn apply(
    attack: JwtAttack,
    valid: &Unsigned,
    key: &SigningKey,
    request: &MintRequest<'_>,
    now: u64,
) -> Result<Attacked, String> {
    let alg = algorithm(key.alg());
    let sign_real = |token: &Unsigned| token.sign(key.encoding_key(), alg);
    // The same header and payload, signed by the real key, with one claim changed.
    let with_claim = |name: &str, value: Value| {
        let mut token = valid.clone();
        token.payload.insert(name.into(), value);
        sign_real(&token).map(Attacked::plain)
    };
    let without_claim = |name: &str| {
        let mut token = valid.clone();
        token.payload.remove(name);
        sign_real(&token).map(Attacked::plain)
    };
    match attack {
        JwtAttack::AlgNone => Ok(Attacked::plain(unsigned_with_alg(valid, "none"))),
        JwtAttack::AlgNoneCase => Ok(Attacked::plain(unsigned_with_alg(valid, "nOnE"))),
        JwtAttack::StripSignature => Ok(Attacked::plain(valid.with_signature(""))),
        JwtAttack::NullSignature => {
            // As many zero bytes as a real signature has, so only the content is wrong.
            let len = signature_len(&sign_real(valid)?)?;
            Ok(Attacked::plain(valid.with_signature(&b64(vec![0u8; len]))))
        }
        JwtAttack::TamperPayload => {
            let signature = signature_of(&sign_real(valid)?);
            let mut tampered = valid.clone();
            // Privilege escalation, the point of tampering: become `admin`.
            let sub = match tampered.payload.get("sub") {
                Some(Value::String(s)) if s == "admin" => "tollgate-tampered",
                _ => "admin",
            };
            tampered.payload.insert("sub".into(), json!(sub));
            Ok(Attacked::plain(tampered.with_signature(&signature)))
        }
        JwtAttack::WrongKey => {
            let other = generate(key.alg())?;
            let token = valid.sign(other.encoding_key(), alg)?;
            Ok(Attacked {
                token,
                attacker_key: Some(other),
            })
        }
        JwtAttack::Hs256WithPublicKey => {
            // The classic key confusion: a verifier that passes "the key" (the PEM
            // text) to an HMAC check when the token says HS256 (RFC 8725 §2.1).
            let pem = key.public_pem().ok_or_else(|| {
                format!(
                    "attack hs256-with-public-key needs an RS256 or ES256 key; '{}' is {}",
                    key.name(),
                    key.alg()
                )
            })?;
            let secret = SigningKey::from_secret(ATTACKER_KEY_NAME, pem.as_bytes().to_vec());
            let token = with_alg(valid, "HS256").sign(secret.encoding_key(), Algorithm::HS256)?;
            Ok(Attacked {
                token,
                attacker_key: Some(secret),
            })
        }
        JwtAttack::UnsupportedAlg => {
            // HS512 keyed with what the server holds: the shared secret, or the
            // public key's PEM for an asymmetric key. A server that accepted HS512
            // would take it; F-JWT-1 says it must not.
            let secret = match key.secret() {
                Some(secret) => secret.to_vec(),
                None => key.public_pem().unwrap_or_default().as_bytes().to_vec(),
            };
            let token = with_alg(valid, "HS512")
                .sign(&EncodingKey::from_secret(&secret), Algorithm::HS512)?;
            Ok(Attacked {
                token,
                // Its secret is what signed the token (under HS512).
                attacker_key: Some(SigningKey::from_secret(ATTACKER_KEY_NAME, secret)),
            })
        }
        JwtAttack::Expired => with_claim("exp", json!(now.saturating_sub(TIME_SHIFT_SECS))),
        JwtAttack::NotYetValid => with_claim("nbf", json!(now.saturating_add(TIME_SHIFT_SECS))),
        JwtAttack::MissingIat => without_claim("iat"),
        JwtAttack::MissingExp => without_claim("exp"),
        JwtAttack::StringExp => {
            let exp = match valid.payload.get("exp") {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.clone(),
                _ => (now + 300).to_string(),
            };
            with_claim("exp", Value::String(exp))
        }
        JwtAttack::WrongQsh => {
            // The same URL under another method: a GET token replayed as DELETE.
            let method = if request.method.eq_ignore_ascii_case("DELETE") {
                "GET"
            } else {
                "DELETE"
            };
            let other = qsh::qsh(
                method,
                request.url.path(),
                request.url.query().unwrap_or(""),
                request.context_path,
            );
            with_claim("qsh", json!(other))
        }
        JwtAttack::ContextQsh => with_claim("qsh", json!("context-qsh")),
        JwtAttack::WrongIssuer => with_claim("iss", json!(UNKNOWN_ISSUER)),
        JwtAttack::WrongAudience => with_claim("aud", json!(OTHER_AUDIENCE)),
        JwtAttack::KidTraversal => with_kid_hmac(valid, KID_TRAVERSAL, Vec::new(), "kid-traversal"),
        JwtAttack::KidInjection => with_kid_hmac(
            valid,
            KID_INJECTION,
            KID_INJECTION_SECRET.as_bytes().to_vec(),
            "kid-injection",
        ),
        JwtAttack::JkuUntrusted => signed_by_attacker(valid, key, |header, _| {
            header.insert(
                "jku".into(),
                json!(format!("{ATTACKER_ORIGIN}/.well-known/jwks.json")),
            );
            Ok(())
        }),
        JwtAttack::X5uUntrusted => signed_by_attacker(valid, key, |header, _| {
            header.insert("x5u".into(), json!(format!("{ATTACKER_ORIGIN}/cert.pem")));
            Ok(())
        }),
        JwtAttack::EmbeddedJwk => signed_by_attacker(valid, key, |header, attacker| {
            let jwk = attacker.jwk().map_err(|e| e.to_string())?;
            let jwk = serde_json::to_value(jwk).map_err(|e| e.to_string())?;
            header.insert("jwk".into(), jwk);
            Ok(())
        }),
        JwtAttack::EcdsaZeroSignature => {
            // CVE-2022-21449: r = s = 0, 32 zero bytes each in the JWS (r || s) form.
            let token = with_alg(valid, "ES256");
            Ok(Attacked::plain(token.with_signature(&b64([0u8; 64]))))
        }
    }
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
fn signature_len(token: &str) -> Result<usize, String> {
    URL_SAFE_NO_PAD
        .decode(signature_of(token))
        .map(|bytes| bytes.len())
        .map_err(|e| format!("signature is not base64url: {e}"))
}

fn generate(alg: Alg) -> Result<SigningKey, String> {
    SigningKey::generate(ATTACKER_KEY_NAME, alg).map_err(|e| e.to_string())
}

/// HS256 under a `kid` that makes a naive key lookup return `secret`.
fn with_kid_hmac(
    valid: &Unsigned,
    kid: &str,
    secret: Vec<u8>,
    name: &str,
) -> Result<Attacked, String> {
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
    advertise: impl FnOnce(&mut serde_json::Map<String, Value>, &SigningKey) -> Result<(), String>,
) -> Result<Attacked, String> {
    let alg = match key.alg() {
        Alg::HS256 => Alg::RS256,
        other => other,
    };
    let attacker = generate(alg)?;
    let mut token = with_alg(valid, alg.name());
    token.header.insert("kid".into(), json!(ATTACKER_KEY_NAME));
    advertise(&mut token.header, &attacker)?;
    Ok(Attacked {
        token: token.sign(attacker.encoding_key(), algorithm(alg))?,
        attacker_key: Some(attacker),
    })
}
