//! How the emulated Confluence answers: JSON with its content type, the
//! `/rest/api` error shape (F-ANON-4), F-ANON-3's exact body, minimal HTML pages
//! and Tomcat's error page. A leaf every stage and resource shares.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// `application/json;charset=UTF-8`, the content type of every REST answer.
pub const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// F-ANON-3, byte for byte (the field order is not serde_json's).
pub const NOT_AUTHENTICATED_BODY: &str =
    r#"{"status-code":401,"message":"Client must be authenticated to access this resource."}"#;

/// A JSON response with Confluence's content type.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    // Most answers fit, so the buffer is not grown (and copied) as it fills.
    let mut bytes = Vec::with_capacity(512);
    if serde_json::to_writer(&mut bytes, body).is_err() {
        bytes.clear();
        bytes.extend_from_slice(b"{}");
    }
    json_bytes(status, bytes.into())
}

/// A JSON response from bytes already serialized (a cached body).
pub fn json_bytes(status: StatusCode, bytes: axum::body::Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))],
        axum::body::Body::from(bytes),
    )
        .into_response()
}

/// A JSON response from text already serialized (for byte-exact bodies).
pub fn raw_json(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8))],
        text,
    )
        .into_response()
}

/// F-ANON-3's 401, byte for byte.
pub fn not_authenticated() -> Response {
    raw_json(StatusCode::UNAUTHORIZED, NOT_AUTHENTICATED_BODY.to_owned())
}

/// A minimal HTML page.
pub fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>{} - Confluence</title></head>\n<body>{body}</body></html>\n",
        escape(title)
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html;charset=UTF-8"),
        )],
        page,
    )
        .into_response()
}

/// The page of a path nothing serves.
pub fn not_found_page() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Page Not Found",
        "<p>The page you asked for does not exist.</p>",
    )
}

/// Escapes text for HTML (`'` is left alone: attributes here use `"`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The F-ANON-4 error shape of `/rest/api/*`, fields in Confluence's order.
#[derive(Serialize)]
pub struct RestError<'a> {
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    pub data: RestErrorData,
    pub message: &'a str,
    pub reason: &'a str,
}

#[derive(Serialize)]
pub struct RestErrorData {
    pub authorized: bool,
    pub valid: bool,
    pub errors: [(); 0],
    pub successful: bool,
}

/// A `/rest/api` error response (F-ANON-4).
pub fn rest_error(status: StatusCode, message: &str) -> Response {
    let body = RestError {
        status_code: status.as_u16(),
        data: RestErrorData {
            authorized: status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            valid: true,
            errors: [],
            successful: false,
        },
        message,
        reason: status.canonical_reason().unwrap_or(""),
    };
    json(status, &body)
}

/// Tomcat's error page, as `HttpServletResponse.sendError` produces it.
pub fn send_error(status: StatusCode, message: &str) -> Response {
    let title = format!(
        "HTTP Status {} – {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><title>{title}</title></head><body><h1>{title}</h1>\
         <p><b>Message</b> {}</p></body></html>",
        escape(message)
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html;charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_errors_say_whether_the_caller_was_authorized() {
        let body = |status| {
            let response = rest_error(status, "m");
            assert_eq!(response.headers()[header::CONTENT_TYPE], JSON_UTF8);
            response.status()
        };
        assert_eq!(body(StatusCode::NOT_FOUND), StatusCode::NOT_FOUND);
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;'"
        );
    }
}
