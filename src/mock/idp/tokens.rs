//! The IdP's memory of what it issued: access and refresh tokens, capped and
//! expiring on the mock's clock.
//!
//! Introspection (RFC 7662, F-OAUTH-4), userinfo and revocation (RFC 7009) all ask
//! this store, so a revoked or expired token is inactive everywhere at once. Keys are
//! SHA-256 digests of the token text: a store entry is bounded in size whatever the
//! token (a JWT is ~700 bytes) and the raw token is never kept.
//!
//! Bounded by construction: at most `max` entries per kind; inserting into a full
//! store first drops expired entries, then evicts the oldest one.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

/// What was issued, as introspection reports it (F-OAUTH-4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Ties an access token to the refresh token it came with (RFC 7009 §2.1:
    /// revoking a refresh token also invalidates the access tokens of its grant).
    pub grant_id: u64,
    pub client_id: String,
    /// The resource owner; `None` for client_credentials.
    pub username: Option<String>,
    pub scope: String,
    /// `sub`: the user name, or the client id for client_credentials.
    pub sub: String,
    pub jti: String,
    /// Unix seconds on the mock's clock.
    pub iat: u64,
    pub exp: u64,
}

#[derive(Debug)]
struct Entry {
    grant: Grant,
    seq: u64,
}

/// Token digest → what was issued, capped at `max` entries.
#[derive(Debug)]
pub struct TokenStore {
    max: usize,
    entries: HashMap<[u8; 32], Entry>,
    /// Insertion order, for evicting the oldest entry.
    order: BTreeMap<u64, [u8; 32]>,
    next_seq: u64,
}

impl TokenStore {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Remembers `token`. A store of size zero keeps nothing (every token is then
    /// inactive at once).
    pub fn insert(&mut self, token: &str, grant: Grant, now: u64) {
        if self.max == 0 {
            return;
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
        let key = digest(token);
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Some(old) = self.entries.insert(key, Entry { grant, seq }) {
            self.order.remove(&old.seq);
        }
        self.order.insert(seq, key);
    }

    /// The grant behind a live token; an expired one is forgotten on the way.
    pub fn lookup(&mut self, token: &str, now: u64) -> Option<Grant> {
        let key = digest(token);
        let entry = self.entries.get(&key)?;
        if entry.grant.exp <= now {
            self.remove_key(&key);
            return None;
        }
        Some(entry.grant.clone())
    }

    /// Forgets `token`; returns what it was, if it was known.
    pub fn remove(&mut self, token: &str) -> Option<Grant> {
        self.remove_key(&digest(token))
    }

    /// Forgets every token of one grant (RFC 7009 §2.1).
    pub fn remove_grant(&mut self, grant_id: u64) {
        let keys: Vec<[u8; 32]> = self
            .entries
            .iter()
            .filter(|(_, e)| e.grant.grant_id == grant_id)
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            self.remove_key(&key);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn remove_key(&mut self, key: &[u8; 32]) -> Option<Grant> {
        let entry = self.entries.remove(key)?;
        self.order.remove(&entry.seq);
        Some(entry.grant)
    }

    fn purge_expired(&mut self, now: u64) {
        let dead: Vec<[u8; 32]> = self
            .entries
            .iter()
            .filter(|(_, e)| e.grant.exp <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in dead {
            self.remove_key(&key);
        }
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(grant_id: u64, exp: u64) -> Grant {
        Grant {
            grant_id,
            client_id: "c".into(),
            username: Some("alice".into()),
            scope: "openid".into(),
            sub: "alice".into(),
            jti: "j".into(),
            iat: 0,
            exp,
        }
    }

    #[test]
    fn tokens_expire_and_can_be_removed() {
        let mut store = TokenStore::new(10);
        store.insert("a", grant(1, 100), 0);
        assert!(store.lookup("a", 99).is_some());
        assert!(store.lookup("a", 100).is_none());
        assert!(store.is_empty());
        store.insert("b", grant(1, 100), 0);
        assert!(store.remove("b").is_some());
        assert!(store.remove("b").is_none());
    }

    #[test]
    fn a_full_store_drops_expired_then_the_oldest() {
        let mut store = TokenStore::new(2);
        store.insert("a", grant(1, 10), 0);
        store.insert("b", grant(2, 100), 0);
        store.insert("c", grant(3, 100), 50);
        assert_eq!(store.len(), 2);
        assert!(store.lookup("a", 50).is_none());
        store.insert("d", grant(4, 100), 50);
        assert!(store.lookup("b", 50).is_none(), "the oldest is evicted");
        assert!(store.lookup("c", 50).is_some() && store.lookup("d", 50).is_some());
        TokenStore::new(0).insert("z", grant(5, 100), 0);
    }

    #[test]
    fn removing_a_grant_removes_all_its_tokens() {
        let mut store = TokenStore::new(10);
        store.insert("a", grant(1, 100), 0);
        store.insert("b", grant(1, 100), 0);
        store.insert("c", grant(2, 100), 0);
        store.remove_grant(1);
        assert_eq!(store.len(), 1);
        assert!(store.lookup("c", 0).is_some());
    }
}
