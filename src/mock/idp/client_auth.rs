//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic` (HTTP Basic) or `client_secret_post` (form `client_id` and
//! `client_secret`), RFC 6749 §2.3.1. Introspection requires it (RFC 7662 §2.1,
//! F-OAUTH-4); so do token and revocation here, as there are no public clients.

use axum::http::{HeaderMap, header};
use base64::Engine;
use percent_encoding::percent_decode_str;

use super::error::OAuthError;
use super::form::Params;
use crate::scenario::mock_config::IdpClient;

/// The registered client the request authenticates as, or the error to answer:
/// 401 `invalid_client` (with a Basic challenge, RFC 6749 §5.2) for missing or
/// wrong credentials, 400 `invalid_request` for two methods at once.
pub fn authenticate<'a>(
    clients: &'a [IdpClient],
    headers: &HeaderMap,
    params: &Params,
) -> Result<&'a IdpClient, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(basic_credentials(value.as_bytes()).ok_or_else(|| {
            OAuthError::invalid_client("the Authorization header is not valid client_secret_basic")
        })?),
    };
    let post = params.get("client_secret").map(|secret| {
        (
            params.get("client_id").unwrap_or_default().to_owned(),
            secret.to_owned(),
        )
    });
    let (id, secret, encoded) = match (basic, post) {
        (Some(_), Some(_)) => {
            // RFC 6749 §2.3: a client MUST NOT use more than one method per request.
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        (Some((id, secret)), None) => (id, secret, true),
        (None, Some((id, secret))) => (id, secret, false),
        (None, None) => {
            return Err(OAuthError::invalid_client(
                "client authentication is required",
            ));
        }
    };
    // With Basic, a form client_id must name the same client.
    if let Some(form_id) = params.get("client_id") {
        if encoded && !same(&id, form_id, true) {
            return Err(OAuthError::invalid_request(
                "client_id differs from the Basic user",
            ));
        }
    }
    clients
        .iter()
        .find(|c| same(&id, &c.id, encoded) && same(&secret, &c.secret, encoded))
        .ok_or_else(|| OAuthError::invalid_client("unknown client or wrong secret"))
}

/// `Basic base64(id:secret)`; the scheme is case-insensitive (RFC 7617 §2).
/// Crowd's application login reads the same header.
pub(crate) fn basic_credentials(value: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(value).ok()?;
    let (scheme, rest) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let pair = String::from_utf8(bytes).ok()?;
    let (id, secret) = pair.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Whether a presented credential equals the registered one. Inside Basic, RFC 6749
/// §2.3.1 has both halves form-urlencoded first; many clients skip that, so the raw
/// text is accepted too.
fn same(presented: &str, registered: &str, encoded: bool) -> bool {
    if presented == registered {
        return true;
    }
    encoded && {
        let plus = presented.replace('+', " ");
        percent_decode_str(&plus).decode_utf8().ok().as_deref() == Some(registered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_read_leniently_but_safely() {
        let ok = b"basic dG9sbGdhdGU6cyUzQXg=";
        assert_eq!(
            basic_credentials(ok),
            Some(("tollgate".into(), "s%3Ax".into()))
        );
        assert!(same("s%3Ax", "s:x", true));
        assert!(!same("s%3Ax", "s:x", false));
        for bad in ["Basic", "Basic !!!", "Bearer abc", "Basic Zm9v"] {
            assert_eq!(basic_credentials(bad.as_bytes()), None);
        }
    }
}
