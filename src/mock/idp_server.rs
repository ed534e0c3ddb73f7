//! The identity provider served alone (`tollgate idp`): the same IdP and Crowd
//! session service the embedded mock runs beside Confluence, for a real
//! Confluence's REST-auth plugin or Crowd client to be pointed at. It is the IdP
//! in the loop ([`IdpInLoop`]) with one configuration for its whole life, so it
//! has the same control endpoints (clock, rotate, calls, down).

use std::net::SocketAddr;

use crate::auth::keys::SigningKey;
use crate::mock::connections::Limits;
use crate::mock::idp::state::IdpState;
use crate::mock::idp_loop::{IdpInLoop, LoopOptions};
use crate::scenario::mock_config::MockConfig;

/// An IdP serving in the background until [`RunningIdp::shutdown`].
#[derive(Debug)]
pub struct RunningIdp {
    inner: IdpInLoop,
    idp: IdpState,
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
    let options = LoopOptions {
        public_url: public_url.map(str::to_owned),
        limits: Limits::from_config(&config.server),
        ..LoopOptions::default()
    };
    let inner = IdpInLoop::start(addr, options)?;
    let idp = inner.begin(config, keys)?;
    Ok(RunningIdp { inner, idp })
}

impl RunningIdp {
    /// What it calls itself: the issuer and the base of its endpoints.
    pub fn url(&self) -> &str {
        self.inner.url()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr()
    }

    /// The IdP's live state (its clock, tokens and log).
    pub fn idp(&self) -> &IdpState {
        &self.idp
    }

    /// Stops accepting, lets requests in flight finish (at most 5 s), and waits.
    pub async fn shutdown(self) {
        self.inner.shutdown().await;
    }
}
