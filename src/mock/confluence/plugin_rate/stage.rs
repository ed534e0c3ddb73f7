//! The plugin's rate-limit stage (F-PLUG-5), right after the Data Center limiter.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::mock::confluence::caller::{AuthMethod, AuthenticatedToken};
use crate::mock::confluence::respond::json;
use crate::mock::confluence::state::State;
use crate::scenario::mock_config::Fault;

/// The stage: counts token-authenticated requests per token (the
/// [`AuthenticatedToken`] Seraph's stage recorded) and refuses the ones beyond
/// the limit (F-PLUG-5); `Some` is the refusal. The
/// `plugin_rate_limit_off` fault never refuses.
pub fn check(state: &State, req: &Request) -> Option<Response> {
    let limiter = state.plugin_rate.as_ref()?;
    let method = req
        .extensions()
        .get::<AuthMethod>()
        .filter(|m| m.is_token())?;
    // The token authentication vouched for, however the request spelled it.
    // Without one (no authenticator records a token method without it), all
    // such requests of a method share one window rather than go uncounted.
    let token = req
        .extensions()
        .get::<AuthenticatedToken>()
        .copied()
        .unwrap_or_else(|| AuthenticatedToken::of(*method, ""));
    match limiter.take(&token.0, state.clock().now()) {
        Ok(()) => None,
        Err(_) if state.faults.has(Fault::PluginRateLimitOff) => None,
        Err(retry_after) => {
            let mut response = json(
                StatusCode::TOO_MANY_REQUESTS,
                &serde_json::json!({
                    "statusCode": 429,
                    "message": "Rate limit exceeded for this token. Try again later.",
                    "reason": "Too Many Requests",
                }),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            Some(response)
        }
    }
}
