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
use crate::wire::observed::ClientAuth;

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

/// How a request tried to authenticate and which client it named, whether or not
/// the credentials are right: the evidence `expect.idp` judges (a plugin that
/// introspects without client authentication is caught by the method, not only by
/// the 401 it got). Basic wins when both are sent, as the header is what a
/// client library adds on its own. `params` is `None` when the body was unreadable.
pub fn presented(headers: &HeaderMap, params: Option<&Params>) -> (ClientAuth, Option<String>) {
    let form_id = params.and_then(|p| p.get("client_id")).map(str::to_owned);
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let id = basic_credentials(value.as_bytes()).map(|(id, _)| id);
        return (ClientAuth::Basic, id.or(form_id));
    }
    if params.is_some_and(|p| p.get("client_secret").is_some()) {
        return (ClientAuth::Post, form_id);
    }
    (ClientAuth::None, form_id)
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

    #[test]
    fn the_presented_method_and_client_are_named_even_when_wrong() {
        use axum::http::HeaderValue;
        let form = |body: &[u8]| crate::mock::idp::form::parse(&HeaderMap::new(), body).unwrap();
        let mut basic = HeaderMap::new();
        // tollgate:wrong
        basic.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dG9sbGdhdGU6d3Jvbmc="),
        );
        assert_eq!(
            presented(&basic, Some(&form(b"token=t"))),
            (ClientAuth::Basic, Some("tollgate".into()))
        );
        let mut garbage = HeaderMap::new();
        garbage.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(presented(&garbage, None), (ClientAuth::Basic, None));
        let none = HeaderMap::new();
        assert_eq!(
            presented(&none, Some(&form(b"client_id=c&client_secret=s"))),
            (ClientAuth::Post, Some("c".into()))
        );
        assert_eq!(
            presented(&none, Some(&form(b"client_id=c&token=t"))),
            (ClientAuth::None, Some("c".into()))
        );
        assert_eq!(presented(&none, None), (ClientAuth::None, None));
    }
}
