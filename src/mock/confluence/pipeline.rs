//! The stages every request to the Confluence node passes, in order, as one tower
//! [`Service`] in front of the router: one boxed future a request instead of one
//! middleware (a boxed future, a boxed `Next` and a clone of the service stack
//! below it) per concern. Each stage's logic stays in its module; this file only
//! wires them, outermost first (ARCHITECTURE.md):
//!
//! [`limits`] → [`client_addr`] → [`audit`] → [`stamp::oauth_challenge`] →
//! [`plugin_policy::gate`] → [`basic_block`] → [`authenticate`](mod@authenticate) → [`rate_limit`] →
//! [`plugin_rate`] → [`plugin_policy::authorize`] → [`xsrf`] → [`token_auth`]
//! → the router.
//!
//! A stage that refuses answers in place of everything inside it; the answer
//! still passes the way-out steps of the stages outside it (rate-limit headers,
//! Seraph's headers, the OAuth challenge on a 401, the audit log), as it did
//! through nested layers. A stage whose configuration is off costs a check.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use tower_service::Service;

use super::audit::stage as audit;
use super::basic_block::stage as basic_block;
use super::caller::Who;
use super::client_addr;
use super::limits;
use super::plugin_policy::stage as plugin_policy;
use super::plugin_rate::stage as plugin_rate;
use super::rate_limit::stage as rate_limit;
use super::seraph::authenticate;
use super::seraph::stamp;
use super::state::State;
use super::token_auth;
use super::xsrf::stage as xsrf;

/// The stages in front of `inner` (the routes, under the context path).
#[derive(Clone)]
pub struct Pipeline {
    state: State,
    inner: Router,
}

impl Pipeline {
    pub fn new(state: State, inner: Router) -> Self {
        Self { state, inner }
    }
}

impl Service<Request> for Pipeline {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        Box::pin(run(self.state.clone(), req, self.inner.clone()))
    }
}

/// One request through every stage, outermost first.
async fn run(state: State, mut req: Request, mut inner: Router) -> Result<Response, Infallible> {
    let state = &state;
    if let Some(refused) = limits::check(&req) {
        return Ok(refused);
    }
    client_addr::set_peer(&mut req);
    let mut audit = audit::begin(state, &req);
    let mut response = 'audited: {
        if let Some(refused) = plugin_policy::gate(state, &req) {
            break 'audited refused;
        }
        let end_session_after = match basic_block::check(state, &req) {
            basic_block::Outcome::Refused(refused) => break 'audited refused,
            basic_block::Outcome::EndSessionAfter => true,
            basic_block::Outcome::Untouched => false,
        };
        let stamp = match authenticate::authenticate(state, &mut req).await {
            Ok(stamp) => stamp,
            Err(refused) => break 'audited refused,
        };
        let counted = rate_limit::count(state, &req).await;
        let mut response = 'counted: {
            if let Some(refused) = counted.and_then(|c| c.refusal(state, &req)) {
                break 'counted refused;
            }
            if let Some(refused) = plugin_rate::check(state, &req) {
                break 'counted refused;
            }
            if let Some(pending) = audit.as_mut() {
                pending.note(Who::of(req.extensions()));
            }
            if let Some(refused) = plugin_policy::authorize(state, &req) {
                break 'counted refused;
            }
            if let Some(refused) = xsrf::check(state, &mut req).await {
                break 'counted refused;
            }
            if let Some(blocked) = token_auth::mirror(state, &mut req) {
                break 'counted blocked;
            }
            // A `Router` is always ready (axum's `poll_ready` is `Ready(Ok(()))`),
            // so it is called straight away.
            match inner.call(req).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        };
        if let Some(counted) = counted {
            rate_limit::stamp(state, counted, &mut response);
        }
        if end_session_after {
            basic_block::end_session(state, &stamp);
        }
        stamp::stamp(state, stamp, &mut response);
        response
    };
    stamp::oauth_challenge(state, &mut response);
    if let Some(pending) = audit {
        audit::finish(state, pending, &response);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// glibc's malloc serves requests under about 1000 bytes from its small bins;
    /// a larger one (this future is boxed for every request) first consolidates
    /// the fast bins, which cost the mock a few per cent of its CPU under load.
    /// Rare, large futures (an introspection call, a form body, a fault's timer)
    /// are boxed where they are awaited to keep this one small.
    #[test]
    fn a_request_s_future_stays_small() {
        let state = State::new(&Default::default(), "http://127.0.0.1:9");
        let future = run(state, Request::default(), Router::new());
        let size = std::mem::size_of_val(&future);
        assert!(size < 1000, "the pipeline's future grew to {size} bytes");
    }
}
