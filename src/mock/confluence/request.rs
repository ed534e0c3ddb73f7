//! Small, total readers of request parts: cookies from raw header bytes, query
//! parameters, `Accept`. None of them can fail loudly: bad input reads as absent.

use axum::http::{HeaderMap, Uri, header};

/// The value of the first cookie called `name`.
///
/// Cookie headers are read as bytes. A cookie whose name or value is not
/// printable ASCII (RFC 6265 `cookie-octet`) is skipped, as Tomcat's cookie
/// processor skips it: a non-UTF-8 `JSESSIONID` is no cookie at all, so it neither
/// logs anyone in nor counts as an invalid session cookie (F-SESS-1).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|b| *b == b';'))
        .filter_map(|pair| {
            let eq = pair.iter().position(|b| *b == b'=')?;
            let (n, v) = (trim(&pair[..eq]), trim(&pair[eq + 1..]));
            let v = v
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(v);
            let printable = |s: &[u8]| s.iter().all(|b| b.is_ascii_graphic());
            (printable(n) && printable(v) && !n.is_empty()).then_some((n, v))
        })
        .find(|(n, _)| *n == name.as_bytes())
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// The first query parameter `name`, percent-decoded.
pub fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Whether the client asked for JSON (F-ANON-2).
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|v| {
        v.as_bytes()
            .windows(16)
            .any(|w| w.eq_ignore_ascii_case(b"application/json"))
    })
}

/// Form-style URL encoding, the way Java's `URLEncoder` writes `os_destination`
/// and the OAuth realm.
pub fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_read_from_bytes_and_bad_ones_skipped() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_bytes(b"a=1; JSESSIONID=\xff\xfe").unwrap(),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("b = \"2\" ;noequals; c="),
        );
        assert_eq!(cookie(&headers, "a").as_deref(), Some("1"));
        assert_eq!(cookie(&headers, "JSESSIONID"), None);
        assert_eq!(cookie(&headers, "b").as_deref(), Some("2"));
        assert_eq!(cookie(&headers, "c").as_deref(), Some(""));
        assert_eq!(cookie(&headers, "noequals"), None);
    }

    #[test]
    fn query_and_accept() {
        let uri: Uri = "/x?os_authType=basic&pageId=65537".parse().unwrap();
        assert_eq!(query_param(&uri, "os_authType").as_deref(), Some("basic"));
        assert_eq!(query_param(&uri, "nope"), None);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html, Application/JSON"),
        );
        assert!(wants_json(&headers));
        assert_eq!(form_encode("/a?b=c d"), "%2Fa%3Fb%3Dc+d");
    }
}
