//! Starting the mock: bind Confluence and the IdP, build their state (one clock,
//! every verifier from the configuration and keys), serve both in the
//! background under `mock.server`'s limits ([`crate::mock::connections`]), and
//! hand back a [`RunningMock`] that stops them.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::auth::keys::SigningKey;
use crate::mock::clock::Clock;
use crate::mock::confluence::plugin_bearer::PluginBearerVerifier;
use crate::mock::confluence::state::State;
use crate::mock::confluence::{self};
use crate::mock::connections::{Limits, serve};
use crate::mock::idp::state::{IdpState, select_signing_key};
use crate::mock::idp::{self};
use crate::mock::tls;
use crate::scenario::mock_config::MockConfig;

/// The whole mock as one router: the Confluence side, under its context path.
/// Build the [`State`] with the address it will be served at.
pub fn router(state: State) -> axum::Router {
    confluence::router(state)
}

/// Binds `127.0.0.1:0` (Confluence and the IdP each) and starts the mock on the
/// current tokio runtime. Same as [`start_with_keys`] with no keys.
pub async fn start(config: &MockConfig) -> std::io::Result<RunningMock> {
    start_with_keys(config, &[]).await
}

/// Like [`start`], with the scenario's signing keys: `idp.signing_key` and the
/// plugin's `bearer.jwt.keys` name keys among them.
pub async fn start_with_keys(
    config: &MockConfig,
    keys: &[SigningKey],
) -> std::io::Result<RunningMock> {
    start_on_with_keys(config, SocketAddr::from(([127, 0, 0, 1], 0)), keys).await
}

/// Binds `addr` for Confluence and starts the mock on the current tokio runtime;
/// the IdP goes on [`idp_addr`]`(addr)`.
pub async fn start_on(config: &MockConfig, addr: SocketAddr) -> std::io::Result<RunningMock> {
    start_on_with_keys(config, addr, &[]).await
}

/// Where the IdP listens when Confluence listens on `addr`: the same IP and the
/// next port (`--bind 0.0.0.0:8090` → IdP on 8091, a stable URL to configure a real
/// plugin with), or an ephemeral port when `addr`'s port is 0.
pub fn idp_addr(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    if addr.port() == 0 {
        return Ok(SocketAddr::new(addr.ip(), 0));
    }
    let port = addr.port().checked_add(1).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "port 65535 leaves no next port for the identity provider",
        )
    })?;
    Ok(SocketAddr::new(addr.ip(), port))
}

/// [`start_on`] with the scenario's keys. Serves Confluence on `addr` and the IdP
/// on [`idp_addr`]; both share one clock. Every verifier the configuration
/// switches on (Connect JWT, the plugin's bearer check, Crowd SSO) is built from
/// `config` and `keys` by `confluence::State::with_idp`, into the state.
pub async fn start_on_with_keys(
    config: &MockConfig,
    addr: SocketAddr,
    keys: &[SigningKey],
) -> std::io::Result<RunningMock> {
    let limits = Limits::from_config(&config.server);
    let tls = if config.tls {
        let ca = tls::ca().map_err(std::io::Error::other)?;
        let server_config = ca
            .server_config_for(limits.http2)
            .map_err(std::io::Error::other)?;
        Some(TlsAcceptor::from(server_config))
    } else {
        None
    };
    let listener = bind(addr)?;
    let local_addr = listener.local_addr()?;
    let idp_listener = bind(idp_addr(addr)?)?;
    let idp_url = format!("http://{}", idp_listener.local_addr()?);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let origin = format!("{scheme}://{local_addr}");

    let (state, idp) = build(config, &origin, &idp_url, keys)?;
    let base_url = format!("{origin}{}", state.context_path());
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    // The receiver resolves when `stop` sends or is dropped: dropping the
    // `RunningMock` stops the server too.
    let shutdown = async move {
        let _ = stopped.await;
    };
    let task = tokio::spawn(serve(listener, app, shutdown, limits, tls));
    // The IdP stays on HTTP: TLS is for the Confluence side's Secure cookies.
    let idp_app = idp::router(idp.clone());
    let idp_task = tokio::spawn(serve(idp_listener, idp_app, idp.stopped(), limits, None));
    Ok(RunningMock {
        base_url,
        local_addr,
        state,
        idp_url,
        idp,
        stop: Some(stop),
        task: Some(task),
        idp_task: Some(idp_task),
    })
}

/// Connections the kernel may hold for a server before it accepts them (within
/// `net.core.somaxconn`): std's 128 overflows when a load test or a burst opens
/// hundreds at once, and an overflowed handshake leaves the client believing in
/// a connection the server never sees. Also where connections beyond
/// `max_connections` wait.
const LISTEN_BACKLOG: u32 = 1024;

/// Listens on `addr` as `TcpListener::bind` does (address reuse on Unix), with
/// [`LISTEN_BACKLOG`].
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The IdP of `config`, calling itself `url`, on a fresh clock. A signing key
/// that cannot be used is `InvalidInput`.
pub(crate) fn build_idp(
    config: &MockConfig,
    url: &str,
    keys: &[SigningKey],
) -> std::io::Result<IdpState> {
    let key = select_signing_key(&config.idp, keys)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let idp = IdpState::new(&config.idp, url, key, Clock::new());
    // "Require consistent IP" is the Crowd server's setting, configured on the
    // Confluence side of a scenario.
    idp.crowd()
        .set_require_consistent_ip(config.confluence.crowd.require_consistent_ip);
    Ok(idp)
}

/// The IdP and the Confluence state on one clock. A configuration that cannot
/// be served (a bad key or proxy entry) is `InvalidInput`.
pub(crate) fn build(
    config: &MockConfig,
    origin: &str,
    idp_url: &str,
    keys: &[SigningKey],
) -> std::io::Result<(State, IdpState)> {
    let invalid = |e: &dyn std::fmt::Display| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
    };
    let idp = build_idp(config, idp_url, keys)?;
    let state = State::with_idp(&config.confluence, origin, keys, &idp).map_err(|e| invalid(&e))?;
    Ok((state, idp))
}

/// A mock serving in the background. Dropping it stops the server.
pub struct RunningMock {
    base_url: String,
    local_addr: SocketAddr,
    state: State,
    idp_url: String,
    idp: IdpState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    idp_task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Only the addresses: the state holds passwords and tokens, and a Debug line
/// ends up in panic messages.
impl std::fmt::Debug for RunningMock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningMock")
            .field("base_url", &self.base_url)
            .field("idp_url", &self.idp_url)
            .finish_non_exhaustive()
    }
}

impl RunningMock {
    /// Where to reach the instance: `http://127.0.0.1:PORT` plus the context path.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The live state (its clock, sessions, counters), for tests and control.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Where the identity provider answers: `http://127.0.0.1:PORT` (no trailing slash).
    pub fn idp_url(&self) -> &str {
        &self.idp_url
    }

    /// The IdP's live state (its clock is the Confluence side's clock).
    pub fn idp(&self) -> &IdpState {
        &self.idp
    }

    /// The plugin's bearer check, when a `plugin:` is configured.
    pub fn plugin_bearer(&self) -> Option<&PluginBearerVerifier> {
        self.state.verifiers.plugin_bearer.as_ref()
    }

    /// Stops accepting on both servers, lets requests in flight finish (at most
    /// 5 s each), and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.idp.stop();
        for task in [self.task.take(), self.idp_task.take()]
            .into_iter()
            .flatten()
        {
            let mut task = task;
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        // Dropping the sender resolves the shutdown future; the task then ends
        // on its own once open connections close. The IdP's state outlives its
        // server (the router holds it), so it is told to stop explicitly.
        self.stop.take();
        self.idp.stop();
    }
}
