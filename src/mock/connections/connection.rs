//! One connection of a mock server: the TLS handshake within its deadline, then
//! HTTP/1.1 (or HTTP/2 when configured) until the client closes, the idle
//! watchdog fires, or the server shuts down.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use futures::future::BoxFuture;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio_rustls::TlsAcceptor;

use super::activity::{Activity, Watched};
use super::head_timer::HeadTimer;
use super::limits::Limits;
use crate::mock::confluence::client_addr::TrustClientIpHeader;

/// An accepted connection and what serving it needs.
pub struct Connection {
    pub router: axum::Router,
    pub peer: SocketAddr,
    pub limits: Limits,
    /// Changes (or closes) when the server shuts down.
    pub finishing: watch::Receiver<()>,
    /// True while further connections wait for a slot.
    pub crowded: watch::Receiver<bool>,
    /// The connection's place among `max_connections`, freed when it ends.
    pub slot: OwnedSemaphorePermit,
}

impl Connection {
    /// Handshakes (with `tls`) and serves until the connection ends.
    pub async fn run(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        let Some(acceptor) = tls else {
            return self.serve(stream).await;
        };
        let handshake = acceptor.accept(stream);
        // A client that fails the handshake (wrong CA, plain HTTP) or stalls in
        // it is its own problem; the slot is freed either way.
        if let Ok(Ok(stream)) =
            tokio::time::timeout(self.limits.tls_handshake_timeout, handshake).await
        {
            self.serve(stream).await;
        }
    }

    async fn serve<IO>(self, io: IO)
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            router,
            peer,
            limits,
            mut finishing,
            crowded,
            slot,
        } = self;
        let activity = Activity::new();
        let builder = builder(&limits, &activity);
        let service = PeerService {
            router,
            peer,
            trust_client_ip_header: limits.trust_client_ip_header,
            activity: activity.clone(),
        };
        let io = TokioIo::new(Watched::new(io, activity.clone()));
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        let idle = activity.idle_expired(limits.idle_timeout, crowded);
        tokio::pin!(idle);
        let mut finish_asked = false;
        loop {
            tokio::select! {
                // An error (a malformed request, a reset) ends the connection
                // as hyper has already answered it.
                _ = connection.as_mut() => break,
                // Dropping the connection closes its socket.
                () = &mut idle => break,
                _ = finishing.changed(), if !finish_asked => {
                    connection.as_mut().graceful_shutdown();
                    finish_asked = true;
                }
            }
        }
        drop(slot);
    }
}

/// HTTP/1.1 only unless `http2`, with the header-read deadline counted from a
/// request's first byte.
fn builder(limits: &Limits, activity: &Arc<Activity>) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    if !limits.http2 {
        builder = builder.http1_only();
    }
    builder
        .http1()
        .timer(HeadTimer::new(activity.clone(), limits.header_read_timeout))
        .header_read_timeout(limits.header_read_timeout);
    if limits.http2 {
        builder.http2().timer(TokioTimer::new());
    }
    builder
}

/// The router, with what the connection knows put into each request: the peer
/// address and whether its `X-Tollgate-Client-IP` may be believed regardless;
/// each request counts as in flight until answered.
#[derive(Clone)]
struct PeerService {
    router: axum::Router,
    peer: SocketAddr,
    trust_client_ip_header: bool,
    activity: Arc<Activity>,
}

impl hyper::service::Service<hyper::Request<Incoming>> for PeerService {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<axum::response::Response, Infallible>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(self.peer));
        if self.trust_client_ip_header {
            request.extensions_mut().insert(TrustClientIpHeader);
        }
        let in_flight = self.activity.request();
        // A `Router` is always ready, so it is called straight away.
        let answer = tower_service::Service::call(&mut self.router.clone(), request);
        Box::pin(async move {
            let answer = answer.await;
            drop(in_flight);
            answer
        })
    }
}
