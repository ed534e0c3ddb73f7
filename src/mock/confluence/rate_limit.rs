//! Data Center rate limiting (F-RATE-1..4): a token bucket per user.
//!
//! The stage ([`count`], [`stamp`]) runs right after [`super::seraph::authenticate`] (emulator.md:
//! "authenticate → rate limit → authorize"), so it knows the [`Caller`]. Each
//! user has a bucket of `capacity` tokens ("max requests") that gains `fill`
//! tokens every whole `interval` (F-RATE-1). Refill is computed lazily from the
//! mock's clock when the bucket is next touched: there is no background task, and
//! `/__tollgate/clock` (or `wait:`) refills without real sleeping. `-1/-1` (any
//! negative value) is unlimited: nothing is counted and no header is sent; `0/0`
//! refuses every counted request.
//!
//! Atomicity: one `Mutex<Buckets>` per instance; refill, check and decrement
//! happen in one critical section ([`RateLimiter::take`]), so N concurrent
//! requests against C tokens let exactly C through. The `rate_limit_race` fault
//! splits that section in two with an await between them.
//!
//! Counted responses carry the F-RATE-2 headers; an empty bucket answers `429`
//! (F-RATE-3). Anonymous requests, UI requests, `mobile-app-request` requests and
//! exempt URL patterns are not counted (F-RATE-2, F-RATE-4). Buckets are capped
//! at [`MAX_BUCKETS`]: beyond that the least recently used one goes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::seraph::{REMEMBER_ME_COOKIE, SESSION_COOKIE};
use super::{Caller, State, html, json, lock, request};
use crate::scenario::mock_config::{Fault, RateLimitConfig};

/// The most buckets one instance keeps (one per user).
pub const MAX_BUCKETS: usize = 10_000;

/// How long the `rate_limit_race` fault waits between check and decrement: long
/// enough that the requests of a concurrent burst all read the bucket before any
/// of them takes its token.
const RACE_WINDOW: Duration = Duration::from_millis(10);

pub const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const X_RATELIMIT_FILLRATE: HeaderName = HeaderName::from_static("x-ratelimit-fillrate");
pub const X_RATELIMIT_INTERVAL_SECONDS: HeaderName =
    HeaderName::from_static("x-ratelimit-interval-seconds");
/// F-RATE-4: the mobile app's requests are not counted.
pub const MOBILE_APP_REQUEST: HeaderName = HeaderName::from_static("mobile-app-request");

/// F-RATE-4: URL patterns that are never counted, whatever the admin configured.
pub const BUILT_IN_EXEMPT: &[&str] = &[
    "/**/rest/applinks/**",
    "/**/rest/capabilities",
    "/**/rest/api/content",
    "/**/rest/token-auth/api/**",
];

/// A bucket's shape (F-RATE-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// `-1/-1`: nothing is counted.
    Unlimited,
    Bucket {
        capacity: u64,
        fill: u64,
        /// Never zero (a zero interval reads as one second).
        interval: Duration,
    },
}

impl Policy {
    /// Any negative capacity or fill means unlimited (Confluence writes `-1/-1`).
    pub fn of(config: &RateLimitConfig) -> Self {
        match (u64::try_from(config.capacity), u64::try_from(config.fill)) {
            (Ok(capacity), Ok(fill)) => {
                let interval = config.interval.get();
                Policy::Bucket {
                    capacity,
                    fill,
                    interval: if interval.is_zero() {
                        Duration::from_secs(1)
                    } else {
                        interval
                    },
                }
            }
            _ => Policy::Unlimited,
        }
    }
}

/// One user's bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: u64,
    /// The start of the current refill interval: tokens arrive at
    /// `anchor + k × interval`.
    anchor: Instant,
    last_seen: Instant,
}

/// What the limiter decided for one counted request; the F-RATE-2 headers are
/// made from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Tokens left after this request.
    pub remaining: u64,
    /// Seconds until the next token; 0 if one is free now (F-RATE-2).
    pub retry_after: u64,
}

/// The limiter of one instance: the policy, the exempt patterns and the buckets.
#[derive(Debug)]
pub struct RateLimiter {
    policy: Policy,
    exempt: Vec<AntPattern>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `None` when the config has no `rate_limit:` (rate limiting off).
    pub fn new(config: Option<&RateLimitConfig>) -> Option<Self> {
        let config = config?;
        let exempt = BUILT_IN_EXEMPT
            .iter()
            .copied()
            .chain(config.exempt.iter().map(String::as_str))
            .map(AntPattern::new)
            .collect();
        Some(Self {
            policy: Policy::of(config),
            exempt,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Forgets every bucket (`/__tollgate/reset`).
    pub fn clear(&self) {
        lock(&self.buckets).clear();
    }

    /// How many buckets are kept (for tests of the cap).
    pub fn len(&self) -> usize {
        lock(&self.buckets).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `path` (the full path, or the path below the context path) matches
    /// an exempt pattern (F-RATE-4).
    pub fn is_exempt_path(&self, full: &str, relative: &str) -> bool {
        self.exempt
            .iter()
            .any(|p| p.matches(full) || p.matches(relative))
    }

    /// Refill, check and decrement in one critical section (F-RATE-1).
    pub fn take(&self, key: &str, now: Instant) -> Decision {
        let Policy::Bucket {
            capacity,
            fill,
            interval,
        } = self.policy
        else {
            return Decision {
                allowed: true,
                remaining: 0,
                retry_after: 0,
            };
        };
        let mut buckets = lock(&self.buckets);
        let bucket = bucket(&mut buckets, key, capacity, now);
        refill(bucket, capacity, fill, interval, now);
        let allowed = bucket.tokens > 0;
        if allowed {
            bucket.tokens -= 1;
        }
        decision(bucket, allowed, fill, interval, now)
    }

    /// The `rate_limit_race` fault: check under the lock, release it, wait, then
    /// decrement under the lock again; requests that read the bucket in between
    /// all see the same token (breaks F-RATE-1).
    async fn take_racy(&self, key: &str, clock: &crate::mock::clock::Clock) -> Decision {
        let Policy::Bucket {
            capacity,
            fill,
            interval,
        } = self.policy
        else {
            return self.take(key, clock.now());
        };
        let seen = {
            let now = clock.now();
            let mut buckets = lock(&self.buckets);
            let bucket = bucket(&mut buckets, key, capacity, now);
            refill(bucket, capacity, fill, interval, now);
            bucket.tokens
        };
        tokio::task::yield_now().await;
        tokio::time::sleep(RACE_WINDOW).await;
        let now = clock.now();
        let mut buckets = lock(&self.buckets);
        let bucket = bucket(&mut buckets, key, capacity, now);
        refill(bucket, capacity, fill, interval, now);
        let allowed = seen > 0;
        if allowed {
            bucket.tokens = bucket.tokens.saturating_sub(1);
        }
        decision(bucket, allowed, fill, interval, now)
    }
}

/// The bucket for `key`, made full if new; evicts the least recently used bucket
/// when the map is at [`MAX_BUCKETS`].
fn bucket<'a>(
    buckets: &'a mut HashMap<String, Bucket>,
    key: &str,
    capacity: u64,
    now: Instant,
) -> &'a mut Bucket {
    if !buckets.contains_key(key) && buckets.len() >= MAX_BUCKETS {
        let oldest = buckets
            .iter()
            .min_by_key(|(_, b)| b.last_seen)
            .map(|(k, _)| k.clone());
        if let Some(oldest) = oldest {
            buckets.remove(&oldest);
        }
    }
    let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
        tokens: capacity,
        anchor: now,
        last_seen: now,
    });
    bucket.last_seen = now;
    bucket
}

/// Adds `fill` tokens for every whole `interval` since the anchor, up to
/// `capacity` (F-RATE-1), and moves the anchor by those intervals.
fn refill(bucket: &mut Bucket, capacity: u64, fill: u64, interval: Duration, now: Instant) {
    let elapsed = now.saturating_duration_since(bucket.anchor).as_nanos();
    let step = interval.as_nanos().max(1);
    let intervals = elapsed / step;
    if intervals == 0 {
        return;
    }
    let added = u64::try_from(intervals)
        .unwrap_or(u64::MAX)
        .saturating_mul(fill);
    bucket.tokens = bucket.tokens.saturating_add(added).min(capacity);
    let moved = u64::try_from(intervals.saturating_mul(step)).unwrap_or(u64::MAX);
    bucket.anchor = bucket
        .anchor
        .checked_add(Duration::from_nanos(moved))
        .unwrap_or(now);
}

fn decision(
    bucket: &Bucket,
    allowed: bool,
    fill: u64,
    interval: Duration,
    now: Instant,
) -> Decision {
    let retry_after = if bucket.tokens > 0 {
        0
    } else if fill == 0 {
        // Never refills (e.g. 0/0): the interval is as good an answer as any.
        ceil_secs(interval).max(1)
    } else {
        let next = bucket.anchor.checked_add(interval).unwrap_or(now);
        ceil_secs(next.saturating_duration_since(now)).max(1)
    };
    Decision {
        allowed,
        remaining: bucket.tokens,
        retry_after,
    }
}

/// Whole seconds, rounded up.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// What the stage decided for one counted request: whether to refuse it, and the
/// F-RATE-2 headers [`stamp`] puts on the answer.
#[derive(Clone, Copy, Debug)]
pub struct Counted(Decision);

/// The stage (after authenticate, before authorize): counts the request in its
/// user's bucket; `None` when it is not counted (no limiter, unlimited, or a
/// request F-RATE-2/4 leave out). The request is read before the future starts,
/// so the future does not hold it (the `rate_limit_race` fault waits in there).
pub fn count<'a>(
    state: &'a State,
    req: &Request,
) -> impl Future<Output = Option<Counted>> + Send + 'a {
    let counted = state.rate_limit.as_ref().and_then(|limiter| {
        if limiter.policy() == Policy::Unlimited {
            return None;
        }
        let key = counted_key(state, limiter, req)?;
        Some((limiter, key))
    });
    async move {
        let (limiter, key) = counted?;
        let decision = if state.faults.has(Fault::RateLimitRace) {
            // Boxed: only the fault waits, and its timer need not widen every
            // request's future.
            Box::pin(limiter.take_racy(&key, state.clock())).await
        } else {
            limiter.take(&key, state.clock().now())
        };
        Some(Counted(decision))
    }
}

impl Counted {
    /// F-RATE-3: `429` when the bucket was empty (never with the `rate_limit_off`
    /// fault).
    pub fn refusal(&self, state: &State, req: &Request) -> Option<Response> {
        (!self.0.allowed && !state.faults.has(Fault::RateLimitOff))
            .then(|| too_many_requests(req.headers()))
    }
}

/// Stamps the F-RATE-2 headers on every counted response, refusals included.
pub fn stamp(state: &State, Counted(decision): Counted, response: &mut Response) {
    let Some(Policy::Bucket {
        capacity,
        fill,
        interval,
    }) = state.rate_limit.as_ref().map(RateLimiter::policy)
    else {
        return;
    };
    if !state.faults.has(Fault::RateHeadersMissing) {
        let headers = response.headers_mut();
        headers.insert(X_RATELIMIT_LIMIT, HeaderValue::from(capacity));
        headers.insert(X_RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
        headers.insert(X_RATELIMIT_FILLRATE, HeaderValue::from(fill));
        headers.insert(
            X_RATELIMIT_INTERVAL_SECONDS,
            HeaderValue::from(ceil_secs(interval)),
        );
        headers.insert(header::RETRY_AFTER, HeaderValue::from(decision.retry_after));
    }
}

/// Whose bucket the request counts in, or `None` when it is not counted:
/// anonymous (F-RATE-2), UI, mobile-app and exempt-URL requests (F-RATE-4).
/// The `rate_counts_exempt` fault counts them all (anonymous callers share one
/// bucket).
fn counted_key(state: &State, limiter: &RateLimiter, req: &Request) -> Option<String> {
    let user = match req.extensions().get::<Caller>() {
        Some(Caller::User(name)) => Some(name.clone()),
        _ => None,
    };
    let path = req.uri().path();
    let relative = state.relative(path);
    // The mock's own control endpoints are no part of the emulated instance.
    if relative.starts_with("/__tollgate/") {
        return None;
    }
    if state.faults.has(Fault::RateCountsExempt) {
        return Some(user.unwrap_or_default());
    }
    let user = user?;
    let exempt = is_ui_request(req.headers())
        || req.headers().contains_key(MOBILE_APP_REQUEST)
        || limiter.is_exempt_path(path, relative);
    (!exempt).then_some(user)
}

/// F-RATE-4: a "UI request" carries no Basic, Bearer or OAuth credentials and at
/// least two of Referer, Origin, the `seraph.confluence` cookie and the
/// `JSESSIONID` cookie.
pub fn is_ui_request(headers: &HeaderMap) -> bool {
    let has_credentials = headers.get_all(header::AUTHORIZATION).iter().any(|v| {
        let scheme = v
            .as_bytes()
            .split(|b| b.is_ascii_whitespace())
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        [&b"basic"[..], b"bearer", b"oauth"]
            .iter()
            .any(|s| scheme.eq_ignore_ascii_case(s))
    });
    if has_credentials {
        return false;
    }
    let signs = [
        headers.contains_key(header::REFERER),
        headers.contains_key(header::ORIGIN),
        request::cookie(headers, REMEMBER_ME_COOKIE).is_some(),
        request::cookie(headers, SESSION_COOKIE).is_some(),
    ];
    signs.iter().filter(|&&s| s).count() >= 2
}

/// F-RATE-3: `429`, JSON `{"message": …}` when the client asks for JSON, else the
/// container's error page.
fn too_many_requests(headers: &HeaderMap) -> Response {
    const MESSAGE: &str = "Rate limit exceeded. Try again later.";
    if request::wants_json(headers) {
        json(
            StatusCode::TOO_MANY_REQUESTS,
            &serde_json::json!({ "message": MESSAGE }),
        )
    } else {
        html(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            &format!("<h1>HTTP Status 429 – Too Many Requests</h1>\n<p>{MESSAGE}</p>"),
        )
    }
}

/// An ant-style URL pattern (F-RATE-4): `**` matches any number of path segments
/// (zero included), `*` any run of characters within one segment, `?` one
/// character; case-sensitive. Empty segments are ignored on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AntPattern {
    segments: Vec<Vec<char>>,
}

impl AntPattern {
    pub fn new(pattern: &str) -> Self {
        Self {
            segments: pattern
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().collect())
                .collect(),
        }
    }

    /// Whether `path` matches. `.` and `..` segments are resolved first, so
    /// `/rest/applinks/../api/space` is judged as `/rest/api/space`.
    pub fn matches(&self, path: &str) -> bool {
        let mut segments: Vec<Vec<char>> = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                s => segments.push(s.chars().collect()),
            }
        }
        let is_globstar = |p: &Vec<char>| p.len() == 2 && p[0] == '*' && p[1] == '*';
        // Greedy match with backtracking to the last `**`, like a glob over
        // segments: linear-ish and never recursive.
        let (pattern, text) = (&self.segments, &segments);
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pattern.len()
                && !is_globstar(&pattern[p])
                && segment_matches(&pattern[p], &text[t])
            {
                p += 1;
                t += 1;
            } else if p < pattern.len() && is_globstar(&pattern[p]) {
                star = Some((p, t));
                p += 1;
            } else if let Some((sp, st)) = star {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        pattern[p..].iter().all(is_globstar)
    }
}

/// `*` (any run) and `?` (one character) within one segment: the token-auth
/// whitelist's glob, case-sensitive, on text that holds no `/`.
fn segment_matches(pattern: &[char], text: &[char]) -> bool {
    super::token_auth::glob(pattern, text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        AntPattern::new(pattern).matches(path)
    }

    #[test]
    fn globstar_matches_any_number_of_segments() {
        assert!(matches("/**/rest/capabilities", "/rest/capabilities"));
        assert!(matches(
            "/**/rest/capabilities",
            "/confluence/rest/capabilities"
        ));
        assert!(matches("/**/rest/capabilities", "/a/b/rest/capabilities/"));
        assert!(!matches("/**/rest/capabilities", "/rest/capabilities/x"));
        assert!(matches("/**/rest/applinks/**", "/rest/applinks"));
        assert!(matches(
            "/**/rest/applinks/**",
            "/wiki/rest/applinks/3.0/status"
        ));
        assert!(!matches("/**/rest/applinks/**", "/rest/applinksx/1"));
        assert!(matches("/**", "/"));
        assert!(matches("/**", "/anything/at/all"));
        assert!(matches("/a/**/b/**/c", "/a/x/b/y/z/c"));
        assert!(matches("/a/**/b/**/c", "/a/b/c"));
        assert!(!matches("/a/**/b/**/c", "/a/c/b"));
    }

    #[test]
    fn exactly_content_is_not_its_children() {
        assert!(matches("/**/rest/api/content", "/rest/api/content"));
        assert!(matches("/**/rest/api/content", "/wiki/rest/api/content"));
        assert!(!matches("/**/rest/api/content", "/rest/api/content/65537"));
        assert!(!matches("/**/rest/api/content", "/rest/api/contents"));
    }

    #[test]
    fn single_star_and_question_mark_stay_in_one_segment() {
        assert!(matches("/rest/api/content/*", "/rest/api/content/65537"));
        assert!(!matches("/rest/api/content/*", "/rest/api/content/1/child"));
        assert!(matches(
            "/rest/api/content/*/child/*",
            "/rest/api/content/1/child/attachment"
        ));
        assert!(matches("/rest/api/sp?ce", "/rest/api/space"));
        assert!(!matches("/rest/api/sp?ce", "/rest/api/spaace"));
        assert!(matches("/rest/api/*ace", "/rest/api/space"));
        assert!(matches("/rest/*/space", "/rest/api/space"));
        // Case-sensitive, like Spring's AntPathMatcher.
        assert!(!matches("/rest/api/space", "/REST/api/space"));
    }

    #[test]
    fn dot_segments_are_resolved_before_matching() {
        assert!(!matches(
            "/**/rest/applinks/**",
            "/rest/applinks/../api/space"
        ));
        assert!(matches(
            "/**/rest/capabilities",
            "/rest/./x/../capabilities"
        ));
        assert!(!matches("/rest/x", "/../../rest/y"));
    }

    fn limiter(capacity: i64, fill: i64, interval: u64) -> RateLimiter {
        RateLimiter::new(Some(&RateLimitConfig {
            capacity,
            fill,
            interval: crate::scenario::duration::Duration::from_secs(interval),
            exempt: vec!["/rest/custom/**".into()],
        }))
        .unwrap()
    }

    #[test]
    fn a_bucket_empties_then_refills_per_whole_interval() {
        let l = limiter(3, 2, 10);
        let t0 = Instant::now();
        let d = l.take("alice", t0);
        assert_eq!((d.allowed, d.remaining, d.retry_after), (true, 2, 0));
        l.take("alice", t0);
        let d = l.take("alice", t0 + Duration::from_millis(500));
        assert_eq!((d.allowed, d.remaining), (true, 0));
        // The next token arrives 10 s after the bucket was made.
        assert_eq!(d.retry_after, 10);
        let d = l.take("alice", t0 + Duration::from_secs(9));
        assert_eq!((d.allowed, d.remaining, d.retry_after), (false, 0, 1));
        // Other users have their own bucket.
        assert!(l.take("bob", t0).allowed);
        // One interval: two tokens.
        let d = l.take("alice", t0 + Duration::from_secs(10));
        assert_eq!((d.allowed, d.remaining, d.retry_after), (true, 1, 0));
        // Many intervals: capped at the capacity.
        let d = l.take("alice", t0 + Duration::from_secs(1000));
        assert_eq!((d.allowed, d.remaining), (true, 2));
    }

    #[test]
    fn zero_blocks_all_and_negative_is_unlimited() {
        let l = limiter(0, 0, 1);
        let d = l.take("alice", Instant::now());
        assert_eq!((d.allowed, d.remaining, d.retry_after), (false, 0, 1));
        let l = limiter(-1, -1, 1);
        assert_eq!(l.policy(), Policy::Unlimited);
        assert!(l.take("alice", Instant::now()).allowed);
        // A zero interval is read as one second, never a division by zero.
        let l = limiter(1, 1, 0);
        let t0 = Instant::now();
        assert!(l.take("a", t0).allowed);
        assert!(!l.take("a", t0).allowed);
        assert!(l.take("a", t0 + Duration::from_secs(1)).allowed);
    }

    #[test]
    fn buckets_are_capped_and_the_least_recently_used_goes() {
        let l = limiter(5, 1, 1);
        let t0 = Instant::now();
        l.take("first", t0);
        for i in 0..MAX_BUCKETS {
            l.take(&format!("user-{i}"), t0 + Duration::from_millis(1));
        }
        assert_eq!(l.len(), MAX_BUCKETS);
        assert!(!lock(&l.buckets).contains_key("first"));
    }

    #[test]
    fn exempt_paths_include_the_built_in_and_configured_patterns() {
        let l = limiter(1, 1, 1);
        assert!(l.is_exempt_path("/wiki/rest/capabilities", "/rest/capabilities"));
        assert!(l.is_exempt_path("/wiki/rest/custom/x", "/rest/custom/x"));
        assert!(l.is_exempt_path("/rest/token-auth/api/space", "/rest/token-auth/api/space"));
        assert!(!l.is_exempt_path("/rest/api/space", "/rest/api/space"));
    }

    #[test]
    fn ui_requests_need_two_signs_and_no_credentials() {
        let mut h = HeaderMap::new();
        h.insert(header::REFERER, HeaderValue::from_static("http://x/"));
        assert!(!is_ui_request(&h));
        h.insert(header::COOKIE, HeaderValue::from_static("JSESSIONID=abc"));
        assert!(is_ui_request(&h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer x"));
        assert!(!is_ui_request(&h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("JWT x"));
        assert!(is_ui_request(&h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("  "));
        assert!(is_ui_request(&h));
    }
}
