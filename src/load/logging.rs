//! goose logs through the `log` crate, and some of its messages quote request
//! URLs and transport errors, which may carry a `?jwt=` token or a password. This
//! logger is installed before goose's own (which then stays out: a process has
//! one logger) and passes every message through the run's redactor.
//!
//! The run's redactor knows the scenario's secrets, not what each user captured
//! (a session id, a ticket: one per user and iteration, too many to register),
//! so a log line also loses every path and query it quotes: a URL keeps its
//! origin, a quoted path becomes `/…`. goose's tables name the step.
//!
//! A failing target makes goose warn once per request (128,806 identical lines in
//! 4 s against a down target): each distinct message is printed once, and
//! [`report_repeats`] says at the end how often each came again.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{LazyLock, Mutex, OnceLock, RwLock};

use regex::Regex;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::report::redact::Redactor;

struct RedactingLogger {
    redactor: RwLock<Redactor>,
    /// Redacted message → times seen since the last [`report_repeats`].
    seen: Mutex<HashMap<String, u64>>,
}

/// Distinct messages remembered at once; past it, new ones are printed as they
/// come (the map must not grow with a run's length).
const DISTINCT_KEPT: usize = 256;

static LOGGER: OnceLock<RedactingLogger> = OnceLock::new();

/// Makes `redactor` the one goose's messages pass through from now on.
pub fn install(redactor: Redactor) {
    let logger = LOGGER.get_or_init(|| RedactingLogger {
        redactor: RwLock::new(Redactor::new()),
        seen: Mutex::new(HashMap::new()),
    });
    *logger.redactor.write().unwrap_or_else(|e| e.into_inner()) = redactor;
    // Fails only when a logger is installed already: ours, from an earlier run.
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}

impl Log for RedactingLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= Level::Warn
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = without_paths(&record.args().to_string());
        let redacted = self
            .redactor
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .text(&text);
        let line = format!(
            "{}: {redacted}",
            record.level().as_str().to_ascii_lowercase()
        );
        if self.first_time(&line) {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        }
    }

    fn flush(&self) {}
}

impl RedactingLogger {
    /// Whether `line` is new (and so printed); counts it either way.
    fn first_time(&self, line: &str) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = seen.get_mut(line) {
            *count += 1;
            return false;
        }
        if seen.len() < DISTINCT_KEPT {
            seen.insert(line.to_owned(), 1);
        }
        true
    }

    /// The messages seen more than once since the last call, with their counts.
    fn take_repeats(&self) -> Vec<(String, u64)> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let mut repeats: Vec<(String, u64)> =
            seen.drain().filter(|(_, count)| *count > 1).collect();
        repeats.sort();
        repeats
    }
}

/// Says, once a run ends, how often each message printed once came again.
pub fn report_repeats() {
    let Some(logger) = LOGGER.get() else {
        return;
    };
    let mut err = std::io::stderr().lock();
    for (line, count) in logger.take_repeats() {
        let _ = writeln!(err, "({count} times in all) {line}");
    }
}

/// A URL's path and query, or a quoted absolute path.
static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?P<origin>[A-Za-z][A-Za-z0-9+.-]*://[^/\s)"'?#]+)[/?#][^\s)"]*|"/[^"]*""#)
        .expect("valid regex")
});

/// `text` with every path and query it quotes replaced by `/…`.
fn without_paths(text: &str) -> String {
    PATH.replace_all(text, |caps: &regex::Captures<'_>| {
        match caps.name("origin") {
            Some(origin) => format!("{}/…", origin.as_str()),
            None => "\"/…\"".to_string(),
        }
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_message_is_printed_once_and_counted() {
        let logger = RedactingLogger {
            redactor: RwLock::new(Redactor::new()),
            seen: Mutex::new(HashMap::new()),
        };
        assert!(logger.first_time("warn: refused"));
        for _ in 0..99 {
            assert!(!logger.first_time("warn: refused"));
        }
        assert!(logger.first_time("warn: other"));
        assert_eq!(logger.take_repeats(), [("warn: refused".to_string(), 100)]);
        assert!(
            logger.first_time("warn: refused"),
            "counted afresh after a report"
        );
    }

    #[test]
    fn the_memory_of_messages_is_bounded() {
        let logger = RedactingLogger {
            redactor: RwLock::new(Redactor::new()),
            seen: Mutex::new(HashMap::new()),
        };
        for n in 0..DISTINCT_KEPT + 10 {
            assert!(logger.first_time(&format!("warn: {n}")));
        }
        assert_eq!(logger.seen.lock().unwrap().len(), DISTINCT_KEPT);
    }

    #[test]
    fn a_log_line_keeps_origins_and_loses_paths_and_queries() {
        // Issue 12: a user's captured ticket in a URL reached goose's log lines.
        let line = r#""/probe/Ticket-1?x=y": error sending request for url (http://127.0.0.1:9/probe/Ticket-1?probe=Ticket-1)"#;
        assert_eq!(
            without_paths(line),
            r#""/…": error sending request for url (http://127.0.0.1:9/…)"#
        );
        assert_eq!(without_paths("no url here"), "no url here");
        assert_eq!(without_paths("https://h.example"), "https://h.example");
    }
}
