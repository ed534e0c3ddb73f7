//! Request-size guard, the first layer: an oversized header block gets `400`
//! the way Tomcat answers one, before any other code looks at it. (Hyper already
//! answers malformed requests and blocks over its own buffer with 400/431.)

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Tomcat's default `maxHttpHeaderSize`, which Confluence's `server.xml` keeps.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Refuses requests whose request line plus headers exceed [`MAX_HEADER_BYTES`].
pub async fn header_limit(request: Request, next: Next) -> Response {
    let line = request.method().as_str().len() + request.uri().to_string().len() + 12;
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if line + headers > MAX_HEADER_BYTES {
        return (StatusCode::BAD_REQUEST, "Request header is too large").into_response();
    }
    next.run(request).await
}
