//! Crowd SSO on the Confluence side (F-CROWD-1..4), on when `crowd.enabled`.
//!
//! [`CrowdSso`] is one of the verifiers the instance's `State` is built with
//! (none when Crowd is off). It asks its Crowd server over HTTP through a
//! [`CrowdClient`], as a real Confluence does: by default the embedded IdP's
//! Crowd service, or any `crowd.server_url`. It reads no `State`.
//!
//! - [`CrowdSso::validate`]: for Seraph's Crowd step (session, remember-me,
//!   **Crowd SSO**, Basic). A `crowd.token_key` cookie is validated with factors
//!   computed from the request ([`CrowdSso::factors`], F-CROWD-2/3); a valid one
//!   names the user and Seraph opens a session (F-CROWD-4). An invalid one
//!   (unknown, expired, bound to other factors), or any token while Crowd cannot
//!   be asked, is no credential: the request goes on down Seraph's order and,
//!   with nothing else, is anonymous, also under `/rest/`. The facts are silent
//!   here; the seed only reports that Crowd refuses the token, and Seraph treats
//!   a dead remember-me cookie the same way (F-SESS-1 is about JSESSIONID).
//! - [`CrowdSso::login_cookie`] / [`CrowdSso::logout_cookie`]: `dologin.action`
//!   opens an SSO session for the user it logged in and sets the cookie;
//!   `logout.action` ends it and resends the cookie with `Max-Age=0` (F-CROWD-1).
//!   Confluence checked the password against its own directory, so the session
//!   is asked for with `validate-password=false`.
//!
//! "Require consistent client IP address" is the Crowd server's setting: the
//! client always sends the factors, Crowd decides whether to compare them.
//!
//! Faults: `crowd_ip_unbound` (the client looks the session up instead of
//! validating it, so factors are never compared; breaks F-CROWD-2),
//! `crowd_factors_missing` (validation sends no factors: the client address
//! never reaches Crowd; breaks F-CROWD-2), `crowd_trust_any_xff` (every peer is
//! a trusted proxy, breaks F-CROWD-3), `crowd_cookie_insecure` (no
//! `Secure`/`HttpOnly`, breaks F-CROWD-1).

use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue};

use super::client_addr::{BadProxy, TrustedProxies};
use super::crowd_client::{CrowdClient, CrowdClientError, Factor};
use super::request;
use crate::mock::faults::FaultSet;
use crate::scenario::mock_config::{CrowdConfig, Fault};
use crate::wire::{CROWD_REMOTE_ADDRESS, CROWD_SSO_COOKIE, CROWD_X_FORWARDED_FOR};

/// Why Crowd SSO cannot be set up from `confluence.crowd`.
#[derive(Debug, thiserror::Error)]
pub enum CrowdSsoError {
    #[error("confluence.crowd.trusted_proxies: {0}")]
    Proxy(#[from] BadProxy),
    #[error(transparent)]
    Client(#[from] CrowdClientError),
}

/// How the client asks Crowd about a token: the faults change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// `POST …/session/{token}` with the request's factors.
    Validate,
    /// `POST …/session/{token}` with no factors (`crowd_factors_missing`).
    ValidateWithoutFactors,
    /// `GET …/session/{token}`: no factor check at all (`crowd_ip_unbound`).
    Lookup,
}

/// Confluence's Crowd client and how it reads requests.
#[derive(Debug)]
pub struct CrowdSso {
    client: CrowdClient,
    proxies: TrustedProxies,
    check: Check,
    /// `Secure` on the cookie: `secure_cookie` and not `crowd_cookie_insecure`.
    secure: bool,
    /// `HttpOnly` on the cookie: always, but for `crowd_cookie_insecure`.
    http_only: bool,
    domain: Option<String>,
}

impl CrowdSso {
    /// `server_url` is the Crowd server's base URL (`crowd.server_url`, resolved
    /// by the caller). `Err` names a `trusted_proxies` entry that is no IP,
    /// wildcard or CIDR, or a server URL that is not HTTP.
    pub fn new(
        config: &CrowdConfig,
        server_url: &str,
        faults: &FaultSet,
    ) -> Result<Self, CrowdSsoError> {
        let proxies = if faults.has(Fault::CrowdTrustAnyXff) {
            // The fault believes X-Forwarded-For from anyone (breaks F-CROWD-3).
            TrustedProxies::parse(&["0.0.0.0/0".to_owned(), "::/0".to_owned()])?
        } else {
            TrustedProxies::parse(&config.trusted_proxies)?
        };
        let client = CrowdClient::new(
            server_url,
            &config.application,
            &config.application_password,
        )?;
        let check = if faults.has(Fault::CrowdIpUnbound) {
            Check::Lookup
        } else if faults.has(Fault::CrowdFactorsMissing) {
            Check::ValidateWithoutFactors
        } else {
            Check::Validate
        };
        let insecure = faults.has(Fault::CrowdCookieInsecure);
        // F-CROWD-1: no Domain for localhost.
        let domain = config
            .cookie_domain
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty() && !d.eq_ignore_ascii_case("localhost"))
            // A Domain that could break the header is dropped (a host-only cookie).
            .filter(|d| {
                d.bytes()
                    .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
            })
            .map(str::to_owned);
        Ok(Self {
            client,
            proxies,
            check,
            secure: config.secure_cookie && !insecure,
            http_only: !insecure,
            domain,
        })
    }

    /// The validation factors of a request (F-CROWD-2): `remote_address`, the client
    /// address found by walking the peer and `X-Forwarded-For` past trusted proxies
    /// (F-CROWD-3), and the whole `X-Forwarded-For` header when present and
    /// different from it.
    pub fn factors(&self, peer: IpAddr, headers: &HeaderMap) -> Vec<Factor> {
        let forwarded: Vec<&str> = headers
            .get_all(CROWD_X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(", "));
        let client = self
            .proxies
            .client_address(peer, forwarded.as_deref())
            .to_string();
        let mut factors = vec![Factor::new(CROWD_REMOTE_ADDRESS, client.clone())];
        if let Some(forwarded) = forwarded.filter(|f| *f != client) {
            factors.push(Factor::new(CROWD_X_FORWARDED_FOR, forwarded));
        }
        factors
    }

    /// The `crowd.token_key` cookie, when the request carries a non-empty one:
    /// only then is Crowd asked.
    pub fn token(headers: &HeaderMap) -> Option<String> {
        request::cookie(headers, CROWD_SSO_COOKIE).filter(|t| !t.is_empty())
    }

    /// The user Crowd says `token` names (F-CROWD-2/3), or `None` (an invalid
    /// token, Crowd unreachable). Whether this instance knows the user is the
    /// caller's question.
    pub async fn validate(&self, token: &str, peer: IpAddr, headers: &HeaderMap) -> Option<String> {
        match self.check {
            Check::Validate => {
                let factors = self.factors(peer, headers);
                self.client.validate(token, &factors).await
            }
            Check::ValidateWithoutFactors => self.client.validate(token, &[]).await,
            Check::Lookup => self.client.lookup(token).await,
        }
    }

    /// After a successful `dologin.action` for `user`: opens an SSO session bound
    /// to this request's factors and returns its cookie (F-CROWD-1/2); `None`
    /// when Crowd made none (then the login is Confluence's alone).
    pub async fn login_cookie(
        &self,
        peer: IpAddr,
        headers: &HeaderMap,
        user: &str,
    ) -> Option<HeaderValue> {
        let factors = self.factors(peer, headers);
        let token = self.client.create(user, &factors).await?;
        Some(self.cookie(&token))
    }

    /// On `logout.action`: ends the SSO session the cookie names and returns the
    /// deleting cookie (F-CROWD-1).
    pub async fn logout_cookie(&self, headers: &HeaderMap) -> HeaderValue {
        if let Some(token) = Self::token(headers) {
            self.client.end(&token).await;
        }
        self.clear_cookie()
    }

    /// `Set-Cookie` carrying `token` (F-CROWD-1): Path `/`, Domain if configured,
    /// `Secure` when configured, HttpOnly.
    pub fn cookie(&self, token: &str) -> HeaderValue {
        self.cookie_text(token, "")
    }

    /// `Set-Cookie` that deletes the SSO cookie (F-CROWD-1: `Max-Age=0`).
    pub fn clear_cookie(&self) -> HeaderValue {
        self.cookie_text("", "; Max-Age=0")
    }

    fn cookie_text(&self, value: &str, extra: &str) -> HeaderValue {
        let mut text = format!("{CROWD_SSO_COOKIE}={value}{extra}");
        if let Some(domain) = &self.domain {
            text.push_str("; Domain=");
            text.push_str(domain);
        }
        text.push_str("; Path=/");
        if self.secure {
            text.push_str("; Secure");
        }
        if self.http_only {
            text.push_str("; HttpOnly");
        }
        // The domain was checked in `new` and tokens are URL-safe base64, so this
        // cannot fail; if it did, the cookie would only be deleted.
        HeaderValue::from_str(&text)
            .or_else(|_| HeaderValue::from_str(&format!("{CROWD_SSO_COOKIE}=; Max-Age=0; Path=/")))
            .unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "http://127.0.0.1:9/crowd";

    fn crowd(config: CrowdConfig, faults: &[Fault]) -> CrowdSso {
        CrowdSso::new(&config, SERVER, &FaultSet::new(faults)).unwrap()
    }

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn factors_follow_trusted_proxies_and_keep_a_differing_forwarded_for() {
        let config = CrowdConfig {
            trusted_proxies: vec!["10.0.0.0/8".into()],
            ..CrowdConfig::default()
        };
        let crowd = crowd(config, &[]);
        assert_eq!(
            crowd.factors(ip("10.0.0.1"), &xff("203.0.113.7")),
            [Factor::new(CROWD_REMOTE_ADDRESS, "203.0.113.7")]
        );
        assert_eq!(
            crowd.factors(ip("198.51.100.9"), &xff("203.0.113.7")),
            [
                Factor::new(CROWD_REMOTE_ADDRESS, "198.51.100.9"),
                Factor::new(CROWD_X_FORWARDED_FOR, "203.0.113.7")
            ]
        );
        assert_eq!(
            crowd.factors(ip("198.51.100.9"), &HeaderMap::new()),
            [Factor::new(CROWD_REMOTE_ADDRESS, "198.51.100.9")]
        );
    }

    #[test]
    fn the_faults_choose_how_crowd_is_asked() {
        assert_eq!(crowd(CrowdConfig::default(), &[]).check, Check::Validate);
        assert_eq!(
            crowd(CrowdConfig::default(), &[Fault::CrowdFactorsMissing]).check,
            Check::ValidateWithoutFactors
        );
        assert_eq!(
            crowd(CrowdConfig::default(), &[Fault::CrowdIpUnbound]).check,
            Check::Lookup
        );
    }

    #[test]
    fn the_trust_any_fault_believes_every_peer() {
        let crowd = crowd(CrowdConfig::default(), &[Fault::CrowdTrustAnyXff]);
        assert_eq!(
            crowd.factors(ip("198.51.100.9"), &xff("203.0.113.7")),
            [Factor::new(CROWD_REMOTE_ADDRESS, "203.0.113.7")]
        );
    }

    #[test]
    fn cookie_attributes() {
        let config = CrowdConfig {
            secure_cookie: true,
            cookie_domain: Some("example.com".into()),
            ..CrowdConfig::default()
        };
        assert_eq!(
            crowd(config.clone(), &[]).cookie("t"),
            "crowd.token_key=t; Domain=example.com; Path=/; Secure; HttpOnly"
        );
        assert_eq!(
            crowd(config.clone(), &[]).clear_cookie(),
            "crowd.token_key=; Max-Age=0; Domain=example.com; Path=/; Secure; HttpOnly"
        );
        assert_eq!(
            crowd(config, &[Fault::CrowdCookieInsecure]).cookie("t"),
            "crowd.token_key=t; Domain=example.com; Path=/"
        );
        let local = CrowdConfig {
            cookie_domain: Some("localhost".into()),
            ..CrowdConfig::default()
        };
        assert_eq!(
            crowd(local, &[]).cookie("t"),
            "crowd.token_key=t; Path=/; HttpOnly"
        );
    }

    #[test]
    fn a_bad_trusted_proxy_is_an_error() {
        let config = CrowdConfig {
            trusted_proxies: vec!["proxy.example".into()],
            ..CrowdConfig::default()
        };
        assert!(CrowdSso::new(&config, SERVER, &FaultSet::default()).is_err());
        assert!(CrowdSso::new(&CrowdConfig::default(), "nowhere", &FaultSet::default()).is_err());
    }
}
