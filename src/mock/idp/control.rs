//! Mock-only control of the IdP under `/__tollgate/`: `health`, and `down`, which
//! stops the IdP's listener so later connections are refused. That is how a
//! scenario takes the IdP away mid-run to prove a plugin fails closed (F-OAUTH-3).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::error::json as idp_json;
use super::state::IdpState;
use crate::wire::control::{DOWN, HEALTH};

pub fn routes() -> Router<IdpState> {
    Router::new()
        .route(HEALTH, get(health))
        .route(DOWN, post(down))
}

async fn health() -> Response {
    idp_json(StatusCode::OK, &json!({ "status": "up" }))
}

/// Answers, then the server stops accepting: this answer finishes, the
/// connection closes, and the next connect is refused.
async fn down(State(state): State<IdpState>) -> Response {
    state.stop();
    idp_json(StatusCode::OK, &json!({ "status": "down" }))
}
