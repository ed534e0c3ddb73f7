//! goose logs through the `log` crate, and some of its messages quote request
//! URLs and transport errors, which may carry a `?jwt=` token or a password. This
//! logger is installed before goose's own (which then stays out: a process has
//! one logger) and passes every message through the run's redactor.

use std::io::Write;
use std::sync::{OnceLock, RwLock};

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
        let text = record.args().to_string();
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
