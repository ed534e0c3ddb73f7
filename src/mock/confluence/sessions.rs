//! Capped, expiring token stores: the `JSESSIONID` sessions (idle expiry) and the
//! `seraph.confluence` remember-me tokens (fixed lifetime, F-SESS-2).
//!
//! Bounded by construction: at most `max` entries; inserting into a full store first
//! drops expired entries, then evicts the oldest one. Time comes from the mock's
//! [`Clock`](crate::mock::clock::Clock), passed in as `now`.

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

/// Random id → user name, capped at `max` entries.
#[derive(Debug)]
pub struct TokenStore {
    expiry: Expiry,
    max: usize,
    entries: HashMap<String, Entry>,
    /// Creation order, for evicting the oldest entry.
    order: BTreeMap<u64, String>,
    next_seq: u64,
}

impl TokenStore {
    pub fn new(expiry: Expiry, max: usize) -> Self {
        Self {
            expiry,
            max,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Creates an entry for `user` and returns its new random id.
    pub fn create(&mut self, user: &str, now: Instant) -> String {
        let id = new_id();
        if self.max == 0 {
            // A store of size zero keeps nothing: the id is handed out but never valid.
            return id;
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
        self.order.insert(seq, id.clone());
        self.entries.insert(
            id.clone(),
            Entry {
                user: user.to_owned(),
                created: now,
                last_used: now,
                seq,
            },
        );
        id
    }

    /// The user of a live entry (and marks it used); an expired entry is removed.
    pub fn lookup(&mut self, id: &str, now: Instant) -> Option<String> {
        let entry = self.entries.get_mut(id)?;
        if is_expired(self.expiry, entry, now) {
            self.remove(id);
            return None;
        }
        entry.last_used = now;
        Some(entry.user.clone())
    }

    /// Ends an entry (logout). Unknown ids are ignored.
    pub fn remove(&mut self, id: &str) {
        if let Some(entry) = self.entries.remove(id) {
            self.order.remove(&entry.seq);
        }
    }

    /// Ends every entry of `user`.
    pub fn remove_user(&mut self, user: &str) {
        let ids: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| e.user == user)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.remove(&id);
        }
    }

    /// Ends everything (`/__tollgate/reset`).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn purge_expired(&mut self, now: Instant) {
        let expiry = self.expiry;
        let dead: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| is_expired(expiry, e, now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in dead {
            self.remove(&id);
        }
    }
}

fn is_expired(expiry: Expiry, entry: &Entry, now: Instant) -> bool {
    match expiry {
        Expiry::Idle(limit) => now.saturating_duration_since(entry.last_used) >= limit,
        Expiry::Fixed(limit) => now.saturating_duration_since(entry.created) >= limit,
    }
}

/// 128 random bits as 32 upper-case hex digits, the shape of Tomcat's session ids.
fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02X}")).collect()
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
}
