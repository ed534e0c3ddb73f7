//! The `/rest/token-auth/api/` mirror (F-TOKAUTH-1..3).
//!
//! Every `/rest/api/…` resource is also served at `<ctx>/rest/token-auth/api/…`
//! (F-TOKAUTH-1), but blocked unless a whitelist url-pattern matches the path.
//! A blocked request is dropped without calling the resource and without setting
//! a status, so the client sees `200` with an empty body (F-TOKAUTH-2, inferred):
//! "blocked" shows only as the missing payload.
//!
//! Patterns (`token_auth.whitelist`) are relative to the context path and
//! include the prefix, e.g. `/rest/token-auth/api/content/*/child/attachment`
//! (emulator.md). They match the way Seraph's `DefaultPathMapper` does
//! (F-TOKAUTH-3; the `Whitelist` of `patterns.rs`).
//!
//! The [`mirror`] stage runs after authentication and before routing: an allowed
//! request has its URI rewritten to `<ctx>/rest/api/…` and goes on to the same
//! handler (which still sees the original URI through `OriginalUri`).

use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::patterns::collapse;
use super::state::State;
use crate::scenario::mock_config::Fault;

/// The mirrored prefix, relative to the context path (F-TOKAUTH-1).
pub const PREFIX: &str = "/rest/token-auth/api";

/// The part of `relative` after [`PREFIX`], if it is a token-auth path.
fn mirrored(relative: &str) -> Option<&str> {
    let rest = relative.strip_prefix(PREFIX)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The mirror stage (F-TOKAUTH-1/2): blocks what the whitelist does not allow
/// (`Some`: the empty `200`), and points the rest at the `/rest/api/` resource of
/// the same path.
pub fn mirror(state: &State, req: &mut Request) -> Option<Response> {
    let relative = state.relative(req.uri().path());
    let rest = mirrored(relative)?;
    let open = state.faults.has(Fault::TokenAuthOpen);
    let case_sensitive = state.faults.has(Fault::TokenAuthCaseSensitive);
    if !open && !state.token_auth.allows(relative, case_sensitive) {
        // F-TOKAUTH-2: the resource is not called and no status is set.
        return Some(StatusCode::OK.into_response());
    }
    // The resource is found the way the whitelist matched: `//` collapsed.
    let mut target = state.path(&format!("/rest/api{}", collapse(rest)));
    if let Some(query) = req.uri().query() {
        target.push('?');
        target.push_str(query);
    }
    match target.parse::<Uri>() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(_) => return Some(StatusCode::OK.into_response()),
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_prefix_and_below_is_mirrored() {
        assert_eq!(mirrored("/rest/token-auth/api/space"), Some("/space"));
        assert_eq!(mirrored("/rest/token-auth/api"), Some(""));
        assert_eq!(mirrored("/rest/token-auth/apix"), None);
        assert_eq!(mirrored("/rest/api/space"), None);
    }
}
