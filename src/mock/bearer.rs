//! The `Authorization: Bearer` header, read the two ways the emulated servers
//! read it. A leaf: the Confluence stages and the IdP both ask it.

use axum::http::{HeaderMap, header};

/// The token as Confluence's PAT filter reads it (F-PAT-1): the trimmed header
/// starts with `Bearer` (case-sensitive), and split at spaces the way
/// commons-lang's `StringUtils.split` splits (adjacent spaces count as one, none
/// at the ends) it has exactly two parts, the second the token. So `Bearer␠␠<PAT>`
/// is read; `bearer <PAT>` and `Bearer <PAT> x` are no bearer token at all.
/// Native OAuth reads the header the same way here (the facts are silent on its
/// parsing).
pub fn strict(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if !value.trim().starts_with("Bearer") {
        return None;
    }
    let mut parts = value.split(' ').filter(|part| !part.is_empty());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(token), None) => Some(token),
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
    fn strict_wants_bearer_and_one_token_as_string_utils_splits() {
        assert_eq!(strict(&auth("Bearer abc")), Some("abc"));
        // Adjacent separators merge; the filter only checks the prefix.
        assert_eq!(strict(&auth("Bearer  abc")), Some("abc"));
        assert_eq!(strict(&auth("BearerX abc")), Some("abc"));
        for value in [
            "bearer abc",
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer\tabc",
            "Basic abc",
        ] {
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
