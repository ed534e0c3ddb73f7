//! The IdP's memory of what it issued: access and refresh tokens, each kind a
//! [`BoundedStore`] of [`MAX_TOKENS`] on the mock's clock.
//!
//! Introspection (RFC 7662, F-OAUTH-4), userinfo and revocation (RFC 7009) all ask
//! this store, so a revoked or expired token is inactive everywhere at once. Keys are
//! SHA-256 digests of the token text: an entry is bounded in size whatever the
//! token (a JWT is ~700 bytes) and the raw token is never kept. A token dies at
//! its `exp` (whole Unix seconds on the mock's clock); a full store drops the dead,
//! then the oldest token.

use sha2::{Digest, Sha256};

use crate::mock::store::{BoundedStore, Eviction};

/// Most live access tokens (and, separately, refresh tokens) the IdP remembers:
/// the emulator keeps no unbounded state (ARCHITECTURE.md, "Invariants").
pub const MAX_TOKENS: usize = 10_000;

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

/// Token digest → what was issued, capped; `now` is Unix seconds on the mock's clock.
#[derive(Debug)]
pub struct TokenStore(BoundedStore<[u8; 32], Grant, u64>);

impl Default for TokenStore {
    fn default() -> Self {
        Self::new(MAX_TOKENS)
    }
}

impl TokenStore {
    pub fn new(max: usize) -> Self {
        Self(BoundedStore::new(max, Eviction::Oldest))
    }

    /// Remembers `token` until its grant's `exp`. A store of size zero keeps
    /// nothing (every token is then inactive at once).
    pub fn insert(&mut self, token: &str, grant: Grant, now: u64) {
        let exp = grant.exp;
        self.0.insert(digest(token), grant, Some(exp), now);
    }

    /// The grant behind a live token; an expired one is forgotten on the way.
    pub fn lookup(&mut self, token: &str, now: u64) -> Option<Grant> {
        self.0.peek(&digest(token), now).cloned()
    }

    /// Forgets `token`; returns what it was, if it was known.
    pub fn remove(&mut self, token: &str) -> Option<Grant> {
        self.0.remove(&digest(token))
    }

    /// Forgets every token of one grant (RFC 7009 §2.1).
    pub fn remove_grant(&mut self, grant_id: u64) {
        self.0.retain(|grant| grant.grant_id != grant_id);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Forgets every token.
    pub fn clear(&mut self) {
        self.0.clear();
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
        let mut none = TokenStore::new(0);
        none.insert("z", grant(5, 100), 0);
        assert!(none.lookup("z", 0).is_none());
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
