//! The `Authorization: Bearer` header, read the two ways the emulated servers
//! read it. A leaf: the Confluence stages and the IdP both ask it.

use axum::http::{HeaderMap, header};

/// The token as Confluence's PAT filter reads it (F-PAT-1): the header starts
/// with `Bearer` (case-sensitive) and has exactly two space-separated parts.
/// Anything else is no bearer token at all. Native OAuth reads the header the
/// same way here (the facts are silent on its parsing).
pub fn strict(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("Bearer"), Some(token), None) if !token.is_empty() => Some(token),
        _ => None,
    }
}

/// `Bearer <token>` with the scheme in any case (RFC 6750 §2.1, RFC 7235 §2.1),
/// the token trimmed. An empty token is returned as such: a REST-auth plugin
/// refuses it as malformed, the IdP's userinfo treats it as no token.
pub fn lenient(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn auth(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn strict_wants_exactly_bearer_and_one_token() {
        assert_eq!(strict(&auth("Bearer abc")), Some("abc"));
        for value in ["bearer abc", "Bearer", "Bearer ", "Bearer a b", "Basic abc"] {
            assert_eq!(strict(&auth(value)), None, "{value}");
        }
        assert_eq!(strict(&HeaderMap::new()), None);
    }

    #[test]
    fn lenient_takes_any_case_and_trims() {
        assert_eq!(lenient("Bearer abc"), Some("abc"));
        assert_eq!(lenient("bearer abc "), Some("abc"));
        assert_eq!(lenient("BEARER  "), Some(""));
        assert_eq!(lenient("Basic abc"), None);
        assert_eq!(lenient("Bearer"), None);
    }
}
