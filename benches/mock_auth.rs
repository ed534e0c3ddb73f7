//! What one request costs the mock Confluence, per way of authenticating, over
//! loopback with one reqwest client: `GET /rest/api/space` anonymously, with
//! Basic, with a PAT and with a session cookie, beside the same client against a
//! bare axum route (`loopback_floor`). The difference to the floor is the
//! mock's own code: its layers, the authenticator and the resource.
//!
//! Client and servers share one current-thread runtime, so a request costs its
//! CPU time and no cross-thread wake-ups: the figures are steadier than a
//! multi-threaded round trip, and sum client, server and loopback.
//!
//! Anonymous access is on so every kind gets the same 200 and the same body;
//! only the authentication differs. A Basic login opens a session each time
//! (F-BASIC-7), so that bench also runs with the session store full, as a load
//! test does after its first 10 000 requests.
//!
//! `cargo bench --bench mock_auth` (about a minute); one kind:
//! `cargo bench --bench mock_auth -- basic`

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use base64::Engine;
use criterion::{Criterion, criterion_group, criterion_main};
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::json;
use tokio::runtime::Runtime;

use tollgate::mock::{RunningMock, start};
use tollgate::scenario::mock_config::MockConfig;

/// A PAT seed in the shape the mock parses (id 101, a fixed secret), as in
/// `scenarios/pat/dead-tokens-anonymous.yaml`.
const PAT: &str = "MDAwMDAwMDAwMTAxOhERERERERERERERERERERERERER";

/// What a kind of request adds: one header, or nothing.
type Header = (HeaderName, HeaderValue);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn client() -> Client {
    // No pool limit or proxy surprises: one keep-alive connection, reused.
    Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a reqwest client")
}

async fn mock() -> RunningMock {
    let config: MockConfig = serde_json::from_value(json!({
        "confluence": {
            "anonymous_access": true,
            "pats": { "tokens": [{ "user": "alice", "name": "bench", "value": PAT }] },
        }
    }))
    .expect("a valid mock configuration");
    start(&config).await.expect("the mock starts")
}

/// The same client against a route that does nothing: reqwest, hyper and
/// loopback, which every mock figure includes too.
async fn bare_route() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    let app = Router::new().route(
        "/rest/api/space",
        get(|| async { ([("content-type", "application/json;charset=UTF-8")], "{}") }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/rest/api/space"), task)
}

/// A session id from one Basic login, for the cookie bench.
async fn session_cookie(client: &Client, url: &str, basic: &HeaderValue) -> HeaderValue {
    let response = client
        .get(url)
        .header(AUTHORIZATION, basic.clone())
        .send()
        .await
        .expect("the login answers");
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a Basic login sets JSESSIONID");
    let pair = set_cookie.split(';').next().unwrap_or_default();
    HeaderValue::from_str(pair).expect("a cookie pair is a header value")
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let client = client();
    let mock = rt.block_on(mock());
    let url = format!("{}/rest/api/space", mock.base_url());
    let (floor_url, floor_task) = rt.block_on(bare_route());
    let basic = HeaderValue::from_str(&format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:alice-pw")
    ))
    .expect("a header value");
    let bearer = HeaderValue::from_str(&format!("Bearer {PAT}")).expect("a header value");
    // Logged in last, just before its bench: the Basic bench fills the session
    // store, and a full store evicts its oldest session.
    let kinds: [(&str, &str, Option<Header>); 5] = [
        ("loopback_floor", &floor_url, None),
        ("anonymous", &url, None),
        ("basic", &url, Some((AUTHORIZATION, basic.clone()))),
        ("pat", &url, Some((AUTHORIZATION, bearer))),
        ("session_cookie", &url, None),
    ];
    let mut group = c.benchmark_group("mock_auth");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    for (name, url, mut header) in kinds {
        if name == "session_cookie" {
            header = Some((COOKIE, rt.block_on(session_cookie(&client, url, &basic))));
        }
        group.bench_function(name, |b| {
            // The whole batch in one `block_on`, so the servers' tasks run in
            // between the client's steps on this one thread.
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let started = Instant::now();
                    for _ in 0..iters {
                        let mut request = client.get(url);
                        if let Some((name, value)) = &header {
                            request = request.header(name, value.clone());
                        }
                        let response = request.send().await.expect("the mock answers");
                        assert_eq!(response.status(), StatusCode::OK, "{name}");
                        let _ = response.bytes().await.expect("a body");
                    }
                    started.elapsed()
                })
            })
        });
    }
    group.finish();
    floor_task.abort();
    rt.block_on(mock.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
