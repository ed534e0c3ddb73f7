//! The REST-auth plugin's per-token rate limit (F-PLUG-5): at most `requests`
//! requests per `per` for each token.
//!
//! Only requests that [`super::seraph::authenticate`] let in with a token count:
//! a PAT, a native OAuth token, a plugin-validated bearer token or a Connect JWT
//! ([`AuthMethod`]). Passwords and sessions are not the plugin's tokens. Windows
//! are fixed and start at a token's first request, on the mock's clock; beyond the
//! limit the answer is `429` with a JSON body and `Retry-After` (seconds until the
//! window ends). Tokens are keyed by the SHA-256 of the credential (the
//! `Authorization` value, else the `jwt` query parameter), never by the value
//! itself, and at most [`MAX_TOKENS`] are kept (least recently used goes first).
//!
//! The stage ([`check`]) sits right after the Data Center limiter ([`super::rate_limit`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::seraph::AuthMethod;
use super::{State, json, lock, request};
use crate::scenario::mock_config::{Fault, PluginRateLimit};

/// The most tokens one instance keeps a window for.
pub const MAX_TOKENS: usize = 10_000;

type TokenHash = [u8; 32];

#[derive(Clone, Copy, Debug)]
struct Window {
    start: Instant,
    count: u32,
    last_seen: Instant,
}

/// The plugin's limiter of one instance.
#[derive(Debug)]
pub struct PluginRateLimiter {
    requests: u32,
    per: Duration,
    windows: Mutex<HashMap<TokenHash, Window>>,
}

impl PluginRateLimiter {
    /// `None` without a plugin or without its `rate_limit:` (unlimited).
    pub fn new(config: Option<&PluginRateLimit>) -> Option<Self> {
        let config = config?;
        Some(Self {
            requests: config.requests,
            per: config.per.get(),
            windows: Mutex::new(HashMap::new()),
        })
    }

    /// Forgets every window (`/__tollgate/reset`).
    pub fn clear(&self) {
        lock(&self.windows).clear();
    }

    /// How many tokens are tracked (for tests of the cap).
    pub fn len(&self) -> usize {
        lock(&self.windows).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts one request of `token` at `now`: `Ok(())` within the limit, else
    /// `Err(seconds until the window ends)` (at least 1). Check and count happen
    /// under one lock.
    pub fn take(&self, token: &[u8], now: Instant) -> Result<(), u64> {
        let key: TokenHash = Sha256::digest(token).into();
        let mut windows = lock(&self.windows);
        if !windows.contains_key(&key) && windows.len() >= MAX_TOKENS {
            let oldest = windows
                .iter()
                .min_by_key(|(_, w)| w.last_seen)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                windows.remove(&oldest);
            }
        }
        let window = windows.entry(key).or_insert(Window {
            start: now,
            count: 0,
            last_seen: now,
        });
        window.last_seen = now;
        let end = window.start.checked_add(self.per).unwrap_or(now);
        if now >= end {
            window.start = now;
            window.count = 0;
        }
        if window.count < self.requests {
            window.count += 1;
            return Ok(());
        }
        let end = window.start.checked_add(self.per).unwrap_or(now);
        let left = end.saturating_duration_since(now);
        Err((left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1))
    }
}

/// Whether `method` is one of the tokens the plugin limits (F-PLUG-5).
fn is_token(method: AuthMethod) -> bool {
    matches!(
        method,
        AuthMethod::Pat
            | AuthMethod::NativeOauth
            | AuthMethod::PluginBearer
            | AuthMethod::ConnectJwt
    )
}

/// The stage: counts token-authenticated requests per token and refuses the ones
/// beyond the limit (F-PLUG-5); `Some` is the refusal. The
/// `plugin_rate_limit_off` fault never refuses.
pub fn check(state: &State, req: &Request) -> Option<Response> {
    let limiter = state.plugin_rate.as_ref()?;
    if !req
        .extensions()
        .get::<AuthMethod>()
        .is_some_and(|m| is_token(*m))
    {
        return None;
    }
    let credential = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => value.as_bytes().to_vec(),
        None => request::query_param(req.uri(), "jwt")
            .unwrap_or_default()
            .into_bytes(),
    };
    match limiter.take(&credential, state.clock().now()) {
        Ok(()) => None,
        Err(_) if state.faults.has(Fault::PluginRateLimitOff) => None,
        Err(retry_after) => {
            let mut response = json(
                StatusCode::TOO_MANY_REQUESTS,
                &serde_json::json!({
                    "statusCode": 429,
                    "message": "Rate limit exceeded for this token. Try again later.",
                    "reason": "Too Many Requests",
                }),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Some(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(requests: u32, per: u64) -> PluginRateLimiter {
        PluginRateLimiter::new(Some(&PluginRateLimit {
            requests,
            per: crate::scenario::duration::Duration::from_secs(per),
        }))
        .unwrap()
    }

    #[test]
    fn a_fixed_window_per_token() {
        let l = limiter(2, 60);
        let t0 = Instant::now();
        assert_eq!(l.take(b"a", t0), Ok(()));
        assert_eq!(l.take(b"a", t0 + Duration::from_secs(1)), Ok(()));
        assert_eq!(l.take(b"a", t0 + Duration::from_secs(1)), Err(59));
        assert_eq!(l.take(b"a", t0 + Duration::from_millis(59_500)), Err(1));
        // Another token has its own window.
        assert_eq!(l.take(b"b", t0 + Duration::from_secs(1)), Ok(()));
        // A new window starts once the old one has ended.
        assert_eq!(l.take(b"a", t0 + Duration::from_secs(60)), Ok(()));
    }

    #[test]
    fn zero_requests_refuses_every_token_request() {
        let l = limiter(0, 60);
        assert_eq!(l.take(b"a", Instant::now()), Err(60));
    }

    #[test]
    fn windows_are_capped() {
        let l = limiter(1, 60);
        let t0 = Instant::now();
        for i in 0..=MAX_TOKENS {
            let _ = l.take(
                format!("t{i}").as_bytes(),
                t0 + Duration::from_nanos(i as u64),
            );
        }
        assert_eq!(l.len(), MAX_TOKENS);
        // The first token was evicted: it starts a fresh window.
        assert_eq!(l.take(b"t0", t0 + Duration::from_secs(1)), Ok(()));
    }
}
