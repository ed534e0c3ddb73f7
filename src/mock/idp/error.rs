//! How the IdP answers: JSON that no cache keeps, and RFC 6749 §5.2 errors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Realm named in the IdP's `WWW-Authenticate` challenges.
pub const REALM: &str = "tollgate-idp";

/// A JSON answer that no cache may keep (RFC 6749 §5.1: `Cache-Control: no-store`
/// on anything carrying tokens; harmless elsewhere).
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        axum::Json(body),
    )
        .into_response()
}

/// An RFC 6749 §5.2 error: `{"error": code, "error_description": …}` with its
/// status; `invalid_client` carries the Basic challenge §5.2 asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
        }
    }

    /// 400 `invalid_request`: a missing, repeated or malformed parameter.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401 `invalid_client`: no, unknown or wrong client credentials.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// 400 `invalid_grant`: wrong resource-owner credentials, or a dead refresh token.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }

    /// 500 `server_error`.
    pub fn server_error(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            description,
        )
    }

    /// 404 for a path the IdP does not serve.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = json(
            self.status,
            &serde_json::json!({ "error": self.code, "error_description": self.description }),
        );
        if self.code == "invalid_client" {
            if let Ok(challenge) = HeaderValue::from_str(&format!("Basic realm=\"{REALM}\"")) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, challenge);
            }
        }
        response
    }
}
