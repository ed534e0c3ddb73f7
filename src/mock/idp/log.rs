//! What the IdP and its Crowd service were asked, in order: the evidence a
//! scenario's `expect.idp` judges (a plugin that caches a revoked token makes no
//! introspection call; a Confluence that forwards the wrong address sends the
//! wrong factors). Bounded: the oldest calls go first once [`MAX_CALLS`] are held.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::mock::sync::lock;
use crate::wire::observed::IdpCall;

/// Calls held at once; a step that makes more sees the last ones only.
pub const MAX_CALLS: usize = 10_000;

pub use crate::wire::observed::token_digest;

#[derive(Debug, Default)]
pub struct IdpLog {
    inner: Mutex<Calls>,
}

#[derive(Debug, Default)]
struct Calls {
    /// Calls recorded since the IdP started (the sequence number of the next one).
    recorded: u64,
    held: VecDeque<IdpCall>,
}

impl IdpLog {
    pub fn record(&self, call: IdpCall) {
        let mut calls = lock(&self.inner);
        if calls.held.len() == MAX_CALLS {
            calls.held.pop_front();
        }
        calls.held.push_back(call);
        calls.recorded += 1;
    }

    /// A point in the log: [`since`](Self::since) it returns the calls after it.
    pub fn mark(&self) -> u64 {
        lock(&self.inner).recorded
    }

    /// The calls recorded after `mark` that are still held, oldest first.
    pub fn since(&self, mark: u64) -> Vec<IdpCall> {
        let calls = lock(&self.inner);
        let first_held = calls.recorded - calls.held.len() as u64;
        let skip = mark.saturating_sub(first_held);
        calls
            .held
            .iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_a_mark_returns_only_later_calls_even_after_eviction() {
        let log = IdpLog::default();
        log.record(IdpCall::Jwks);
        let mark = log.mark();
        assert!(log.since(mark).is_empty());
        for _ in 0..MAX_CALLS + 5 {
            log.record(IdpCall::Jwks);
        }
        assert_eq!(log.since(mark).len(), MAX_CALLS);
        let late = log.mark();
        log.record(IdpCall::Userinfo {
            token_sha256: Some(token_digest("t")),
            status: 200,
        });
        assert_eq!(log.since(late).len(), 1);
    }

    #[test]
    fn a_digest_is_lowercase_hex_sha256() {
        assert_eq!(
            token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
