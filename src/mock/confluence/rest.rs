//! The REST resources under `/rest/api/` and their authorization (F-ANON-3..5).
//!
//! Anonymous-allowed: `user/current` always (F-ANON-5); content and space reads
//! only with anonymous access on. Everything else needs a user: anonymous gets
//! F-ANON-3's exact 401 body. Content reads refused to anonymous answer
//! `anonymous_denied_status` (401 by default, or 404; F-ANON-4 is inferred).
//! Errors use the F-ANON-4 shape ([`rest_error`]); every body is
//! `application/json;charset=UTF-8`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State as AxumState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{any, get};
use serde::Deserialize;
use serde_json::{Value, json as j};

use super::content::{Page, Space};
use super::pages::login_redirect;
use super::request::{self, form_encode};
use super::seraph::rest_error;
use super::{Caller, State, json, lock, raw_json};
use crate::scenario::mock_config::Fault;

/// F-ANON-3, byte for byte (the field order is not serde_json's).
pub const NOT_AUTHENTICATED_BODY: &str =
    r#"{"status-code":401,"message":"Client must be authenticated to access this resource."}"#;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/rest/api/user/current", get(current_user))
        .route("/rest/api/space", get(list_spaces))
        .route("/rest/api/space/{key}", get(get_space))
        .route("/rest/api/content", get(list_content).post(create_content))
        .route("/rest/api/content/{id}", get(get_content))
        .route(
            "/rest/api/content/{id}/child/attachment",
            get(list_attachments),
        )
        .route("/rest/{*rest}", any(unknown_resource))
}

/// What a caller may do with content.
enum Access {
    /// Sees everything.
    Full,
    /// A user without content permission: direct reads are 403, lists are empty.
    NoPermission,
    /// Refused outright; the response says how.
    Denied(Response),
}

/// Content and space reads (F-ANON-3/4): anonymous only with anonymous access.
fn read_access(state: &State, caller: &Caller, uri: &axum::http::Uri) -> Access {
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
fn anonymous_denied(state: &State, uri: &axum::http::Uri, content_read: bool) -> Response {
    if state.faults.has(Fault::RestLoginRedirect) {
        return login_redirect(state, uri);
    }
    if content_read && state.config.anonymous_denied_status == 404 {
        return rest_error(StatusCode::NOT_FOUND, "No content found");
    }
    raw_json(StatusCode::UNAUTHORIZED, NOT_AUTHENTICATED_BODY.to_owned())
}

fn forbidden(what: &str) -> Response {
    rest_error(
        StatusCode::FORBIDDEN,
        &format!("User not permitted to view {what}"),
    )
}

/// F-ANON-5: anonymous-allowed; tells anonymous from known users.
async fn current_user(AxumState(state): AxumState<State>, caller: Caller) -> Response {
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

/// The query parameters the read resources understand; the first of a repeated
/// parameter wins and anything unparsable reads as absent, so no query is an error.
#[derive(Debug, Default)]
struct ListQuery {
    start: Option<String>,
    limit: Option<String>,
    space_key: Option<String>,
    title: Option<String>,
    kind: Option<String>,
    expand: Option<String>,
}

impl ListQuery {
    fn of(uri: &axum::http::Uri) -> Self {
        let get = |name| request::query_param(uri, name);
        Self {
            start: get("start"),
            limit: get("limit"),
            space_key: get("spaceKey"),
            title: get("title"),
            kind: get("type"),
            expand: get("expand"),
        }
    }

    /// `(start, limit)`; bad numbers read as the defaults, limit capped at 100.
    fn window(&self) -> (usize, usize) {
        let num = |v: &Option<String>, d| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(d);
        (num(&self.start, 0), num(&self.limit, 25).min(100))
    }
}

fn page_of(
    state: &State,
    results: Vec<Value>,
    start: usize,
    limit: usize,
    self_path: &str,
) -> Value {
    let size = results.len();
    let results: Vec<Value> = results.into_iter().skip(start).take(limit).collect();
    j!({
        "results": results,
        "start": start,
        "limit": limit,
        "size": size.saturating_sub(start).min(limit),
        "_links": {"self": format!("{}{self_path}", state.base_url), "base": state.base_url, "context": state.context_path},
    })
}

fn space_json(state: &State, space: &Space) -> Value {
    j!({
        "id": space.id,
        "key": space.key,
        "name": space.name,
        "type": "global",
        "status": "current",
        "_links": {
            "webui": format!("/display/{}", space.key),
            "self": format!("{}/rest/api/space/{}", state.base_url, space.key),
        },
        "_expandable": {"homepage": "", "description": "", "metadata": ""},
    })
}

fn content_json(state: &State, space: Option<&Space>, page: &Page, with_body: bool) -> Value {
    let space = space.map_or_else(|| j!({"key": page.space_key}), |s| space_json(state, s));
    let mut value = j!({
        "id": page.id.to_string(),
        "type": "page",
        "status": "current",
        "title": page.title,
        "space": space,
        "version": {"number": page.version, "minorEdit": false},
        "_links": {
            "webui": format!("/display/{}/{}", page.space_key, form_encode(&page.title)),
            "edit": format!("/pages/resumedraft.action?draftId={}", page.id),
            "self": format!("{}/rest/api/content/{}", state.base_url, page.id),
            "base": state.base_url,
            "context": state.context_path,
        },
        "_expandable": {"children": "", "history": "", "ancestors": "", "body": ""},
    });
    if with_body {
        value["body"] = j!({"storage": {"value": page.body, "representation": "storage"}});
    }
    value
}

fn wants_body(expand: &Option<String>) -> bool {
    expand
        .as_deref()
        .is_some_and(|e| e.split(',').any(|x| x.trim().starts_with("body")))
}

async fn list_spaces(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = match read_access(&state, &caller, &uri) {
        Access::Denied(denied) => return denied,
        access => access,
    };
    let results = match access {
        Access::Full => lock(&state.content)
            .spaces()
            .iter()
            .map(|s| space_json(&state, s))
            .collect(),
        Access::NoPermission | Access::Denied(_) => Vec::new(),
    };
    let (start, limit) = query.window();
    json(
        StatusCode::OK,
        &page_of(&state, results, start, limit, "/rest/api/space"),
    )
}

async fn get_space(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(key): Path<String>,
) -> Response {
    match read_access(&state, &caller, &uri) {
        Access::Denied(denied) => denied,
        Access::NoPermission => forbidden(&format!("space {key}")),
        Access::Full => match lock(&state.content).space(&key) {
            Some(space) => json(StatusCode::OK, &space_json(&state, space)),
            None => rest_error(
                StatusCode::NOT_FOUND,
                &format!("No space found with key : {key}"),
            ),
        },
    }
}

async fn list_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = match read_access(&state, &caller, &uri) {
        Access::Denied(denied) => return denied,
        access => access,
    };
    let results = match access {
        Access::NoPermission | Access::Denied(_) => Vec::new(),
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
    json(
        StatusCode::OK,
        &page_of(&state, results, start, limit, "/rest/api/content"),
    )
}

async fn get_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = match read_access(&state, &caller, &uri) {
        Access::Denied(denied) => return denied,
        access => access,
    };
    let content = lock(&state.content);
    let page = id.parse::<u64>().ok().and_then(|n| content.page(n));
    match (access, page) {
        // F-ANON-4: 404 for what does not exist, 403 for what may not be seen.
        (_, None) => rest_error(
            StatusCode::NOT_FOUND,
            &format!("No content found with id : ContentId{{id={id}}}"),
        ),
        (Access::NoPermission | Access::Denied(_), Some(_)) => {
            forbidden(&format!("content with id {id}"))
        }
        (Access::Full, Some(page)) => json(
            StatusCode::OK,
            &content_json(
                &state,
                content.space(&page.space_key),
                page,
                wants_body(&query.expand),
            ),
        ),
    }
}

/// `GET /rest/api/content/{id}/child/attachment`: a page's attachments, with the
/// same access rules as the page (emulator.md; the whitelist example of F-TOKAUTH-3).
async fn list_attachments(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let query = ListQuery::of(&uri);
    let access = match read_access(&state, &caller, &uri) {
        Access::Denied(denied) => return denied,
        access => access,
    };
    let content = lock(&state.content);
    let page = id.parse::<u64>().ok().and_then(|n| content.page(n));
    let page = match (access, page) {
        (_, None) => {
            return rest_error(
                StatusCode::NOT_FOUND,
                &format!("No content found with id : ContentId{{id={id}}}"),
            );
        }
        (Access::NoPermission | Access::Denied(_), Some(_)) => {
            return forbidden(&format!("content with id {id}"));
        }
        (Access::Full, Some(page)) => page,
    };
    let results = page
        .attachments
        .iter()
        .map(|a| {
            j!({
                "id": format!("att{}", a.id),
                "type": "attachment",
                "status": "current",
                "title": a.title,
                "metadata": {"mediaType": a.media_type},
                "extensions": {"mediaType": a.media_type, "fileSize": a.size},
                "_links": {
                    "download": format!("/download/attachments/{}/{}", page.id, form_encode(&a.title)),
                },
            })
        })
        .collect();
    let (start, limit) = query.window();
    let self_path = format!("/rest/api/content/{}/child/attachment", page.id);
    json(
        StatusCode::OK,
        &page_of(&state, results, start, limit, &self_path),
    )
}

#[derive(Debug, Deserialize)]
struct NewContent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    title: String,
    space: Option<KeyRef>,
    body: Option<NewBody>,
}

#[derive(Debug, Deserialize)]
struct KeyRef {
    key: String,
}

#[derive(Debug, Deserialize)]
struct NewBody {
    storage: Option<Storage>,
}

#[derive(Debug, Deserialize)]
struct Storage {
    value: String,
}

/// `POST /rest/api/content` (the seed 002 body): needs a user with content permission.
async fn create_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    // Needs a user whatever the anonymous-access setting (F-ANON-3).
    let name = match caller {
        Caller::User(name) => name,
        Caller::Anonymous => return anonymous_denied(&state, &uri, false),
    };
    if !state
        .directory
        .get(&name)
        .is_some_and(|u| u.can_view_content())
    {
        return rest_error(
            StatusCode::FORBIDDEN,
            "User not permitted to create content",
        );
    }
    let new: NewContent = match serde_json::from_slice(&body) {
        Ok(new) => new,
        Err(e) => {
            return rest_error(
                StatusCode::BAD_REQUEST,
                &format!("Could not parse the request body: {e}"),
            );
        }
    };
    if new.kind != "page" {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "Only content of type page can be created",
        );
    }
    let Some(space) = new.space else {
        return rest_error(StatusCode::BAD_REQUEST, "Content must have a space");
    };
    let text = new
        .body
        .and_then(|b| b.storage)
        .map(|s| s.value)
        .unwrap_or_default();
    let mut content = lock(&state.content);
    let id = match content.create_page(&space.key, &new.title, &text) {
        Ok(page) => page.id,
        Err(e) => return rest_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let Some(page) = content.page(id) else {
        return rest_error(StatusCode::INTERNAL_SERVER_ERROR, "created page vanished");
    };
    json(
        StatusCode::OK,
        &content_json(&state, content.space(&page.space_key), page, true),
    )
}

/// Jersey's 404 for a path no resource matches.
async fn unknown_resource(
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
