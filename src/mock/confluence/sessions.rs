//! Capped, expiring token stores: the `JSESSIONID` sessions (idle expiry) and the
//! `seraph.confluence` remember-me tokens (fixed lifetime, F-SESS-2).
//!
//! Bounded by construction: at most `max` entries; inserting into a full store first
//! drops expired entries, then evicts the oldest one. Time comes from the mock's
//! [`Clock`](crate::mock::clock::Clock), passed in as `now`.
//!
//! A load test with Basic opens a session per request, so the store stays full;
//! scanning all `max` entries for expired ones on every insert took over half the
//! mock's CPU under wrk. So the store keeps a lower bound on the earliest expiry and
//! scans only once that moment has come.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How an entry expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Gone after this long without use (a servlet session's idle timeout).
    Idle(Duration),
    /// Gone this long after creation, whatever the use (a remember-me cookie).
    Fixed(Duration),
}

#[derive(Debug)]
struct Entry {
    user: String,
    created: Instant,
    last_used: Instant,
    seq: u64,
}

/// An id as stored: its 32 hex digits, without a `String` each.
type Id = [u8; ID_LEN];

const ID_LEN: usize = 32;

/// The stored form of `id`; `None` for text no id has (the wrong length).
fn key(id: &str) -> Option<Id> {
    id.as_bytes().try_into().ok()
}

/// Random id → user name, capped at `max` entries.
#[derive(Debug)]
pub struct TokenStore {
    expiry: Expiry,
    max: usize,
    entries: HashMap<Id, Entry>,
    /// Creation order, for evicting the oldest entry.
    order: BTreeMap<u64, Id>,
    next_seq: u64,
    /// No entry expires before this; `None` when none can expire at all. Only ever
    /// lowered, except by a full scan, so skipping the scan before it is safe.
    earliest_expiry: Option<Instant>,
}

impl TokenStore {
    pub fn new(expiry: Expiry, max: usize) -> Self {
        Self {
            expiry,
            max,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
            earliest_expiry: None,
        }
    }

    /// Creates an entry for `user` and returns its new random id.
    pub fn create(&mut self, user: &str, now: Instant) -> String {
        let id = new_id();
        if self.max == 0 {
            // A store of size zero keeps nothing: the id is handed out but never valid.
            return hex_text(&id);
        }
        if self.entries.len() >= self.max {
            self.purge_expired(now);
        }
        while self.entries.len() >= self.max {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, id);
        let entry = Entry {
            user: user.to_owned(),
            created: now,
            last_used: now,
            seq,
        };
        self.note_expiry(&entry);
        self.entries.insert(id, entry);
        hex_text(&id)
    }

    /// The user of a live entry (and marks it used); an expired entry is removed.
    pub fn lookup(&mut self, id: &str, now: Instant) -> Option<String> {
        let id = key(id)?;
        let entry = self.entries.get_mut(&id)?;
        if is_expired(self.expiry, entry, now) {
            self.remove_key(&id);
            return None;
        }
        entry.last_used = now;
        let user = entry.user.clone();
        // Requests take `now` before the lock, so `last_used` can move back a
        // little: the bound must follow it down.
        let expires = expires_at(self.expiry, entry);
        self.lower_bound(expires);
        Some(user)
    }

    /// Ends an entry (logout). Unknown ids are ignored.
    pub fn remove(&mut self, id: &str) {
        if let Some(id) = key(id) {
            self.remove_key(&id);
        }
    }

    fn remove_key(&mut self, id: &Id) {
        if let Some(entry) = self.entries.remove(id) {
            self.order.remove(&entry.seq);
        }
    }

    /// Ends every entry of `user`.
    pub fn remove_user(&mut self, user: &str) {
        let ids: Vec<Id> = self
            .entries
            .iter()
            .filter(|(_, e)| e.user == user)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.remove_key(&id);
        }
    }

    /// Ends everything (`/__tollgate/reset`).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.earliest_expiry = None;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn purge_expired(&mut self, now: Instant) {
        if self.earliest_expiry.is_none_or(|at| now < at) {
            return;
        }
        let expiry = self.expiry;
        let dead: Vec<Id> = self
            .entries
            .iter()
            .filter(|(_, e)| is_expired(expiry, e, now))
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            self.remove_key(&id);
        }
        self.earliest_expiry = self
            .entries
            .values()
            .filter_map(|e| expires_at(expiry, e))
            .min();
    }

    fn note_expiry(&mut self, entry: &Entry) {
        self.lower_bound(expires_at(self.expiry, entry));
    }

    fn lower_bound(&mut self, expires: Option<Instant>) {
        if let Some(at) = expires {
            self.earliest_expiry = Some(self.earliest_expiry.map_or(at, |bound| bound.min(at)));
        }
    }
}

/// When `entry` expires if not used again; `None` past what an `Instant` holds
/// (a limit that large never comes).
fn expires_at(expiry: Expiry, entry: &Entry) -> Option<Instant> {
    match expiry {
        Expiry::Idle(limit) => entry.last_used.checked_add(limit),
        Expiry::Fixed(limit) => entry.created.checked_add(limit),
    }
}

fn is_expired(expiry: Expiry, entry: &Entry, now: Instant) -> bool {
    match expiry {
        Expiry::Idle(limit) => now.saturating_duration_since(entry.last_used) >= limit,
        Expiry::Fixed(limit) => now.saturating_duration_since(entry.created) >= limit,
    }
}

/// 128 random bits as 32 upper-case hex digits, the shape of Tomcat's session ids.
fn new_id() -> Id {
    let bytes: [u8; ID_LEN / 2] = rand::random();
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut id = [0; ID_LEN];
    for (pair, byte) in id.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    id
}

/// The id as text (hex digits are ASCII).
fn hex_text(id: &Id) -> String {
    String::from_utf8_lossy(id).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_entries_expire_and_use_extends_them() {
        let t0 = Instant::now();
        let mut store = TokenStore::new(Expiry::Idle(Duration::from_secs(60)), 10);
        let id = store.create("alice", t0);
        assert_eq!(id.len(), 32);
        assert_eq!(
            store.lookup(&id, t0 + Duration::from_secs(59)).as_deref(),
            Some("alice")
        );
        assert_eq!(
            store.lookup(&id, t0 + Duration::from_secs(118)).as_deref(),
            Some("alice")
        );
        assert_eq!(store.lookup(&id, t0 + Duration::from_secs(178)), None);
        assert!(store.is_empty());
    }

    #[test]
    fn fixed_entries_expire_whatever_the_use() {
        let t0 = Instant::now();
        let mut store = TokenStore::new(Expiry::Fixed(Duration::from_secs(60)), 10);
        let id = store.create("alice", t0);
        assert!(store.lookup(&id, t0 + Duration::from_secs(50)).is_some());
        assert!(store.lookup(&id, t0 + Duration::from_secs(61)).is_none());
    }

    #[test]
    fn a_full_store_evicts_the_oldest() {
        let t0 = Instant::now();
        let mut store = TokenStore::new(Expiry::Idle(Duration::from_secs(60)), 2);
        let a = store.create("a", t0);
        let b = store.create("b", t0);
        let c = store.create("c", t0);
        assert_eq!(store.len(), 2);
        assert!(store.lookup(&a, t0).is_none());
        assert!(store.lookup(&b, t0).is_some());
        assert!(store.lookup(&c, t0).is_some());
        store.remove_user("b");
        assert_eq!(store.len(), 1);
        let zero = TokenStore::new(Expiry::Idle(Duration::from_secs(1)), 0).create("z", t0);
        assert_eq!(zero.len(), 32);
    }

    #[test]
    fn a_full_store_drops_the_expired_entry_before_the_oldest_live_one() {
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        let mut store = TokenStore::new(Expiry::Idle(Duration::from_secs(60)), 2);
        let a = store.create("a", t0);
        let b = store.create("b", at(10));
        // Used at 50, `a` outlives `b`, which was made later but left idle.
        assert!(store.lookup(&a, at(50)).is_some());
        let c = store.create("c", at(75));
        assert!(store.lookup(&b, at(75)).is_none());
        assert!(store.lookup(&a, at(75)).is_some());
        assert!(store.lookup(&c, at(100)).is_some());
        // The bound after that scan must still see `a` expire (at 135).
        let d = store.create("d", at(136));
        assert!(store.lookup(&a, at(136)).is_none());
        assert!(store.lookup(&c, at(136)).is_some());
        assert!(store.lookup(&d, at(136)).is_some());
    }
}
