//! The identity provider in the loop (issue 13): one listener for a whole run,
//! where a real Confluence can reach it, answering each scenario with that
//! scenario's IdP. [`IdpInLoop::begin`] swaps in a fresh [`IdpState`] (users,
//! clients, lifetimes, clock and log of the next scenario; the run's signing
//! key) and every later request, on new or kept-alive connections, is answered
//! by it. While the current state is down (`POST /__tollgate/down`), new
//! connections are closed unanswered; the listener stays, so the next `begin`
//! brings the IdP back on the same address.
//!
//! Serving reuses [`serve`] and its [`Limits`]: each stretch of time the IdP is
//! up is one `serve` on a duplicate of the run's listening socket, whose router
//! forwards every request to the current state's router; while it is down, a
//! closer takes connections on another duplicate and drops them. Duplicates
//! share one socket, so the address never closes between scenarios.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::auth::keys::{Alg, KeyOwner, SigningKey, read_pem_file};
use crate::mock::connections::{Limits, serve};
use crate::mock::idp::state::{GENERATED_KEY_NAME, IdpState};
use crate::mock::idp::{self};
use crate::mock::server::{bind, build_idp};
use crate::mock::tls;
use crate::scenario::mock_config::MockConfig;

/// How the IdP in the loop speaks to Confluence.
#[derive(Clone, Debug, Default)]
pub enum LoopTls {
    /// Plain HTTP.
    #[default]
    Off,
    /// A certificate for the listen and public host from the process's mock CA;
    /// the CA's PEM is written to `ca_out` for Confluence's truststore.
    Generated { ca_out: PathBuf },
    /// The user's own certificate chain and private key (PEM files).
    Files { cert: PathBuf, key: PathBuf },
}

/// What [`IdpInLoop::start`] needs besides the address.
#[derive(Clone, Debug, Default)]
pub struct LoopOptions {
    /// What the IdP calls itself (issuer, discovery, JWKS and introspection URLs)
    /// when a proxy or NAT stands between; default `http(s)://LOCAL_ADDR`.
    pub public_url: Option<String>,
    /// The run's signing key, kept across scenarios so a plugin configured with
    /// the JWKS once keeps verifying; an RS256 key is made when `None`.
    pub signing_key: Option<SigningKey>,
    pub tls: LoopTls,
    /// Connection limits for the whole run (`mock.server`'s defaults unless set).
    pub limits: Limits,
    /// Published at `/jwks` beside each scenario's signing key: every key the
    /// run's scenarios sign with, so a verifier that caches the JWKS (and may
    /// refetch it only so often) knows them all from its first fetch.
    pub also_publish: Vec<SigningKey>,
}

/// The IdP serving in the background for a run, until [`IdpInLoop::shutdown`]
/// (or drop).
pub struct IdpInLoop {
    url: String,
    local_addr: SocketAddr,
    ca_pem: Option<String>,
    signing_key: SigningKey,
    also_publish: Vec<SigningKey>,
    current: Arc<Current>,
    closing: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Only the addresses: the state holds client secrets and tokens.
impl std::fmt::Debug for IdpInLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpInLoop")
            .field("url", &self.url)
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

/// The state every request goes to, and a signal for each swap.
struct Current {
    served: RwLock<Served>,
    swapped: watch::Sender<()>,
}

#[derive(Clone)]
struct Served {
    state: IdpState,
    router: Router,
}

impl Current {
    fn served(&self) -> Served {
        self.served
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn swap(&self, state: IdpState) {
        let router = idp::router(state.clone());
        *self.served.write().unwrap_or_else(PoisonError::into_inner) = Served { state, router };
        self.swapped.send_replace(());
    }
}

impl IdpInLoop {
    /// Binds `addr` and serves an IdP with an empty configuration until the first
    /// [`begin`](Self::begin). Needs a tokio runtime (it spawns the server).
    pub fn start(addr: SocketAddr, options: LoopOptions) -> std::io::Result<IdpInLoop> {
        let runtime = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        let signing_key = match options.signing_key {
            Some(key) if key.alg() == Alg::HS256 => {
                return Err(invalid(
                    "the IdP signs with RS256 or ES256 so that /jwks can publish the public half",
                ));
            }
            Some(key) => key,
            None => SigningKey::generate_shared(KeyOwner::Mock, GENERATED_KEY_NAME, Alg::RS256)
                .map_err(|e| std::io::Error::other(e.to_string()))?,
        };
        let listener = bind(addr)?;
        let local_addr = listener.local_addr()?;
        let scheme = match options.tls {
            LoopTls::Off => "http",
            _ => "https",
        };
        let url = options.public_url.as_deref().map_or_else(
            || format!("{scheme}://{local_addr}"),
            |u| u.trim_end_matches('/').to_owned(),
        );
        let (acceptor, ca_pem) =
            tls_acceptor(&options.tls, local_addr, &url, options.limits.http2)?;
        let first = scenario_state(&url, &signing_key, &MockConfig::default(), &[])?;
        let mut idp = IdpInLoop {
            url,
            local_addr,
            ca_pem,
            signing_key,
            also_publish: options.also_publish,
            current: Arc::new(Current {
                served: RwLock::new(Served {
                    router: idp::router(first.clone()),
                    state: first,
                }),
                swapped: watch::channel(()).0,
            }),
            closing: watch::channel(false).0,
            task: None,
        };
        let supervisor = Supervisor {
            listener: listener.into_std()?,
            current: idp.current.clone(),
            closing: idp.closing.subscribe(),
            limits: options.limits,
            tls: acceptor,
        };
        idp.task = Some(runtime.spawn(supervisor.run()));
        Ok(idp)
    }

    /// What it calls itself: the issuer and the base of its endpoints (no
    /// trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The CA certificate (PEM) to trust, when the certificate was generated.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The run's signing key (what `/jwks` publishes unless a scenario names its
    /// own key or rotates).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    /// The state answering now.
    pub fn current(&self) -> IdpState {
        self.current.served().state
    }

    /// A fresh IdP for the next scenario: `config.idp` (users, clients, token
    /// lifetimes, format, audience), Crowd's "require consistent IP" from
    /// `config.confluence.crowd`, a fresh clock and log, and the run's signing key
    /// unless `config.idp.signing_key` names one of `keys`. From now on every
    /// request is answered by it, and a down IdP is up again.
    pub fn begin(&self, config: &MockConfig, keys: &[SigningKey]) -> std::io::Result<IdpState> {
        let state = scenario_state(&self.url, &self.signing_key, config, keys)?;
        // A run whose scenarios sign with keys of their own publishes all of
        // them and its own; an IdP with one key publishes that one alone.
        if !self.also_publish.is_empty() {
            let mut published = self.also_publish.clone();
            published.push(self.signing_key.clone());
            state.also_publish(published);
        }
        self.current.swap(state.clone());
        Ok(state)
    }

    /// Stops accepting, lets requests in flight finish (at most 5 s), and waits.
    pub async fn shutdown(mut self) {
        self.closing.send_replace(true);
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for IdpInLoop {
    fn drop(&mut self) {
        self.closing.send_replace(true);
    }
}

/// One scenario's IdP calling itself `url`: `server::build_idp`, signing with
/// `run_key` unless `config.idp.signing_key` names one of `keys`.
fn scenario_state(
    url: &str,
    run_key: &SigningKey,
    config: &MockConfig,
    keys: &[SigningKey],
) -> std::io::Result<IdpState> {
    let names_a_key = config
        .idp
        .signing_key
        .as_deref()
        .is_some_and(|name| keys.iter().any(|k| k.name() == name));
    if names_a_key {
        return build_idp(config, url, keys);
    }
    let mut config = config.clone();
    config.idp.signing_key = Some(run_key.name().to_owned());
    build_idp(&config, url, std::slice::from_ref(run_key))
}

fn invalid(message: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message.into())
}

/// The TLS acceptor `tls` asks for, and the CA's PEM when generated (written to
/// `ca_out` too).
fn tls_acceptor(
    tls: &LoopTls,
    local_addr: SocketAddr,
    url: &str,
    http2: bool,
) -> std::io::Result<(Option<TlsAcceptor>, Option<String>)> {
    match tls {
        LoopTls::Off => Ok((None, None)),
        LoopTls::Generated { ca_out } => {
            let ca = tls::ca().map_err(std::io::Error::other)?;
            let config = ca
                .server_config_for_names(&certificate_names(local_addr, url), http2)
                .map_err(std::io::Error::other)?;
            std::fs::write(ca_out, ca.cert_pem()).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot write the CA to {}: {e}", ca_out.display()),
                )
            })?;
            Ok((
                Some(TlsAcceptor::from(config)),
                Some(ca.cert_pem().to_owned()),
            ))
        }
        LoopTls::Files { cert, key } => {
            let read = |path: &Path, what: &str| {
                read_pem_file(path)
                    .map_err(|e| invalid(format!("the TLS {what} {}: {e}", path.display())))
            };
            let config =
                tls::server_config_from_pem(&read(cert, "certificate")?, &read(key, "key")?, http2)
                    .map_err(|e| invalid(e.to_string()))?;
            Ok((Some(TlsAcceptor::from(config)), None))
        }
    }
}

/// The names a generated certificate covers besides loopback: the listen IP
/// (unless it is the wildcard) and the host of the public URL.
fn certificate_names(local_addr: SocketAddr, url: &str) -> Vec<String> {
    let mut names = Vec::new();
    if !local_addr.ip().is_unspecified() {
        names.push(local_addr.ip().to_string());
    }
    if let Some(host) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_string()))
    {
        // `Host` shows an IPv6 address in brackets; a certificate names it bare.
        names.push(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        );
    }
    names
}

/// Forwards each request to the current state's router: a swap takes effect on
/// the next request, whatever connection it comes on. The lock is held only to
/// clone the router.
#[derive(Clone)]
struct Forward(Arc<Current>);

impl tower_service::Service<Request> for Forward {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = <Router as tower_service::Service<Request>>::Future;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // A Router is always ready (axum documents `poll_ready` as a no-op).
        let mut router = self.0.served().router;
        tower_service::Service::call(&mut router, request)
    }
}

/// After a failed accept or duplicate, wait this long before trying again.
const BACKOFF: Duration = Duration::from_millis(50);

/// The task behind an [`IdpInLoop`]: serves while the current state is up,
/// closes connections while it is down, until the run closes.
struct Supervisor {
    listener: std::net::TcpListener,
    current: Arc<Current>,
    closing: watch::Receiver<bool>,
    limits: Limits,
    tls: Option<TlsAcceptor>,
}

impl Supervisor {
    async fn run(self) {
        let router = Router::new().fallback_service(Forward(self.current.clone()));
        let mut serving: Vec<JoinHandle<std::io::Result<()>>> = Vec::new();
        while !*self.closing.borrow() {
            let duplicate = match self.listener.try_clone().and_then(TcpListener::from_std) {
                Ok(listener) => listener,
                Err(_) => {
                    tokio::time::sleep(BACKOFF).await;
                    continue;
                }
            };
            if self.current.served().state.is_down() {
                close_unanswered(duplicate, self.until(State::Up)).await;
                continue;
            }
            let (stopped_tx, stopped) = tokio::sync::oneshot::channel::<()>();
            let until_down = self.until(State::Down);
            let shutdown = async move {
                until_down.await;
                let _ = stopped_tx.send(());
            };
            serving.retain(|task| !task.is_finished());
            serving.push(tokio::spawn(serve(
                duplicate,
                router.clone(),
                shutdown,
                self.limits,
                self.tls.clone(),
            )));
            let _ = stopped.await;
        }
        // Connections were told to finish their request in flight; wait for them.
        for task in serving {
            let _ = task.await;
        }
    }

    /// Resolves once the current state (whichever it is after swaps) is `want`,
    /// or the run closes.
    fn until(&self, want: State) -> impl Future<Output = ()> + Send + 'static {
        let current = self.current.clone();
        let mut closing = self.closing.clone();
        let mut swapped = current.swapped.subscribe();
        async move {
            loop {
                let state = current.served().state;
                if state.is_down() == (want == State::Down) {
                    return;
                }
                tokio::select! {
                    () = state.stopped(), if want == State::Down => return,
                    changed = swapped.changed() => if changed.is_err() { return },
                    _ = closing.wait_for(|closing| *closing) => return,
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Up,
    Down,
}

/// Takes every connection and closes it without a byte until `until` resolves:
/// the client sees the IdP go away at once rather than wait on a listen queue.
async fn close_unanswered(listener: TcpListener, until: impl Future<Output = ()>) {
    tokio::pin!(until);
    loop {
        tokio::select! {
            () = &mut until => return,
            accepted = listener.accept() => {
                if accepted.is_err() {
                    tokio::time::sleep(BACKOFF).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_names_the_listen_ip_and_the_public_host() {
        let wildcard = SocketAddr::from(([0, 0, 0, 0], 8091));
        assert_eq!(
            certificate_names(wildcard, "https://idp.corp.example:8443"),
            ["idp.corp.example"]
        );
        let lan = SocketAddr::from(([10, 1, 2, 3], 8091));
        assert_eq!(
            certificate_names(lan, "https://[fd00::1]:8443"),
            ["10.1.2.3", "fd00::1"]
        );
        assert_eq!(certificate_names(lan, "not a url"), ["10.1.2.3"]);
    }
}
