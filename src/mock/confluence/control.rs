//! Mock-only control endpoints under `<context>/__tollgate/` (emulator.md):
//! `reset`, and `clock`, which moves the mock's time so expiry and refill take no
//! real time.

use axum::Router;
use axum::extract::Query;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::respond::json;
use super::state::State;
use crate::wire::control::{CLOCK, RESET};

pub fn routes() -> Router<State> {
    Router::new()
        .route(RESET, post(reset))
        .route(CLOCK, get(clock).post(advance_clock))
}

#[derive(Debug, Deserialize)]
struct Advance {
    /// How far to move the clock: `30s`, `1500ms`, `2h`.
    advance: String,
}

/// The mock's time: how far it was moved, and the Unix time it shows.
async fn clock(AxumState(state): AxumState<State>) -> Response {
    clock_json(&state)
}

fn clock_json(state: &State) -> Response {
    let offset = state.clock().offset();
    json(
        StatusCode::OK,
        &serde_json::json!({
            "offset_ms": u64::try_from(offset.as_millis()).unwrap_or(u64::MAX),
            "unix": state.clock().unix_seconds(),
        }),
    )
}

/// `POST /__tollgate/clock?advance=30s` (or a form or JSON body with `advance`):
/// the clock only moves forward, so tokens and buckets never see time reversed.
async fn advance_clock(
    AxumState(state): AxumState<State>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let from_body = serde_json::from_slice::<Advance>(&body)
        .ok()
        .or_else(|| {
            url::form_urlencoded::parse(&body)
                .find(|(name, _)| name == "advance")
                .map(|(_, value)| Advance {
                    advance: value.into_owned(),
                })
        })
        .map(|a| a.advance);
    let Some(text) = query.get("advance").cloned().or(from_body) else {
        return json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "message": "say how far to move: advance=30s" }),
        );
    };
    match text.parse::<crate::scenario::duration::Duration>() {
        Ok(by) => {
            state.clock().advance(by.get());
            clock_json(&state)
        }
        Err(message) => json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({ "message": message }),
        ),
    }
}

/// Clears sessions, remember-me tokens, failed-login counters (the only way to
/// undo a CAPTCHA lock, F-BASIC-6) and created content.
async fn reset(AxumState(state): AxumState<State>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}
