//! The HTTP client the emulated Confluence calls other servers with, as a real
//! one does: its REST-auth plugin asks the IdP (introspection, userinfo, JWKS)
//! and its Crowd client asks the Crowd server. One client per instance and
//! purpose, built at start; every exchange is bounded in time and size, so a
//! slow or hostile server delays one request at most [`EXCHANGE_TIMEOUT`] and
//! never fills memory.

use std::time::Duration;

/// One whole exchange, connect included: a slow server must not hang a request.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(2);

/// The largest answer read; anything bigger is the server's error.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A client for the server at `base_url`: no proxy (the mock talks to the
/// address it was given), no redirects (a server that redirects is answering
/// something else), [`EXCHANGE_TIMEOUT`].
pub fn client(base_url: &str) -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .timeout(EXCHANGE_TIMEOUT)
        .connect_timeout(EXCHANGE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    let builder = if base_url.trim_start().starts_with("https://") {
        builder
    } else {
        // Plain HTTP (the embedded IdP over loopback): loading the system's root
        // certificates would cost more than every call the instance makes.
        builder.tls_certs_only(std::iter::empty())
    };
    builder.build()
}

/// Why an answer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("answer cut short: {0}")]
    CutShort(#[source] reqwest::Error),
    #[error("answer larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
}

/// The answer's body, at most [`MAX_ANSWER_BYTES`].
pub async fn body(mut response: reqwest::Response) -> Result<Vec<u8>, AnswerError> {
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(AnswerError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(AnswerError::CutShort)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(AnswerError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Whether `url` can be called: an absolute `http` or `https` URL.
pub fn is_callable(url: &str) -> bool {
    url::Url::parse(url.trim()).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_callable() {
        assert!(is_callable("http://127.0.0.1:8091/crowd"));
        assert!(is_callable("https://idp.example/"));
        for bad in [
            "",
            "idp.example",
            "ftp://x",
            "file:///etc/passwd",
            "http//x",
        ] {
            assert!(!is_callable(bad), "{bad}");
        }
    }
}
