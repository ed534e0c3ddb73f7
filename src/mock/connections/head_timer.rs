//! hyper's header-read timer, counted from the request's first byte rather than
//! from when hyper starts waiting for one.
//!
//! hyper (1.x) starts `header_read_timeout` when it begins waiting for a request
//! head, so an idle kept-alive connection would be cut by it. Here the deadline
//! starts only once a byte of the head has arrived; until then the connection
//! is idle, which the idle watchdog ([`super::activity`]) bounds. hyper's HTTP/1
//! server asks its timer for nothing but this deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

use super::activity::Activity;

/// The timer of one connection's HTTP/1 server.
#[derive(Clone, Debug)]
pub struct HeadTimer {
    activity: Arc<Activity>,
    timeout: Duration,
}

impl HeadTimer {
    pub fn new(activity: Arc<Activity>, timeout: Duration) -> Self {
        Self { activity, timeout }
    }

    fn deadline(&self) -> HeadDeadline {
        HeadDeadline {
            activity: self.activity.clone(),
            bytes_before: self.activity.bytes_read(),
            timeout: self.timeout,
            sleep: None,
        }
    }
}

impl Timer for HeadTimer {
    fn sleep(&self, _: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(self.deadline())
    }

    fn sleep_until(&self, _: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(self.deadline())
    }
}

/// Fires `timeout` after the first byte read since it was made; never before a
/// byte arrives. hyper polls it each time it has read part of a head, so the
/// first poll after the head's first byte starts the clock.
struct HeadDeadline {
    activity: Arc<Activity>,
    bytes_before: u64,
    timeout: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Future for HeadDeadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.sleep.is_none() {
            if this.activity.bytes_read() == this.bytes_before {
                // No byte yet: the read that brings one wakes hyper, which
                // polls this again.
                return Poll::Pending;
            }
            this.sleep = Some(Box::pin(tokio::time::sleep(this.timeout)));
        }
        match this.sleep.as_mut() {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

impl Sleep for HeadDeadline {}
