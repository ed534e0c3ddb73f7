//! A REST-auth plugin's access policies (F-PLUG-1..4, seed 003), for REST API
//! paths (`<ctx>/rest/…`) when `plugin:` is configured. Two stages:
//!
//! - [`gate`], before authentication: the IP allowlist (F-PLUG-2; outside → 403)
//!   and "disable Basic authentication" (F-PLUG-3; any `Authorization: Basic …`,
//!   whatever its case, gets `reject_status` before Seraph reads it, so a refused
//!   Basic login neither opens a session nor counts toward the CAPTCHA).
//! - [`authorize`], after authentication: "restrict public APIs" (F-PLUG-4;
//!   anonymous on a listed path → 401 with F-ANON-3's body), allowed groups
//!   (F-PLUG-1; a user in none of `api_groups` → `reject_status`; a member of a
//!   read-only group counts as allowed; anonymous callers are not judged here,
//!   Confluence's own rules decide), read-only groups (F-PLUG-1; anything but
//!   GET/HEAD/OPTIONS → 403).
//!
//! `bypass` patterns (F-PLUG-4) are not judged by either stage (bypass wins over
//! `restrict_public`); Confluence's own authentication still applies. Patterns
//! match like Seraph's url-patterns ([`super::token_auth::pattern_matches`]: `*` any
//! run, case-insensitive), relative to the context path.
//!
//! The client address (F-PLUG-2) is the [`Peer`], or behind proxies listed in
//! `trusted_proxies` the first untrusted address walking `client_ip_header`
//! right to left; an untrusted peer's header is ignored. `reject_status` is the
//! vendor-specific status of F-PLUG-3 (401 by default; any value outside
//! 400..=599 reads as 401).

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::response::Response;
use ipnet::IpNet;

use super::audit::Who;
use super::client_addr::{Peer, TrustedProxies};
use super::rest::NOT_AUTHENTICATED_BODY;
use super::seraph::{AuthMethod, rest_error};
use super::token_auth::pattern_matches;
use super::{Caller, State, raw_json};
use crate::scenario::mock_config::{Fault, PluginConfig};

/// The plugin's configuration, parsed once. Entries that do not parse (an IP
/// range that is no CIDR, a proxy that is no address) are left out.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    ip_allow: Vec<IpNet>,
    trusted: TrustedProxies,
    client_ip_header: Option<HeaderName>,
    restrict_public: Vec<String>,
    bypass: Vec<String>,
    api_groups: Vec<String>,
    read_only_groups: Vec<String>,
    disable_basic: bool,
    reject_status: StatusCode,
}

impl Policy {
    pub fn new(config: &PluginConfig) -> Self {
        let ip_allow = config
            .ip_allow
            .iter()
            .filter_map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .ok()
                    .or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from))
            })
            .collect();
        let proxies: Vec<String> = config
            .trusted_proxies
            .iter()
            .filter(|e| TrustedProxies::parse(std::slice::from_ref(*e)).is_ok())
            .cloned()
            .collect();
        let status = StatusCode::from_u16(config.reject_status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::UNAUTHORIZED);
        Self {
            ip_allow,
            trusted: TrustedProxies::parse(&proxies).unwrap_or_default(),
            client_ip_header: HeaderName::from_bytes(config.client_ip_header.trim().as_bytes())
                .ok(),
            restrict_public: config.restrict_public.clone(),
            bypass: config.bypass.clone(),
            api_groups: config.api_groups.clone(),
            read_only_groups: config.read_only_groups.clone(),
            disable_basic: config.disable_basic,
            reject_status: status,
        }
    }

    fn bypassed(&self, relative: &str) -> bool {
        self.bypass
            .iter()
            .any(|p| pattern_matches(p, relative, false))
    }

    fn restricted(&self, relative: &str) -> bool {
        self.restrict_public
            .iter()
            .any(|p| pattern_matches(p, relative, false))
    }

    /// F-PLUG-2: who the client is. `header_untrusted` is the
    /// `ip_header_untrusted` fault: the header's first address is believed from
    /// any peer.
    pub fn client_address(
        &self,
        peer: IpAddr,
        headers: &HeaderMap,
        header_untrusted: bool,
    ) -> IpAddr {
        let forwarded = self
            .client_ip_header
            .as_ref()
            .and_then(|name| headers.get(name))
            .and_then(|v| v.to_str().ok());
        if header_untrusted {
            let first = forwarded
                .and_then(|v| v.split(',').next())
                .and_then(|hop| hop.trim().parse::<IpAddr>().ok());
            return first.unwrap_or(peer);
        }
        self.trusted.client_address(peer, forwarded)
    }

    fn ip_allowed(&self, client: IpAddr) -> bool {
        self.ip_allow.is_empty() || self.ip_allow.iter().any(|net| net.contains(&client))
    }
}

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

/// Who the request is for the audit log (F-PLUG-6), as this stage sees it: a
/// request refused before it reaches [`authorize`] is logged as anonymous.
pub fn who(req: &Request) -> Who {
    Who {
        caller: req
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous),
        method: req.extensions().get::<AuthMethod>().copied(),
    }
}

/// Why the plugin refuses this caller, if it does.
fn refusal(state: &State, policy: &Policy, req: &Request, caller: &Caller) -> Option<Response> {
    let name = match caller {
        Caller::Anonymous => {
            let relative = state.relative(req.uri().path());
            // F-PLUG-4: a restricted public path needs a user.
            return (policy.restricted(relative)
                && !state.faults.has(Fault::RestrictPublicIgnored))
            .then(|| raw_json(StatusCode::UNAUTHORIZED, NOT_AUTHENTICATED_BODY.to_owned()));
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

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn policy(json: serde_json::Value) -> Policy {
        Policy::new(&serde_json::from_value(json).unwrap())
    }

    #[test]
    fn bad_entries_are_left_out_and_bare_addresses_are_hosts() {
        let p = policy(serde_json::json!({
            "ip_allow": ["10.0.0.0/8", "not-a-cidr", "192.0.2.7", "300.1.1.1/8"],
            "trusted_proxies": ["127.0.0.1", "proxy.example"],
            "client_ip_header": "bad header\n",
            "reject_status": 99,
        }));
        assert!(p.ip_allowed(ip("10.2.3.4")));
        assert!(p.ip_allowed(ip("192.0.2.7")));
        assert!(!p.ip_allowed(ip("192.0.2.8")));
        assert!(p.client_ip_header.is_none());
        assert_eq!(p.reject_status, StatusCode::UNAUTHORIZED);
        assert!(policy(serde_json::json!({})).ip_allowed(ip("203.0.113.1")));
    }

    #[test]
    fn the_header_is_believed_only_from_trusted_peers() {
        let p = policy(serde_json::json!({ "trusted_proxies": ["127.0.0.1"] }));
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.9.9.9"));
        assert_eq!(
            p.client_address(ip("127.0.0.1"), &headers, false),
            ip("10.9.9.9")
        );
        assert_eq!(
            p.client_address(ip("198.51.100.1"), &headers, false),
            ip("198.51.100.1")
        );
        assert_eq!(
            p.client_address(ip("198.51.100.1"), &headers, true),
            ip("10.9.9.9")
        );
        headers.insert("x-forwarded-for", HeaderValue::from_static("garbage, ,"));
        assert_eq!(
            p.client_address(ip("198.51.100.1"), &headers, true),
            ip("198.51.100.1")
        );
    }

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
