//! The Connect filter against every canonical attack token, clean and under
//! each fault (F-JWT-*), plus its configuration errors.

use super::issuers::ConnectJwtError;
use super::verifier::{ConnectJwtVerifier, JwtOutcome, UNKNOWN_ISSUER_MESSAGE};
use crate::auth::jwt::attack::UNKNOWN_ISSUER;
use crate::auth::jwt::{MintRequest, Minted, mint};
use crate::auth::keys::SigningKey;
use crate::mock::faults::FaultSet;
use crate::scenario::mock_config::JwtIssuer;
use crate::scenario::mock_config::{ConnectJwtConfig, Fault};
use crate::scenario::model::Alg;
use crate::scenario::model::{JwtAttack, JwtAuth, JwtMint, JwtPlacement};
use indexmap::IndexMap;
use serde_json::{Value, json};
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
                impersonation: false,
            },
            JwtIssuer {
                iss: "rs-app".into(),
                shared_secret: None,
                public_key: Some("rs".into()),
                user: Some("bob".into()),
                impersonation: false,
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
        mint: JwtMint::PerRequest,
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
fn valid_hs256_and_rs256_tokens_with_qsh_act_as_their_apps_user() {
    let world = world();
    let verifier = world.verifier(&[]);
    let hs = minted(&spec(Alg::HS256, None), &world.hs, "GET").unwrap();
    assert_eq!(send(&verifier, &hs, NOW), user("alice"));
    let mut rs_spec = spec(Alg::RS256, None);
    rs_spec.claims.insert("sub".into(), json!("carol"));
    let rs = minted(&rs_spec, &world.rs, "GET").unwrap();
    // Without impersonation `sub` is ignored (F-JWT-2).
    assert_eq!(send(&verifier, &rs, NOW), user("bob"));
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
        let error: ConnectJwtError =
            ConnectJwtVerifier::new(&config, keys, &FaultSet::default(), "").unwrap_err();
        error.to_string()
    };
    let issuer = |secret: Option<&str>, key: Option<&str>| JwtIssuer {
        iss: "x".into(),
        shared_secret: secret.map(String::from),
        public_key: key.map(String::from),
        user: None,
        impersonation: false,
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

/// An HS256 token of `hs-app` (user alice) with this `sub`.
fn with_sub(world: &World, sub: Value) -> Minted {
    let mut spec = spec(Alg::HS256, None);
    spec.claims.insert("sub".into(), sub);
    minted(&spec, &world.hs, "GET").unwrap()
}

#[test]
fn sub_names_the_user_only_with_impersonation() {
    let mut world = world();
    let bob = with_sub(&world, json!("bob"));
    assert_eq!(send(&world.verifier(&[]), &bob, NOW), user("alice"));
    assert_eq!(
        send(
            &world.verifier(&[Fault::ConnectImpersonationOpen]),
            &bob,
            NOW
        ),
        user("bob")
    );
    world.config.issuers[0].impersonation = true;
    assert_eq!(send(&world.verifier(&[]), &bob, NOW), user("bob"));
    // Per issuer: the other app still acts as its own user.
    let mut rs_spec = spec(Alg::RS256, None);
    rs_spec.claims.insert("sub".into(), json!("carol"));
    let rs = minted(&rs_spec, &world.rs, "GET").unwrap();
    assert_eq!(send(&world.verifier(&[]), &rs, NOW), user("bob"));
    // The global switch covers every issuer.
    world.config.issuers[0].impersonation = false;
    world.config.impersonation = true;
    assert_eq!(send(&world.verifier(&[]), &rs, NOW), user("carol"));
}

#[test]
fn an_empty_sub_is_400_and_a_sub_that_is_no_string_is_unparsable() {
    let mut world = world();
    for impersonation in [false, true] {
        world.config.impersonation = impersonation;
        let verifier = world.verifier(&[]);
        let empty = send(&verifier, &with_sub(&world, json!("")), NOW);
        assert!(
            matches!(&empty, JwtOutcome::Reject { status: 400, message } if message.contains("disallowed to impersonate")),
            "{empty:?}"
        );
        assert_eq!(
            status(&send(&verifier, &with_sub(&world, json!(7)), NOW)),
            400
        );
        assert_eq!(
            send(&verifier, &with_sub(&world, Value::Null), NOW),
            user("alice")
        );
    }
}
