//! The Crowd server's SSO sessions (F-CROWD-1..4): token → user and the
//! validation factors the session is bound to.
//!
//! One [`BoundedStore`] of at most [`MAX_SESSIONS`], on the mock's clock: a
//! session ends [`SESSION_IDLE`] after it was last validated; a full store drops
//! the ended ones, then the oldest. Only the IdP's REST service reads it: the
//! mock Confluence's Crowd client asks that service over HTTP. "Require
//! consistent client IP address" (F-CROWD-2) is a Crowd server setting kept here.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::mock::clock::Clock;
use crate::mock::store::{BoundedStore, Eviction};
use crate::mock::sync::lock;

/// Most live SSO sessions; a full store drops expired ones, then the oldest.
pub const MAX_SESSIONS: usize = 10_000;
/// A session not validated for this long is gone (Crowd's default session timeout).
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);

/// One validation factor, as Crowd writes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    pub value: String,
}

impl Factor {
    pub fn new(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: value.into(),
        }
    }
}

/// A live session, as the service reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub token: String,
    pub user: String,
    /// Unix milliseconds on the mock's clock.
    pub created_ms: u64,
    pub expiry_ms: u64,
}

/// What validating a token found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Validation {
    Valid(SessionInfo),
    /// Never issued, ended or expired (`404 INVALID_SSO_TOKEN`).
    Unknown,
    /// Live, but bound to other validation factors (`400 INVALID_SSO_TOKEN`, F-CROWD-2).
    FactorsDiffer,
}

#[derive(Debug)]
struct Session {
    user: String,
    /// Sorted, so comparison ignores order.
    factors: Vec<Factor>,
    created_ms: u64,
}

/// The Crowd server's SSO sessions: token → user and validation factors.
#[derive(Debug)]
pub struct CrowdSessions {
    clock: Clock,
    store: Mutex<BoundedStore<String, Session>>,
    require_consistent_ip: AtomicBool,
}

impl CrowdSessions {
    pub fn new(clock: Clock) -> Self {
        Self::with_capacity(clock, MAX_SESSIONS)
    }

    /// A store of at most `max` sessions (0 keeps none: every token is unknown).
    pub fn with_capacity(clock: Clock, max: usize) -> Self {
        Self {
            clock,
            store: Mutex::new(
                BoundedStore::new(max, Eviction::Oldest).with_idle_timeout(SESSION_IDLE),
            ),
            require_consistent_ip: AtomicBool::new(true),
        }
    }

    /// "Require consistent client IP address" (F-CROWD-2; on by default).
    pub fn set_require_consistent_ip(&self, on: bool) {
        self.require_consistent_ip.store(on, Ordering::Relaxed);
    }

    pub fn require_consistent_ip(&self) -> bool {
        self.require_consistent_ip.load(Ordering::Relaxed)
    }

    /// Opens a session for `user` bound to `factors` (F-CROWD-2).
    pub fn create(&self, user: &str, mut factors: Vec<Factor>) -> SessionInfo {
        factors.sort();
        let token = new_token();
        let created_ms = self.unix_ms();
        let session = Session {
            user: user.to_owned(),
            factors,
            created_ms,
        };
        lock(&self.store).insert(token.clone(), session, None, self.clock.now());
        SessionInfo {
            token,
            user: user.to_owned(),
            created_ms,
            expiry_ms: created_ms.saturating_add(millis(SESSION_IDLE)),
        }
    }

    /// Validates `token` against `factors`; `None` compares nothing (the option
    /// off, or the `crowd_ip_unbound` fault). A valid session's idle time restarts.
    pub fn validate(&self, token: &str, factors: Option<&[Factor]>) -> Validation {
        let now = self.clock.now();
        let mut store = lock(&self.store);
        let Some(session) = store.peek(token, now) else {
            return Validation::Unknown;
        };
        if let Some(factors) = factors {
            let mut given = factors.to_vec();
            given.sort();
            if given != session.factors {
                return Validation::FactorsDiffer;
            }
        }
        match store.get(token, now) {
            Some(session) => Validation::Valid(SessionInfo {
                token: token.to_owned(),
                user: session.user.clone(),
                created_ms: session.created_ms,
                expiry_ms: self.unix_ms().saturating_add(millis(SESSION_IDLE)),
            }),
            None => Validation::Unknown,
        }
    }

    /// The live session behind `token`, without a factor check or extension.
    pub fn get(&self, token: &str) -> Option<SessionInfo> {
        let now = self.clock.now();
        let mut store = lock(&self.store);
        let session = store.peek(token, now)?;
        let (user, created_ms) = (session.user.clone(), session.created_ms);
        let idle_left = store
            .expires_at(token)
            .map_or(SESSION_IDLE, |at| at.saturating_duration_since(now));
        Some(SessionInfo {
            token: token.to_owned(),
            user,
            created_ms,
            expiry_ms: self.unix_ms().saturating_add(millis(idle_left)),
        })
    }

    /// Ends a session; whether it existed.
    pub fn remove(&self, token: &str) -> bool {
        lock(&self.store).remove(token).is_some()
    }

    pub fn len(&self) -> usize {
        lock(&self.store).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every session.
    pub fn clear(&self) {
        lock(&self.store).clear();
    }

    fn unix_ms(&self) -> u64 {
        self.clock.unix_seconds().saturating_mul(1000)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// 24 characters of URL-safe base64 from 144 random bits, the length of a Crowd
/// token and safe in a cookie.
fn new_token() -> String {
    let bytes: [u8; 18] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{CROWD_REMOTE_ADDRESS, CROWD_X_FORWARDED_FOR};

    fn at(address: &str) -> Vec<Factor> {
        vec![Factor::new(CROWD_REMOTE_ADDRESS, address)]
    }

    #[test]
    fn tokens_are_bound_to_their_factors_and_expire_idle() {
        let clock = Clock::new();
        let sessions = CrowdSessions::new(clock.clone());
        let info = sessions.create("alice", at("10.0.0.5"));
        assert_eq!(info.token.len(), 24);
        assert!(matches!(
            sessions.validate(&info.token, Some(&at("10.0.0.5"))),
            Validation::Valid(s) if s.user == "alice"
        ));
        assert_eq!(
            sessions.validate(&info.token, Some(&at("10.0.0.6"))),
            Validation::FactorsDiffer
        );
        assert!(matches!(
            sessions.validate(&info.token, None),
            Validation::Valid(_)
        ));
        clock.advance(SESSION_IDLE);
        assert_eq!(sessions.validate(&info.token, None), Validation::Unknown);
        assert!(sessions.is_empty());
    }

    #[test]
    fn factor_order_does_not_matter() {
        let sessions = CrowdSessions::new(Clock::new());
        let both = vec![
            Factor::new(CROWD_X_FORWARDED_FOR, "1.2.3.4"),
            Factor::new(CROWD_REMOTE_ADDRESS, "10.0.0.1"),
        ];
        let info = sessions.create("alice", both.clone());
        let reversed: Vec<Factor> = both.into_iter().rev().collect();
        assert!(matches!(
            sessions.validate(&info.token, Some(&reversed)),
            Validation::Valid(_)
        ));
    }

    #[test]
    fn the_store_is_capped() {
        let sessions = CrowdSessions::with_capacity(Clock::new(), 2);
        let first = sessions.create("a", vec![]);
        sessions.create("b", vec![]);
        sessions.create("c", vec![]);
        assert_eq!(sessions.len(), 2);
        assert!(
            sessions.get(&first.token).is_none(),
            "the oldest is evicted"
        );
        let none = CrowdSessions::with_capacity(Clock::new(), 0);
        let token = none.create("a", vec![]).token;
        assert_eq!(none.validate(&token, None), Validation::Unknown);
    }

    #[test]
    fn a_shown_session_reports_the_idle_time_left() {
        let clock = Clock::new();
        let sessions = CrowdSessions::new(clock.clone());
        let info = sessions.create("alice", vec![]);
        clock.advance(Duration::from_secs(600));
        let shown = sessions.get(&info.token).unwrap();
        let left = shown.expiry_ms - clock.unix_seconds() * 1000;
        assert!((1_198_000..=1_200_000).contains(&left), "{left}");
    }
}
