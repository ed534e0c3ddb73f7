//! The live lines of a load run on stderr: every second, one line per iteration
//! step with the last second's rate, errors, p50 and p99. On a terminal the lines
//! are redrawn in place; elsewhere (a CI log) each second adds its lines.
//!
//! The sampling that feeds them runs with `--quiet` too: it closes the seconds of
//! the time series the reports plot.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::recorder::{Interval, Recorder};
use super::summary::micros;

/// What to print each second, or nothing (`--quiet`).
pub struct Progress {
    /// The steps shown, by index, with their names: the iteration steps.
    shown: Vec<(usize, String)>,
    redraw: bool,
    drawn: usize,
}

impl Progress {
    /// Lines for `shown` steps (index, name), redrawn in place when stderr is a
    /// terminal.
    pub fn new(shown: Vec<(usize, String)>) -> Self {
        Progress {
            shown,
            redraw: std::io::stderr().is_terminal(),
            drawn: 0,
        }
    }

    /// The lines of second `second`, over `secs` seconds of sampling.
    pub fn lines(&self, second: u64, secs: f64, figures: &[Interval]) -> Vec<String> {
        self.shown
            .iter()
            .filter_map(|(index, name)| {
                let interval = figures.get(*index)?;
                let rate = if secs > 0.0 {
                    interval.requests as f64 / secs
                } else {
                    0.0
                };
                Some(format!(
                    "[{second:>3}s] {name}: {rate:.0} req/s, {} err, p50 {}, p99 {}",
                    interval.errors,
                    micros(interval.p50_us),
                    micros(interval.p99_us)
                ))
            })
            .collect()
    }

    fn print(&mut self, lines: &[String]) {
        let mut err = std::io::stderr().lock();
        let mut text = String::new();
        if self.redraw && self.drawn > 0 {
            // Back up over the last second's lines and write over them.
            text.push_str(&format!("\x1b[{}A", self.drawn));
        }
        for line in lines {
            if self.redraw {
                text.push_str("\r\x1b[2K");
            }
            text.push_str(line);
            text.push('\n');
        }
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
        self.drawn = lines.len();
    }
}

/// Closes a second of `recorder` every second and prints it, until aborted.
pub async fn run(recorder: Arc<Recorder>, mut progress: Option<Progress>) {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate.
    ticks.tick().await;
    let mut last = Instant::now();
    loop {
        ticks.tick().await;
        let figures = recorder.sample();
        let now = Instant::now();
        let secs = now.duration_since(last).as_secs_f64();
        last = now;
        if let Some(progress) = progress.as_mut() {
            let second = now.duration_since(started).as_secs_f64().round() as u64;
            let lines = progress.lines(second, secs, &figures);
            progress.print(&lines);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_the_seconds_rate_errors_and_percentiles() {
        let progress = Progress {
            shown: vec![(1, "read".into())],
            redraw: false,
            drawn: 0,
        };
        let figures = [
            Interval {
                requests: 5,
                errors: 5,
                p50_us: 1,
                p99_us: 1,
            },
            Interval {
                requests: 1234,
                errors: 0,
                p50_us: 80,
                p99_us: 210,
            },
        ];
        assert_eq!(
            progress.lines(3, 1.0, &figures),
            ["[  3s] read: 1234 req/s, 0 err, p50 80us, p99 210us"]
        );
    }
}
