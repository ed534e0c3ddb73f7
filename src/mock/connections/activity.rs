//! What a connection is doing, as its bytes show: an IO wrapper that notes every
//! byte read or written, the requests in flight, and the idle watchdog that ends
//! a connection on which nothing has moved for the idle timeout, or, while
//! other connections wait for a slot, one idle between requests for
//! [`SHED_AFTER`].

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tokio::time::Instant;

/// While connections wait for a slot, a connection with no request in flight
/// and no byte moving for this long gives its slot up: idle clients cannot hold
/// every slot until their idle timeout.
pub const SHED_AFTER: Duration = Duration::from_secs(1);

/// The traffic of one connection: shared by its IO, its header timer and its
/// watchdog.
#[derive(Debug)]
pub struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last byte read or written.
    last_ms: AtomicU64,
    /// Bytes read so far: the header timer starts when this moves.
    bytes_read: AtomicU64,
    /// Requests handed to the router and not answered yet.
    in_flight: AtomicUsize,
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        })
    }

    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    fn touch(&self) {
        let elapsed = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(elapsed, Ordering::Relaxed);
    }

    fn read(&self, bytes: usize) {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let _ = self
            .bytes_read
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(old.saturating_add(bytes))
            });
        self.touch();
    }

    /// How long since a byte last moved either way.
    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.opened.elapsed().saturating_sub(last)
    }

    /// Counts a request until the returned guard is dropped.
    pub fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Resolves once no byte has moved for `timeout`, or for [`SHED_AFTER`]
    /// with no request in flight while `crowded` says connections wait for a
    /// slot: the caller then drops the connection, which closes its socket.
    pub async fn idle_expired(&self, timeout: Duration, mut crowded: watch::Receiver<bool>) {
        let mut watching = true;
        loop {
            let crowd = watching && *crowded.borrow_and_update();
            let shed = crowd && self.in_flight.load(Ordering::Relaxed) == 0;
            let limit = if shed {
                timeout.min(SHED_AFTER)
            } else {
                timeout
            };
            let idle = self.idle_for();
            if idle >= limit {
                return;
            }
            // In a crowd, look again every `SHED_AFTER`: a request that ends
            // wakes nothing here.
            let mut left = limit.saturating_sub(idle);
            if crowd {
                left = left.min(SHED_AFTER);
            }
            let wait = tokio::time::sleep(left);
            if watching {
                tokio::select! {
                    () = wait => {}
                    changed = crowded.changed() => watching = changed.is_ok(),
                }
            } else {
                wait.await;
            }
        }
    }
}

/// One request in flight on a connection (see [`Activity::request`]).
#[derive(Debug)]
pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream that reports its traffic to an [`Activity`].
#[derive(Debug)]
pub struct Watched<IO> {
    io: IO,
    activity: Arc<Activity>,
}

impl<IO> Watched<IO> {
    pub fn new(io: IO, activity: Arc<Activity>) -> Self {
        Self { io, activity }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Watched<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        let read = buf.filled().len().saturating_sub(before);
        if read > 0 {
            this.activity.read(read);
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Watched<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn traffic_resets_the_idle_clock_and_silence_expires_it() {
        let (near, mut far) = tokio::io::duplex(64);
        let activity = Activity::new();
        let mut watched = Watched::new(near, activity.clone());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(activity.idle_for() >= Duration::from_millis(50));
        far.write_all(b"GET").await.unwrap();
        let mut buf = [0u8; 3];
        watched.read_exact(&mut buf).await.unwrap();
        assert_eq!(activity.bytes_read(), 3);
        assert!(activity.idle_for() < Duration::from_millis(50));
        let started = Instant::now();
        let (_crowded, calm) = watch::channel(false);
        activity
            .idle_expired(Duration::from_millis(100), calm)
            .await;
        assert!(started.elapsed() >= Duration::from_millis(90));
        assert!(activity.idle_for() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn a_crowded_server_sheds_connections_idle_between_requests() {
        let activity = Activity::new();
        let (crowd, crowded) = watch::channel(false);
        let watchdog = tokio::spawn({
            let activity = activity.clone();
            async move {
                activity
                    .idle_expired(Duration::from_secs(3600), crowded)
                    .await
            }
        });
        let busy = activity.request();
        crowd.send_replace(true);
        tokio::time::sleep(SHED_AFTER + Duration::from_millis(200)).await;
        assert!(!watchdog.is_finished(), "a request in flight is not shed");
        drop(busy);
        let shed = tokio::time::timeout(Duration::from_secs(10), watchdog).await;
        assert!(shed.is_ok(), "an idle connection is shed while others wait");
    }
}
