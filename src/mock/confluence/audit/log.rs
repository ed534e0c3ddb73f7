//! The REST-auth plugin's audit log (F-PLUG-6) as data: entries bounded by count
//! and by age on the mock's clock. The stage that fills it is `stage.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::scenario::mock_config::AuditConfig;

/// Whatever `max_entries` says, the log never holds more than this.
pub const HARD_MAX_ENTRIES: usize = 100_000;

/// One logged request.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Entry {
    pub time: u64,
    pub user: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub client_ip: String,
    pub auth_method: Option<&'static str>,
    #[serde(skip)]
    pub(crate) at: Option<Instant>,
}

/// The log: bounded by count and by age.
#[derive(Debug)]
pub struct AuditLog {
    entries: VecDeque<Entry>,
    max_entries: usize,
    max_age: Duration,
}

impl AuditLog {
    pub fn new(config: &AuditConfig) -> Self {
        Self {
            entries: VecDeque::new(),
            max_entries: config.max_entries.min(HARD_MAX_ENTRIES),
            max_age: config.max_age.get(),
        }
    }

    /// Appends `entry` stamped `now`, then trims.
    pub fn push(&mut self, mut entry: Entry, now: Instant) {
        entry.at = Some(now);
        self.entries.push_back(entry);
        self.trim(now);
    }

    /// Drops entries older than `max_age` and the oldest beyond `max_entries`.
    pub fn trim(&mut self, now: Instant) {
        while self
            .entries
            .front()
            .and_then(|e| e.at)
            .is_some_and(|at| now.saturating_duration_since(at) > self.max_age)
        {
            self.entries.pop_front();
        }
        while self.entries.len() > self.max_entries {
            self.entries.pop_front();
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: u64) -> Entry {
        Entry {
            time: n,
            user: "alice".into(),
            method: "GET".into(),
            path: "/rest/api/space".into(),
            status: 200,
            client_ip: "127.0.0.1".into(),
            auth_method: Some("basic"),
            at: None,
        }
    }

    #[test]
    fn trimmed_by_count_and_by_age() {
        let config = AuditConfig {
            max_entries: 2,
            max_age: crate::scenario::duration::Duration::from_secs(60),
        };
        let mut log = AuditLog::new(&config);
        let t0 = Instant::now();
        for n in 0..3 {
            log.push(entry(n), t0);
        }
        assert_eq!(log.entries().map(|e| e.time).collect::<Vec<_>>(), [1, 2]);
        log.push(entry(3), t0 + Duration::from_secs(30));
        log.trim(t0 + Duration::from_secs(61));
        assert_eq!(log.entries().map(|e| e.time).collect::<Vec<_>>(), [3]);
        log.trim(t0 + Duration::from_secs(91));
        assert!(log.is_empty());
    }

    #[test]
    fn the_cap_holds_whatever_the_config_says() {
        let config = AuditConfig {
            max_entries: usize::MAX,
            ..AuditConfig::default()
        };
        assert_eq!(AuditLog::new(&config).max_entries, HARD_MAX_ENTRIES);
    }
}
