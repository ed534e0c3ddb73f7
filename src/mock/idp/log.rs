//! What the IdP and its Crowd service were asked, in order: the evidence a
//! scenario's `expect.idp` judges (a plugin that caches a revoked token makes no
//! introspection call; a Confluence that forwards the wrong address sends the
//! wrong factors). Bounded: the oldest calls go first once [`MAX_CALLS`] are held.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::mock::sync::lock;
use crate::wire::observed::{ClientAuth, IdpCall};

/// Calls held at once; a step that makes more sees the last ones only.
pub const MAX_CALLS: usize = 10_000;

pub use crate::wire::observed::token_digest;

#[derive(Debug, Default)]
pub struct IdpLog {
    inner: Mutex<Calls>,
}

#[derive(Debug, Default)]
struct Calls {
    /// Calls recorded since the IdP started (the sequence number of the next one).
    recorded: u64,
    held: VecDeque<IdpCall>,
}

impl IdpLog {
    pub fn record(&self, call: IdpCall) {
        let mut calls = lock(&self.inner);
        if calls.held.len() == MAX_CALLS {
            calls.held.pop_front();
        }
        calls.held.push_back(call);
        calls.recorded += 1;
    }

    /// A point in the log: [`since`](Self::since) it returns the calls after it.
    pub fn mark(&self) -> u64 {
        lock(&self.inner).recorded
    }

    /// The calls recorded after `mark` that are still held, oldest first.
    pub fn since(&self, mark: u64) -> Vec<IdpCall> {
        self.read(mark).1
    }

    /// [`since`](Self::since) and the [`mark`](Self::mark) after those calls, read
    /// at once, so a reader that pages with the mark misses no call and sees none twice.
    pub fn read(&self, mark: u64) -> (u64, Vec<IdpCall>) {
        let calls = lock(&self.inner);
        let first_held = calls.recorded - calls.held.len() as u64;
        let skip = mark.saturating_sub(first_held);
        let held = calls
            .held
            .iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .cloned()
            .collect();
        (calls.recorded, held)
    }
}

/// `GET /__tollgate/calls?since=N`'s answer: `{"next": M, "calls": [...]}`, each
/// call an object with its `kind` (as `expect.idp` names it) and its fields.
/// Tokens appear as digests only, as in the log.
pub fn calls_json(next: u64, calls: &[IdpCall]) -> Value {
    json!({ "next": next, "calls": calls.iter().map(call_json).collect::<Vec<_>>() })
}

/// [`calls_json`] read back (a run against a standalone `tollgate idp`): `None`
/// when the answer is not such a page.
pub fn calls_from_json(page: &Value) -> Option<(u64, Vec<IdpCall>)> {
    let next = page.get("next")?.as_u64()?;
    let calls = page.get("calls")?.as_array()?;
    let calls = calls.iter().map(call_from_json).collect::<Option<_>>()?;
    Some((next, calls))
}

fn call_json(call: &IdpCall) -> Value {
    let kind = call.kind();
    match call {
        IdpCall::Introspection {
            client_auth,
            client,
            token_sha256,
            active,
        } => json!({
            "kind": kind,
            "client_auth": client_auth.name(),
            "client": client,
            "token_sha256": token_sha256,
            "active": active,
        }),
        IdpCall::Userinfo {
            token_sha256,
            status,
        } => json!({ "kind": kind, "token_sha256": token_sha256, "status": status }),
        IdpCall::Jwks => json!({ "kind": kind }),
        IdpCall::CrowdValidation {
            application,
            token_sha256,
            factors,
            valid,
        } => json!({
            "kind": kind,
            "application": application,
            "token_sha256": token_sha256,
            "factors": factors_json(factors),
            "valid": valid,
        }),
        IdpCall::CrowdSession {
            application,
            user,
            factors,
            created,
        } => json!({
            "kind": kind,
            "application": application,
            "user": user,
            "factors": factors_json(factors),
            "created": created,
        }),
    }
}

fn factors_json(factors: &[(String, String)]) -> Value {
    factors
        .iter()
        .map(|(name, value)| json!({ "name": name, "value": value }))
        .collect()
}

fn call_from_json(call: &Value) -> Option<IdpCall> {
    let text = |name: &str| call.get(name).and_then(Value::as_str).map(str::to_owned);
    let flag = |name: &str| call.get(name).and_then(Value::as_bool);
    Some(match call.get("kind")?.as_str()? {
        "introspections" => IdpCall::Introspection {
            client_auth: match call.get("client_auth")?.as_str()? {
                "basic" => ClientAuth::Basic,
                "post" => ClientAuth::Post,
                "none" => ClientAuth::None,
                _ => return None,
            },
            client: text("client"),
            token_sha256: text("token_sha256"),
            active: flag("active"),
        },
        "userinfo" => IdpCall::Userinfo {
            token_sha256: text("token_sha256"),
            status: u16::try_from(call.get("status")?.as_u64()?).ok()?,
        },
        "jwks" => IdpCall::Jwks,
        "crowd_validations" => IdpCall::CrowdValidation {
            application: text("application"),
            token_sha256: text("token_sha256")?,
            factors: factors_from_json(call.get("factors")?)?,
            valid: flag("valid")?,
        },
        "crowd_sessions" => IdpCall::CrowdSession {
            application: text("application"),
            user: text("user"),
            factors: factors_from_json(call.get("factors")?)?,
            created: flag("created")?,
        },
        _ => return None,
    })
}

fn factors_from_json(factors: &Value) -> Option<Vec<(String, String)>> {
    factors
        .as_array()?
        .iter()
        .map(|f| {
            let field = |name: &str| f.get(name)?.as_str().map(str::to_owned);
            Some((field("name")?, field("value")?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_a_mark_returns_only_later_calls_even_after_eviction() {
        let log = IdpLog::default();
        log.record(IdpCall::Jwks);
        let mark = log.mark();
        assert!(log.since(mark).is_empty());
        for _ in 0..MAX_CALLS + 5 {
            log.record(IdpCall::Jwks);
        }
        assert_eq!(log.since(mark).len(), MAX_CALLS);
        let late = log.mark();
        log.record(IdpCall::Userinfo {
            token_sha256: Some(token_digest("t")),
            status: 200,
        });
        assert_eq!(log.since(late).len(), 1);
    }

    #[test]
    fn every_kind_of_call_survives_the_json_page() {
        let calls = vec![
            IdpCall::Introspection {
                client_auth: ClientAuth::Post,
                client: Some("c".into()),
                token_sha256: Some(token_digest("t")),
                active: Some(true),
            },
            IdpCall::Introspection {
                client_auth: ClientAuth::None,
                client: None,
                token_sha256: None,
                active: None,
            },
            IdpCall::Userinfo {
                token_sha256: None,
                status: 401,
            },
            IdpCall::Jwks,
            IdpCall::CrowdValidation {
                application: Some("confluence".into()),
                token_sha256: token_digest("s"),
                factors: vec![("remote_address".into(), "10.0.0.1".into())],
                valid: false,
            },
            IdpCall::CrowdSession {
                application: None,
                user: Some("alice".into()),
                factors: vec![],
                created: true,
            },
        ];
        let page = calls_json(7, &calls);
        assert_eq!(page["calls"][0]["kind"], "introspections");
        assert_eq!(page["calls"][0]["client_auth"], "post");
        assert_eq!(calls_from_json(&page), Some((7, calls)));
        assert_eq!(
            calls_from_json(&json!({ "next": 1, "calls": [{"kind": "?"}] })),
            None
        );
    }

    #[test]
    fn a_read_returns_the_mark_after_the_calls_it_returns() {
        let log = IdpLog::default();
        log.record(IdpCall::Jwks);
        log.record(IdpCall::Jwks);
        assert_eq!(log.read(0), (2, vec![IdpCall::Jwks, IdpCall::Jwks]));
        assert_eq!(log.read(2), (2, vec![]));
        assert_eq!(log.read(99), (2, vec![]));
    }

    #[test]
    fn a_digest_is_lowercase_hex_sha256() {
        assert_eq!(
            token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
