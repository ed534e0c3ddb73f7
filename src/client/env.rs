//! What a scenario's requests are built against: its endpoints, and the state
//! one scenario run (or one load user) keeps while it sends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::clients::Clients;
use super::response::describe_error;
use crate::auth::jwt::reuse::JwtCache;
use crate::auth::keys::KeyRing;
use crate::auth::oauth::TokenCache;
use crate::wire;

/// Where one scenario's requests go, fixed once its target is known.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// No trailing slash.
    pub base_url: String,
    /// The identity provider (`--idp`, the embedded one, else the target itself,
    /// so `${idp_url}` still resolves).
    pub idp_url: String,
    /// The base URL's path (`/confluence`), for the Connect qsh.
    pub context_path: String,
    /// The target is the embedded mock: `wait:` moves its clock instead of
    /// sleeping, and `client_ip:` may stand for the peer address.
    pub embedded: bool,
}

/// What the steps of one scenario run (or one load user) share while they send:
/// its endpoints and keys, its OAuth token cache (and a load user's JWTs), and
/// how far `wait:` moved the mock's clock.
pub struct Env {
    pub endpoints: Arc<Endpoints>,
    pub keys: Arc<KeyRing>,
    pub tokens: TokenCache,
    /// A load user's JWTs, reused until they near their `exp`; `None` under
    /// `tollgate run`, where every step mints its own so a scenario's steps mean
    /// what they say whatever ran before them.
    jwts: Option<JwtCache>,
    /// Whole seconds `wait:` has moved the mock's clock, so tokens minted here
    /// carry the time the mock sees.
    clock_offset: AtomicU64,
}

/// Why a `wait:` could not let time pass.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("cannot move the mock's clock: {0}")]
    Unreachable(String),
    #[error("the mock refused to move its clock: {0}")]
    Refused(reqwest::StatusCode),
}

impl Env {
    pub fn new(endpoints: Arc<Endpoints>, keys: Arc<KeyRing>) -> Self {
        Env {
            endpoints,
            keys,
            tokens: TokenCache::default(),
            jwts: None,
            clock_offset: AtomicU64::new(0),
        }
    }

    /// This user keeps its JWTs as clients do (`tollgate load`): one per spec,
    /// minted again when it nears its `exp`, unless the spec needs a fresh one.
    pub fn reusing_jwts(mut self) -> Self {
        self.jwts = Some(JwtCache::default());
        self
    }

    /// Where this user's JWTs are kept, if they are reused.
    pub fn jwts(&self) -> Option<&JwtCache> {
        self.jwts.as_ref()
    }

    /// Seconds since the epoch as the target sees it.
    pub fn now(&self) -> u64 {
        unix_now() + self.clock_offset.load(Ordering::Relaxed)
    }

    /// Lets `by` pass for the target: the embedded mock's clock is moved (no
    /// real time passes); a real server is waited for.
    pub async fn wait(&self, clients: &Clients, by: Duration) -> Result<(), WaitError> {
        if !self.endpoints.embedded {
            tokio::time::sleep(by).await;
            return Ok(());
        }
        let url = format!("{}{}", self.endpoints.base_url, wire::control::CLOCK);
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let response = clients
            .direct
            .post(&url)
            .query(&[("advance", format!("{millis}ms"))])
            .send()
            .await
            .map_err(|e| WaitError::Unreachable(describe_error(&e)))?;
        if !response.status().is_success() {
            return Err(WaitError::Refused(response.status()));
        }
        // Whole seconds only: JWT times are whole seconds, and rounding down keeps
        // a token minted after a wait from looking like it comes from the future.
        self.clock_offset.fetch_add(by.as_secs(), Ordering::Relaxed);
        Ok(())
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
