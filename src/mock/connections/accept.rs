//! The accept loop of one mock server: at most `max_connections` connections at
//! once (the next waits in the listen queue, while connections idle between
//! requests give their slots up), each served on its own task; on
//! shutdown it stops accepting, tells every connection to finish its request in
//! flight, and returns once all have closed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use super::connection::Connection;
use super::limits::Limits;

/// After a failed accept (out of file descriptors, above all), wait this long
/// before the next, rather than spin on an error that will not clear at once.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown` resolves, over TLS when `tls`
/// is given, then lets the requests in flight finish. Handlers can read the
/// peer address (`ConnectInfo<SocketAddr>`).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Connections hold a receiver: a send asks them to finish, and the sender
    // sees every receiver dropped once all of them have.
    let (finish, finishing) = watch::channel(());
    // True while the loop waits for a slot: idle connections then give theirs up.
    let (crowd, crowded) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                crowd.send_replace(true);
                let slot = tokio::select! {
                    () = &mut shutdown => break,
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                };
                crowd.send_replace(false);
                slot
            }
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // A failed accept (too many files, a reset) must not stop the server.
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let connection = Connection {
            router: router.clone(),
            peer,
            limits,
            finishing: finishing.clone(),
            crowded: crowded.clone(),
            slot,
        };
        tokio::spawn(connection.run(stream, tls.clone()));
    }
    // Refuse new connections from now on, then wait for the open ones.
    drop(listener);
    drop(finishing);
    let _ = finish.send(());
    finish.closed().await;
    Ok(())
}
