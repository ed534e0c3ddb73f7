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
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json as j};

use super::content::{Attachment, ChangeError, Page, Space};
use super::pages::login_redirect;
use super::request::{self, form_encode};
use super::seraph::rest_error;
use super::{Caller, State, json, json_bytes, lock, raw_json};
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
        .route(
            "/rest/api/content/{id}",
            get(get_content).put(update_content).delete(delete_content),
        )
        .route(
            "/rest/api/content/{id}/child/attachment",
            get(list_attachments).post(upload_attachment),
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

    /// `(start, limit)` without `start` and `limit`.
    const DEFAULT_WINDOW: (usize, usize) = (0, 25);

    /// `(start, limit)`; bad numbers read as the defaults, limit capped at 100.
    fn window(&self) -> (usize, usize) {
        let (start, limit) = Self::DEFAULT_WINDOW;
        let num = |v: &Option<String>, d| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(d);
        (num(&self.start, start), num(&self.limit, limit).min(100))
    }
}

/// A page of results, fields in serde_json's order (its maps sort their keys), so
/// the bytes are those of the `Value` this used to be built as.
#[derive(Serialize)]
struct ResultPage<'a, T> {
    #[serde(rename = "_links")]
    links: PageLinks<'a>,
    limit: usize,
    results: &'a [T],
    size: usize,
    start: usize,
}

#[derive(Serialize)]
struct PageLinks<'a> {
    base: &'a str,
    context: &'a str,
    #[serde(rename = "self")]
    self_link: Concat<'a, 2>,
}

/// Pieces written as one JSON string, without building it first.
struct Concat<'a, const N: usize>([&'a str; N]);

impl<const N: usize> std::fmt::Display for Concat<'_, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|piece| f.write_str(piece))
    }
}

impl<const N: usize> Serialize for Concat<'_, N> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `results[start..start + limit]` of everything, with the paging fields.
fn page_of<'a, T: Serialize>(
    state: &'a State,
    results: &'a [T],
    start: usize,
    limit: usize,
    self_path: &'a str,
) -> Response {
    json(
        StatusCode::OK,
        &result_page(state, results, start, limit, self_path),
    )
}

fn result_page<'a, T: Serialize>(
    state: &'a State,
    results: &'a [T],
    start: usize,
    limit: usize,
    self_path: &'a str,
) -> ResultPage<'a, T> {
    let size = results.len();
    let shown = results
        .get(start..)
        .map_or(&[][..], |rest| &rest[..rest.len().min(limit)]);
    ResultPage {
        links: PageLinks {
            base: &state.base_url,
            context: &state.context_path,
            self_link: Concat([&state.base_url, self_path]),
        },
        limit,
        results: shown,
        size: size.saturating_sub(start).min(limit),
        start,
    }
}

/// A space as `/rest/api/space` writes it, fields in serde_json's order.
#[derive(Serialize)]
struct SpaceJson<'a> {
    #[serde(rename = "_expandable")]
    expandable: SpaceExpandable,
    #[serde(rename = "_links")]
    links: SpaceLinks<'a>,
    id: u64,
    key: &'a str,
    name: &'a str,
    status: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct SpaceExpandable {
    description: &'static str,
    homepage: &'static str,
    metadata: &'static str,
}

#[derive(Serialize)]
struct SpaceLinks<'a> {
    #[serde(rename = "self")]
    self_link: Concat<'a, 3>,
    webui: Concat<'a, 2>,
}

fn space_json<'a>(state: &'a State, space: &'a Space) -> SpaceJson<'a> {
    SpaceJson {
        expandable: SpaceExpandable {
            description: "",
            homepage: "",
            metadata: "",
        },
        links: SpaceLinks {
            self_link: Concat([&state.base_url, "/rest/api/space/", &space.key]),
            webui: Concat(["/display/", &space.key]),
        },
        id: space.id,
        key: &space.key,
        name: &space.name,
        status: "current",
        kind: "global",
    }
}

fn content_json(state: &State, space: Option<&Space>, page: &Page, with_body: bool) -> Value {
    let space = space.map_or_else(
        || j!({"key": page.space_key}),
        |s| serde_json::to_value(space_json(state, s)).unwrap_or_default(),
    );
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
        Access::NoPermission | Access::Denied(_) => {
            page_of::<SpaceJson<'_>>(&state, &[], start, limit, "/rest/api/space")
        }
    }
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
    let results: Vec<Value> = match access {
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
    page_of(&state, &results, start, limit, "/rest/api/content")
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
    let results: Vec<Value> = page
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
    page_of(&state, &results, start, limit, &self_path)
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

/// Why `caller` may not change content, if they may not: F-ANON-3 for
/// anonymous, 403 without content permission.
fn write_refusal(
    state: &State,
    caller: &Caller,
    uri: &axum::http::Uri,
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

fn change_error(error: &ChangeError) -> Response {
    let status = match error {
        ChangeError::NotFound(_) => StatusCode::NOT_FOUND,
        ChangeError::Version(_) => StatusCode::CONFLICT,
        ChangeError::EmptyTitle
        | ChangeError::DuplicateTitle(_)
        | ChangeError::TooManyAttachments => StatusCode::BAD_REQUEST,
    };
    rest_error(status, &error.to_string())
}

fn no_content(id: &str) -> Response {
    rest_error(
        StatusCode::NOT_FOUND,
        &format!("No content found with id : ContentId{{id={id}}}"),
    )
}

#[derive(Debug, Deserialize)]
struct UpdateContent {
    title: Option<String>,
    version: Option<VersionRef>,
    body: Option<NewBody>,
}

#[derive(Debug, Deserialize)]
struct VersionRef {
    number: u32,
}

/// `PUT /rest/api/content/{id}`: a new version of a page; `version.number` must be
/// the current one plus one (else 409). The body is read as JSON whatever its
/// Content-Type, like `create_content`.
async fn update_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(refused) = write_refusal(&state, &caller, &uri, "update content") {
        return refused;
    }
    let Ok(number) = id.parse::<u64>() else {
        return no_content(&id);
    };
    let update: UpdateContent = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(e) => {
            return rest_error(
                StatusCode::BAD_REQUEST,
                &format!("Could not parse the request body: {e}"),
            );
        }
    };
    let Some(version) = update.version else {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "Version is required to update content",
        );
    };
    let text = update.body.and_then(|b| b.storage).map(|s| s.value);
    let mut content = lock(&state.content);
    let page = match content.update_page(
        number,
        version.number,
        update.title.as_deref(),
        text.as_deref(),
    ) {
        Ok(page) => page.clone(),
        Err(e) => return change_error(&e),
    };
    json(
        StatusCode::OK,
        &content_json(&state, content.space(&page.space_key), &page, true),
    )
}

/// `DELETE /rest/api/content/{id}`: 204, or 404 for what does not exist.
async fn delete_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = write_refusal(&state, &caller, &uri, "delete content") {
        return refused;
    }
    let Ok(number) = id.parse::<u64>() else {
        return no_content(&id);
    };
    match lock(&state.content).delete_page(number) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => change_error(&e),
    }
}

/// `POST /rest/api/content/{id}/child/attachment`: `multipart/form-data` with one
/// or more `file` parts (each with a filename). Only metadata is kept. The XSRF
/// stage has already asked for `X-Atlassian-Token: no-check` (F-XSRF-1/2).
async fn upload_attachment(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = write_refusal(&state, &caller, &uri, "add attachments") {
        return refused;
    }
    let Ok(number) = id.parse::<u64>() else {
        return no_content(&id);
    };
    let Some(boundary) = multipart_boundary(&headers) else {
        return rest_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Attachments are uploaded as multipart/form-data with a boundary",
        );
    };
    let parts = match multipart_parts(&body, &boundary) {
        Ok(parts) => parts,
        Err(message) => return rest_error(StatusCode::BAD_REQUEST, message),
    };
    let files: Vec<&FilePart> = parts
        .iter()
        .filter(|p| p.name.as_deref() == Some("file") && p.filename.is_some())
        .collect();
    if files.is_empty() {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "No file(s) were found in the request",
        );
    }
    let mut content = lock(&state.content);
    if content.page(number).is_none() {
        return no_content(&id);
    }
    let mut added: Vec<Attachment> = Vec::new();
    for file in files {
        let title = file.filename.as_deref().unwrap_or_default();
        let media = file
            .content_type
            .as_deref()
            .unwrap_or("application/octet-stream");
        match content.add_attachment(number, title, media, file.size) {
            Ok(attachment) => added.push(attachment),
            Err(e) => return change_error(&e),
        }
    }
    let results: Vec<Value> = added
        .iter()
        .map(|a| {
            j!({
                "id": format!("att{}", a.id),
                "type": "attachment",
                "status": "current",
                "title": a.title,
                "metadata": {"mediaType": a.media_type},
                "extensions": {"mediaType": a.media_type, "fileSize": a.size},
            })
        })
        .collect();
    let size = results.len();
    json(
        StatusCode::OK,
        &j!({"results": results, "start": 0, "limit": size, "size": size}),
    )
}

/// At most this many parts are read from one multipart body.
const MAX_PARTS: usize = 100;

/// One part of a multipart body, as far as the upload needs it.
#[derive(Debug, Default, PartialEq, Eq)]
struct FilePart {
    name: Option<String>,
    filename: Option<String>,
    content_type: Option<String>,
    size: u64,
}

/// The `boundary` of a `multipart/form-data` Content-Type (quotes removed).
fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut params = value.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A minimal RFC 7578 reader: parts between `--boundary` lines, each with
/// headers, a blank line and content up to the next `\r\n--boundary`. Total:
/// anything malformed is an error message, never a panic. (Hand-written rather
/// than axum's `multipart` feature: the upload only needs names, filenames and
/// sizes, and this keeps `multer` out of the build.)
fn multipart_parts(body: &[u8], boundary: &str) -> Result<Vec<FilePart>, &'static str> {
    const BAD: &str = "Malformed multipart/form-data body";
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let start = find(body, delimiter.as_bytes()).ok_or(BAD)?;
    let mut rest = &body[start + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(BAD)?;
        if parts.len() >= MAX_PARTS {
            return Err("Too many parts in the multipart/form-data body");
        }
        let head_end = find(rest, b"\r\n\r\n").ok_or(BAD)?;
        let head = String::from_utf8_lossy(&rest[..head_end]);
        let content = &rest[head_end + 4..];
        let end = find(content, next_delimiter.as_bytes()).ok_or(BAD)?;
        let mut part = FilePart {
            size: u64::try_from(end).unwrap_or(u64::MAX),
            ..FilePart::default()
        };
        for line in head.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                return Err(BAD);
            };
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            } else if name.eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').skip(1) {
                    let Some((k, v)) = param.split_once('=') else {
                        continue;
                    };
                    let v = v.trim().trim_matches('"').to_owned();
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => part.name = Some(v),
                        "filename" => part.filename = Some(v).filter(|f| !f.is_empty()),
                        _ => {}
                    }
                }
            }
        }
        parts.push(part);
        rest = &content[end + next_delimiter.len()..];
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_reads_files_and_refuses_garbage() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhi\r\n--XyZ--\r\n";
        let parts = multipart_parts(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            FilePart {
                name: Some("file".into()),
                filename: Some("a.txt".into()),
                content_type: Some("text/plain".into()),
                size: 5,
            }
        );
        assert_eq!(parts[1].size, 2);
        for garbage in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nno blank line",
            b"--XyZ\r\nContent-Disposition: x\r\n\r\nno end",
            b"--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--",
            b"--XyZ\xff\xfe",
        ] {
            assert!(multipart_parts(garbage, "XyZ").is_err(), "{garbage:?}");
        }
        let many: Vec<u8> = (0..=MAX_PARTS)
            .flat_map(|_| b"--b\r\nA: b\r\n\r\nx\r\n".iter().copied())
            .chain(b"--b--".iter().copied())
            .collect();
        assert!(multipart_parts(&many, "b").is_err());
    }

    #[test]
    fn boundaries_come_from_multipart_content_types_only() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(v),
            );
            h
        };
        assert_eq!(
            multipart_boundary(&with("multipart/form-data; boundary=\"a b\"")).as_deref(),
            Some("a b")
        );
        assert_eq!(multipart_boundary(&with("multipart/form-data")), None);
        assert_eq!(multipart_boundary(&with("text/plain; boundary=x")), None);
        assert_eq!(
            multipart_boundary(&with("multipart/form-data; boundary=")),
            None
        );
    }
}
