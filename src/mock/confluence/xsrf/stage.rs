//! The XSRF stage and the session token shown in pages (F-XSRF-1..4); see the
//! module docs of `xsrf`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::mock::confluence::caller::AuthMethod;
use crate::mock::confluence::request;
use crate::mock::confluence::seraph::names::SESSION_COOKIE;
use crate::mock::confluence::state::State;
use crate::scenario::mock_config::Fault;

/// The body of a refused request (F-XSRF-2).
pub const FAILED_BODY: &str = "XSRF check failed";
/// The header that opts out of the token check (F-XSRF-2).
pub const TOKEN_HEADER: &str = "x-atlassian-token";
/// The form or query parameter that carries the token (F-XSRF-4).
pub const TOKEN_PARAM: &str = "atl_token";
/// A form-encoded body is read up to this size to look for `atl_token`; a longer
/// one is refused with 413 (the runner reads at most 1 MiB too).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Content types the check looks at (F-XSRF-1); lower case, no parameters.
const XSRFABLE: &[&str] = &[
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
];

/// The `atl_token` of the request's live session, if it was authenticated by one
/// (F-XSRF-4); pages put it in their `ajs-atl-token` meta tag.
pub fn session_token(
    state: &State,
    headers: &HeaderMap,
    method: Option<AuthMethod>,
) -> Option<String> {
    if method != Some(AuthMethod::Session) {
        return None;
    }
    let id = request::cookie(headers, SESSION_COOKIE)?;
    Some(state.xsrf.token(&id))
}

/// `<meta name="ajs-atl-token" content="…">` for a page, or nothing without a session.
pub fn meta_tag(state: &State, headers: &HeaderMap, method: Option<AuthMethod>) -> String {
    session_token(state, headers, method)
        .map(|token| format!("<meta name=\"ajs-atl-token\" content=\"{token}\">\n"))
        .unwrap_or_default()
}

/// The media type of the request, lower case without parameters; `None` when
/// missing or unreadable.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

/// F-XSRF-2: `X-Atlassian-Token: no-check` (or `nocheck`), any case.
fn has_no_check(headers: &HeaderMap) -> bool {
    headers.get_all(TOKEN_HEADER).iter().any(|v| {
        let v = v.as_bytes().trim_ascii();
        v.eq_ignore_ascii_case(b"no-check") || v.eq_ignore_ascii_case(b"nocheck")
    })
}

/// F-XSRF-3: a User-Agent that names a browser.
fn is_browser(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::USER_AGENT)
        .iter()
        .any(|v| v.as_bytes().windows(8).any(|w| w == b"Mozilla/"))
}

/// F-XSRF-3: `Origin`, or without one `Referer`, has the base URL's scheme, host
/// and port. `Origin: null`, garbage and a missing pair all fail.
fn same_origin(state: &State, headers: &HeaderMap) -> bool {
    let Ok(base) = url::Url::parse(&state.base_url) else {
        return false;
    };
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v.trim()).ok());
    claimed.is_some_and(|url| url.origin().is_tuple() && url.origin() == base.origin())
}

fn failed() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain;charset=UTF-8"),
        )],
        FAILED_BODY,
    )
        .into_response()
}

/// Whether the XSRF filter looks at this path (REST resources, OAuth 2 endpoints
/// excluded).
fn in_scope(relative: &str) -> bool {
    relative.starts_with("/rest/") && !relative.starts_with("/rest/oauth2/")
}

/// The XSRF stage: runs after authentication (it needs the session) and before
/// the resources; `Some` is the refusal. A form body read for `atl_token` is put
/// back into the request.
pub async fn check(state: &State, req: &mut Request) -> Option<Response> {
    if req.method() == Method::GET || !in_scope(state.relative(req.uri().path())) {
        return None;
    }
    let method = req.method().clone();
    let media = media_type(req.headers());
    let xsrfable = media.as_deref().is_none_or(|m| XSRFABLE.contains(&m));
    if xsrfable && !state.faults.has(Fault::XsrfOff) {
        // Boxed: reading a form body is rare, and its future would make every
        // request's future that much larger.
        let passes = match Box::pin(token_passes(state, req, media.as_deref())).await {
            Ok(passes) => passes,
            Err(response) => return Some(response),
        };
        // F-XSRF-2: only a POST is refused; other methods are logged and pass.
        if !passes && method == Method::POST {
            return Some(failed());
        }
    }
    // F-XSRF-3: browsers need a same-origin Origin/Referer on any POST.
    if method == Method::POST && is_browser(req.headers()) && !same_origin(state, req.headers()) {
        return Some(failed());
    }
    None
}

/// Whether the request carries `no-check` or its session's `atl_token` (its body
/// re-assembled if it had to be read), or the answer to a body too large to read.
async fn token_passes(
    state: &State,
    req: &mut Request,
    media: Option<&str>,
) -> Result<bool, Response> {
    if has_no_check(req.headers()) {
        return Ok(true);
    }
    let method = req.extensions().get::<AuthMethod>().copied();
    let Some(expected) = session_token(state, req.headers(), method) else {
        return Ok(false);
    };
    if request::query_param(req.uri(), TOKEN_PARAM).is_some_and(|t| t == expected) {
        return Ok(true);
    }
    if media != Some("application/x-www-form-urlencoded") {
        return Ok(false);
    }
    let body = std::mem::take(req.body_mut());
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    let passes = url::form_urlencoded::parse(&bytes)
        .any(|(name, value)| name == TOKEN_PARAM && value == expected.as_str());
    *req.body_mut() = Body::from(bytes);
    Ok(passes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn media_types_are_read_without_parameters_and_garbage_is_missing() {
        let h = headers(&[("content-type", b"Multipart/Form-Data; boundary=x")]);
        assert_eq!(media_type(&h).as_deref(), Some("multipart/form-data"));
        assert_eq!(media_type(&headers(&[("content-type", b"\xff\xfe")])), None);
        assert_eq!(media_type(&headers(&[("content-type", b" ; x=y")])), None);
        assert_eq!(media_type(&HeaderMap::new()), None);
    }

    #[test]
    fn no_check_in_any_case_and_the_old_spelling() {
        for v in [&b"no-check"[..], b"No-Check", b"NOCHECK", b" nocheck "] {
            assert!(has_no_check(&headers(&[(TOKEN_HEADER, v)])), "{v:?}");
        }
        assert!(!has_no_check(&headers(&[(TOKEN_HEADER, b"check")])));
        assert!(!has_no_check(&headers(&[(TOKEN_HEADER, b"\xffno-check")])));
    }
}
