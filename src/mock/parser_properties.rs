//! Property tests of every parser of the mock that faces the network (issue 12):
//! Basic, bearer splitting, cookies, `X-Forwarded-For` chains, JWT segments (the
//! Connect filter and the plugin's verifier), form and JSON bodies, the
//! token-auth url-patterns, and whole requests through both servers' routers.
//! Each property is "an answer or an error, never a panic", with a bounded
//! number of cases and bounded input sizes, so they run in seconds.

use std::net::IpAddr;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{EncodingKey, Header};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::auth::jwt::{decode_segment, split};
use crate::auth::keys::SigningKey;
use crate::mock::bearer;
use crate::mock::confluence::client_addr::TrustedProxies;
use crate::mock::confluence::connect_jwt::{ConnectJwtVerifier, JwtOutcome};
use crate::mock::confluence::patterns::{AntPattern, Whitelist, collapse, pattern_matches};
use crate::mock::confluence::request::cookie;
use crate::mock::confluence::seraph::basic::{BasicHeader, parse_basic};
use crate::mock::faults::FaultSet;
use crate::mock::idp::form;
use crate::mock::server::build;
use crate::scenario::mock_config::{ConnectJwtConfig, MockConfig};

/// The Connect issuer's and the plugin key's HS256 secret.
const SECRET: &[u8] = b"a-shared-secret-of-at-least-32-bytes";
/// alice's seeded PAT: base64("000000000101:" + 20 x 0x11).
const PAT: &str = "MDAwMDAwMDAwMTAxOhERERERERERERERERERERERERER";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn headers_with(name: header::HeaderName, value: &[u8]) -> Option<HeaderMap> {
    let value = HeaderValue::from_bytes(value).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert(name, value);
    Some(headers)
}

/// Header-ish text: printable ASCII, spaces and tabs, a few Latin-1 bytes.
fn header_text() -> impl Strategy<Value = String> {
    "[ -~\t\u{a0}-\u{ff}]{0,120}"
}

/// An `Authorization` value in one of the shapes the mock reads, or garbage.
fn authorization() -> impl Strategy<Value = String> {
    let bytes = proptest::collection::vec(any::<u8>(), 0..80);
    prop_oneof![
        header_text(),
        bytes
            .clone()
            .prop_map(|b| format!("Basic {}", STANDARD.encode(b))),
        ("(?i)basic|bearer|jwt", "[ \t]{0,3}", header_text())
            .prop_map(|(scheme, gap, rest)| format!("{scheme}{gap}{rest}")),
        jwt_text().prop_map(|t| format!("Bearer {t}")),
        jwt_text().prop_map(|t| format!("JWT {t}")),
        Just(format!("Bearer {PAT}")),
        Just(format!("Basic {}", STANDARD.encode("alice:alice-pw"))),
    ]
}

/// Text shaped like a JWT: three (or more, or fewer) segments of base64url,
/// JSON or garbage.
fn jwt_text() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        "[A-Za-z0-9_=+/-]{0,40}",
        json_value().prop_map(|v| URL_SAFE_NO_PAD.encode(v.to_string())),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| URL_SAFE_NO_PAD.encode(b)),
    ];
    prop_oneof![
        proptest::collection::vec(segment, 0..5).prop_map(|s| s.join(".")),
        signed_jwt(),
    ]
}

/// An HS256 JWT signed with [`SECRET`] whose claims are arbitrary, so the
/// claim checks after the signature see every type.
fn signed_jwt() -> impl Strategy<Value = String> {
    (
        proptest::collection::btree_map(
            "[a-z]{1,4}|iss|sub|exp|nbf|iat|aud|qsh",
            json_value(),
            0..8,
        ),
        prop_oneof![Just("app".to_owned()), "[a-z]{0,4}"],
    )
        .prop_map(|(claims, iss)| {
            let mut claims: serde_json::Map<String, Value> = claims.into_iter().collect();
            claims.entry("iss").or_insert(Value::String(iss));
            let key = EncodingKey::from_secret(SECRET);
            jsonwebtoken::encode(&Header::default(), &claims, &key).unwrap_or_default()
        })
}

/// JSON of every type, numbers at their extremes included, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[ -~]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-zA-Z]{0,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn basic_decoding_answers_or_refuses(
        value in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..120),
            proptest::collection::vec(any::<u8>(), 0..80)
                .prop_map(|b| format!("Basic {}", STANDARD.encode(b)).into_bytes()),
        ],
        any_case in any::<bool>(),
    ) {
        if let Some(headers) = headers_with(header::AUTHORIZATION, &value) {
            if let BasicHeader::Credentials { user, .. } = parse_basic(&headers, any_case) {
                // Split at the first colon: the user never holds one.
                prop_assert!(!user.contains(':'));
            }
        }
    }

    #[test]
    fn bearer_splitting_answers_or_refuses(value in authorization()) {
        if let Some(headers) = headers_with(header::AUTHORIZATION, value.as_bytes()) {
            if let Some(token) = bearer::strict(&headers) {
                prop_assert!(!token.is_empty() && !token.contains(' '));
            }
        }
        if let Some(token) = bearer::lenient(&value) {
            prop_assert_eq!(token, token.trim());
        }
    }

    #[test]
    fn cookies_answer_or_are_absent(
        value in prop_oneof![
            header_text(),
            proptest::collection::vec(
                ("JSESSIONID|seraph.confluence|crowd.token_key|[a-z]{0,5}", "[ -~]{0,20}"),
                0..6,
            )
            .prop_map(|pairs| pairs
                .into_iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")),
        ],
        name in "JSESSIONID|seraph.confluence|crowd.token_key|[ -~]{0,8}",
    ) {
        if let Some(headers) = headers_with(header::COOKIE, value.as_bytes()) {
            let _ = cookie(&headers, &name);
        }
    }

    #[test]
    fn forwarded_for_chains_name_the_peer_or_one_of_their_hops(
        entries in proptest::collection::vec("[0-9a-f.:*/]{0,20}", 0..5),
        peer in any::<[u8; 4]>(),
        chain in prop_oneof![
            header_text(),
            proptest::collection::vec(
                prop_oneof![
                    any::<[u8; 4]>().prop_map(|o| IpAddr::from(o).to_string()),
                    any::<[u16; 8]>().prop_map(|s| IpAddr::from(s).to_string()),
                    "[0-9a-z.:]{0,12}",
                ],
                0..8,
            )
            .prop_map(|hops| hops.join(", ")),
        ],
    ) {
        let _ = TrustedProxies::parse(&entries);
        let trusted = TrustedProxies::parse(&["127.0.0.0/8".to_owned(), "10.*.*.*".to_owned()])
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for peer in [IpAddr::from(peer), IpAddr::from([127, 0, 0, 1])] {
            let client = trusted.client_address(peer, Some(&chain));
            prop_assert!(client == peer || chain.contains(&client.to_string()));
        }
    }

    #[test]
    fn connect_jwt_reader_answers_or_refuses(
        token in jwt_text(),
        in_query in any::<bool>(),
        query_tail in "[ -~]{0,30}",
        method in "GET|POST|OPTIONS|[A-Z]{0,6}",
        path in "/[ -~]{0,40}",
    ) {
        let _ = split(&token).map(|(header, payload, _)| {
            (decode_segment(header), decode_segment(payload))
        });
        let verifier = connect_verifier();
        let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
        let (query, authorization) = if in_query {
            (format!("jwt={encoded}&{query_tail}"), None)
        } else {
            (query_tail, Some(format!("JWT {token}")))
        };
        let now = 1_700_000_000;
        match verifier.verify(&method, &path, &query, authorization.as_deref(), now) {
            JwtOutcome::Reject { status, .. } => prop_assert!((400..500).contains(&status)),
            JwtOutcome::NoToken | JwtOutcome::User { .. } => {}
        }
    }

    #[test]
    fn idp_form_bodies_answer_or_refuse(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..200),
            proptest::collection::vec(("[ -~]{0,12}", "[ -~]{0,20}"), 0..80).prop_map(|pairs| {
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish()
                    .into_bytes()
            }),
        ],
        content_type in prop_oneof![
            Just(None),
            Just(Some("application/x-www-form-urlencoded; charset=UTF-8".to_owned())),
            header_text().prop_map(Some),
        ],
    ) {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type.and_then(|t| HeaderValue::from_str(&t).ok()) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        let _ = form::parse(&headers, &body);
    }

    #[test]
    fn url_patterns_match_or_not(
        patterns in proptest::collection::vec("[a-zA-Z/*?.]{0,24}", 0..6),
        path in "[a-zA-Z/*?.%]{0,60}",
        case_sensitive in any::<bool>(),
    ) {
        let collapsed = collapse(&path);
        prop_assert!(!collapsed.contains("//"));
        prop_assert_eq!(collapse(&collapsed), collapsed.clone());
        let whitelist = Whitelist::new(&patterns);
        let allowed = whitelist.allows(&path, case_sensitive);
        for pattern in &patterns {
            let matched = pattern_matches(pattern, &path, case_sensitive);
            // A pattern that matches alone lets the path through the list.
            prop_assert!(!matched || allowed || pattern.trim().is_empty());
            let _ = AntPattern::new(pattern).matches(&path);
        }
        prop_assert!(pattern_matches("/*", &path, case_sensitive));
        if !path.contains(['*', '?']) && !collapsed.is_empty() {
            prop_assert!(pattern_matches(&collapsed, &path, false));
        }
    }
}

fn connect_verifier() -> &'static ConnectJwtVerifier {
    static VERIFIER: OnceLock<ConnectJwtVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let config: ConnectJwtConfig = serde_json::from_value(json!({
            "issuers": [{ "iss": "app", "shared_secret": String::from_utf8_lossy(SECRET), "user": "alice" }],
        }))
        .unwrap_or_default();
        match ConnectJwtVerifier::new(&config, &[], &FaultSet::default(), "") {
            Ok(verifier) => verifier,
            Err(e) => panic!("the test's Connect issuer is valid: {e}"),
        }
    })
}

/// The routers of two fully switched-on mocks (one with the REST-auth plugin in
/// JWT mode, one without) and of the IdP, plus the runtime they run on.
struct Servers {
    runtime: tokio::runtime::Runtime,
    with_plugin: axum::Router,
    without_plugin: axum::Router,
    idp: axum::Router,
}

fn servers() -> &'static Servers {
    static SERVERS: OnceLock<Servers> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let confluence = |plugin: Value| {
            json!({
                "anonymous_access": true,
                "users": [
                    { "name": "alice", "password": "alice-pw", "admin": true },
                    { "name": "bob", "password": "bob-pw" },
                ],
                "pats": { "tokens": [{ "user": "alice", "name": "seed", "value": PAT }] },
                "token_auth": { "whitelist": ["/rest/api/space*", "//rest//api/*/x", "/rest/api/content?"] },
                "connect_jwt": { "issuers": [
                    { "iss": "app", "shared_secret": String::from_utf8_lossy(SECRET), "user": "alice" },
                ] },
                "crowd": { "enabled": true, "trusted_proxies": ["127.0.0.1", "10.*.*.*", "192.168.0.0/16"] },
                "rate_limit": { "capacity": 1000000, "fill": 1000000, "interval": "1s", "exempt": ["/rest/api/space/**"] },
                "native_oauth": { "clients": [{ "id": "c", "secret": "s", "redirect_uri": "http://localhost/cb" }] },
                "plugin": plugin,
            })
        };
        let plugin = json!({
            "bearer": { "jwt": { "keys": ["k"], "username_regex": "^(.+)$" } },
            "rate_limit": { "requests": 1000000, "per": "60s" },
            "ip_allow": ["127.0.0.0/8", "10.0.0.0/8"],
            "trusted_proxies": ["127.0.0.1"],
            "restrict_public": ["/rest/api/space"],
        });
        let keys = [SigningKey::from_secret("k", SECRET.to_vec())];
        let built = |confluence: Value| {
            let config: MockConfig = serde_json::from_value(json!({ "confluence": confluence }))
                .unwrap_or_else(|e| panic!("the test's mock block is valid: {e}"));
            build(&config, "http://127.0.0.1:8090", "http://127.0.0.1:9", &keys)
                .unwrap_or_else(|e| panic!("the test's mock starts: {e}"))
        };
        let (with_plugin, idp) = built(confluence(plugin));
        let (without_plugin, _) = built(confluence(Value::Null));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        Servers {
            runtime,
            with_plugin: crate::mock::confluence::router(with_plugin),
            without_plugin: crate::mock::confluence::router(without_plugin),
            idp: crate::mock::idp::router(idp),
        }
    })
}

/// One request through `router`, body read to the end: a panic anywhere fails
/// the property.
fn answer(router: &axum::Router, request: Request<Body>) -> u16 {
    let servers = servers();
    servers.runtime.block_on(async {
        let response = match tower_service::Service::call(&mut router.clone(), request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let _ = axum::body::to_bytes(response.into_body(), 1 << 20).await;
        status
    })
}

const CONFLUENCE_PATHS: &[&str] = &[
    "/rest/api/space",
    "/rest/api/space/TST",
    "/rest/api/content",
    "/rest/api/content/65537",
    "/rest/api/content/65537/child/attachment",
    "/rest/api/user/current",
    "/rest/pat/latest/tokens",
    "/rest/pat/latest/tokens/1",
    "/rest/oauth2/latest/token",
    "/rest/oauth2/latest/authorize",
    "/rest/basicauth/1.0/config",
    "/rest/token-auth/api/space",
    "/dologin.action",
    "/login.action",
    "/logout.action",
    "/__tollgate/clock",
    "/__tollgate/reset",
    "/__tollgate/audit",
];

const IDP_PATHS: &[&str] = &[
    "/token",
    "/introspect",
    "/userinfo",
    "/revoke",
    "/jwks",
    "/crowd/rest/usermanagement/1/session",
    "/crowd/rest/usermanagement/1/session/abc",
];

/// A request body: JSON of every shape (PAT creation and the clock's
/// `advance` among them), a form, or raw bytes.
fn body() -> impl Strategy<Value = (Option<&'static str>, Vec<u8>)> {
    prop_oneof![
        json_value().prop_map(|v| (Some("application/json"), v.to_string().into_bytes())),
        (any::<i64>(), "[ -~]{0,50}").prop_map(|(days, name)| (
            Some("application/json"),
            json!({ "name": name, "expirationDuration": days })
                .to_string()
                .into_bytes(),
        )),
        "[0-9]{0,25}(ns|ms|s|m|h|d|y)?".prop_map(|advance| (
            Some("application/json"),
            json!({ "advance": advance }).to_string().into_bytes(),
        )),
        proptest::collection::vec(("[ -~]{0,12}", "[ -~]{0,20}"), 0..10).prop_map(|pairs| (
            Some("application/x-www-form-urlencoded"),
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
                .into_bytes(),
        )),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| (None, b)),
    ]
}

/// Everything a client chooses about one request.
#[derive(Debug, Clone)]
struct Wire {
    method: Method,
    path: String,
    query: String,
    authorization: Option<String>,
    cookie: Option<String>,
    forwarded_for: Option<String>,
    body: (Option<&'static str>, Vec<u8>),
}

fn wire(paths: &'static [&'static str]) -> impl Strategy<Value = Wire> {
    (
        prop_oneof![
            3 => Just(Method::GET),
            3 => Just(Method::POST),
            1 => Just(Method::PUT),
            1 => Just(Method::DELETE),
            1 => Just(Method::OPTIONS),
        ],
        (
            proptest::sample::select(paths),
            prop_oneof![3 => Just(String::new()), 1 => "(/[a-zA-Z0-9.%*]{0,10}){1,2}"],
        ),
        "([a-zA-Z_]{1,8}=[a-zA-Z0-9%._-]{0,16}&?){0,4}",
        proptest::option::of(authorization()),
        proptest::option::of(
            "(JSESSIONID|seraph.confluence|crowd.token_key|atl_token)=[ -:<-~]{0,30}",
        ),
        proptest::option::of("[0-9a-f.:, ]{0,60}"),
        body(),
    )
        .prop_map(
            |(method, (path, tail), query, authorization, cookie, forwarded_for, body)| Wire {
                method,
                path: format!("{path}{tail}"),
                query,
                authorization,
                cookie,
                forwarded_for,
                body,
            },
        )
}

impl Wire {
    /// The request, or `None` where the HTTP types refuse what the client chose
    /// (hyper would have refused it on the wire too).
    fn request(self, with_jwt_query: Option<String>) -> Option<Request<Body>> {
        let mut query = self.query;
        if let Some(token) = with_jwt_query {
            let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
            query = format!("jwt={token}&{query}");
        }
        let uri = if query.is_empty() {
            self.path
        } else {
            format!("{}?{query}", self.path)
        };
        let mut builder = Request::builder().method(self.method).uri(uri);
        for (name, value) in [
            (header::AUTHORIZATION.as_str(), self.authorization),
            (header::COOKIE.as_str(), self.cookie),
            ("x-forwarded-for", self.forwarded_for),
            (
                header::CONTENT_TYPE.as_str(),
                self.body.0.map(str::to_owned),
            ),
            ("x-atlassian-token", Some("no-check".to_owned())),
        ] {
            if let Some(value) = value {
                builder = builder.header(name, HeaderValue::from_str(&value).ok()?);
            }
        }
        builder.body(Body::from(self.body.1)).ok()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..config() })]

    #[test]
    fn whole_requests_to_confluence_get_an_answer(
        wire in wire(CONFLUENCE_PATHS),
        jwt_query in proptest::option::of(jwt_text()),
        plugin in any::<bool>(),
    ) {
        let servers = servers();
        let router = if plugin { &servers.with_plugin } else { &servers.without_plugin };
        if let Some(request) = wire.request(jwt_query) {
            let status = answer(router, request);
            prop_assert!((100..600).contains(&status));
        }
    }

    #[test]
    fn whole_requests_to_the_idp_get_an_answer(wire in wire(IDP_PATHS)) {
        if let Some(request) = wire.request(None) {
            let status = answer(&servers().idp, request);
            prop_assert!((100..600).contains(&status));
        }
    }
}
