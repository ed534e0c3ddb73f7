//! The mock's clock: real monotonic time plus an offset that tests (and later
//! `/__tollgate/clock`) can advance, so expiry is tested without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A monotonic clock that can be moved forward, never back. Clones share the offset.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Nanoseconds added to the real time.
    offset_nanos: Arc<AtomicU64>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Self {
        Self {
            offset_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The current instant, as the mock sees it.
    pub fn now(&self) -> Instant {
        let real = Instant::now();
        // The offset saturates at ~584 years, which every platform's `Instant`
        // holds; the fallback only keeps a panic out of a request.
        real.checked_add(self.offset()).unwrap_or(real)
    }

    /// Seconds since the Unix epoch as the mock sees it (for token claims).
    pub fn unix_seconds(&self) -> u64 {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        real.saturating_add(self.offset()).as_secs()
    }

    /// How far the clock has been advanced in total.
    pub fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_nanos.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by` (saturating at about 584 years).
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(old.saturating_add(nanos))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_for_every_clone() {
        let clock = Clock::new();
        let other = clock.clone();
        let before = clock.now();
        other.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + Duration::from_secs(3600));
        assert_eq!(clock.offset(), Duration::from_secs(3600));
    }

    /// `/__tollgate/clock?advance=` takes any duration a client writes.
    #[test]
    fn advancing_by_centuries_saturates_instead_of_panicking() {
        let clock = Clock::new();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(clock.offset(), Duration::from_nanos(u64::MAX));
        assert!(clock.now() > Instant::now());
        assert!(clock.unix_seconds() > 18_000_000_000);
    }
}
