//! The REST-auth plugin's configuration, parsed once (F-PLUG-1..4): allowlisted
//! networks, trusted proxies, path lists and groups. No request handling here;
//! the two stages are `stage.rs`.

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName, StatusCode};
use ipnet::IpNet;

use crate::mock::confluence::client_addr::TrustedProxies;
use crate::mock::confluence::patterns::pattern_matches;
use crate::scenario::mock_config::PluginConfig;

/// The plugin's configuration, parsed once. Entries that do not parse (an IP
/// range that is no CIDR, a proxy that is no address) are left out.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    ip_allow: Vec<IpNet>,
    trusted: TrustedProxies,
    client_ip_header: Option<HeaderName>,
    pub(crate) restrict_public: Vec<String>,
    pub(crate) bypass: Vec<String>,
    pub(crate) api_groups: Vec<String>,
    pub(crate) read_only_groups: Vec<String>,
    pub(crate) disable_basic: bool,
    pub(crate) reject_status: StatusCode,
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

    pub fn bypassed(&self, relative: &str) -> bool {
        self.bypass
            .iter()
            .any(|p| pattern_matches(p, relative, false))
    }

    pub fn restricted(&self, relative: &str) -> bool {
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

    pub fn ip_allowed(&self, client: IpAddr) -> bool {
        self.ip_allow.is_empty() || self.ip_allow.iter().any(|net| net.contains(&client))
    }
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
}
