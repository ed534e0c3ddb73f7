//! The two reqwest clients a run sends with: one that never follows a redirect,
//! one that follows up to ten; neither keeps cookies or asks a proxy.

use std::time::Duration;

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
