//! `GET /rest/applinks/1.0/manifest`: what the node says it is, without
//! credentials. Application links read it to pair two servers; tollgate reads its
//! `version` to judge `requires: { confluence: … }` against a real target, and
//! the mock serves it so that path is exercised against the emulator too.
//!
//! The shape is the applinks plugin's `ManifestEntity` (`@XmlRootElement(name =
//! "manifest")`): JSON when `Accept` asks for it, XML otherwise, as JAX-RS
//! resources answer. Only the fields a client needs are written.

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::request::wants_json;
use super::respond::{escape, json};
use super::state::State;

pub const MANIFEST: &str = "/rest/applinks/1.0/manifest";

pub fn routes() -> Router<State> {
    Router::new().route(MANIFEST, get(manifest))
}

async fn manifest(AxumState(state): AxumState<State>, headers: HeaderMap) -> Response {
    let version = state.config.version.clone().unwrap_or_default();
    let version = version.as_str();
    let base_url = state.base_url.as_str();
    if wants_json(&headers) {
        return json(
            StatusCode::OK,
            &serde_json::json!({
                "name": "Confluence",
                "typeId": "confluence",
                "version": version,
                // The emulator has no build of its own; the real plugin writes 0
                // when it cannot read one, too.
                "buildNumber": 0,
                "url": base_url,
            }),
        );
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <manifest><name>Confluence</name><typeId>confluence</typeId>\
         <version>{}</version><buildNumber>0</buildNumber><url>{}</url></manifest>",
        escape(version),
        escape(base_url)
    );
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml;charset=UTF-8"),
        )],
        xml,
    )
        .into_response()
}
