//! The plugin's two stages (F-PLUG-1..4): [`gate`] before authentication (IP
//! allowlist, disabled Basic), [`authorize`] after it (restricted public paths,
//! groups, read-only groups). Bypassed and non-REST paths are not judged.

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;

use super::policy::Policy;
use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::client_addr::Peer;
use crate::mock::confluence::respond::{not_authenticated, rest_error};
use crate::mock::confluence::state::State;
use crate::scenario::mock_config::Fault;

/// The client address of a request as the plugin sees it (for the audit log too);
/// the peer itself without a plugin.
pub fn client_address(state: &State, req: &Request) -> IpAddr {
    let peer = req
        .extensions()
        .get::<Peer>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |p| p.0);
    match &state.plugin_policy {
        Some(policy) => policy.client_address(
            peer,
            req.headers(),
            state.faults.has(Fault::IpHeaderUntrusted),
        ),
        None => peer,
    }
}

/// The policy if it judges this request: a plugin is configured, the path is a
/// REST path, and it is not bypassed. Returns the path relative to the context.
fn judged<'a>(state: &'a State, req: &Request) -> Option<&'a Policy> {
    let policy = state.plugin_policy.as_ref()?;
    let relative = state.relative(req.uri().path());
    (relative.starts_with("/rest/") && !policy.bypassed(relative)).then_some(policy)
}

/// Whether `Authorization` names the Basic scheme, in any case.
fn is_basic(headers: &HeaderMap) -> bool {
    headers.get_all(header::AUTHORIZATION).iter().any(|v| {
        let bytes = v.as_bytes().trim_ascii_start();
        bytes.len() >= 5
            && bytes[..5].eq_ignore_ascii_case(b"basic")
            && bytes.get(5).is_none_or(|b| *b == b' ')
    })
}

/// The pre-authentication stage: IP allowlist (F-PLUG-2), then disabled Basic
/// (F-PLUG-3); `Some` is the refusal.
pub fn gate(state: &State, req: &Request) -> Option<Response> {
    let policy = judged(state, req)?;
    if !state.faults.has(Fault::IpAllowIgnored) {
        let client = client_address(state, req);
        if !policy.ip_allowed(client) {
            return Some(rest_error(
                StatusCode::FORBIDDEN,
                &format!("API access is not allowed from {client}"),
            ));
        }
    }
    if policy.disable_basic
        && !state.faults.has(Fault::DisableBasicIgnored)
        && is_basic(req.headers())
    {
        return Some(rest_error(
            policy.reject_status,
            "Basic authentication is disabled for the REST API",
        ));
    }
    None
}

/// The post-authentication stage: restricted public paths (F-PLUG-4), allowed
/// groups and read-only groups (F-PLUG-1); `Some` is the refusal.
pub fn authorize(state: &State, req: &Request) -> Option<Response> {
    let policy = judged(state, req)?;
    let caller = req
        .extensions()
        .get::<Caller>()
        .unwrap_or(&Caller::Anonymous);
    refusal(state, policy, req, caller)
}

/// Why the plugin refuses this caller, if it does.
fn refusal(state: &State, policy: &Policy, req: &Request, caller: &Caller) -> Option<Response> {
    let name = match caller {
        Caller::Anonymous => {
            let relative = state.relative(req.uri().path());
            // F-PLUG-4: a restricted public path needs a user.
            return (policy.restricted(relative)
                && !state.faults.has(Fault::RestrictPublicIgnored))
            .then(not_authenticated);
        }
        Caller::User(name) => name,
    };
    let groups = state
        .directory
        .get(name)
        .map(|u| u.groups.clone())
        .unwrap_or_default();
    let in_any = |list: &[String]| {
        groups
            .iter()
            .any(|g| list.iter().any(|l| l.eq_ignore_ascii_case(g)))
    };
    let read_only = in_any(&policy.read_only_groups);
    // F-PLUG-1: allowed groups (read-only groups are allowed to read).
    if !policy.api_groups.is_empty()
        && !in_any(&policy.api_groups)
        && !read_only
        && !state.faults.has(Fault::GroupsIgnored)
    {
        return Some(rest_error(
            policy.reject_status,
            &format!("User {name} is not allowed to use the REST API"),
        ));
    }
    // F-PLUG-1: read-only groups may only read.
    let reads = [Method::GET, Method::HEAD, Method::OPTIONS];
    if read_only && !reads.contains(req.method()) && !state.faults.has(Fault::ReadOnlyWrites) {
        return Some(rest_error(
            StatusCode::FORBIDDEN,
            &format!("User {name} has read-only access to the REST API"),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn basic_in_any_case_only() {
        let h = |v: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(v));
            headers
        };
        assert!(is_basic(&h("Basic YTpi")));
        assert!(is_basic(&h("bAsIc YTpi")));
        assert!(is_basic(&h("Basic")));
        assert!(!is_basic(&h("Bearer x")));
        assert!(!is_basic(&h("Basically")));
        assert!(!is_basic(&HeaderMap::new()));
    }
}
