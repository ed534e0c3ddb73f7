//! Why a credential could not be made; nothing was sent. The runner redacts the
//! message before it reaches a report (a refusal may echo what was sent).

use crate::scenario::template::UnknownVar;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    UnknownVar(#[from] UnknownVar),
    #[error("auth: jwt names key '{0}', which `keys:` does not declare")]
    UnknownKey(String),
    #[error(transparent)]
    Mint(#[from] super::jwt::JwtError),
    #[error("cannot reach the identity provider at {url}: {reason}")]
    IdpUnreachable { url: String, reason: String },
    #[error("the identity provider refused the {grant} grant: {status} {body}")]
    IdpRefused {
        grant: String,
        status: reqwest::StatusCode,
        body: String,
    },
    #[error("the identity provider's token answer is not RFC 6749 JSON: {0}")]
    IdpAnswer(String),
    #[error("cannot reach the SSO server at {url}: {reason}")]
    SsoUnreachable { url: String, reason: String },
    #[error("the SSO server refused the login of '{user}': {status} {body}")]
    SsoRefused {
        user: String,
        status: reqwest::StatusCode,
        body: String,
    },
    #[error("the SSO server's session answer is not Crowd JSON: {0}")]
    SsoAnswer(String),
    #[error("the SSO server's token cannot be sent as a cookie")]
    SsoToken,
}

/// What an error body keeps of itself: bounded for memory only. The runner
/// redacts the whole message and only then cuts it for display; cutting it short
/// here, before redaction, would leave the first characters of a secret that
/// straddles the cut (issue 12, item 3).
pub(crate) fn shown(body: &str) -> String {
    body.chars().take(16 * 1024).collect()
}
