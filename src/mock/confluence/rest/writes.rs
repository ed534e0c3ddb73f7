//! The write resources of `/rest/api/`: create, update and delete pages, upload
//! attachments (metadata only). Each needs a user with content permission.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json as j};

use super::access::{change_error, no_content, write_refusal};
use super::multipart::{FilePart, multipart_boundary, multipart_parts};
use super::shapes::{attachment_json, content_json};
use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::content::Attachment;
use crate::mock::confluence::respond::{json, rest_error};
use crate::mock::confluence::state::State;
use crate::mock::sync::lock;

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
pub(super) async fn create_content(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    // Needs a user whatever the anonymous-access setting (F-ANON-3).
    if let Some(refused) = write_refusal(&state, &caller, &uri, "create content") {
        return refused;
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
pub(super) async fn update_content(
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
pub(super) async fn delete_content(
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
pub(super) async fn upload_attachment(
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
    let results: Vec<Value> = added.iter().map(|a| attachment_json(a, None)).collect();
    let size = results.len();
    json(
        StatusCode::OK,
        &j!({"results": results, "start": 0, "limit": size, "size": size}),
    )
}
