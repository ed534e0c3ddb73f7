//! The HTTP client side every stage that sends shares: the clients (no cookie
//! jar, no proxy, bounded connects), where a scenario's requests go, and the
//! per-user state a request is built from ([`Env`]). [`prepare`] builds a step's
//! request; [`response`] reads an answer into what [`crate::expect`] judges.
//!
//! Below `run` and `load`, which both send through it; it knows nothing of the
//! emulator but the wire names in [`crate::wire`].

pub mod prepare;
pub mod response;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::auth::keys::KeyRing;
use crate::auth::oauth::TokenCache;
use crate::wire;
pub use prepare::{PrepareError, Prepared, prepare};
pub use response::{describe_error, read_response};

/// How long a connection may take before the target counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the clients could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("not a PEM certificate: {0}")]
    Certificate(String),
    #[error("cannot set up the HTTP client: {0}")]
    Build(String),
}

/// The HTTP clients every step uses. No cookie store: a scenario's cookies come
/// only from `cookies:` and captures.
#[derive(Clone, Debug)]
pub struct Clients {
    pub direct: reqwest::Client,
    pub following: reqwest::Client,
}

/// Which servers' certificates the clients accept besides the system's roots.
#[derive(Clone, Debug, Default)]
pub struct TlsTrust {
    /// Extra CA certificates in PEM (`--ca-cert`, the embedded mock's CA).
    pub extra_roots_pem: Vec<String>,
    /// `--insecure`: accept any certificate (a staging server's self-signed one).
    pub insecure: bool,
}

impl Clients {
    pub fn new(trust: &TlsTrust) -> Result<Self, ClientError> {
        let mut roots = Vec::new();
        for pem in &trust.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| ClientError::Certificate(e.to_string()))?;
            roots.extend(certs);
        }
        let build = |policy| {
            let mut builder = reqwest::Client::builder()
                .redirect(policy)
                .connect_timeout(CONNECT_TIMEOUT)
                // Loopback targets must never go through a proxy from the environment.
                .no_proxy()
                // goose turns on reqwest's gzip feature; a step sends no
                // Accept-Encoding it does not ask for.
                .no_gzip()
                .user_agent(concat!("tollgate/", env!("CARGO_PKG_VERSION")));
            if !roots.is_empty() {
                builder = builder.tls_certs_merge(roots.iter().cloned());
            }
            if trust.insecure {
                builder = builder.tls_danger_accept_invalid_certs(true);
            }
            builder
                .build()
                .map_err(|e| ClientError::Build(e.to_string()))
        };
        Ok(Clients {
            direct: build(reqwest::redirect::Policy::none())?,
            following: build(reqwest::redirect::Policy::limited(10))?,
        })
    }
}

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
/// its endpoints and keys, its OAuth token cache, and how far `wait:` moved the
/// mock's clock.
pub struct Env {
    pub endpoints: Arc<Endpoints>,
    pub keys: Arc<KeyRing>,
    pub tokens: TokenCache,
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
            clock_offset: AtomicU64::new(0),
        }
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
