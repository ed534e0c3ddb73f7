//! Mock-only control endpoints under `<context>/__tollgate/` (emulator.md). Only
//! `reset` for now; `clock` and `audit` come with later issues.

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::StatusCode;
use axum::routing::post;

use super::State;

pub fn routes() -> Router<State> {
    Router::new().route("/__tollgate/reset", post(reset))
}

/// Clears sessions, remember-me tokens, failed-login counters (the only way to
/// undo a CAPTCHA lock, F-BASIC-6) and created content.
async fn reset(AxumState(state): AxumState<State>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}
