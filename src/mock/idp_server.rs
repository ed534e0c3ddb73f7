//! The identity provider served alone (`tollgate idp`): the same IdP and Crowd
//! session service the embedded mock runs beside Confluence, for a real
//! Confluence's REST-auth plugin or Crowd client to be pointed at.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::auth::keys::SigningKey;
use crate::mock::connections::{Limits, serve};
use crate::mock::idp::state::IdpState;
use crate::mock::idp::{self};
use crate::mock::server::{bind, build_idp};
use crate::scenario::mock_config::MockConfig;

/// An IdP serving in the background until [`RunningIdp::shutdown`].
pub struct RunningIdp {
    url: String,
    local_addr: SocketAddr,
    idp: IdpState,
    task: JoinHandle<std::io::Result<()>>,
}

/// Only the addresses: the state holds client secrets and tokens.
impl std::fmt::Debug for RunningIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningIdp")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Serves `config.idp` on `addr` under `config.server`'s limits. `public_url`
/// is what it calls itself (issuer, discovery and JWKS URLs), default
/// `http://ADDR`; `keys` hold the signing key `config.idp.signing_key` names.
pub async fn start_idp_on(
    config: &MockConfig,
    addr: SocketAddr,
    keys: &[SigningKey],
    public_url: Option<&str>,
) -> std::io::Result<RunningIdp> {
    let listener = bind(addr)?;
    let local_addr = listener.local_addr()?;
    let url = public_url
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("http://{local_addr}"));
    let idp = build_idp(config, &url, keys)?;
    let limits = Limits::from_config(&config.server);
    let task = tokio::spawn(serve(
        listener,
        idp::router(idp.clone()),
        idp.stopped(),
        limits,
        None,
    ));
    Ok(RunningIdp {
        url,
        local_addr,
        idp,
        task,
    })
}

impl RunningIdp {
    /// What it calls itself: the issuer and the base of its endpoints.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets requests in flight finish (at most 5 s), and waits.
    pub async fn shutdown(self) {
        self.idp.stop();
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}
