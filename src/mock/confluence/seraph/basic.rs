//! HTTP Basic as Seraph reads it (F-BASIC-4): the scheme is case-sensitive, the
//! payload base64 of ISO-8859-1 text split at the first `:`.

use axum::http::{HeaderMap, header};
use base64::Engine;

/// What the `Authorization` header holds, as far as Basic is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BasicHeader {
    /// No header, or another scheme: not Basic, so the request stays anonymous.
    Absent,
    /// `Basic ` followed by something that is not base64.
    Malformed,
    Credentials {
        user: String,
        password: String,
    },
}

/// Parses Basic credentials (F-BASIC-4): only a header starting with exactly
/// `Basic ` counts (the scheme is case-sensitive in Seraph, unlike RFC 7617);
/// the payload is base64 of ISO-8859-1 text, split at the first `:`, and with no
/// colon both user and password are empty. `any_case` is the
/// `lowercase_basic_accepted` fault.
pub fn parse_basic(headers: &HeaderMap, any_case: bool) -> BasicHeader {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return BasicHeader::Absent;
    };
    let bytes = value.as_bytes();
    let is_basic = bytes.starts_with(b"Basic ")
        || (any_case && bytes.len() >= 6 && bytes[..6].eq_ignore_ascii_case(b"basic "));
    if !is_basic {
        return BasicHeader::Absent;
    }
    let payload = bytes[6..].trim_ascii();
    let Ok(decoded) = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT.decode(payload)
    else {
        return BasicHeader::Malformed;
    };
    // ISO-8859-1: every byte is the code point of the same value (ASCII, the
    // usual case, is already UTF-8 as it is).
    let text: String = if decoded.is_ascii() {
        String::from_utf8(decoded).unwrap_or_default()
    } else {
        decoded.iter().map(|&b| char::from(b)).collect()
    };
    match text.split_once(':') {
        Some((user, password)) => BasicHeader::Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        },
        None => BasicHeader::Credentials {
            user: String::new(),
            password: String::new(),
        },
    }
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

    fn creds(user: &str, password: &str) -> BasicHeader {
        BasicHeader::Credentials {
            user: user.into(),
            password: password.into(),
        }
    }

    #[test]
    fn basic_is_case_sensitive_latin1_and_split_at_the_first_colon() {
        assert_eq!(
            parse_basic(&auth(b"Basic YWxpY2U6YWxpY2UtcHc="), false),
            creds("alice", "alice-pw")
        );
        assert_eq!(
            parse_basic(&auth(b"basic YWxpY2U6YWxpY2UtcHc="), false),
            BasicHeader::Absent
        );
        assert_eq!(
            parse_basic(&auth(b"basic YWxpY2U6YWxpY2UtcHc="), true),
            creds("alice", "alice-pw")
        );
        assert_eq!(
            parse_basic(&auth(b"BASIC YWxpY2U6YWxpY2UtcHc="), false),
            BasicHeader::Absent
        );
        // "a:b:c" → user a, password b:c
        assert_eq!(
            parse_basic(&auth(b"Basic YTpiOmM="), false),
            creds("a", "b:c")
        );
        // "alice" without a colon → empty user and password
        assert_eq!(parse_basic(&auth(b"Basic YWxpY2U="), false), creds("", ""));
        // 0xE9 is é in ISO-8859-1: "\xe9:x"
        assert_eq!(parse_basic(&auth(b"Basic 6Tp4"), false), creds("é", "x"));
        assert_eq!(
            parse_basic(&auth(b"Basic !!not base64!!"), false),
            BasicHeader::Malformed
        );
        assert_eq!(
            parse_basic(&auth(b"Bearer abc"), false),
            BasicHeader::Absent
        );
        assert_eq!(parse_basic(&HeaderMap::new(), false), BasicHeader::Absent);
    }
}
