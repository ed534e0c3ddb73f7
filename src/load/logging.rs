//! goose logs through the `log` crate, and some of its messages quote request
//! URLs and transport errors, which may carry a `?jwt=` token or a password. This
//! logger is installed before goose's own (which then stays out: a process has
//! one logger) and passes every message through the run's redactor.
//!
//! The run's redactor knows the scenario's secrets, not what each user captured
//! (a session id, a ticket: one per user and iteration, too many to register),
//! so a log line also loses every path and query it quotes: a URL keeps its
//! origin, a quoted path becomes `/…`. goose's tables name the step.

use std::io::Write;
use std::sync::{LazyLock, OnceLock, RwLock};

use regex::Regex;

use log::{Level, LevelFilter, Log, Metadata, Record};

use crate::report::redact::Redactor;

struct RedactingLogger {
    redactor: RwLock<Redactor>,
}

static LOGGER: OnceLock<RedactingLogger> = OnceLock::new();

/// Makes `redactor` the one goose's messages pass through from now on.
pub fn install(redactor: Redactor) {
    let logger = LOGGER.get_or_init(|| RedactingLogger {
        redactor: RwLock::new(Redactor::new()),
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
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}: {redacted}",
            record.level().as_str().to_ascii_lowercase()
        );
    }

    fn flush(&self) {}
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
