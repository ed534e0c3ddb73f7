//! Who is on the other end: the TCP peer (or, in tests, the address a scenario's
//! `client_ip:` stands for) and the client behind trusted proxies (F-CROWD-3,
//! F-PLUG-2).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use ipnet::IpNet;

use crate::wire::CLIENT_IP_HEADER;

/// The TCP peer address of a request, in its extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub IpAddr);

/// In a request's extensions when `mock.server.trust_client_ip_header` is on:
/// `X-Tollgate-Client-IP` is believed from any peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustClientIpHeader;

/// Puts the [`Peer`] into the request: `client_ip:`'s header
/// (`wire::CLIENT_IP_HEADER`: a scenario on loopback cannot change its real
/// peer address, and a real Confluence never sees the header) if it holds an
/// address and [`client_ip_header_believed`], else the connection's peer, else
/// loopback (a router served without connection info, as in unit tests).
pub fn set_peer(req: &mut Request) {
    let connected = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let trust_any = req.extensions().get::<TrustClientIpHeader>().is_some();
    let from_scenario = client_ip_header_believed(connected, trust_any)
        .then(|| req.headers().get(CLIENT_IP_HEADER))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    let peer = from_scenario
        .or(connected)
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    req.extensions_mut().insert(Peer(peer));
}

/// Whether `X-Tollgate-Client-IP` may stand for the peer: only the harness sets
/// it, from the same host, so it is believed from a loopback peer (or a router
/// served without connection info, in tests), or from anyone when
/// `trust_client_ip_header` says so. Any other caller of a standalone
/// `tollgate mock` would otherwise pass `ip_allow` by naming an allowed address.
pub fn client_ip_header_believed(connected: Option<IpAddr>, trust_any: bool) -> bool {
    trust_any || connected.is_none_or(|ip| ip.to_canonical().is_loopback())
}

/// One trusted-proxy entry: an address, a `192.168.*.*` wildcard, or a CIDR.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    Exact(IpAddr),
    Net(IpNet),
    /// Dotted IPv4 octets; `None` is `*`.
    Wildcard([Option<u8>; 4]),
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Entry>);

impl TrustedProxies {
    /// Reads entries as Crowd's admin page takes them; the error names the first
    /// entry that is none of IP, wildcard or CIDR.
    pub fn parse(entries: &[String]) -> Result<Self, BadProxy> {
        entries
            .iter()
            .map(|e| parse_entry(e.trim()))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|entry| match entry {
            Entry::Exact(addr) => *addr == ip,
            Entry::Net(net) => net.contains(&ip),
            Entry::Wildcard(octets) => match ip {
                IpAddr::V4(v4) => octets
                    .iter()
                    .zip(v4.octets())
                    .all(|(want, got)| want.is_none_or(|w| w == got)),
                IpAddr::V6(_) => false,
            },
        })
    }

    /// F-CROWD-3: the client address is the first address, walking the peer and
    /// then `X-Forwarded-For` right to left, that is not a trusted proxy. An
    /// untrusted peer's `X-Forwarded-For` is never read; an entry that is not an
    /// address ends the walk at the last trusted hop.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.unwrap_or_default().rsplit(',') {
            let Ok(addr) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = addr;
            if !self.contains(addr) {
                break;
            }
        }
        client
    }
}

fn parse_entry(entry: &str) -> Result<Entry, BadProxy> {
    if let Ok(addr) = entry.parse::<IpAddr>() {
        return Ok(Entry::Exact(addr));
    }
    if let Ok(net) = entry.parse::<IpNet>() {
        return Ok(Entry::Net(net));
    }
    let parts: Vec<&str> = entry.split('.').collect();
    if parts.len() == 4 && parts.contains(&"*") {
        let mut octets = [None; 4];
        for (slot, part) in octets.iter_mut().zip(&parts) {
            if *part != "*" {
                *slot = Some(part.parse::<u8>().map_err(|_| bad(entry))?);
            }
        }
        return Ok(Entry::Wildcard(octets));
    }
    Err(bad(entry))
}

fn bad(entry: &str) -> BadProxy {
    BadProxy(entry.to_owned())
}

/// A trusted-proxy entry that is none of IP, wildcard or CIDR (an address from
/// the configuration, never a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trusted proxy '{0}' is not an IP address, a 192.168.*.* wildcard or a CIDR")]
pub struct BadProxy(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn trusted(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn entries_are_addresses_wildcards_or_cidrs() {
        let proxies = trusted(&["127.0.0.1", "192.168.*.*", "10.0.0.0/8"]);
        assert!(proxies.contains(ip("127.0.0.1")));
        assert!(proxies.contains(ip("192.168.44.2")));
        assert!(proxies.contains(ip("10.200.1.1")));
        assert!(!proxies.contains(ip("192.169.0.1")));
        assert!(!proxies.contains(ip("::1")));
        assert!(TrustedProxies::parse(&["proxy.example".to_string()]).is_err());
    }

    #[test]
    fn the_walk_goes_right_to_left_past_trusted_hops() {
        let proxies = trusted(&["127.0.0.1", "10.0.0.0/8"]);
        let client =
            proxies.client_address(ip("127.0.0.1"), Some("203.0.113.9, 198.51.100.7, 10.1.1.1"));
        assert_eq!(
            client,
            ip("198.51.100.7"),
            "the first untrusted from the right"
        );
        assert_eq!(
            proxies.client_address(ip("127.0.0.1"), None),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn an_untrusted_peer_s_forwarded_for_is_ignored() {
        let proxies = trusted(&["127.0.0.1"]);
        assert_eq!(
            proxies.client_address(ip("198.51.100.7"), Some("10.9.9.9")),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn the_client_ip_header_is_believed_only_from_loopback_unless_trusted() {
        for loopback in ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"] {
            assert!(
                client_ip_header_believed(Some(ip(loopback)), false),
                "{loopback}"
            );
        }
        for remote in [
            "10.0.0.1",
            "192.0.2.7",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert!(
                !client_ip_header_believed(Some(ip(remote)), false),
                "{remote}"
            );
            assert!(
                client_ip_header_believed(Some(ip(remote)), true),
                "{remote}"
            );
        }
        assert!(client_ip_header_believed(None, false));
    }

    fn request_from(peer: &str, trusted: bool) -> Request {
        let mut req = Request::builder()
            .header(CLIENT_IP_HEADER, "203.0.113.9")
            .body(axum::body::Body::empty())
            .unwrap();
        let addr = SocketAddr::new(ip(peer), 40_000);
        req.extensions_mut().insert(ConnectInfo(addr));
        if trusted {
            req.extensions_mut().insert(TrustClientIpHeader);
        }
        req
    }

    #[test]
    fn a_remote_peer_s_client_ip_header_is_ignored() {
        let mut remote = request_from("192.0.2.7", false);
        set_peer(&mut remote);
        assert_eq!(
            remote.extensions().get::<Peer>(),
            Some(&Peer(ip("192.0.2.7")))
        );
        let mut trusted = request_from("192.0.2.7", true);
        set_peer(&mut trusted);
        assert_eq!(
            trusted.extensions().get::<Peer>(),
            Some(&Peer(ip("203.0.113.9")))
        );
        let mut harness = request_from("127.0.0.1", false);
        set_peer(&mut harness);
        assert_eq!(
            harness.extensions().get::<Peer>(),
            Some(&Peer(ip("203.0.113.9")))
        );
    }

    #[test]
    fn garbage_in_forwarded_for_stops_the_walk() {
        let proxies = trusted(&["127.0.0.1"]);
        assert_eq!(
            proxies.client_address(ip("127.0.0.1"), Some("203.0.113.9, not-an-ip")),
            ip("127.0.0.1")
        );
    }
}
