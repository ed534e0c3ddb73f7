//! The Data Center rate limiter's buckets (F-RATE-1): refill, check and take in
//! one critical section, and the exempt URL patterns (F-RATE-4). No HTTP here;
//! the stage is `stage.rs`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::mock::clock::Clock;
use crate::mock::confluence::patterns::AntPattern;
use crate::mock::store::{BoundedStore, Eviction};
use crate::mock::sync::lock;
use crate::scenario::mock_config::RateLimitConfig;

/// The most buckets one instance keeps (one per user).
pub const MAX_BUCKETS: usize = 10_000;

/// How long the `rate_limit_race` fault waits between check and decrement: long
/// enough that the requests of a concurrent burst all read the bucket before any
/// of them takes its token.
const RACE_WINDOW: Duration = Duration::from_millis(10);

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
    pub fn of(capacity: i64, fill: i64, interval: Duration) -> Self {
        match (u64::try_from(capacity), u64::try_from(fill)) {
            (Ok(capacity), Ok(fill)) => Policy::Bucket {
                capacity,
                fill,
                interval: if interval.is_zero() {
                    Duration::from_secs(1)
                } else {
                    interval
                },
            },
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
    /// Users exempted from `policy` with one of their own.
    users: HashMap<String, Policy>,
    exempt: Vec<AntPattern>,
    /// One bucket a user, the least recently used going first beyond
    /// [`MAX_BUCKETS`]. No expiry: an idle bucket refilled to capacity still
    /// keeps its refill schedule (F-RATE-2's `Retry-After`).
    buckets: Mutex<BoundedStore<String, Bucket>>,
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
        let users = config
            .users
            .iter()
            .map(|u| {
                (
                    u.user.clone(),
                    Policy::of(u.capacity, u.fill, u.interval.get()),
                )
            })
            .collect();
        Some(Self {
            policy: Policy::of(config.capacity, config.fill, config.interval.get()),
            users,
            exempt,
            buckets: Mutex::new(BoundedStore::new(MAX_BUCKETS, Eviction::LeastRecentlyUsed)),
        })
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The policy `user`'s requests count under: an exemption's, else the global one.
    pub fn policy_for(&self, user: &str) -> Policy {
        self.users.get(user).copied().unwrap_or(self.policy)
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
        } = self.policy_for(key)
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
    pub async fn take_racy(&self, key: &str, clock: &Clock) -> Decision {
        let Policy::Bucket {
            capacity,
            fill,
            interval,
        } = self.policy_for(key)
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

/// The bucket for `key`, made full if new; the least recently used bucket goes
/// when the store is at [`MAX_BUCKETS`].
fn bucket<'a>(
    buckets: &'a mut BoundedStore<String, Bucket>,
    key: &str,
    capacity: u64,
    now: Instant,
) -> &'a mut Bucket {
    buckets.get_or_insert_with(key.to_owned(), now, || Bucket {
        tokens: capacity,
        anchor: now,
    })
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
pub fn ceil_secs(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(capacity: i64, fill: i64, interval: u64) -> RateLimiter {
        RateLimiter::new(Some(&RateLimitConfig {
            capacity,
            fill,
            interval: crate::scenario::duration::Duration::from_secs(interval),
            exempt: vec!["/rest/custom/**".into()],
            users: vec![crate::scenario::mock_config::RateLimitUser {
                user: "blocked".into(),
                capacity: 0,
                fill: 0,
                ..Default::default()
            }],
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
        // A user's exemption wins over the global policy.
        assert!(!limiter(5, 1, 1).take("blocked", Instant::now()).allowed);
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
        assert!(lock(&l.buckets).peek("first", t0).is_none());
    }

    #[test]
    fn exempt_paths_include_the_built_in_and_configured_patterns() {
        let l = limiter(1, 1, 1);
        assert!(l.is_exempt_path("/wiki/rest/capabilities", "/rest/capabilities"));
        assert!(l.is_exempt_path("/wiki/rest/custom/x", "/rest/custom/x"));
        assert!(l.is_exempt_path("/rest/token-auth/api/space", "/rest/token-auth/api/space"));
        assert!(!l.is_exempt_path("/rest/api/space", "/rest/api/space"));
    }
}
