//! Rate limiting on the mock over real HTTP: the Data Center token bucket
//! (F-RATE-1..4) and the REST-auth plugin's per-token limit (F-PLUG-5), each
//! fault flipping its fact, bad input that must not take the server down, and the
//! race: the burst scenario catches `rate_limit_race` at least 19 times in 20.

mod common;

use common::{client, header, raw};

use std::time::Duration;

use base64::Engine;
use futures::future::join_all;
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tollgate::mock::{RunningMock, start};
use tollgate::scenario::mock_config::{Fault, MockConfig};

/// A seeded PAT of alice: base64("000000000101:" + 20 × 0x11).
const PAT: &str = "MDAwMDAwMDAwMTAxOhERERERERERERERERERERERERER";
/// Another of alice's: base64("000000000102:" + 20 × 0x22).
const PAT2: &str = "MDAwMDAwMDAwMTAyOiIiIiIiIiIiIiIiIiIiIiIiIiIi";

const RATE_HEADERS: [&str; 5] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-fillrate",
    "x-ratelimit-interval-seconds",
    "retry-after",
];

/// A running mock and one client for it (a client per request would spend the
/// test's time building TLS configurations).
struct Target {
    mock: RunningMock,
    client: Client,
}

impl std::ops::Deref for Target {
    type Target = RunningMock;

    fn deref(&self) -> &RunningMock {
        &self.mock
    }
}

async fn mock_with(confluence: Value) -> Target {
    let config: MockConfig = serde_json::from_value(json!({ "confluence": confluence })).unwrap();
    Target {
        mock: start(&config).await.unwrap(),
        client: client(),
    }
}

/// Capacity 3, one token a minute: nothing refills while a test runs.
async fn limited(faults: &[Fault]) -> Target {
    let faults: Vec<&str> = faults.iter().map(Fault::name).collect();
    mock_with(json!({
        "rate_limit": { "capacity": 3, "fill": 1, "interval": "60s", "exempt": ["/rest/custom/**"] },
        "faults": faults,
    }))
    .await
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("alice:alice-pw")
    )
}

fn get(mock: &Target, path: &str) -> RequestBuilder {
    mock.client.get(format!("{}{path}", mock.base_url()))
}

fn as_alice(mock: &Target, path: &str) -> RequestBuilder {
    get(mock, path).header("authorization", basic())
}

fn rate_headers(response: &Response) -> Vec<Option<&str>> {
    RATE_HEADERS.iter().map(|h| header(response, h)).collect()
}

fn no_rate_headers(response: &Response) -> bool {
    rate_headers(response).iter().all(Option::is_none)
}

async fn send(request: RequestBuilder) -> Response {
    request.send().await.unwrap()
}

#[tokio::test]
async fn counted_responses_carry_the_five_headers_and_an_empty_bucket_answers_429() {
    let mock = limited(&[]).await;
    // F-RATE-2: a free token after this one: Retry-After 0.
    let r = send(as_alice(&mock, "/rest/api/user/current")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        rate_headers(&r),
        [Some("3"), Some("2"), Some("1"), Some("60"), Some("0")]
    );
    send(as_alice(&mock, "/rest/api/space")).await;
    // The last token: none is free afterwards, so Retry-After names the wait.
    let r = send(as_alice(&mock, "/rest/api/space")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some("0"));
    assert_eq!(header(&r, "retry-after"), Some("60"));
    // F-RATE-3: JSON when asked for JSON.
    let r = send(as_alice(&mock, "/rest/api/space").header("accept", "application/json")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        rate_headers(&r),
        [Some("3"), Some("0"), Some("1"), Some("60"), Some("60")]
    );
    assert!(
        header(&r, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    // … otherwise the container's error page.
    let r = send(as_alice(&mock, "/rest/api/space")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&r, "content-type").unwrap().starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("429"));
}

#[tokio::test]
async fn the_bucket_refills_on_the_mock_clock_up_to_its_capacity() {
    let mock =
        mock_with(json!({ "rate_limit": { "capacity": 20, "fill": 5, "interval": "60s" } })).await;
    for _ in 0..20 {
        assert_eq!(
            send(as_alice(&mock, "/rest/api/space")).await.status(),
            StatusCode::OK
        );
    }
    let r = send(as_alice(&mock, "/rest/api/space")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(&r, "retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    // F-RATE-1: 5 tokens a minute (a long interval: no real time refills here);
    // 10 minutes later the bucket is full again, not fuller.
    mock.state().clock().advance(Duration::from_secs(600));
    let r = send(as_alice(&mock, "/rest/api/space")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some("19"));
    // Through the control endpoint, as `wait:` does it.
    for _ in 0..19 {
        send(as_alice(&mock, "/rest/api/space")).await;
    }
    let clock = mock
        .client
        .post(format!("{}/__tollgate/clock?advance=60s", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), StatusCode::OK);
    let r = send(as_alice(&mock, "/rest/api/space")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some("4"));
}

#[tokio::test]
async fn users_have_their_own_buckets_and_anonymous_is_not_counted() {
    let mock = mock_with(json!({
        "anonymous_access": true,
        "users": [
            { "name": "alice", "password": "alice-pw" },
            { "name": "bob", "password": "bob-pw" },
        ],
        "rate_limit": { "capacity": 1, "fill": 1, "interval": "60s" },
    }))
    .await;
    assert_eq!(
        send(as_alice(&mock, "/rest/api/space")).await.status(),
        StatusCode::OK
    );
    let bob = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("bob:bob-pw")
    );
    let r = send(get(&mock, "/rest/api/space").header("authorization", bob)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some("0"));
    // F-RATE-2: anonymous requests are neither counted nor stamped.
    for _ in 0..5 {
        let r = send(get(&mock, "/rest/api/space")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(no_rate_headers(&r));
    }
}

/// Empties alice's bucket (capacity 3) and returns her session cookie.
async fn drained(mock: &Target) -> String {
    let mut session = String::new();
    for _ in 0..3 {
        let r = send(as_alice(mock, "/rest/api/space")).await;
        assert_eq!(r.status(), StatusCode::OK);
        if let Some(cookie) = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("JSESSIONID="))
        {
            session = cookie.split(';').next().unwrap().to_owned();
        }
    }
    assert_eq!(
        send(as_alice(mock, "/rest/api/space")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    session
}

#[tokio::test]
async fn exempt_requests_pass_an_empty_bucket_without_headers() {
    let mock = limited(&[]).await;
    let session = drained(&mock).await;
    // F-RATE-4: a UI request: no credentials and two of Referer, Origin, the
    // remember-me cookie, JSESSIONID.
    let r = send(
        get(&mock, "/rest/api/space")
            .header("cookie", &session)
            .header("referer", format!("{}/display/TST/Home", mock.base_url())),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(no_rate_headers(&r));
    let r = send(get(&mock, "/rest/api/space").header("cookie", &session)).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one sign is not a UI request"
    );
    // With Basic credentials it is an API request, signs or not.
    let r = send(
        as_alice(&mock, "/rest/api/space")
            .header("referer", "http://x/")
            .header("origin", "http://x"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The mobile app's requests.
    let r = send(as_alice(&mock, "/rest/api/space").header("mobile-app-request", "true")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(no_rate_headers(&r));
    // Exactly /rest/api/content, not its children.
    let r = send(as_alice(&mock, "/rest/api/content")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(no_rate_headers(&r));
    let r = send(as_alice(&mock, "/rest/api/content/65537")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Built-in and configured patterns: not counted whatever the resource answers.
    for path in [
        "/rest/capabilities",
        "/rest/applinks/3.0/status",
        "/rest/token-auth/api/space",
        "/rest/custom/thing",
    ] {
        let r = send(as_alice(&mock, path)).await;
        assert_ne!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(no_rate_headers(&r), "{path}");
    }
}

#[tokio::test]
async fn exempt_urls_under_a_context_path() {
    let mock = mock_with(json!({
        "context_path": "/wiki",
        "rate_limit": { "capacity": 0, "fill": 0, "interval": "1s", "exempt": ["/rest/custom/**"] },
    }))
    .await;
    let r = send(as_alice(&mock, "/rest/api/content")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(as_alice(&mock, "/rest/custom/x")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = send(as_alice(&mock, "/rest/api/space")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn zero_blocks_every_counted_request_and_minus_one_is_unlimited() {
    let mock = mock_with(json!({ "rate_limit": { "capacity": 0, "fill": 0 } })).await;
    let r = send(as_alice(&mock, "/rest/api/user/current")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        rate_headers(&r),
        [Some("0"), Some("0"), Some("0"), Some("1"), Some("1")]
    );
    mock.state().clock().advance(Duration::from_secs(3600));
    let r = send(as_alice(&mock, "/rest/api/user/current")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Anonymous is not counted, so not blocked either.
    assert_eq!(
        send(get(&mock, "/rest/api/user/current")).await.status(),
        StatusCode::OK
    );

    let mock = mock_with(json!({ "rate_limit": { "capacity": -1, "fill": -1 } })).await;
    for _ in 0..30 {
        let r = send(as_alice(&mock, "/rest/api/space")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(no_rate_headers(&r));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_burst_takes_exactly_the_capacity() {
    let mock =
        mock_with(json!({ "rate_limit": { "capacity": 20, "fill": 1, "interval": "60s" } })).await;
    let client = mock.client.clone();
    let burst = (0..40).map(|_| {
        client
            .get(format!("{}/rest/api/space", mock.base_url()))
            .header("authorization", basic())
            .send()
    });
    let statuses: Vec<StatusCode> = join_all(burst)
        .await
        .into_iter()
        .map(|r| r.unwrap().status())
        .collect();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((ok, refused), (20, 20));
}

#[tokio::test]
async fn faults_break_their_facts() {
    // rate_limit_off: never refuses, still stamps.
    let mock = limited(&[Fault::RateLimitOff]).await;
    for _ in 0..5 {
        let r = send(as_alice(&mock, "/rest/api/space")).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(header(&r, "x-ratelimit-limit").is_some());
    }
    // rate_headers_missing: refuses, but stamps nothing.
    let mock = limited(&[Fault::RateHeadersMissing]).await;
    for _ in 0..3 {
        assert!(no_rate_headers(
            &send(as_alice(&mock, "/rest/api/space")).await
        ));
    }
    let r = send(as_alice(&mock, "/rest/api/space")).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(no_rate_headers(&r));
    // rate_counts_exempt: exempt and anonymous requests are counted and stamped.
    let mock = limited(&[Fault::RateCountsExempt]).await;
    let r = send(as_alice(&mock, "/rest/api/content")).await;
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some("2"));
    let r = send(as_alice(&mock, "/rest/api/space").header("mobile-app-request", "1")).await;
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some("1"));
    let r = send(get(&mock, "/rest/api/user/current")).await;
    assert!(header(&r, "x-ratelimit-limit").is_some());
    // The mock's control endpoints never are.
    let r = send(get(&mock, "/__tollgate/clock")).await;
    assert!(no_rate_headers(&r));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_race_fault_lets_a_concurrent_burst_overshoot() {
    let mock = limited(&[Fault::RateLimitRace]).await;
    let client = mock.client.clone();
    let burst = (0..10).map(|_| {
        client
            .get(format!("{}/rest/api/space", mock.base_url()))
            .header("authorization", basic())
            .send()
    });
    let ok = join_all(burst)
        .await
        .into_iter()
        .filter(|r| r.as_ref().unwrap().status() == StatusCode::OK)
        .count();
    assert!(ok > 3, "{ok} passed a bucket of 3");
}

async fn plugin_mock(faults: &[Fault]) -> Target {
    let faults: Vec<&str> = faults.iter().map(Fault::name).collect();
    mock_with(json!({
        "pats": { "tokens": [
            { "user": "alice", "name": "one", "value": PAT },
            { "user": "alice", "name": "two", "value": PAT2 },
        ] },
        "plugin": { "rate_limit": { "requests": 2, "per": "60s" } },
        "faults": faults,
    }))
    .await
}

fn with_pat(mock: &Target, pat: &str) -> RequestBuilder {
    get(mock, "/rest/api/user/current").bearer_auth(pat)
}

#[tokio::test]
async fn the_plugin_limits_each_token_per_window() {
    let mock = plugin_mock(&[]).await;
    for _ in 0..2 {
        let r = send(with_pat(&mock, PAT)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(header(&r, "x-ausername"), Some("alice"));
    }
    // F-PLUG-5: the third in the window is refused, with JSON and Retry-After.
    let r = send(with_pat(&mock, PAT)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(&r, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].is_string());
    // Per token, not per user; passwords are not the plugin's tokens.
    assert_eq!(send(with_pat(&mock, PAT2)).await.status(), StatusCode::OK);
    for _ in 0..4 {
        assert_eq!(
            send(as_alice(&mock, "/rest/api/user/current"))
                .await
                .status(),
            StatusCode::OK
        );
    }
    // The next window.
    mock.state().clock().advance(Duration::from_secs(60));
    assert_eq!(send(with_pat(&mock, PAT)).await.status(), StatusCode::OK);

    let mock = plugin_mock(&[Fault::PluginRateLimitOff]).await;
    for _ in 0..5 {
        assert_eq!(send(with_pat(&mock, PAT)).await.status(), StatusCode::OK);
    }
}

/// Issue 12: the window was keyed on the raw `Authorization` value, so another
/// spelling of the same token (`bEaReR`, extra spaces) or a junk `Authorization`
/// beside a `?jwt=` token started a fresh window every time.
#[tokio::test]
async fn the_spelling_of_the_header_does_not_reset_a_token_s_window() {
    let mock = plugin_mock(&[]).await;
    // Seraph's PAT filter splits at runs of spaces (F-PAT-1): one token.
    for (n, authorization) in [format!("Bearer {PAT}"), format!("Bearer  {PAT}")]
        .iter()
        .enumerate()
    {
        let r =
            send(get(&mock, "/rest/api/user/current").header("authorization", authorization)).await;
        assert_eq!(r.status(), StatusCode::OK, "request {n}");
    }
    let r = send(
        get(&mock, "/rest/api/user/current").header("authorization", format!("Bearer   {PAT} ")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

    // The plugin's own bearer check takes the scheme in any case (RFC 6750).
    let config: MockConfig = serde_json::from_value(json!({ "confluence": { "plugin": {
        "bearer": { "jwt": { "keys": ["idp"] } },
        "rate_limit": { "requests": 2, "per": "60s" },
    } } }))
    .unwrap();
    let running = start(&config).await.unwrap();
    let token = client()
        .post(format!("{}/token", running.idp_url()))
        .basic_auth("tollgate", Some("tollgate-secret"))
        .form(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "alice-pw"),
        ])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mock = Target {
        mock: running,
        client: client(),
    };
    let statuses = join_all(
        ["Bearer", "bEaReR", "BEARER"]
            .map(|scheme| {
                get(&mock, "/rest/api/user/current")
                    .header("authorization", format!("{scheme} {token}"))
            })
            .map(|request| async move { send(request).await.status() }),
    )
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn garbage_headers_never_panic() {
    let mock = mock_with(json!({
        "pats": { "tokens": [{ "user": "alice", "name": "one", "value": PAT }] },
        "plugin": { "rate_limit": { "requests": 1, "per": "60s" } },
        "rate_limit": { "capacity": 1, "fill": 1, "interval": "60s", "exempt": ["", "**", "/**/***/?"] },
    }))
    .await;
    let auth = basic();
    let raw_get = |path: &str, headers: &[&[u8]]| -> Vec<u8> {
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n").into_bytes();
        for h in headers {
            request.extend_from_slice(h);
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"\r\n");
        request
    };
    let basic_header = format!("Authorization: {auth}");
    let pat_header = format!("Authorization: Bearer {PAT}");
    let (basic_header, pat_header) = (basic_header.as_bytes(), pat_header.as_bytes());
    let requests: Vec<Vec<u8>> = vec![
        raw_get(
            "/rest/api/space",
            &[basic_header, b"Referer: \xff", b"Origin: \x01x"],
        ),
        raw_get(
            "/rest/api/space",
            &[
                b"Cookie: JSESSIONID=\xff\xfe; seraph.confluence=",
                b"Referer: x",
            ],
        ),
        raw_get(
            "/rest/api/space",
            &[b"Authorization: \xff\xfe", b"mobile-app-request: \xff"],
        ),
        raw_get("/rest/api/space", &[b"Authorization: Bearer"]),
        raw_get("/rest/api/user/current?jwt=%ff", &[pat_header]),
        raw_get("/rest/api/user/current", &[pat_header]),
        raw_get("/../../..//rest//./applinks/../../x", &[basic_header]),
        raw_get("/rest/applinks/../api/space", &[basic_header]),
        raw_get("/rest/api/space", &[basic_header, b"Accept: \xff"]),
        raw_get("/rest/api/space", &[basic_header]),
    ];
    for request in requests {
        let status = raw(mock.local_addr(), request).await;
        assert!(status.is_some(), "the server answered");
    }
    // Still serving.
    let r = send(get(&mock, "/rest/api/user/current")).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Runs the burst scenario (RATE-001) `runs` times, one after the other (one
/// suite of `runs` copies with one job: the runner's clients are built once),
/// each on a fresh mock with `faults`, and counts the runs that did not pass.
async fn burst_failures(faults: &[Fault], runs: usize) -> usize {
    let mut scenario =
        tollgate::scenario::load_file(std::path::Path::new("scenarios/rate-limit/burst.yaml"))
            .unwrap_or_else(|d| panic!("the burst scenario loads: {d:?}"));
    scenario.mock.confluence.faults = faults.to_vec();
    let options = tollgate::run::RunOptions {
        jobs: 1,
        ..Default::default()
    };
    let report = tollgate::run::run_suite(vec![scenario; runs], &options, |_| {})
        .await
        .expect("the suite runs");
    assert_eq!(report.scenarios.len(), runs);
    report
        .scenarios
        .iter()
        .filter(|s| {
            matches!(
                s.outcome,
                tollgate::report::model::Outcome::Fail | tollgate::report::model::Outcome::Error
            )
        })
        .count()
}

/// F-RATE-1: the check and the decrement are one critical section. The burst
/// scenario passes 20 times in 20 on the clean mock and catches the
/// check-then-decrement race at least 19 times in 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_burst_scenario_catches_the_race_at_least_19_times_in_20() {
    assert_eq!(
        burst_failures(&[], 20).await,
        0,
        "the clean mock fails the burst"
    );
    let caught = burst_failures(&[Fault::RateLimitRace], 20).await;
    eprintln!("rate_limit_race caught in {caught} of 20 runs");
    assert!(
        caught >= 19,
        "rate_limit_race caught in only {caught} of 20 runs"
    );
}
