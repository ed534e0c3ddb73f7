//! The REST-auth plugin's per-token windows (F-PLUG-5): count, check and refuse
//! under one lock. No HTTP here; the stage is `stage.rs`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::mock::store::{BoundedStore, Eviction};
use crate::mock::sync::lock;
use crate::scenario::mock_config::PluginRateLimit;

/// The most tokens one instance keeps a window for.
pub const MAX_TOKENS: usize = 10_000;

type TokenHash = [u8; 32];

#[derive(Clone, Copy, Debug)]
struct Window {
    start: Instant,
    count: u32,
}

/// The plugin's limiter of one instance.
#[derive(Debug)]
pub struct PluginRateLimiter {
    requests: u32,
    per: Duration,
    /// A window a token, the least recently seen going first beyond
    /// [`MAX_TOKENS`]. A token unseen for `per` is dropped: its window has ended,
    /// so its next request starts a new one either way.
    windows: Mutex<BoundedStore<TokenHash, Window>>,
}

impl PluginRateLimiter {
    /// `None` without a plugin or without its `rate_limit:` (unlimited).
    pub fn new(config: Option<&PluginRateLimit>) -> Option<Self> {
        let config = config?;
        let per = config.per.get();
        Some(Self {
            requests: config.requests,
            per,
            windows: Mutex::new(
                BoundedStore::new(MAX_TOKENS, Eviction::LeastRecentlyUsed).with_idle_timeout(per),
            ),
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
        let window = windows.get_or_insert_with(key, now, || Window {
            start: now,
            count: 0,
        });
        let end = window.start.checked_add(self.per).unwrap_or(now);
        if now >= end {
            window.start = now;
            window.count = 0;
        }
        if window.count < self.requests {
            window.count = window.count.saturating_add(1);
            return Ok(());
        }
        let end = window.start.checked_add(self.per).unwrap_or(now);
        let left = end.saturating_duration_since(now);
        Err(left
            .as_secs()
            .saturating_add(u64::from(left.subsec_nanos() > 0))
            .max(1))
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
