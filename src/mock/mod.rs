//! The embedded mock Confluence (see emulator.md). Never imports `run`, `expect`
//! or `report`: it stands alone so `tollgate mock` can serve real clients.
//!
//! [`start`] binds `127.0.0.1:0`, serves in the background and hands back a
//! [`RunningMock`]; [`router`] and [`serve`] are the pieces, for callers (and
//! tests) that bring their own listener.

pub mod clock;
pub mod confluence;
pub mod faults;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::scenario::mock_config::MockConfig;

/// The whole mock as one router: the Confluence side, under its context path.
/// Build the [`confluence::State`] with the address it will be served at.
pub fn router(state: confluence::State) -> axum::Router {
    confluence::router(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight. Handlers can read the peer address (`ConnectInfo<SocketAddr>`).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Binds `127.0.0.1:0` and starts the mock on the current tokio runtime.
pub async fn start(config: &MockConfig) -> std::io::Result<RunningMock> {
    start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Binds `addr` and starts the mock on the current tokio runtime.
pub async fn start_on(config: &MockConfig, addr: SocketAddr) -> std::io::Result<RunningMock> {
    if config.tls {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "mock.tls: HTTPS is not implemented yet",
        ));
    }
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let origin = format!("http://{local_addr}");
    let state = confluence::State::new(&config.confluence, &origin);
    let base_url = format!("{origin}{}", state.context_path());
    let (stop, stopped) = oneshot::channel::<()>();
    // The receiver resolves when `stop` sends or is dropped: dropping the
    // `RunningMock` stops the server too.
    let shutdown = async move {
        let _ = stopped.await;
    };
    let task = tokio::spawn(serve(listener, router(state.clone()), shutdown));
    Ok(RunningMock {
        base_url,
        local_addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// A mock serving in the background. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningMock {
    base_url: String,
    local_addr: SocketAddr,
    state: confluence::State,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
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
    pub fn state(&self) -> &confluence::State {
        &self.state
    }

    /// Stops accepting, lets requests in flight finish (at most 5 s), and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
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

impl Drop for RunningMock {
    fn drop(&mut self) {
        // Dropping the sender resolves the shutdown future; the task then ends
        // on its own once open connections close.
        self.stop.take();
    }
}
