//! Mock-only control of the IdP under `/__tollgate/` (emulator.md, "IdP control
//! and evidence"): `health`; `down`, after which the IdP answers no new
//! connection, so a scenario proves a plugin fails closed (F-OAUTH-3); `clock`,
//! which moves the IdP's time so its tokens expire without sleeping, also when
//! the target is a real Confluence; `rotate`, a new signing key under a new `kid`;
//! and `calls`, the log of what the IdP was asked, for a run whose IdP is a
//! separate `tollgate idp`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::error::json as idp_json;
use super::log::calls_json;
use super::state::IdpState;
use crate::scenario::duration::Duration;
use crate::wire::control::{CALLS, CLOCK, DOWN, HEALTH, ROTATE};

pub fn routes() -> Router<IdpState> {
    Router::new()
        .route(HEALTH, get(health))
        .route(DOWN, post(down))
        .route(CLOCK, get(clock).post(advance_clock))
        .route(ROTATE, post(rotate))
        .route(CALLS, get(calls))
}

async fn health() -> Response {
    idp_json(StatusCode::OK, &json!({ "status": "up" }))
}

/// Answers, then the server stops accepting: this answer finishes, the
/// connection closes, and the next connect is refused (or, for the IdP in the
/// loop, closed unanswered until the next scenario begins).
async fn down(State(state): State<IdpState>) -> Response {
    state.stop();
    idp_json(StatusCode::OK, &json!({ "status": "down" }))
}

/// How far the IdP's clock was moved, and the Unix time it shows.
async fn clock(State(state): State<IdpState>) -> Response {
    let offset = state.clock().offset();
    idp_json(
        StatusCode::OK,
        &json!({
            "offset_ms": u64::try_from(offset.as_millis()).unwrap_or(u64::MAX),
            "unix": state.now_unix(),
        }),
    )
}

/// `POST /__tollgate/clock?advance=30s`, the syntax of Confluence's own clock
/// control: forward only, saturating (the clock's own rule).
async fn advance_clock(
    state: State<IdpState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    match requested_advance(&query, &body) {
        Ok(by) => {
            state.clock().advance(by.get());
            clock(state).await
        }
        Err(message) => idp_json(StatusCode::BAD_REQUEST, &json!({ "message": message })),
    }
}

/// `advance` from the query, else from a JSON (`{"advance": "30s"}`) or form body:
/// a duration such as `30s`, `1500ms` or `2h`.
pub fn requested_advance(query: &HashMap<String, String>, body: &[u8]) -> Result<Duration, String> {
    let from_json = || {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()?
            .get("advance")?
            .as_str()
            .map(str::to_owned)
    };
    let from_form = || {
        url::form_urlencoded::parse(body)
            .find(|(name, _)| name == "advance")
            .map(|(_, value)| value.into_owned())
    };
    let text = query
        .get("advance")
        .cloned()
        .or_else(from_json)
        .or_else(from_form)
        .ok_or_else(|| "say how far to move: advance=30s".to_owned())?;
    text.parse::<Duration>()
}

/// A new signing key of the same algorithm under a new `kid` (OIDC Core §10.1.1:
/// a signer rolls keys over by signing with a new `kid`, and a verifier that sees
/// an unfamiliar `kid` goes back to the JWKS). `/jwks` publishes only the new key:
/// an abrupt rotation, as after a compromise.
async fn rotate(State(state): State<IdpState>) -> Response {
    let rotated = tokio::task::spawn_blocking(move || state.rotate()).await;
    match rotated {
        Ok(Ok(kid)) => idp_json(StatusCode::OK, &json!({ "kid": kid })),
        Ok(Err(e)) => idp_json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "message": e.to_string() }),
        ),
        Err(_) => idp_json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "message": "the key generation task failed" }),
        ),
    }
}

/// `GET /__tollgate/calls?since=N` (default 0): the calls after mark `N` and the
/// mark to ask from next time.
async fn calls(
    State(state): State<IdpState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let since = match query.get("since").map(|n| n.parse::<u64>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            return idp_json(
                StatusCode::BAD_REQUEST,
                &json!({ "message": "since is a mark: a whole number from an earlier 'next'" }),
            );
        }
    };
    let (next, calls) = state.log.read(since);
    idp_json(StatusCode::OK, &calls_json(next, &calls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advance_comes_from_the_query_json_or_form() {
        let query = |v: &str| HashMap::from([("advance".to_owned(), v.to_owned())]);
        let none = HashMap::new();
        let secs = |d: Duration| d.get().as_secs();
        assert_eq!(requested_advance(&query("30s"), b"").map(secs), Ok(30));
        assert_eq!(
            requested_advance(&none, br#"{"advance":"2m"}"#).map(secs),
            Ok(120)
        );
        assert_eq!(requested_advance(&none, b"advance=1h").map(secs), Ok(3600));
        assert!(requested_advance(&none, b"").is_err());
        assert!(requested_advance(&query("soon"), b"").is_err());
    }
}
