//! Who may read and change content through `/rest/api/` (F-ANON-3..5,
//! F-BASIC-11), and the refusals the resources answer.

use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::content::ChangeError;
use crate::mock::confluence::pages::login_redirect;
use crate::mock::confluence::respond::{not_authenticated, rest_error};
use crate::mock::confluence::state::State;
use crate::mock::confluence::users::User;
use crate::scenario::mock_config::Fault;

/// What a caller may do with content.
pub(super) enum Access {
    /// Sees everything.
    Full,
    /// A user without content permission: direct reads are 403, lists are empty.
    NoPermission,
    /// Anonymous with anonymous access off: the read resources are
    /// anonymous-allowed and filter by permission, so lists are empty and direct
    /// reads 404, as for content that does not exist (F-ANON-4).
    Hidden,
    /// Refused outright; the response says how.
    Denied(Response),
}

/// Content and space reads (F-ANON-4): anonymous sees what anonymous access
/// allows, a user without "Can use" is refused (F-BASIC-11).
pub(super) fn read_access(state: &State, caller: &Caller) -> Access {
    match caller {
        Caller::User(name) => match state.directory.get(name) {
            Some(user) if !may_use(state, user) => Access::Denied(not_permitted_to_use(name)),
            Some(user) if user.can_view_content() => Access::Full,
            _ => Access::NoPermission,
        },
        Caller::Anonymous
            if state.config.anonymous_access || state.faults.has(Fault::AnonymousRead) =>
        {
            Access::Full
        }
        Caller::Anonymous => Access::Hidden,
    }
}

/// Whether `user` holds the global "Can use" permission, as far as the REST
/// resources check it (the `unlicensed_user_served` fault says always).
fn may_use(state: &State, user: &User) -> bool {
    user.can_use || state.faults.has(Fault::UnlicensedUserServed)
}

/// F-BASIC-11: the 403 of a user without "Can use", in the `/rest/api` error
/// shape with the message Confluence's services throw
/// (`PermissionException("Not permitted to use confluence : " + user)`), prefixed
/// with the exception's class as the REST error converter writes it.
fn not_permitted_to_use(name: &str) -> Response {
    rest_error(
        StatusCode::FORBIDDEN,
        &format!(
            "com.atlassian.confluence.api.service.exceptions.PermissionException: \
             Not permitted to use confluence : {name}"
        ),
    )
}

/// The refusal of an anonymous call to a resource that is not anonymous-allowed:
/// F-ANON-3's 401, or — the `rest_login_redirect` fault — a 302.
pub fn anonymous_denied(state: &State, uri: &Uri) -> Response {
    if state.faults.has(Fault::RestLoginRedirect) {
        return login_redirect(state, uri);
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
/// anonymous, 403 without "Can use" (F-BASIC-11) or content permission.
pub(super) fn write_refusal(
    state: &State,
    caller: &Caller,
    uri: &Uri,
    what: &str,
) -> Option<Response> {
    let name = match caller {
        Caller::User(name) => name,
        Caller::Anonymous => return Some(anonymous_denied(state, uri)),
    };
    let user = state.directory.get(name);
    if user.is_some_and(|u| !may_use(state, u)) {
        return Some(not_permitted_to_use(name));
    }
    let allowed = user.is_some_and(User::can_view_content);
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

/// A direct read of content `id`, which `found` holds if it exists: the content,
/// or the answer: 404 for what does not exist or anonymous may not see
/// (F-ANON-4), 403 for a user without content permission. The answer is boxed:
/// it is the rare path, and a `Response` is large.
pub(super) fn direct_read<T>(
    access: Access,
    found: Option<T>,
    id: &str,
) -> Result<T, Box<Response>> {
    let refusal = match (access, found) {
        (Access::Full, Some(found)) => return Ok(found),
        (Access::Denied(denied), _) => denied,
        (_, None) | (Access::Hidden, Some(_)) => no_content(id),
        (Access::NoPermission, Some(_)) => forbidden(&format!("content with id {id}")),
    };
    Err(Box::new(refusal))
}

pub(super) fn no_content(id: &str) -> Response {
    rest_error(
        StatusCode::NOT_FOUND,
        &format!("No content found with id : ContentId{{id={id}}}"),
    )
}
