//! The rate-limit stage (F-RATE-2..4), right after authentication: which
//! requests count and in whose bucket, the `429`, and the headers on every
//! counted answer.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::limiter::{Decision, Policy, RateLimiter, ceil_secs};
use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::request;
use crate::mock::confluence::respond::{html, json};
use crate::mock::confluence::seraph::names::{REMEMBER_ME_COOKIE, SESSION_COOKIE};
use crate::mock::confluence::state::State;
use crate::scenario::mock_config::Fault;
use crate::wire::control::PREFIX as CONTROL_PREFIX;

pub const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const X_RATELIMIT_FILLRATE: HeaderName = HeaderName::from_static("x-ratelimit-fillrate");
pub const X_RATELIMIT_INTERVAL_SECONDS: HeaderName =
    HeaderName::from_static("x-ratelimit-interval-seconds");
/// F-RATE-4: the mobile app's requests are not counted.
pub const MOBILE_APP_REQUEST: HeaderName = HeaderName::from_static("mobile-app-request");

/// What the stage decided for one counted request: whether to refuse it, and the
/// F-RATE-2 headers [`stamp`] puts on the answer.
#[derive(Clone, Copy, Debug)]
pub struct Counted(Decision, Policy);

/// The stage (after authenticate, before authorize): counts the request in its
/// user's bucket; `None` when it is not counted (no limiter, unlimited, or a
/// request F-RATE-2/4 leave out). The request is read before the future starts,
/// so the future does not hold it (the `rate_limit_race` fault waits in there).
pub fn count<'a>(
    state: &'a State,
    req: &Request,
) -> impl Future<Output = Option<Counted>> + Send + 'a {
    let counted = state.rate_limit.as_ref().and_then(|limiter| {
        let key = counted_key(state, limiter, req)?;
        let policy = limiter.policy_for(&key);
        (policy != Policy::Unlimited).then_some((limiter, key, policy))
    });
    async move {
        let (limiter, key, policy) = counted?;
        let decision = if state.faults.has(Fault::RateLimitRace) {
            // Boxed: only the fault waits, and its timer need not widen every
            // request's future.
            Box::pin(limiter.take_racy(&key, state.clock())).await
        } else {
            limiter.take(&key, state.clock().now())
        };
        Some(Counted(decision, policy))
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
pub fn stamp(state: &State, Counted(decision, policy): Counted, response: &mut Response) {
    let Policy::Bucket {
        capacity,
        fill,
        interval,
    } = policy
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
    if relative.starts_with(CONTROL_PREFIX) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
