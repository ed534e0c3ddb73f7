//! The `slow_auth` fault (load-only: it breaks no fact): every request that
//! [`carries_credentials`] waits [`SLOW_AUTH_DELAY`] before authentication, here
//! and nowhere else, so no way of authenticating escapes it and anonymous
//! requests stay fast.

use std::time::Duration;

use axum::http::{HeaderMap, Uri, header};

use super::names::{REMEMBER_ME_COOKIE, SESSION_COOKIE};
use crate::mock::confluence::request;
use crate::wire::CROWD_SSO_COOKIE;

/// How long the `slow_auth` fault holds each request that carries credentials
/// before authenticating it. The clean mock authenticates in well under a
/// millisecond, so a latency threshold it meets is breached by a wide margin,
/// while a load run with the fault on stays short.
pub const SLOW_AUTH_DELAY: Duration = Duration::from_millis(50);

/// Whether the request presents something an authenticator checks: the session,
/// remember-me or Crowd SSO cookie, any `Authorization` header (Basic, Bearer,
/// JWT), or a Connect `?jwt=`. Valid or not: a real server pays for checking a bad
/// credential too, and a load test that sends bad ones must see the cost.
pub fn carries_credentials(headers: &HeaderMap, uri: &Uri) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || [SESSION_COOKIE, REMEMBER_ME_COOKIE, CROWD_SSO_COOKIE]
            .iter()
            .any(|name| request::cookie(headers, name).is_some())
        || request::query_param(uri, "jwt").is_some_and(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn auth(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_bytes(value).unwrap(),
        );
        headers
    }

    /// The `slow_auth` fault waits exactly when this says yes, so this is where
    /// "anonymous requests are not delayed" is proved, without timing anything.
    #[test]
    fn credentials_are_what_an_authenticator_would_check() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let plain = uri("/rest/api/content");
        let cookie = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::COOKIE, HeaderValue::from_static(value));
            headers
        };
        for value in [
            &b"Basic YWxpY2U6YWxpY2UtcHc="[..],
            b"basic YWxpY2U6YWxpY2UtcHc=",
            b"Bearer abc",
            b"JWT a.b.c",
        ] {
            assert!(carries_credentials(&auth(value), &plain), "{value:?}");
        }
        for value in [
            "JSESSIONID=abc",
            "a=1; seraph.confluence=abc",
            "crowd.token_key=abc; b=2",
        ] {
            assert!(carries_credentials(&cookie(value), &plain), "{value}");
        }
        assert!(carries_credentials(
            &HeaderMap::new(),
            &uri("/rest/api/content?a=1&jwt=a.b.c")
        ));

        // Anonymous: nothing, other cookies and headers, an empty `jwt`, and
        // `os_authType=basic` (asking for credentials is not sending them).
        let mut other = cookie("atlassian.xsrf.token=x; JSESSIONIDX=y");
        other.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        other.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!carries_credentials(&HeaderMap::new(), &plain));
        assert!(!carries_credentials(&other, &plain));
        assert!(!carries_credentials(
            &HeaderMap::new(),
            &uri("/rest/api/content?jwt=&os_authType=basic")
        ));
    }
}
