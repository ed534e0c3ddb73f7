//! Reading an answer into what the judge needs, and transport errors in words.

use std::time::Instant;

use crate::expect::Response;

/// What is read of a body to judge it; the rest is dropped unread.
const BODY_LIMIT: usize = 1 << 20;

/// The status, headers and up to 1 MiB of body of `response`;
/// `Err` in words when the body cannot be read.
pub async fn read_response(
    mut response: reqwest::Response,
    sent: Instant,
) -> Result<Response, String> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe_error(&e))? {
        let room = BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= BODY_LIMIT {
            break;
        }
    }
    Ok(Response {
        status,
        headers,
        body,
        elapsed: sent.elapsed(),
    })
}

/// A transport error in words: the cause chain, since reqwest's top-level message
/// ("error sending request") alone does not say what went wrong.
pub fn describe_error(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    let url = error.url().map(|u| format!(" to {u}")).unwrap_or_default();
    if causes.is_empty() {
        format!("{kind}{url}")
    } else {
        format!("{kind}{url}: {}", causes.join(": "))
    }
}
