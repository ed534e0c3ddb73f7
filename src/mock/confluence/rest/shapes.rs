//! The JSON shapes of `/rest/api/` answers, fields in the order Confluence (or
//! serde_json's sorted maps) writes them: result pages, spaces, content.

use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json as j};

use crate::mock::confluence::content::{Attachment, Page, Space};
use crate::mock::confluence::request::{self, form_encode};
use crate::mock::confluence::respond::json;
use crate::mock::confluence::state::State;

/// The query parameters the read resources understand; the first of a repeated
/// parameter wins and anything unparsable reads as absent, so no query is an error.
#[derive(Debug, Default)]
pub(super) struct ListQuery {
    pub(super) start: Option<String>,
    pub(super) limit: Option<String>,
    pub(super) space_key: Option<String>,
    pub(super) title: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) expand: Option<String>,
}

impl ListQuery {
    pub(super) fn of(uri: &Uri) -> Self {
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
    pub(super) const DEFAULT_WINDOW: (usize, usize) = (0, 25);

    /// `(start, limit)`; bad numbers read as the defaults, limit capped at 100.
    pub(super) fn window(&self) -> (usize, usize) {
        let (start, limit) = Self::DEFAULT_WINDOW;
        let num = |v: &Option<String>, d| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(d);
        (num(&self.start, start), num(&self.limit, limit).min(100))
    }
}

/// A page of results, fields in serde_json's order (its maps sort their keys), so
/// the bytes are those of the `Value` this used to be built as.
#[derive(Serialize)]
pub(super) struct ResultPage<'a, T> {
    #[serde(rename = "_links")]
    links: PageLinks<'a>,
    limit: usize,
    results: &'a [T],
    size: usize,
    start: usize,
}

#[derive(Serialize)]
pub(super) struct PageLinks<'a> {
    base: &'a str,
    context: &'a str,
    #[serde(rename = "self")]
    self_link: Concat<'a, 2>,
}

/// Pieces written as one JSON string, without building it first.
pub(super) struct Concat<'a, const N: usize>([&'a str; N]);

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
pub(super) fn page_of<'a, T: Serialize>(
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

pub(super) fn result_page<'a, T: Serialize>(
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
pub(super) struct SpaceJson<'a> {
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
pub(super) struct SpaceExpandable {
    description: &'static str,
    homepage: &'static str,
    metadata: &'static str,
}

#[derive(Serialize)]
pub(super) struct SpaceLinks<'a> {
    #[serde(rename = "self")]
    self_link: Concat<'a, 3>,
    webui: Concat<'a, 2>,
}

pub(super) fn space_json<'a>(state: &'a State, space: &'a Space) -> SpaceJson<'a> {
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

pub(super) fn content_json(
    state: &State,
    space: Option<&Space>,
    page: &Page,
    with_body: bool,
) -> Value {
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

/// An attachment as `/rest/api/content/{id}/child/attachment` lists it; with
/// `page_id`, its download link too (a listing gives one, an upload does not).
pub(super) fn attachment_json(attachment: &Attachment, page_id: Option<u64>) -> Value {
    let mut value = j!({
        "id": format!("att{}", attachment.id),
        "type": "attachment",
        "status": "current",
        "title": attachment.title,
        "metadata": {"mediaType": attachment.media_type},
        "extensions": {"mediaType": attachment.media_type, "fileSize": attachment.size},
    });
    if let Some(page_id) = page_id {
        value["_links"] = j!({
            "download": format!("/download/attachments/{page_id}/{}", form_encode(&attachment.title)),
        });
    }
    value
}

pub(super) fn wants_body(expand: &Option<String>) -> bool {
    expand
        .as_deref()
        .is_some_and(|e| e.split(',').any(|x| x.trim().starts_with("body")))
}
