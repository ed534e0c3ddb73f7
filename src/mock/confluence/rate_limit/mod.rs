//! Data Center rate limiting (F-RATE-1..4): a token bucket per user.
//!
//! The stage ([`count`], [`stamp`], in [`stage`]) runs right after Seraph's
//! authenticate stage (emulator.md: "authenticate → rate limit → authorize"), so
//! it knows the caller; the buckets are [`limiter`]. Each
//! user has a bucket of `capacity` tokens ("max requests") that gains `fill`
//! tokens every whole `interval` (F-RATE-1). Refill is computed lazily from the
//! mock's clock when the bucket is next touched: there is no background task, and
//! `/__tollgate/clock` (or `wait:`) refills without real sleeping. `-1/-1` (any
//! negative value) is unlimited: nothing is counted and no header is sent; `0/0`
//! refuses every counted request.
//!
//! Atomicity: one `Mutex` over the buckets per instance; refill, check and decrement
//! happen in one critical section ([`RateLimiter::take`]), so N concurrent
//! requests against C tokens let exactly C through. The `rate_limit_race` fault
//! splits that section in two with an await between them.
//!
//! Counted responses carry the F-RATE-2 headers; an empty bucket answers `429`
//! (F-RATE-3). Anonymous requests, UI requests, `mobile-app-request` requests and
//! exempt URL patterns are not counted (F-RATE-2, F-RATE-4). Buckets are capped
//! at [`MAX_BUCKETS`] (a least-recently-used `BoundedStore`): beyond that the
//! least recently used one goes.

pub mod limiter;
pub mod stage;

pub use limiter::{BUILT_IN_EXEMPT, Decision, MAX_BUCKETS, Policy, RateLimiter};
pub use stage::{Counted, count, stamp};
