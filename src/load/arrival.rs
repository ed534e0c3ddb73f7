//! The open model (`--rate`): iterations start on a schedule whatever the
//! server's latency, as k6's arrival-rate executors and wrk2 start them, so a
//! slow answer cannot slow the load down and hide itself (coordinated omission).
//!
//! goose's users are the pool that carries the iterations out: a free user takes
//! the next iteration of the [`Schedule`] from [`Arrivals`], sleeps until it is
//! due and runs it. When every user is busy (the server holds them), the next
//! iteration waits for one: its latency then counts from when it was due, so
//! the wait the server caused is in it. A user that was free and sleeping
//! counts from when it woke: tokio's timer wakes up to a millisecond late, and
//! charging that to a server answering in 100 µs would bury it. Every
//! iteration's start delay (due → started, whatever the cause) is kept apart
//! and reported; one more than [`LATE_AFTER`] counts as late, and one a user
//! reaches more than [`DROP_AFTER`] past its time is dropped (counted, never
//! sent), so a client that cannot hold the rate never makes up for it in a
//! burst, and never hides it.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram as HdrHistogram;
use serde::{Deserialize, Serialize};

use super::latency::{Histogram, micros};
use super::recorder;

/// An iteration a user reaches this long after it was due is dropped.
pub const DROP_AFTER: Duration = Duration::from_secs(1);
/// An iteration that starts more than this after it was due counts as late:
/// above the timer's own slack (tokio's timer ticks each millisecond).
pub const LATE_AFTER: Duration = Duration::from_millis(10);
/// The highest rate accepted, per second: past what one process can start.
pub const MAX_RATE: f64 = 1_000_000.0;
/// The pool's size when `--users` does not say: enough users to hold the peak
/// rate while an iteration takes up to this long.
const POOL_BUDGET_SECS: f64 = 0.25;
/// Bounds on that default pool.
const POOL_MIN: usize = 8;
const POOL_MAX: usize = 2_000;
/// How long a user with no iteration left waits before goose asks it again:
/// short enough not to hold up the end of the run, long enough not to spin.
pub const IDLE_POLL: Duration = Duration::from_millis(50);

/// `--rate`: iterations per second, steady (`500/s`) or ramped from one rate to
/// another (`100/s..2000/s`, over `--over`, else the whole run).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateSpec {
    /// Per second at the start.
    pub from: f64,
    /// Per second at the end of the ramp, and from then on.
    pub to: f64,
}

impl RateSpec {
    pub fn is_ramp(&self) -> bool {
        self.from != self.to
    }

    pub fn peak(&self) -> f64 {
        self.from.max(self.to)
    }

    /// This rate split `count` ways.
    pub fn share(&self, count: usize) -> RateSpec {
        let n = count.max(1) as f64;
        RateSpec {
            from: self.from / n,
            to: self.to / n,
        }
    }

    /// The pool of users the rate gets when `--users` does not say.
    pub fn default_pool(&self) -> usize {
        let wanted = (self.peak() * POOL_BUDGET_SECS).ceil();
        (wanted as usize).clamp(POOL_MIN, POOL_MAX)
    }
}

impl FromStr for RateSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (from, to) = match text.split_once("..") {
            Some((from, to)) => (one_rate(from)?, one_rate(to)?),
            None => {
                let rate = one_rate(text)?;
                (rate, rate)
            }
        };
        if from == 0.0 && to == 0.0 {
            return Err(format!("rate '{text}' starts no iteration"));
        }
        Ok(RateSpec { from, to })
    }
}

/// `500/s`, `30000/m`, `2/h` or a bare number (per second), as per second.
fn one_rate(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, per) = match text.split_once('/') {
        Some((number, unit)) => {
            let per = match unit.trim() {
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                other => {
                    return Err(format!(
                        "rate '{text}': '/{other}' is not a unit; use /s, /m or /h"
                    ));
                }
            };
            (number.trim(), per)
        }
        None => (text, 1.0),
    };
    let count: f64 = number
        .parse()
        .map_err(|_| format!("rate '{text}' is not a number of iterations, e.g. 500/s"))?;
    let rate = count / per;
    if !rate.is_finite() || !(0.0..=MAX_RATE).contains(&rate) {
        return Err(format!(
            "rate '{text}' must be from 0 to {MAX_RATE} iterations per second"
        ));
    }
    Ok(rate)
}

impl fmt::Display for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ramp() {
            write!(f, "{}/s..{}/s", trim(self.from), trim(self.to))
        } else {
            write!(f, "{}/s", trim(self.from))
        }
    }
}

/// A rate without trailing zeros: 500, 333.333.
fn trim(rate: f64) -> String {
    let text = format!("{rate:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// When each iteration of a run is due: the rate moves in a straight line from
/// `from` to `to` over the ramp, then holds at `to` until the run's end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    from: f64,
    to: f64,
    ramp_secs: f64,
    length_secs: f64,
}

impl Schedule {
    /// `rate` over a run of `length`, ramped over `over` (the whole run when not
    /// given; a steady rate ignores it).
    pub fn new(rate: RateSpec, over: Option<Duration>, length: Duration) -> Result<Self, String> {
        let length_secs = length.as_secs_f64();
        if length_secs <= 0.0 {
            return Err("--rate needs a run time above 0".into());
        }
        let ramp_secs = match over {
            Some(_) if !rate.is_ramp() => {
                return Err("--over goes with a ramp, e.g. --rate 100/s..2000/s --over 60s".into());
            }
            Some(over) if over.is_zero() => return Err("--over must be above 0".into()),
            Some(over) => over.as_secs_f64(),
            None if rate.is_ramp() => length_secs,
            None => 0.0,
        };
        Ok(Schedule {
            from: rate.from,
            to: rate.to,
            ramp_secs,
            length_secs,
        })
    }

    /// Iterations due in the first `t` seconds (the area under the rate).
    fn due_by(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, self.length_secs);
        if self.ramp_secs == 0.0 {
            return self.to * t;
        }
        let r = t.min(self.ramp_secs);
        let ramped = self.from * r + (self.to - self.from) * r * r / (2.0 * self.ramp_secs);
        ramped + self.to * (t - r).max(0.0)
    }

    /// How many iterations the run starts: those due before its end.
    pub fn total(&self) -> u64 {
        // Iteration n is due when n iterations are due before it; a hair under
        // the exact count keeps 5000.0000001 from counting one more.
        (self.due_by(self.length_secs) - 1e-9).ceil().max(0.0) as u64
    }

    /// Seconds from the start when iteration `n` (from 0) is due.
    pub fn due_at(&self, n: u64) -> f64 {
        let n = n as f64;
        let ramp_total = self.due_by(self.ramp_secs);
        if self.ramp_secs > 0.0 && n < ramp_total {
            // n = from·t + a·t², a = (to - from) / (2·ramp): the positive root.
            let a = (self.to - self.from) / (2.0 * self.ramp_secs);
            if a.abs() < f64::EPSILON {
                return n / self.from;
            }
            let b = self.from;
            let root = (b * b + 4.0 * a * n).max(0.0).sqrt();
            return ((root - b) / (2.0 * a)).clamp(0.0, self.ramp_secs);
        }
        if self.to <= 0.0 {
            return self.length_secs;
        }
        self.ramp_secs + (n - ramp_total) / self.to
    }

    pub fn length(&self) -> Duration {
        Duration::from_secs_f64(self.length_secs)
    }
}

/// What a free user gets from [`Arrivals::next_turn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Run an iteration now; its latency counts from this instant: when it was
    /// due if it had to wait for a user, else when its user woke.
    Go(Instant),
    /// The schedule is over: nothing more to start.
    Over,
}

/// Hands the schedule's iterations out to the users, and counts how well the
/// client kept to it.
pub struct Arrivals {
    schedule: Schedule,
    total: u64,
    /// Set by the first user to ask: the schedule runs from then.
    start: OnceLock<Instant>,
    next: AtomicU64,
    started: AtomicU64,
    late: AtomicU64,
    dropped: AtomicU64,
    /// Users running an iteration now, and the most at once: a pool that was
    /// all busy is why iterations start late; one that was not points at the
    /// client's CPU.
    busy: AtomicU64,
    peak_busy: AtomicU64,
    /// How long after its time each started iteration began, in µs.
    start_delay: Mutex<HdrHistogram<u64>>,
}

impl Arrivals {
    /// `None` only if no histogram can be made (never, with tollgate's bounds).
    pub fn new(schedule: Schedule) -> Option<Self> {
        Some(Arrivals {
            total: schedule.total(),
            schedule,
            start: OnceLock::new(),
            next: AtomicU64::new(0),
            started: AtomicU64::new(0),
            late: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            peak_busy: AtomicU64::new(0),
            start_delay: Mutex::new(recorder::empty_histogram()?),
        })
    }

    /// The next iteration this user should run, once it is due (it sleeps until
    /// then); iterations already more than [`DROP_AFTER`] overdue are dropped on
    /// the way.
    pub async fn next_turn(&self) -> Turn {
        let start = *self.start.get_or_init(Instant::now);
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            if n >= self.total {
                return Turn::Over;
            }
            let due = start + Duration::from_secs_f64(self.schedule.due_at(n));
            let now = Instant::now();
            if now.saturating_duration_since(due) > DROP_AFTER {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if due > now {
                tokio::time::sleep_until(due.into()).await;
                let woke = Instant::now();
                self.began(due, woke);
                return Turn::Go(woke);
            }
            self.began(due, now);
            return Turn::Go(due);
        }
    }

    fn began(&self, due: Instant, at: Instant) {
        let delay = at.saturating_duration_since(due);
        self.started.fetch_add(1, Ordering::Relaxed);
        let busy = self.busy.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_busy.fetch_max(busy, Ordering::Relaxed);
        if delay > LATE_AFTER {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        let mut histogram = self.start_delay.lock().unwrap_or_else(|e| e.into_inner());
        histogram.saturating_record(micros);
    }

    /// A user finished the iteration its last turn started.
    pub fn ended(&self) {
        let _ = self
            .busy
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1));
    }

    /// What the run did against its schedule with a pool of `pool` users;
    /// iterations never handed out by the end count as dropped.
    pub fn finish(&self, rate: RateSpec, over: Option<Duration>, pool: usize) -> OpenModel {
        let handed_out = self.next.load(Ordering::Relaxed).min(self.total);
        let histogram = self
            .start_delay
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        OpenModel {
            from_per_sec: rate.from,
            to_per_sec: rate.to,
            over_secs: rate
                .is_ramp()
                .then(|| over.unwrap_or(self.schedule.length()).as_secs_f64()),
            scheduled: self.total,
            started: self.started.load(Ordering::Relaxed),
            late: self.late.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed) + (self.total - handed_out),
            pool: pool as u64,
            peak_busy: self.peak_busy.load(Ordering::Relaxed),
            start_delay: Histogram::from_hdr(histogram),
        }
    }
}

/// How an open-model run kept to its rate (the summary's `open` section).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenModel {
    /// Iterations per second at the start, and at the end of the ramp (equal
    /// without one). Summed over merged machines.
    pub from_per_sec: f64,
    pub to_per_sec: f64,
    /// The ramp's length, when the rate ramps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_secs: Option<f64>,
    /// Iterations the schedule held, and those started.
    pub scheduled: u64,
    pub started: u64,
    /// Started more than 10 ms after they were due (their latency counts it).
    pub late: u64,
    /// Never started: more than 1 s overdue when a user came free, or still
    /// waiting when the run ended.
    pub dropped: u64,
    /// The users that carried the iterations, and the most busy at once
    /// (summed over merged machines).
    #[serde(default)]
    pub pool: u64,
    #[serde(default)]
    pub peak_busy: u64,
    /// How long after its time each iteration started, in µs.
    pub start_delay: Histogram,
}

impl OpenModel {
    /// The rate as `--rate` takes it.
    pub fn rate(&self) -> RateSpec {
        RateSpec {
            from: self.from_per_sec,
            to: self.to_per_sec,
        }
    }

    /// Adds another machine's run of the same schedule.
    pub fn add(&mut self, other: &OpenModel) {
        self.from_per_sec += other.from_per_sec;
        self.to_per_sec += other.to_per_sec;
        self.over_secs = match (self.over_secs, other.over_secs) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.scheduled += other.scheduled;
        self.started += other.started;
        self.late += other.late;
        self.dropped += other.dropped;
        self.pool += other.pool;
        self.peak_busy += other.peak_busy;
        self.start_delay.add(&other.start_delay);
    }

    /// One line for the console and the reports: how the rate was held.
    pub fn describe(&self) -> String {
        let over = self
            .over_secs
            .map(|s| format!(" over {s:.0} s"))
            .unwrap_or_default();
        let delay = &self.start_delay;
        format!(
            "open model {}{over}: {} of {} iterations started, {} late (>10 ms), {} dropped; {} of {} users busy at most; start delay p50 {} p99 {} max {}",
            self.rate(),
            self.started,
            self.scheduled,
            self.late,
            self.dropped,
            self.peak_busy,
            self.pool,
            micros(delay.percentile_us(0.5)),
            micros(delay.percentile_us(0.99)),
            micros(delay.max_us),
        )
    }

    /// Whether the client kept to the rate: nothing dropped, at most 1% late.
    pub fn held(&self) -> bool {
        self.dropped == 0 && self.late * 100 <= self.started
    }

    /// Why the rate was not held, and what would help; `None` when it was.
    pub fn shortfall(&self) -> Option<String> {
        if self.held() {
            return None;
        }
        let cause = if self.pool > 0 && self.peak_busy >= self.pool {
            "every user was busy at times: a bigger pool (--users) or more machines (--shard) would hold it"
        } else {
            "users were free, so the client's CPU fell behind: more machines (--shard) or a less loaded client would hold it"
        };
        Some(format!(
            "warning: the client did not hold {} ({} late, {} dropped): {cause}",
            self.rate(),
            self.late,
            self.dropped
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn rates_read_per_second_minute_or_hour() {
        let steady: RateSpec = "500/s".parse().unwrap();
        assert_eq!(
            steady,
            RateSpec {
                from: 500.0,
                to: 500.0
            }
        );
        assert_eq!("30000/m".parse::<RateSpec>().unwrap().from, 500.0);
        assert_eq!("250".parse::<RateSpec>().unwrap().to, 250.0);
        let ramp: RateSpec = "100/s..2000/s".parse().unwrap();
        assert_eq!((ramp.from, ramp.to), (100.0, 2000.0));
        assert_eq!(ramp.to_string(), "100/s..2000/s");
        assert_eq!(steady.to_string(), "500/s");
        for bad in ["", "x/s", "5/d", "-1/s", "0/s", "0..0", "1e9/s", "NaN"] {
            assert!(bad.parse::<RateSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_steady_rate_spaces_its_iterations_evenly() {
        let rate: RateSpec = "500/s".parse().unwrap();
        let schedule = Schedule::new(rate, None, secs(10.0)).unwrap();
        assert_eq!(schedule.total(), 5_000);
        assert_eq!(schedule.due_at(0), 0.0);
        assert!((schedule.due_at(1) - 0.002).abs() < 1e-12);
        assert!((schedule.due_at(4_999) - 9.998).abs() < 1e-9);
    }

    #[test]
    fn a_ramp_starts_iterations_as_the_rate_climbs() {
        let rate: RateSpec = "100/s..300/s".parse().unwrap();
        // Over 10 s the mean rate is 200/s: 2,000; then 300/s for 5 s more.
        let schedule = Schedule::new(rate, Some(secs(10.0)), secs(15.0)).unwrap();
        assert_eq!(schedule.total(), 3_500);
        let mut previous = -1.0;
        for n in [0, 1, 100, 1_000, 1_999, 2_000, 2_001, 3_499] {
            let t = schedule.due_at(n);
            assert!(t > previous, "iteration {n} due at {t}");
            assert!(
                (schedule.due_by(t) - n as f64).abs() < 1e-6,
                "iteration {n} due at {t}"
            );
            previous = t;
        }
        assert!((schedule.due_at(2_000) - 10.0).abs() < 1e-9);
        // Down ramps too, to zero.
        let down: RateSpec = "100/s..0/s".parse().unwrap();
        let schedule = Schedule::new(down, None, secs(10.0)).unwrap();
        assert_eq!(schedule.total(), 500);
        assert!(schedule.due_at(499) < 10.0);
    }

    #[test]
    fn over_goes_with_a_ramp_only() {
        let steady: RateSpec = "5/s".parse().unwrap();
        assert!(Schedule::new(steady, Some(secs(1.0)), secs(2.0)).is_err());
        let ramp: RateSpec = "5/s..10/s".parse().unwrap();
        assert!(Schedule::new(ramp, Some(Duration::ZERO), secs(2.0)).is_err());
        assert!(Schedule::new(ramp, None, Duration::ZERO).is_err());
    }

    #[test]
    fn the_default_pool_holds_a_quarter_second_at_the_peak() {
        let rate: RateSpec = "100/s..2000/s".parse().unwrap();
        assert_eq!(rate.default_pool(), 500);
        assert_eq!("1/s".parse::<RateSpec>().unwrap().default_pool(), POOL_MIN);
        assert_eq!(
            "1000000/s".parse::<RateSpec>().unwrap().default_pool(),
            POOL_MAX
        );
        assert_eq!(
            rate.share(2),
            RateSpec {
                from: 50.0,
                to: 1000.0
            }
        );
    }

    #[tokio::test]
    async fn users_get_iterations_on_time_and_nothing_after_the_schedule() {
        let rate: RateSpec = "200/s".parse().unwrap();
        let arrivals = Arrivals::new(Schedule::new(rate, None, secs(0.05)).unwrap()).unwrap();
        let mut turns = 0;
        while let Turn::Go(_) = arrivals.next_turn().await {
            turns += 1;
        }
        assert_eq!(turns, 10);
        let open = arrivals.finish(rate, None, 1);
        assert_eq!((open.scheduled, open.started, open.dropped), (10, 10, 0));
        assert!(open.held(), "{open:?}");
        assert_eq!(open.shortfall(), None);
        assert_eq!(open.start_delay.count, 10);
    }

    #[tokio::test]
    async fn iterations_long_overdue_are_dropped_and_counted() {
        let rate: RateSpec = "1000/s".parse().unwrap();
        let arrivals = Arrivals::new(Schedule::new(rate, None, secs(2.0)).unwrap()).unwrap();
        assert_eq!(
            arrivals.next_turn().await,
            Turn::Go(arrivals.start.get().copied().unwrap())
        );
        // A user busy for longer than DROP_AFTER comes back to a backlog.
        tokio::time::sleep(DROP_AFTER + Duration::from_millis(200)).await;
        let came_back = Instant::now();
        let Turn::Go(counted_from) = arrivals.next_turn().await else {
            panic!("iterations remain");
        };
        // It waited for this user: its latency counts the wait.
        assert!(counted_from + Duration::from_millis(900) < came_back);
        let open = arrivals.finish(rate, None, 1);
        assert_eq!(open.started, 2);
        assert_eq!(open.peak_busy, 2, "no iteration was ended");
        let why = open.shortfall().unwrap();
        assert!(why.contains("every user was busy"), "{why}");
        assert!(open.late >= 1, "{open:?}");
        // About 200 skipped past, and the rest never handed out: none is lost.
        assert_eq!(open.started + open.dropped, open.scheduled);
        assert!(!open.held());
    }
}
