//! `mock.server`: how the mock's two servers treat connections (timeouts, how
//! many at once, HTTP/2, whom they believe about the client's address). These
//! bound what a slow, idle or hostile client can hold, so a standalone
//! `tollgate mock` cannot be starved.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::scenario::duration::Duration;

/// The connection limits of both mock servers (Confluence and the IdP).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ServerConfig {
    /// Once a request's first byte has arrived, its request line and headers
    /// must all arrive within this (slowloris).
    #[serde(deserialize_with = "header_read_timeout")]
    pub header_read_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed:
    /// one that never sends, a kept-alive one between requests, a stalled body.
    #[serde(deserialize_with = "idle_timeout")]
    pub idle_timeout: Duration,
    /// The TLS handshake (`tls: true`) must finish within this.
    #[serde(deserialize_with = "tls_handshake_timeout")]
    pub tls_handshake_timeout: Duration,
    /// Connections served at once on each server; further ones wait in the
    /// listen queue until one closes.
    #[serde(deserialize_with = "max_connections")]
    pub max_connections: usize,
    /// Also speak HTTP/2 (prior knowledge, and `h2` in TLS ALPN). Off: HTTP/1.1
    /// only, as Confluence's Tomcat connector serves by default.
    pub http2: bool,
    /// Believe `X-Tollgate-Client-IP` from any peer. Off: only from a loopback
    /// peer (the harness on the same host); other peers are what they are.
    pub trust_client_ip_header: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            tls_handshake_timeout: Duration::from_secs(10),
            max_connections: 1024,
            http2: false,
            trust_client_ip_header: false,
        }
    }
}

/// The longest timeout: a day is as good as none, and keeps every deadline
/// computed from it representable.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

fn header_read_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    timeout(d, "header_read_timeout")
}

fn idle_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    timeout(d, "idle_timeout")
}

fn tls_handshake_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    timeout(d, "tls_handshake_timeout")
}

/// A timeout the servers can honour: above zero (zero would refuse every
/// connection) and at most [`MAX_TIMEOUT`]. The message names the key, since
/// the loader points at the mapping.
fn timeout<'de, D: Deserializer<'de>>(deserializer: D, key: &str) -> Result<Duration, D::Error> {
    let duration = Duration::deserialize(deserializer)?;
    if duration.get().is_zero() || duration > MAX_TIMEOUT {
        return Err(serde::de::Error::custom(format!(
            "server.{key} must be longer than zero and at most 24h, e.g. 500ms or 10s"
        )));
    }
    Ok(duration)
}

fn max_connections<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let count = usize::deserialize(deserializer)?;
    if count == 0 {
        return Err(serde::de::Error::custom(
            "server.max_connections must be at least 1: no connection could be served",
        ));
    }
    Ok(count)
}
