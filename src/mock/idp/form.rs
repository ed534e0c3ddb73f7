//! Form bodies of the OAuth endpoints, read strictly: RFC 6749 §3.2 wants
//! `application/x-www-form-urlencoded`, and a parameter sent twice is an
//! `invalid_request` (§3.1). Anything odd is a 400, never a panic or axum's 415/422.

use std::collections::HashMap;

use super::error::OAuthError;
use axum::http::{HeaderMap, header};

/// Most parameters one request may carry; more is garbage, not OAuth.
const MAX_PARAMS: usize = 64;

/// The parameters of one request (each name at most once).
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// A parameter's value; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Parses a form body. An absent content type is tolerated (curl users forget
/// it); a different one is a 400.
pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        let essence = content_type
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            ));
        }
    }
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if params.len() >= MAX_PARAMS {
            return Err(OAuthError::invalid_request("too many parameters"));
        }
        if params
            .insert(name.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(OAuthError::invalid_request(format!(
                "parameter '{name}' is repeated"
            )));
        }
    }
    Ok(Params(params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn strict_forms() {
        let mut headers = HeaderMap::new();
        let params = parse(&headers, b"a=1&b=&c=%20x").unwrap();
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some(" x"));
        assert!(parse(&headers, b"a=1&a=2").is_err());
        assert!(parse(&headers, &[0xff, 0xfe, b'=', 0x80]).is_ok());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(parse(&headers, b"a=1").is_err());
    }
}
