//! What one server allows a connection: `mock.server`, made safe to serve.

use std::time::Duration;

use tokio::sync::Semaphore;

use super::fd_budget;
use crate::scenario::mock_config::ServerConfig;
use crate::scenario::mock_config::server::MAX_TIMEOUT;

/// What one server allows a connection (`mock.server`, emulator.md "Bounds").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub tls_handshake_timeout: Duration,
    pub max_connections: usize,
    pub http2: bool,
    pub trust_client_ip_header: bool,
}

impl Limits {
    /// The configured limits; timeouts over a day count as a day and a zero
    /// connection count as one (the loader refuses both; code may not), and
    /// `max_connections` stays within what `ulimit -n` leaves each server.
    pub fn from_config(config: &ServerConfig) -> Self {
        let timeout = |d: crate::scenario::duration::Duration| {
            d.get().clamp(Duration::from_millis(1), MAX_TIMEOUT.get())
        };
        Self {
            header_read_timeout: timeout(config.header_read_timeout),
            idle_timeout: timeout(config.idle_timeout),
            tls_handshake_timeout: timeout(config.tls_handshake_timeout),
            max_connections: config
                .max_connections
                .min(fd_budget::per_server().unwrap_or(usize::MAX))
                .clamp(1, Semaphore::MAX_PERMITS),
            http2: config.http2,
            trust_client_ip_header: config.trust_client_ip_header,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::from_config(&ServerConfig::default())
    }
}
