//! The audit stage (F-PLUG-6): [`begin`] notes a REST request before
//! everything but the size guard and the peer address, [`finish`] logs it with
//! its final status, refusals included; `GET <ctx>/__tollgate/audit` reads the log.

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::log::Entry;
use crate::mock::confluence::caller::{AuthMethod, Caller, Who};
use crate::mock::confluence::plugin_policy::stage::client_address;
use crate::mock::confluence::respond::json;
use crate::mock::confluence::state::State;
use crate::mock::sync::lock;
use crate::scenario::mock_config::Fault;
use crate::wire::control::AUDIT;

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
    /// Who the request is, as the plugin's authorize stage saw it; a request
    /// refused before that stage is logged as anonymous.
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
        client_ip: client_address(state, req).to_string(),
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
        }) => (name, method.map(AuthMethod::name)),
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
    Router::new().route(AUDIT, get(read))
}

/// `GET /__tollgate/audit`: the log after trimming, oldest first.
async fn read(AxumState(state): AxumState<State>) -> Response {
    let mut log = lock(&state.audit);
    log.trim(state.clock.now());
    let entries: Vec<&Entry> = log.entries().collect();
    json(StatusCode::OK, &serde_json::json!({ "entries": entries }))
}
