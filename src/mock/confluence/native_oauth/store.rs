//! The codes and tokens of Confluence's own OAuth 2 provider (F-OAUTH-1/2):
//! three [`BoundedStore`]s on the mock's clock, keyed by the SHA-256 of the
//! secret (the raw code or token is never kept). Each entry dies at its
//! deadline; a full store drops the dead, then the oldest.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::mock::store::{BoundedStore, Eviction};

/// F-OAUTH-1: refresh tokens live 90 days.
pub const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(90 * 86_400);
/// An authorization code is good for 10 minutes (RFC 6749 §4.1.2 recommends at
/// most 10; inferred).
pub const CODE_TTL: Duration = Duration::from_secs(600);
/// Caps on the stores (oldest entry evicted first).
pub const MAX_CODES: usize = 1_000;
pub const MAX_TOKENS: usize = 10_000;

/// A grant: who, for which client.
#[derive(Clone, Debug)]
pub struct Grant {
    pub user: String,
    pub client_id: String,
    pub scope: Option<String>,
}

/// An authorization code's grant and what redeeming it must match.
#[derive(Clone, Debug)]
pub struct Code {
    pub grant: Grant,
    pub redirect_uri: String,
    pub challenge: Option<String>,
}

/// SHA-256 of a secret → value, expiring, at most `max` entries.
#[derive(Debug)]
pub struct Hashed<T>(BoundedStore<[u8; 32], T>);

impl<T> Hashed<T> {
    fn new(max: usize) -> Self {
        Self(BoundedStore::new(max, Eviction::Oldest))
    }

    /// Stores `value` under the hash of `secret` until `now + ttl`.
    pub fn insert(&mut self, secret: &str, value: T, ttl: Duration, now: Instant) {
        self.0
            .insert(digest(secret), value, now.checked_add(ttl), now);
    }

    /// The live value of `secret`; an expired entry is dropped.
    pub fn get(&mut self, secret: &str, now: Instant) -> Option<&T> {
        self.0.peek(&digest(secret), now)
    }

    /// Removes and returns the live value of `secret` (single use).
    pub fn take(&mut self, secret: &str, now: Instant) -> Option<T> {
        self.0.take(&digest(secret), now)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// 32 random bytes, base64url without padding (43 characters). Never PAT-shaped:
/// a PAT is 44 characters of standard base64 (F-PAT-3).
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Codes, access tokens and refresh tokens of one instance.
#[derive(Debug)]
pub struct OauthStore {
    pub codes: Hashed<Code>,
    pub access: Hashed<Grant>,
    pub refresh: Hashed<Grant>,
}

impl Default for OauthStore {
    fn default() -> Self {
        Self {
            codes: Hashed::new(MAX_CODES),
            access: Hashed::new(MAX_TOKENS),
            refresh: Hashed::new(MAX_TOKENS),
        }
    }
}

impl OauthStore {
    /// Entries held, codes and tokens together (tests check the caps).
    pub fn len(&self) -> usize {
        self.codes.len() + self.access.len() + self.refresh.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The user of a live access token.
    pub fn user_of(&mut self, token: &str, now: Instant) -> Option<String> {
        self.access.get(token, now).map(|g| g.user.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::confluence::pats::store::parse_raw;

    #[test]
    fn stores_expire_take_once_and_cap() {
        let t0 = Instant::now();
        let ttl = Duration::from_secs(10);
        let mut store: Hashed<u32> = Hashed::new(2);
        store.insert("a", 1, ttl, t0);
        assert_eq!(store.get("a", t0), Some(&1));
        assert_eq!(store.get("a", t0 + ttl), None);
        assert_eq!(store.len(), 0);
        store.insert("b", 2, ttl, t0);
        assert_eq!(store.take("b", t0), Some(2));
        assert_eq!(store.take("b", t0), None);
        for (i, k) in ["c", "d", "e"].iter().enumerate() {
            store.insert(k, i as u32, ttl, t0);
        }
        assert_eq!(store.len(), 2);
        assert_eq!(store.get("c", t0), None);
        assert_eq!(store.get("e", t0), Some(&2));
        // Secrets are stored hashed: the raw secret is no key.
        let raw: [u8; 32] = {
            let mut k = [0u8; 32];
            k[..1].copy_from_slice(b"e");
            k
        };
        assert!(store.0.peek(&raw, t0).is_none());
        assert!(store.0.peek(&digest("e"), t0).is_some());
    }

    #[test]
    fn secrets_are_never_pat_shaped() {
        let s = new_secret();
        assert_eq!(s.len(), 43);
        assert!(parse_raw(&s).is_none());
    }
}
