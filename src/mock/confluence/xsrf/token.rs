//! The per-instance secret `atl_token`s are derived from (F-XSRF-4): the token
//! of a session is a keyed hash of its id, so the mock stores nothing more.

use sha2::{Digest, Sha256};

/// The per-instance secret the session tokens are derived from (F-XSRF-4).
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

impl Default for TokenKey {
    fn default() -> Self {
        Self(rand::random())
    }
}

impl TokenKey {
    /// The `atl_token` of the session `session_id`: 40 hex digits, stable for the
    /// session's life, unguessable without the instance's secret.
    pub fn token(&self, session_id: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.0);
        hasher.update(b"\0atl_token\0");
        hasher.update(session_id.as_bytes());
        let digest = hasher.finalize();
        hex::encode(&digest[..20])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_session_and_per_instance() {
        let key = TokenKey::default();
        assert_eq!(key.token("A"), key.token("A"));
        assert_ne!(key.token("A"), key.token("B"));
        assert_ne!(key.token("A"), TokenKey::default().token("A"));
        assert_eq!(key.token("A").len(), 40);
    }
}
