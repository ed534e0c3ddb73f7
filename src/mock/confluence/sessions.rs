//! Seraph's token tables: the `JSESSIONID` sessions (idle expiry) and the
//! `seraph.confluence` remember-me tokens (fixed lifetime, F-SESS-2), each a
//! [`BoundedStore`] of at most `max` entries on the mock's clock: a full store
//! drops the expired entries, then the oldest one (use does not protect it).
//! Ids are made here: 128 random bits as Tomcat's 32 upper-case hex digits.

use std::time::{Duration, Instant};

use crate::mock::store::{BoundedStore, Eviction};

/// How an entry expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// Gone after this long without use (a servlet session's idle timeout).
    Idle(Duration),
    /// Gone this long after creation, whatever the use (a remember-me cookie).
    Fixed(Duration),
}

const ID_LEN: usize = 32;

/// An id as stored: its 32 hex digits, without a `String` each.
type Id = [u8; ID_LEN];

/// The stored form of `id`; `None` for text no id has (the wrong length).
fn key(id: &str) -> Option<Id> {
    id.as_bytes().try_into().ok()
}

/// Random id → user name, capped at `max` entries.
#[derive(Debug)]
pub struct SessionStore {
    /// `Some` for [`Expiry::Fixed`]: each entry's deadline is its creation plus this.
    lifetime: Option<Duration>,
    entries: BoundedStore<Id, String>,
}

impl SessionStore {
    pub fn new(expiry: Expiry, max: usize) -> Self {
        let store = BoundedStore::new(max, Eviction::Oldest);
        match expiry {
            Expiry::Idle(idle) => Self {
                lifetime: None,
                entries: store.with_idle_timeout(idle),
            },
            Expiry::Fixed(lifetime) => Self {
                lifetime: Some(lifetime),
                entries: store,
            },
        }
    }

    /// Creates an entry for `user` and returns its new random id. A store of
    /// size zero keeps nothing: the id is handed out but never valid.
    pub fn create(&mut self, user: &str, now: Instant) -> String {
        let id = new_id();
        let deadline = self.lifetime.and_then(|d| now.checked_add(d));
        self.entries.insert(id, user.to_owned(), deadline, now);
        String::from_utf8_lossy(&id).into_owned()
    }

    /// The user of a live entry (and marks it used); an expired entry is removed.
    pub fn lookup(&mut self, id: &str, now: Instant) -> Option<String> {
        self.entries.get(&key(id)?, now).cloned()
    }

    /// Ends an entry (logout). Unknown ids are ignored.
    pub fn remove(&mut self, id: &str) {
        if let Some(id) = key(id) {
            self.entries.remove(&id);
        }
    }

    /// Ends every entry of `user`.
    pub fn remove_user(&mut self, user: &str) {
        self.entries.retain(|owner| owner != user);
    }

    /// Ends everything (`/__tollgate/reset`).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_entries_expire_and_use_extends_them() {
        let t0 = Instant::now();
        let mut store = SessionStore::new(Expiry::Idle(Duration::from_secs(60)), 10);
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
        let mut store = SessionStore::new(Expiry::Fixed(Duration::from_secs(60)), 10);
        let id = store.create("alice", t0);
        assert!(store.lookup(&id, t0 + Duration::from_secs(50)).is_some());
        assert!(store.lookup(&id, t0 + Duration::from_secs(61)).is_none());
    }

    #[test]
    fn a_full_store_evicts_the_oldest() {
        let t0 = Instant::now();
        let mut store = SessionStore::new(Expiry::Idle(Duration::from_secs(60)), 2);
        let a = store.create("a", t0);
        let b = store.create("b", t0);
        let c = store.create("c", t0);
        assert_eq!(store.len(), 2);
        assert!(store.lookup(&a, t0).is_none());
        assert!(store.lookup(&b, t0).is_some());
        assert!(store.lookup(&c, t0).is_some());
        store.remove_user("b");
        assert_eq!(store.len(), 1);
        let mut zero = SessionStore::new(Expiry::Idle(Duration::from_secs(1)), 0);
        let id = zero.create("z", t0);
        assert_eq!(id.len(), 32);
        assert!(zero.lookup(&id, t0).is_none());
    }

    #[test]
    fn a_full_store_drops_the_expired_entry_before_the_oldest_live_one() {
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        let mut store = SessionStore::new(Expiry::Idle(Duration::from_secs(60)), 2);
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

    #[test]
    fn ids_are_tomcat_shaped_and_odd_text_is_no_id() {
        let t0 = Instant::now();
        let mut store = SessionStore::new(Expiry::Idle(Duration::from_secs(60)), 10);
        let id = store.create("alice", t0);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())
        );
        assert_eq!(store.lookup("short", t0), None);
        store.remove("short");
        store.remove(&id);
        assert!(store.is_empty());
    }
}
