//! The REST-auth plugin's audit log (F-PLUG-6) and its mock-only reader,
//! `GET <ctx>/__tollgate/audit` → `{"entries":[…]}`, oldest first.
//!
//! With a plugin configured, the audit stage ([`begin`] and [`finish`], outside
//! authentication, so it sees every refusal too) appends one entry a REST API request (`<ctx>/rest/…`):
//! `{time, user, method, path, status, client_ip, auth_method}`. `time` is Unix
//! seconds on the mock's clock; `user` is the authenticated user or `anonymous`
//! (a refused login is anonymous: the name it claimed is not trusted);
//! `auth_method` is how the user was authenticated, or null. The path is logged
//! without its query, so no `jwt=`, `atl_token` or other secret ever enters the
//! log; headers and bodies never do.
//!
//! Trimming (F-PLUG-6: "after a number of days or entries"): at most
//! `audit.max_entries` entries (the oldest go first; never more than
//! [`HARD_MAX_ENTRIES`]) and none older than `audit.max_age` on the mock's
//! clock, applied on every append and every read. The `audit_missing` fault
//! records nothing.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;

use super::seraph::AuthMethod;
use super::{Caller, State, json, lock, plugin_policy};
use crate::scenario::mock_config::{AuditConfig, Fault};

/// Whatever `max_entries` says, the log never holds more than this.
pub const HARD_MAX_ENTRIES: usize = 100_000;

/// Who a request turned out to be, as the plugin's authorize stage saw it
/// ([`plugin_policy::who`]); [`finish`] logs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Who {
    pub caller: Caller,
    pub method: Option<AuthMethod>,
}

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
    at: Option<Instant>,
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

/// The name an authentication method has in the log.
pub fn method_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Session => "session",
        AuthMethod::RememberMe => "remember_me",
        AuthMethod::Basic => "basic",
        AuthMethod::Pat => "pat",
        AuthMethod::NativeOauth => "native_oauth",
        AuthMethod::PluginBearer => "plugin_bearer",
        AuthMethod::ConnectJwt => "connect_jwt",
        AuthMethod::CrowdSso => "crowd_sso",
    }
}

/// What [`begin`] notes of a request the log will record (boxed: it waits in
/// every request's future, and most requests log nothing).
#[derive(Debug)]
pub struct Pending(Box<PendingEntry>);

#[derive(Debug)]
struct PendingEntry {
    method: String,
    path: String,
    client_ip: String,
    who: Option<Who>,
}

impl Pending {
    /// Who the request is, as the plugin's authorize stage saw it
    /// ([`plugin_policy::who`]); a request refused before that stage is logged as
    /// anonymous.
    pub fn note(&mut self, who: Who) {
        self.0.who = Some(who);
    }
}

/// The audit stage (F-PLUG-6), before everything but the size guard and the peer
/// address, so it sees the final status of every REST request, refusals included:
/// `Some` when this request will be logged (a plugin is configured, the
/// `audit_missing` fault is off, a REST path), with what is logged of it.
pub fn begin(state: &State, req: &Request) -> Option<Pending> {
    if state.config.plugin.is_none()
        || state.faults.has(Fault::AuditMissing)
        || !state.relative(req.uri().path()).starts_with("/rest/")
    {
        return None;
    }
    Some(Pending(Box::new(PendingEntry {
        method: req.method().as_str().to_owned(),
        path: req.uri().path().to_owned(),
        client_ip: plugin_policy::client_address(state, req).to_string(),
        who: None,
    })))
}

/// Logs the request [`begin`] noted, with its final status and who it was
/// ([`Pending::note`]).
pub fn finish(state: &State, pending: Pending, response: &Response) {
    let PendingEntry {
        method,
        path,
        client_ip,
        who,
    } = *pending.0;
    let (user, auth_method) = match who {
        Some(Who {
            caller: Caller::User(name),
            method,
        }) => (name, method.map(method_name)),
        _ => ("anonymous".to_owned(), None),
    };
    let entry = Entry {
        time: state.clock.unix_seconds(),
        user,
        method,
        path,
        status: response.status().as_u16(),
        client_ip,
        auth_method,
        at: None,
    };
    lock(&state.audit).push(entry, state.clock.now());
}

pub fn routes() -> Router<State> {
    Router::new().route("/__tollgate/audit", get(read))
}

/// `GET /__tollgate/audit`: the log after trimming, oldest first.
async fn read(AxumState(state): AxumState<State>) -> Response {
    let mut log = lock(&state.audit);
    log.trim(state.clock.now());
    let entries: Vec<&Entry> = log.entries().collect();
    json(StatusCode::OK, &serde_json::json!({ "entries": entries }))
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
