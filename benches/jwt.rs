//! JWT costs on the hot path of a load test: the qsh of a request (F-JWT-3),
//! minting a token per request, and verifying one (jsonwebtoken's `decode`, and
//! the mock's Connect filter end to end).
//!
//! `cargo bench --bench jwt -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use indexmap::IndexMap;
use jsonwebtoken::{Validation, decode};
use serde_json::{Value, json};

use tollgate::auth::jwt::{MintRequest, mint, qsh};
use tollgate::auth::keys::{SigningKey, algorithm};
use tollgate::mock::confluence::connect_jwt::{ConnectJwtVerifier, JwtOutcome};
use tollgate::mock::faults::FaultSet;
use tollgate::scenario::mock_config::{ConnectJwtConfig, JwtIssuer};
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

criterion_group!(benches, bench_qsh, bench_mint_and_verify);
criterion_main!(benches);
