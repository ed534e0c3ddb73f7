//! The two reqwest clients a run sends with: one that never follows a redirect,
//! one that follows up to ten; neither keeps cookies or asks a proxy.

use std::sync::Mutex;
use std::time::Duration;

/// How long a connection may take before the target counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How many trust configurations keep their clients for the process: a process
/// sees one or two (selftest: the same one 38 times).
const SHARED_MAX: usize = 8;

/// Clients already built, by the trust they were built with. Building one loads
/// the system's root certificates, a cost worth paying once per process rather
/// than once per suite run.
static SHARED: Mutex<Vec<(TlsTrust, Clients)>> = Mutex::new(Vec::new());

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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsTrust {
    /// Extra CA certificates in PEM (`--ca-cert`, the embedded mock's CA).
    pub extra_roots_pem: Vec<String>,
    /// `--insecure`: accept any certificate (a staging server's self-signed one).
    pub insecure: bool,
}

impl Clients {
    /// Clients for `trust`, built once per process and shared (a client is a
    /// handle: copies share one connection pool, and none keeps cookies).
    pub fn shared(trust: &TlsTrust) -> Result<Self, ClientError> {
        // A poisoned list only loses what it cached; building again is correct.
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, clients)) = shared.iter().find(|(t, _)| t == trust) {
            return Ok(clients.clone());
        }
        let clients = Clients::new(trust)?;
        if shared.len() >= SHARED_MAX {
            shared.remove(0);
        }
        shared.push((trust.clone(), clients.clone()));
        Ok(clients)
    }

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
