//! Every canonical bad token (F-JWT-5) differs from the valid token of the same
//! spec in exactly the way its name claims: both are decoded and their headers
//! and payloads diffed, and signatures are checked against the keys involved.
//!
//! The `match` in `check` has no wildcard arm, so a new `JwtAttack` variant does
//! not compile until it is tested here; `all_attacks` reads the variants from the
//! type's JSON Schema, so it is also exercised without editing a list.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use indexmap::IndexMap;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value, json};

use tollgate::auth::jwt::attack::{
    ATTACKER_KEY_NAME, ATTACKER_ORIGIN, KID_INJECTION, KID_INJECTION_SECRET, KID_TRAVERSAL,
    OTHER_AUDIENCE, UNKNOWN_ISSUER,
};
use tollgate::auth::jwt::{MintRequest, Minted, mint, qsh};
use tollgate::auth::keys::{KeyRing, SigningKey, algorithm};
use tollgate::scenario::model::{Alg, JwtAttack, JwtAuth, JwtMint, JwtPlacement, KeySpec};

const NOW: u64 = 1_700_000_000;
const URL: &str = "https://confluence.example/wiki/rest/api/content?expand=body&limit=5";

/// A decoded compact token.
#[derive(Debug)]
struct Token {
    header: Map<String, Value>,
    payload: Map<String, Value>,
    /// The third segment, as sent.
    signature: String,
    /// `header.payload`, the signing input.
    input: String,
}

fn parse(token: &str) -> Token {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let object = |segment: &str| -> Map<String, Value> {
        let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url segment");
        serde_json::from_slice(&bytes).expect("a JSON object")
    };
    Token {
        header: object(parts[0]),
        payload: object(parts[1]),
        signature: parts[2].to_string(),
        input: format!("{}.{}", parts[0], parts[1]),
    }
}

type Diff = BTreeMap<String, (Option<Value>, Option<Value>)>;

/// The members whose value differs (absent = `None`).
fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Diff {
    before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (k.clone(), (before.get(k).cloned(), after.get(k).cloned())))
        .collect()
}

/// The expected diff; entries whose two sides are equal are left out (e.g. `alg`
/// set to HS256 on a token that already was HS256).
fn expect(changes: &[(&str, Option<Value>, Option<Value>)]) -> Diff {
    changes
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(k, a, b)| (k.to_string(), (a.clone(), b.clone())))
        .collect()
}

fn verifies(token: &Token, key: &DecodingKey, alg: Algorithm) -> bool {
    signs(&token.signature, &token.input, key, alg)
}

fn signs(signature: &str, input: &str, key: &DecodingKey, alg: Algorithm) -> bool {
    jsonwebtoken::crypto::verify(signature, input.as_bytes(), key, alg).unwrap_or(false)
}

fn signature_bytes(token: &Token) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(&token.signature).unwrap()
}

fn spec(attack: Option<JwtAttack>) -> JwtAuth {
    JwtAuth {
        key: "app".into(),
        claims: IndexMap::from([
            ("iss".to_string(), json!("app")),
            ("sub".to_string(), json!("alice")),
            ("iat".to_string(), json!("now")),
            ("exp".to_string(), json!("now+5m")),
        ]),
        header: IndexMap::from([("kid".to_string(), json!("app-key"))]),
        qsh: true,
        placement: JwtPlacement::Header,
        scheme: Some("JWT".into()),
        attack,
        mint: JwtMint::PerRequest,
    }
}

fn request(url: &url::Url) -> MintRequest<'_> {
    MintRequest {
        method: "GET",
        url,
        context_path: "/wiki",
    }
}

/// Every variant of `JwtAttack`, read from its JSON Schema.
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
    found
        .iter()
        .map(|name| serde_json::from_value(json!(name)).expect("a JwtAttack name"))
        .collect()
}

/// Proves `attacked` is `valid` changed exactly as `attack` says.
fn check(attack: JwtAttack, key: &SigningKey, valid: &Minted, attacked: &Minted) {
    let alg = algorithm(key.alg());
    let real = key.decoding_key();
    let (v, a) = (parse(&valid.token), parse(&attacked.token));
    let header = diff(&v.header, &a.header);
    let payload = diff(&v.payload, &a.payload);
    let k = Some(json!(key.alg().name()));
    let attacker = attacked.attacker_key.as_ref();
    let none: Diff = BTreeMap::new();
    // A token re-signed with the real key after one claim changed.
    let resigned = |claim: &str, after: Option<Value>| {
        assert_eq!(header, none, "{attack:?}: header");
        let before = v.payload.get(claim).cloned();
        assert_eq!(payload, expect(&[(claim, before, after)]), "{attack:?}");
        assert!(
            verifies(&a, real, alg),
            "{attack:?}: signed by the real key"
        );
    };
    match attack {
        JwtAttack::AlgNone | JwtAttack::AlgNoneCase => {
            let spelling = if attack == JwtAttack::AlgNone {
                "none"
            } else {
                "nOnE"
            };
            assert_eq!(header, expect(&[("alg", k, Some(json!(spelling)))]));
            assert_eq!(payload, none);
            assert_eq!(a.signature, "");
        }
        JwtAttack::StripSignature => {
            assert_eq!((header, payload), (none.clone(), none));
            assert_eq!(a.input, v.input);
            assert_eq!(a.signature, "");
        }
        JwtAttack::NullSignature => {
            assert_eq!((header, payload), (none.clone(), none));
            let zeros = signature_bytes(&a);
            assert_eq!(zeros.len(), signature_bytes(&v).len());
            assert!(zeros.iter().all(|b| *b == 0));
            assert!(a.signature.starts_with("AAAA"));
            assert!(!verifies(&a, real, alg));
        }
        JwtAttack::TamperPayload => {
            assert_eq!(header, none);
            assert_eq!(
                payload,
                expect(&[("sub", Some(json!("alice")), Some(json!("admin")))])
            );
            // The old signature, kept: valid over the untampered input, not this one.
            assert!(signs(&a.signature, &v.input, real, alg));
            assert!(!verifies(&a, real, alg));
            if key.alg() != Alg::ES256 {
                // RSA PKCS#1 v1.5 and HMAC are deterministic.
                assert_eq!(a.signature, v.signature);
            }
        }
        JwtAttack::WrongKey => {
            assert_eq!((header, payload), (none.clone(), none));
            let other = attacker.expect("the other key");
            assert_eq!(other.alg(), key.alg());
            assert!(!verifies(&a, real, alg));
            assert!(verifies(&a, other.decoding_key(), alg));
        }
        JwtAttack::Hs256WithPublicKey => {
            let pem = key.public_pem().expect("an asymmetric key");
            assert_eq!(header, expect(&[("alg", k, Some(json!("HS256")))]));
            assert_eq!(payload, none);
            let pem_secret = DecodingKey::from_secret(pem.as_bytes());
            assert!(verifies(&a, &pem_secret, Algorithm::HS256));
            assert!(!verifies(&a, real, alg));
        }
        JwtAttack::UnsupportedAlg => {
            assert_eq!(header, expect(&[("alg", k, Some(json!("HS512")))]));
            assert_eq!(payload, none);
            let secret = match key.secret() {
                Some(secret) => secret.to_vec(),
                None => key.public_pem().unwrap().as_bytes().to_vec(),
            };
            assert!(verifies(
                &a,
                &DecodingKey::from_secret(&secret),
                Algorithm::HS512
            ));
            assert!(!verifies(&a, real, alg));
        }
        JwtAttack::Expired => {
            resigned("exp", Some(json!(NOW - 3600)));
            assert!(
                a.payload["exp"].as_u64().unwrap() < NOW - 30,
                "beyond leeway"
            );
        }
        JwtAttack::NotYetValid => {
            resigned("nbf", Some(json!(NOW + 3600)));
            assert!(
                a.payload["nbf"].as_u64().unwrap() > NOW + 30,
                "beyond leeway"
            );
        }
        JwtAttack::MissingIat => resigned("iat", None),
        JwtAttack::MissingExp => resigned("exp", None),
        JwtAttack::StringExp => {
            resigned("exp", Some(json!((NOW + 300).to_string())));
        }
        JwtAttack::WrongQsh => {
            let url = url::Url::parse(URL).unwrap();
            let other = qsh::qsh("DELETE", url.path(), url.query().unwrap(), "/wiki");
            assert_ne!(Some(&json!(other)), v.payload.get("qsh"));
            resigned("qsh", Some(json!(other)));
        }
        JwtAttack::ContextQsh => resigned("qsh", Some(json!("context-qsh"))),
        JwtAttack::WrongIssuer => resigned("iss", Some(json!(UNKNOWN_ISSUER))),
        JwtAttack::WrongAudience => resigned("aud", Some(json!(OTHER_AUDIENCE))),
        JwtAttack::KidTraversal | JwtAttack::KidInjection => {
            let (kid, secret) = if attack == JwtAttack::KidTraversal {
                (KID_TRAVERSAL, "")
            } else {
                (KID_INJECTION, KID_INJECTION_SECRET)
            };
            assert_eq!(
                header,
                expect(&[
                    ("alg", k, Some(json!("HS256"))),
                    ("kid", Some(json!("app-key")), Some(json!(kid))),
                ])
            );
            assert_eq!(payload, none);
            let secret = DecodingKey::from_secret(secret.as_bytes());
            assert!(verifies(&a, &secret, Algorithm::HS256));
            assert!(!verifies(&a, real, alg));
        }
        JwtAttack::JkuUntrusted | JwtAttack::X5uUntrusted | JwtAttack::EmbeddedJwk => {
            let other = attacker.expect("the attacker's key");
            // jku/x5u/jwk publish a public key: an RSA one if the real key is a secret.
            let other_alg = match key.alg() {
                Alg::HS256 => Alg::RS256,
                same => same,
            };
            assert_eq!(other.alg(), other_alg);
            let (member, value) = match attack {
                JwtAttack::JkuUntrusted => (
                    "jku",
                    json!(format!("{ATTACKER_ORIGIN}/.well-known/jwks.json")),
                ),
                JwtAttack::X5uUntrusted => ("x5u", json!(format!("{ATTACKER_ORIGIN}/cert.pem"))),
                _ => ("jwk", serde_json::to_value(other.jwk().unwrap()).unwrap()),
            };
            assert_eq!(
                header,
                expect(&[
                    ("alg", k, Some(json!(other_alg.name()))),
                    (
                        "kid",
                        Some(json!("app-key")),
                        Some(json!(ATTACKER_KEY_NAME))
                    ),
                    (member, None, Some(value)),
                ])
            );
            assert_eq!(payload, none);
            assert!(verifies(&a, other.decoding_key(), algorithm(other_alg)));
            assert!(!verifies(&a, real, alg));
            if attack == JwtAttack::EmbeddedJwk {
                // The key in the header is the one that signed: trusting it is the bug.
                let inline = serde_json::from_value(a.header["jwk"].clone()).unwrap();
                let inline = DecodingKey::from_jwk(&inline).unwrap();
                assert!(verifies(&a, &inline, algorithm(other_alg)));
            }
        }
        JwtAttack::EcdsaZeroSignature => {
            assert_eq!(header, expect(&[("alg", k, Some(json!("ES256")))]));
            assert_eq!(payload, none);
            assert_eq!(signature_bytes(&a), vec![0u8; 64], "r = s = 0");
            if key.alg() == Alg::ES256 {
                assert!(!verifies(&a, real, Algorithm::ES256), "CVE-2022-21449");
            }
        }
    }
    // The token travels the way the spec says, attacked or not.
    assert_eq!(
        attacked.authorization,
        Some(format!("JWT {}", attacked.token))
    );
}

#[test]
fn every_attack_differs_from_the_valid_token_exactly_as_named() {
    let attacks = all_attacks();
    assert_eq!(attacks.len(), 23, "{attacks:?}");
    let url = url::Url::parse(URL).unwrap();
    for alg in [Alg::RS256, Alg::ES256, Alg::HS256] {
        let key = SigningKey::generate("app", alg).unwrap();
        let valid = mint(&spec(None), &key, &request(&url), NOW).unwrap();
        assert!(valid.attacker_key.is_none());
        // The valid token itself: real key, the claims of the spec, this request's qsh.
        let v = parse(&valid.token);
        assert!(verifies(&v, key.decoding_key(), algorithm(alg)));
        assert_eq!(
            v.payload["qsh"],
            json!(qsh::qsh(
                "GET",
                "/rest/api/content",
                "expand=body&limit=5",
                ""
            ))
        );
        assert_eq!(v.payload["exp"], json!(NOW + 300));
        for &attack in &attacks {
            let attacked = mint(&spec(Some(attack)), &key, &request(&url), NOW);
            if attack == JwtAttack::Hs256WithPublicKey && alg == Alg::HS256 {
                let err = attacked.unwrap_err().to_string();
                assert!(err.contains("needs an RS256 or ES256 key"), "{err}");
                continue;
            }
            let attacked = attacked.unwrap_or_else(|e| panic!("{attack:?} with {alg}: {e}"));
            assert_ne!(attacked.token, valid.token, "{attack:?} with {alg}");
            check(attack, &key, &valid, &attacked);
        }
    }
}

#[test]
fn attacks_in_the_query_keep_the_request_url() {
    let url = url::Url::parse(URL).unwrap();
    let key = SigningKey::generate("app", Alg::HS256).unwrap();
    let mut spec = spec(Some(JwtAttack::AlgNone));
    spec.placement = JwtPlacement::Query;
    let minted = mint(&spec, &key, &request(&url), NOW).unwrap();
    assert_eq!(minted.authorization, None);
    assert_eq!(minted.url.path(), url.path());
    let jwt: Vec<String> = minted
        .url
        .query_pairs()
        .filter(|(k, _)| k == "jwt")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(jwt, std::slice::from_ref(&minted.token));
    assert!(minted.token.ends_with('.'));
}

/// Generated keys are shared by the process (`SigningKey::generate_shared`); an
/// attacker's key must still differ from a scenario key of the same name and alg.
#[test]
fn the_attackers_key_is_never_the_scenarios_generated_key() {
    let url = url::Url::parse(URL).unwrap();
    let name = ATTACKER_KEY_NAME.to_string();
    for alg in [Alg::RS256, Alg::ES256, Alg::HS256] {
        let spec_key = KeySpec {
            alg,
            generate: true,
            private_key: None,
            secret: None,
        };
        let ring = KeyRing::from_specs([(&name, &spec_key)]).unwrap();
        let key = ring.get(ATTACKER_KEY_NAME).unwrap();
        let attacked = mint(&spec(Some(JwtAttack::WrongKey)), key, &request(&url), NOW).unwrap();
        let attacked = parse(&attacked.token);
        assert!(
            !verifies(&attacked, key.decoding_key(), algorithm(alg)),
            "{alg}"
        );
    }
}
