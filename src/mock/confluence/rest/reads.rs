//! The read resources of `/rest/api/` (F-ANON-3..5): the current user, spaces,
//! content, a page's attachments, and Jersey's 404 for anything else.

use axum::extract::{OriginalUri, Path, State as AxumState};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json as j};

use super::access::{Access, direct_read, forbidden, read_access};
use super::shapes::{
    ListQuery, SpaceJson, attachment_json, content_json, page_of, result_page, space_json,
    wants_body,
};
use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::respond::{json, json_bytes, rest_error};
use crate::mock::confluence::state::State;
use crate::mock::sync::lock;

/// F-ANON-5: anonymous-allowed; tells anonymous from known users.
pub(super) async fn current_user(AxumState(state): AxumState<State>, caller: Caller) -> Response {
    let pic = |file: &str, default: bool| {
        j!({"path": state.path(&format!("/images/icons/profilepics/{file}")),
            "width": 48, "height": 48, "isDefault": default})
    };
    let user = match &caller {
        Caller::User(name) => state.directory.get(name),
        Caller::Anonymous => None,
    };
    let body = match user {
        Some(user) => j!({
            "type": "known",
            "username": user.name,
            "userKey": user.key,
            "profilePicture": pic("default.svg", true),
            "displayName": user.display_name,
            "_links": {
                "self": format!("{}/rest/api/user?key={}", state.base_url, user.key),
                "base": state.base_url, "context": state.context_path,
            },
        }),
        None => j!({
            "type": "anonymous",
            "profilePicture": pic("anonymous.svg", true),
            "displayName": "Anonymous",
            "_links": {"base": state.base_url, "context": state.context_path},
        }),
    };
    json(StatusCode::OK, &body)
}

pub(super) async fn list_spaces(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = match read_access(&state, &caller) {
        Access::Denied(denied) => return denied,
        access => access,
    };
    let (start, limit) = query.window();
    match access {
        Access::Full if (start, limit) == ListQuery::DEFAULT_WINDOW => {
            let body = state.space_list.get_or_init(|| {
                let content = lock(&state.content);
                let results: Vec<SpaceJson<'_>> = content
                    .spaces()
                    .iter()
                    .map(|s| space_json(&state, s))
                    .collect();
                let page = result_page(&state, &results, start, limit, "/rest/api/space");
                serde_json::to_vec(&page)
                    .unwrap_or_else(|_| b"{}".to_vec())
                    .into()
            });
            json_bytes(StatusCode::OK, body.clone())
        }
        Access::Full => {
            let content = lock(&state.content);
            let results: Vec<SpaceJson<'_>> = content
                .spaces()
                .iter()
                .map(|s| space_json(&state, s))
                .collect();
            page_of(&state, &results, start, limit, "/rest/api/space")
        }
        Access::NoPermission | Access::Hidden | Access::Denied(_) => {
            page_of::<SpaceJson<'_>>(&state, &[], start, limit, "/rest/api/space")
        }
    }
}

pub(super) async fn get_space(
    AxumState(state): AxumState<State>,
    caller: Caller,
    Path(key): Path<String>,
) -> Response {
    match read_access(&state, &caller) {
        Access::Denied(denied) => denied,
        Access::NoPermission => forbidden(&format!("space {key}")),
        // F-ANON-4: what anonymous may not see is answered as missing.
        Access::Hidden => no_space(&key),
        Access::Full => match lock(&state.content).space(&key) {
            Some(space) => json(StatusCode::OK, &space_json(&state, space)),
            None => no_space(&key),
        },
    }
}

pub(super) async fn list_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = match read_access(&state, &caller) {
        Access::Denied(denied) => return denied,
        access => access,
    };
    let results: Vec<Value> = match access {
        Access::NoPermission | Access::Hidden | Access::Denied(_) => Vec::new(),
        // Only pages exist; any other type lists nothing.
        Access::Full if query.kind.as_deref().is_some_and(|t| t != "page") => Vec::new(),
        Access::Full => {
            let content = lock(&state.content);
            content
                .pages()
                .filter(|p| query.space_key.as_deref().is_none_or(|k| p.space_key == k))
                .filter(|p| query.title.as_deref().is_none_or(|t| p.title == t))
                .map(|p| {
                    content_json(
                        &state,
                        content.space(&p.space_key),
                        p,
                        wants_body(&query.expand),
                    )
                })
                .collect()
        }
    };
    let (start, limit) = query.window();
    page_of(&state, &results, start, limit, "/rest/api/content")
}

pub(super) async fn get_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = read_access(&state, &caller);
    let content = lock(&state.content);
    let found = id.parse::<u64>().ok().and_then(|n| content.page(n));
    match direct_read(access, found, &id) {
        Ok(page) => json(
            StatusCode::OK,
            &content_json(
                &state,
                content.space(&page.space_key),
                page,
                wants_body(&query.expand),
            ),
        ),
        Err(refused) => *refused,
    }
}

/// `GET /rest/api/content/{id}/child/attachment`: a page's attachments, with the
/// same access rules as the page (emulator.md; the whitelist example of F-TOKAUTH-3).
pub(super) async fn list_attachments(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = read_access(&state, &caller);
    let content = lock(&state.content);
    let found = id.parse::<u64>().ok().and_then(|n| content.page(n));
    let page = match direct_read(access, found, &id) {
        Ok(page) => page,
        Err(refused) => return *refused,
    };
    let results: Vec<Value> = page
        .attachments
        .iter()
        .map(|a| attachment_json(a, Some(page.id)))
        .collect();
    let (start, limit) = query.window();
    let self_path = format!("/rest/api/content/{}/child/attachment", page.id);
    page_of(&state, &results, start, limit, &self_path)
}

fn no_space(key: &str) -> Response {
    rest_error(
        StatusCode::NOT_FOUND,
        &format!("No space found with key : {key}"),
    )
}

/// Jersey's 404 for a path no resource matches.
pub(super) async fn unknown_resource(
    AxumState(state): AxumState<State>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let message = format!("null for uri: {}{}", origin_of(&state), uri.path());
    rest_error(StatusCode::NOT_FOUND, &message)
}

/// The base URL without the context path (the request path already has it).
fn origin_of(state: &State) -> &str {
    state
        .base_url
        .strip_suffix(state.context_path.as_str())
        .unwrap_or(&state.base_url)
}
