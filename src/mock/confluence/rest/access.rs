//! Who may read and change content through `/rest/api/` (F-ANON-3..5), and the
//! refusals the resources answer.

use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::content::ChangeError;
use crate::mock::confluence::pages::login_redirect;
use crate::mock::confluence::respond::{not_authenticated, rest_error};
use crate::mock::confluence::state::State;
use crate::scenario::mock_config::Fault;

/// What a caller may do with content.
pub(super) enum Access {
    /// Sees everything.
    Full,
    /// A user without content permission: direct reads are 403, lists are empty.
    NoPermission,
    /// Refused outright; the response says how.
    Denied(Response),
}

/// Content and space reads (F-ANON-3/4): anonymous only with anonymous access.
pub(super) fn read_access(state: &State, caller: &Caller, uri: &Uri) -> Access {
    match caller {
        Caller::User(name) => match state.directory.get(name) {
            Some(user) if user.can_view_content() => Access::Full,
            _ => Access::NoPermission,
        },
        Caller::Anonymous
            if state.config.anonymous_access || state.faults.has(Fault::AnonymousRead) =>
        {
            Access::Full
        }
        Caller::Anonymous => Access::Denied(anonymous_denied(state, uri, true)),
    }
}

/// The refusal of an anonymous call: F-ANON-3's 401, or 404 for content reads
/// when so configured (F-ANON-4), or — the `rest_login_redirect` fault — a 302.
pub(super) fn anonymous_denied(state: &State, uri: &Uri, content_read: bool) -> Response {
    if state.faults.has(Fault::RestLoginRedirect) {
        return login_redirect(state, uri);
    }
    if content_read && state.config.anonymous_denied_status == 404 {
        return rest_error(StatusCode::NOT_FOUND, "No content found");
    }
    not_authenticated()
}

pub(super) fn forbidden(what: &str) -> Response {
    rest_error(
        StatusCode::FORBIDDEN,
        &format!("User not permitted to view {what}"),
    )
}

/// Why `caller` may not change content, if they may not: F-ANON-3 for
/// anonymous, 403 without content permission.
pub(super) fn write_refusal(
    state: &State,
    caller: &Caller,
    uri: &Uri,
    what: &str,
) -> Option<Response> {
    let name = match caller {
        Caller::User(name) => name,
        Caller::Anonymous => return Some(anonymous_denied(state, uri, false)),
    };
    let allowed = state
        .directory
        .get(name)
        .is_some_and(|u| u.can_view_content());
    (!allowed).then(|| {
        rest_error(
            StatusCode::FORBIDDEN,
            &format!("User not permitted to {what}"),
        )
    })
}

pub(super) fn change_error(error: &ChangeError) -> Response {
    let status = match error {
        ChangeError::NotFound(_) => StatusCode::NOT_FOUND,
        ChangeError::Version(_) => StatusCode::CONFLICT,
        ChangeError::EmptyTitle
        | ChangeError::DuplicateTitle(_)
        | ChangeError::TooManyAttachments => StatusCode::BAD_REQUEST,
    };
    rest_error(status, &error.to_string())
}

pub(super) fn no_content(id: &str) -> Response {
    rest_error(
        StatusCode::NOT_FOUND,
        &format!("No content found with id : ContentId{{id={id}}}"),
    )
}
