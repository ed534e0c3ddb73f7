//! Request-size guard, the first stage: an oversized header block gets `400`
//! the way Tomcat answers one, before any other code looks at it. (Hyper already
//! answers malformed requests and blocks over its own buffer with 400/431.)

use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// Tomcat's default `maxHttpHeaderSize`, which Confluence's `server.xml` keeps.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Refuses requests whose request line plus headers exceed [`MAX_HEADER_BYTES`].
pub fn check(request: &Request) -> Option<Response> {
    let line = request.method().as_str().len() + uri_len(request.uri()) + 12;
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (line + headers > MAX_HEADER_BYTES)
        .then(|| (StatusCode::BAD_REQUEST, "Request header is too large").into_response())
}

/// The length of `uri` as written (its `Display`), without writing it.
fn uri_len(uri: &Uri) -> usize {
    uri.scheme_str().map_or(0, |s| s.len() + "://".len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path().len()
        + uri.query().map_or(0, |q| q.len() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_length_is_that_of_the_written_uri() {
        for text in [
            "/",
            "/rest/api/space?limit=5&start=0",
            "http://example.com:8090/x?y",
            "*",
            "example.com:443",
        ] {
            let uri: Uri = text.parse().unwrap();
            assert_eq!(uri_len(&uri), uri.to_string().len(), "{text}");
        }
    }
}
