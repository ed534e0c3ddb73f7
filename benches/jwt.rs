//! JWT costs on the hot path of a load test: the qsh of a request (F-JWT-3),
//! minting a token per request, and verifying one (jsonwebtoken's `decode`, and
//! the mock's Connect filter end to end). For the REST-auth plugin's RS256 and
//! ES256 keys: `verify/ALG` is jsonwebtoken's `decode`, which has aws-lc parse
//! the public key on every call (what the plugin did per request),
//! `verify_parsed/ALG` the key parsed once (what it does now), and
//! `plugin_verify/ALG` the plugin's whole check of a bearer JWT. `public_key/…`
//! isolates the change in aws-lc alone: a key parsed on every verify (a PEM's
//! DER, or a JWK's modulus and exponent as from the IdP's JWKS) against one
//! parsed once.
//!
//! `cargo bench --bench jwt -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use indexmap::IndexMap;
use jsonwebtoken::{Validation, decode};
use serde_json::{Value, json};

use tollgate::auth::jwt::{MintRequest, mint, qsh};
use tollgate::auth::keys::{SigningKey, algorithm};
use tollgate::mock::clock::Clock;
use tollgate::mock::confluence::connect_jwt::{ConnectJwtVerifier, JwtOutcome};
use tollgate::mock::confluence::jwt_key::VerifyingKey;
use tollgate::mock::confluence::plugin_bearer::{BearerOutcome, IdpEndpoint, PluginBearerVerifier};
use tollgate::mock::faults::FaultSet;
use tollgate::scenario::mock_config::{
    ConnectJwtConfig, JwtIssuer, PluginBearer, PluginClientAuth, PluginConfig, PluginJwt,
};
use tollgate::scenario::model::{Alg, JwtAuth, JwtMint, JwtPlacement};

const URL: &str = "http://127.0.0.1:8090/wiki/rest/api/content/12345/child/page?expand=body.storage,version&limit=25&start=0";
const NOW: u64 = 1_700_000_000;
const SECRET: &str = "a-shared-secret-of-thirty-two-by";

fn spec() -> JwtAuth {
    JwtAuth {
        key: "app".into(),
        claims: IndexMap::from([
            ("iss".to_string(), json!("app")),
            ("iat".to_string(), json!("now")),
            ("exp".to_string(), json!("now+3m")),
        ]),
        header: IndexMap::new(),
        qsh: true,
        placement: JwtPlacement::Header,
        scheme: Some("JWT".into()),
        attack: None,
        mint: JwtMint::PerRequest,
    }
}

fn key(alg: Alg) -> SigningKey {
    match alg {
        Alg::HS256 => SigningKey::from_secret("app", SECRET.as_bytes().to_vec()),
        _ => SigningKey::generate("app", alg).expect("a key"),
    }
}

fn bench_qsh(c: &mut Criterion) {
    let url = url::Url::parse(URL).unwrap();
    let (path, query) = (url.path().to_string(), url.query().unwrap().to_string());
    c.bench_function("qsh/typical", |b| {
        b.iter(|| {
            qsh::qsh(
                black_box("GET"),
                black_box(&path),
                black_box(&query),
                "/wiki",
            )
        })
    });
}

fn bench_mint_and_verify(c: &mut Criterion) {
    let url = url::Url::parse(URL).unwrap();
    let request = MintRequest {
        method: "GET",
        url: &url,
        context_path: "/wiki",
    };
    let spec = spec();
    for alg in [Alg::HS256, Alg::RS256, Alg::ES256] {
        let key = key(alg);
        c.bench_function(&format!("mint/{alg}"), |b| {
            b.iter(|| mint(black_box(&spec), &key, &request, NOW).unwrap())
        });
        let token = mint(&spec, &key, &request, NOW).unwrap().token;
        let mut validation = Validation::new(algorithm(alg));
        validation.validate_exp = false;
        validation.validate_aud = false;
        c.bench_function(&format!("verify/{alg}"), |b| {
            b.iter(|| decode::<Value>(black_box(&token), key.decoding_key(), &validation).unwrap())
        });
        if alg == Alg::ES256 {
            continue; // Connect verifies HS256 and RS256 only (F-JWT-1).
        }
        let issuer = JwtIssuer {
            iss: "app".into(),
            shared_secret: (alg == Alg::HS256).then(|| SECRET.to_string()),
            public_key: (alg == Alg::RS256).then(|| "app".to_string()),
            user: Some("alice".into()),
            impersonation: false,
        };
        let config = ConnectJwtConfig {
            issuers: vec![issuer],
            ..ConnectJwtConfig::default()
        };
        let verifier = ConnectJwtVerifier::new(
            &config,
            std::slice::from_ref(&key),
            &FaultSet::default(),
            "/wiki",
        )
        .unwrap();
        let authorization = format!("JWT {token}");
        let query = url.query().unwrap();
        c.bench_function(&format!("connect_verify/{alg}"), |b| {
            b.iter(|| {
                let outcome = verifier.verify(
                    "GET",
                    url.path(),
                    query,
                    Some(black_box(&authorization)),
                    NOW,
                );
                assert!(matches!(outcome, JwtOutcome::User { .. }));
            })
        });
    }
}

/// The plugin's bearer check with the scenario's key `app` (no IdP involved).
fn plugin(key: &SigningKey) -> PluginBearerVerifier {
    let config = PluginConfig {
        bearer: PluginBearer {
            jwt: Some(PluginJwt {
                keys: vec!["app".into()],
                ..PluginJwt::default()
            }),
            ..PluginBearer::default()
        },
        ..PluginConfig::default()
    };
    let idp = IdpEndpoint {
        url: "http://127.0.0.1:9".into(),
        client_id: String::new(),
        client_secret: String::new(),
        client_auth: PluginClientAuth::default(),
    };
    PluginBearerVerifier::new(
        &config,
        idp,
        std::slice::from_ref(key),
        FaultSet::default(),
        Clock::new(),
    )
    .unwrap()
}

fn bench_plugin_verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({ "sub": "alice", "exp": now + 3600 });
    for alg in [Alg::RS256, Alg::ES256] {
        let key = key(alg);
        let jwt_alg = algorithm(alg);
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jwt_alg),
            &claims,
            key.encoding_key(),
        )
        .unwrap();
        let parsed = VerifyingKey::new(jwt_alg, key.decoding_key()).unwrap();
        c.bench_function(&format!("verify_parsed/{alg}"), |b| {
            b.iter(|| parsed.claims(black_box(&token), jwt_alg).unwrap())
        });
        let plugin = plugin(&key);
        let authorization = format!("Bearer {token}");
        c.bench_function(&format!("plugin_verify/{alg}"), |b| {
            b.iter(|| {
                let outcome = runtime.block_on(plugin.verify(Some(black_box(&authorization))));
                assert!(matches!(outcome, BearerOutcome::User { .. }), "{outcome:?}");
            })
        });
    }
}

/// aws-lc alone: what jsonwebtoken does per verify (parse the key, verify)
/// against a key parsed once.
fn bench_public_key(c: &mut Criterion) {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256,
        RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm,
    };
    use base64::Engine;
    use jsonwebtoken::DecodingKeyKind;
    use jsonwebtoken::jwk::Jwk;

    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for alg in [Alg::RS256, Alg::ES256] {
        let key = key(alg);
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(algorithm(alg)),
            &json!({ "sub": "alice" }),
            key.encoding_key(),
        )
        .unwrap();
        let (message, signature) = token.rsplit_once('.').unwrap();
        let signature = b64.decode(signature).unwrap();
        let DecodingKeyKind::SecretOrDer(der) = key.decoding_key().kind() else {
            unreachable!("a PEM key is DER")
        };
        let verification: &'static dyn VerificationAlgorithm = match alg {
            Alg::RS256 => &RSA_PKCS1_2048_8192_SHA256,
            _ => &ECDSA_P256_SHA256_FIXED,
        };
        c.bench_function(&format!("public_key/parse_and_verify/{alg}"), |b| {
            b.iter(|| {
                UnparsedPublicKey::new(verification, black_box(der))
                    .verify(message.as_bytes(), &signature)
                    .unwrap()
            })
        });
        let parsed = ParsedPublicKey::new(verification, der).unwrap();
        c.bench_function(&format!("public_key/verify_parsed/{alg}"), |b| {
            b.iter(|| {
                parsed
                    .verify_sig(black_box(message.as_bytes()), &signature)
                    .unwrap()
            })
        });
        if alg == Alg::RS256 {
            let set = serde_json::to_value(tollgate::auth::keys::jwks([&key])).unwrap();
            let jwk: Jwk = serde_json::from_value(set["keys"][0].clone()).unwrap();
            let from_jwk = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
            let DecodingKeyKind::RsaModulusExponent { n, e } = from_jwk.kind() else {
                unreachable!("an RSA JWK is n and e")
            };
            c.bench_function("public_key/jwk_parse_and_verify/RS256", |b| {
                b.iter(|| {
                    RsaPublicKeyComponents { n, e }
                        .verify(
                            &RSA_PKCS1_2048_8192_SHA256,
                            black_box(message.as_bytes()),
                            &signature,
                        )
                        .unwrap()
                })
            });
        }
    }
}

criterion_group!(
    benches,
    bench_qsh,
    bench_mint_and_verify,
    bench_plugin_verify,
    bench_public_key
);
criterion_main!(benches);
