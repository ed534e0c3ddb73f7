//! The REST resource `/rest/pat/latest/tokens` (F-PAT-3/4): a user who did not
//! authenticate with a PAT lists, creates, shows and revokes their own tokens.
//! As the PAT plugin's `TokensResource` (1.4.7): a refused create is a 400, or a
//! 403 at the per-user limit; an id nobody holds is a `GET` 404 and a `DELETE`
//! 204; another user's token is a 401 from the plugin's `AuthorisationException`
//! mapper (the mock has no administrators, who may see every token).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State as AxumState};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::mock::confluence::caller::Caller;
use crate::mock::confluence::pats::store::Ownership;
use crate::mock::confluence::respond::{json, rest_error};
use crate::mock::confluence::rest::access::anonymous_denied;
use crate::mock::confluence::state::State;
use crate::mock::sync::lock;
use crate::scenario::mock_config::Fault;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/rest/pat/latest/tokens", get(list).post(create))
        .route("/rest/pat/latest/tokens/{id}", get(get_one).delete(revoke))
}

/// Why a caller may not manage tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// PATs are switched off: the resource does not exist.
    Disabled,
    /// F-ANON-3's 401.
    Anonymous,
}

impl Refusal {
    fn response(self, state: &State, uri: &Uri) -> Response {
        match self {
            Refusal::Disabled => {
                rest_error(StatusCode::NOT_FOUND, "Personal access tokens are disabled")
            }
            // Not anonymous-allowed (F-ANON-3), so the `rest_login_redirect`
            // fault reaches it too.
            Refusal::Anonymous => anonymous_denied(state, uri),
        }
    }
}

/// Who may manage tokens: any authenticated user, a PAT's included (the plugin's
/// `TokensResource` asks only that the caller be authenticated, F-PAT-3).
fn manager(state: &State, caller: &Caller) -> Result<String, Refusal> {
    if !state.config.pats.enabled {
        return Err(Refusal::Disabled);
    }
    match caller {
        Caller::Anonymous => Err(Refusal::Anonymous),
        Caller::User(name) => Ok(name.clone()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewToken {
    #[serde(default)]
    name: String,
    expiration_duration: Option<i64>,
}

async fn create(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Response {
    let user = match manager(&state, &caller) {
        Ok(user) => user,
        Err(refused) => return refused.response(&state, &uri),
    };
    let new: NewToken = match serde_json::from_slice(&body) {
        Ok(new) => new,
        Err(e) => {
            return rest_error(
                StatusCode::BAD_REQUEST,
                &format!("Could not parse the request body: {e}"),
            );
        }
    };
    let enforce_limit = !state.faults.has(Fault::PatLimitUnenforced);
    let created = lock(&state.pats).create(
        &user,
        &new.name,
        new.expiration_duration,
        &state.clock,
        enforce_limit,
    );
    match created {
        Ok(body) => json(StatusCode::CREATED, &body),
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            rest_error(status, &e.to_string())
        }
    }
}

async fn list(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
) -> Response {
    match manager(&state, &caller) {
        Ok(user) => json(StatusCode::OK, &lock(&state.pats).list(&user)),
        Err(refused) => refused.response(&state, &uri),
    }
}

/// The plugin's `AuthorisationException` answer for another user's token.
fn not_yours(user: &str) -> Response {
    let body = serde_json::json!({
        "exception": "com.atlassian.sal.api.permission.AuthorisationException",
        "error": format!("User: [{user}] has no access to token!"),
    });
    json(StatusCode::UNAUTHORIZED, &body)
}

async fn get_one(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let user = match manager(&state, &caller) {
        Ok(user) => user,
        Err(refused) => return refused.response(&state, &uri),
    };
    let Ok(id) = id.parse::<u64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let pats = lock(&state.pats);
    match (pats.ownership(&user, id), pats.get(&user, id)) {
        (Ownership::Yours, Some(body)) => json(StatusCode::OK, &body),
        (Ownership::Theirs, _) => not_yours(&user),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn revoke(
    AxumState(state): AxumState<State>,
    caller: Caller,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let user = match manager(&state, &caller) {
        Ok(user) => user,
        Err(refused) => return refused.response(&state, &uri),
    };
    // Jersey answers a path parameter that is no `Long` with 404.
    let Ok(id) = id.parse::<u64>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut pats = lock(&state.pats);
    match pats.ownership(&user, id) {
        Ownership::Theirs => not_yours(&user),
        // The plugin deletes what it finds and answers 204 either way.
        Ownership::Yours | Ownership::Missing => {
            pats.revoke(&user, id);
            StatusCode::NO_CONTENT.into_response()
        }
    }
}
