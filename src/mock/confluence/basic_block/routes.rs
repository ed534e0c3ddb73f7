//! `GET`/`PUT /rest/basicauth/1.0/config` (F-BASIC-9): the block's switch and
//! allowlists, for system administrators. A `PUT` changes only the keys it
//! names ("configuration properties are independent").

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State as AxumState};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::respond::{json, rest_error};
use crate::mock::confluence::rest::access::anonymous_denied;
use crate::mock::confluence::state::State;
use crate::mock::sync::lock;
use crate::scenario::mock_config::BasicAuthBlockConfig;

pub const CONFIG_PATH: &str = "/rest/basicauth/1.0/config";

pub fn routes() -> Router<State> {
    Router::new().route(CONFIG_PATH, get(show).put(change))
}

/// The configuration as the resource writes and reads it; on a `PUT` a key left
/// out is left as it is.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Wire {
    #[serde(skip_serializing_if = "Option::is_none")]
    block_requests: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_paths: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_users: Option<Vec<String>>,
}

impl Wire {
    fn of(config: &BasicAuthBlockConfig) -> Self {
        Self {
            block_requests: Some(config.block_requests),
            allowed_paths: Some(config.allowed_paths.clone()),
            allowed_users: Some(config.allowed_users.clone()),
        }
    }
}

/// Anonymous gets F-ANON-3's 401, a user who is not a system administrator 403.
fn refusal(state: &State, caller: &Caller, uri: &axum::http::Uri) -> Option<Response> {
    match caller {
        Caller::Anonymous => Some(anonymous_denied(state, uri)),
        Caller::User(name) if !state.directory.get(name).is_some_and(|u| u.admin) => Some(
            rest_error(StatusCode::FORBIDDEN, "You must be a system administrator"),
        ),
        Caller::User(_) => None,
    }
}

async fn show(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    if let Some(refused) = refusal(&state, &caller, &uri) {
        return refused;
    }
    let wire = Wire::of(&lock(&state.basic_block));
    json(StatusCode::OK, &wire)
}

async fn change(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    if let Some(refused) = refusal(&state, &caller, &uri) {
        return refused;
    }
    let update: Wire = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(e) => {
            return rest_error(
                StatusCode::BAD_REQUEST,
                &format!("Could not parse the request body: {e}"),
            );
        }
    };
    let mut config = lock(&state.basic_block);
    if let Some(block) = update.block_requests {
        config.block_requests = block;
    }
    if let Some(paths) = update.allowed_paths {
        config.allowed_paths = paths;
    }
    if let Some(users) = update.allowed_users {
        config.allowed_users = users;
    }
    let wire = Wire::of(&config);
    drop(config);
    json(StatusCode::OK, &wire)
}
