//! The stages every request to the Confluence node passes, in order, as one tower
//! [`Service`] in front of the router: one boxed future a request instead of one
//! middleware (a boxed future, a boxed `Next` and a clone of the service stack
//! below it) per concern. Each stage's logic stays in its module; this file only
//! wires them, outermost first (ARCHITECTURE.md):
//!
//! [`limits`] → [`client_addr`] → [`audit`] → [`seraph::oauth_challenge`] →
//! [`plugin_policy::gate`] → [`seraph::authenticate`] → [`rate_limit`] →
//! [`plugin_rate`] → [`plugin_policy::authorize`] → [`xsrf`] → [`token_auth`]
//! → the router.
//!
//! A stage that refuses answers in place of everything inside it; the answer
//! still passes the way-out steps of the stages outside it (rate-limit headers,
//! Seraph's headers, the OAuth challenge on a 401, the audit log), as it did
//! through nested layers. A stage whose configuration is off costs a check.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use tower_service::Service;

use super::{
    State, audit, client_addr, limits, plugin_policy, plugin_rate, rate_limit, seraph, token_auth,
    xsrf,
};

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
        let state = self.state.clone();
        let inner = self.inner.clone();
        Box::pin(async move { Ok(run(&state, req, inner).await) })
    }
}

/// One request through every stage, outermost first.
async fn run(state: &State, mut req: Request, inner: Router) -> Response {
    if let Some(refused) = limits::check(&req) {
        return refused;
    }
    client_addr::set_peer(&mut req);
    let audit = audit::begin(state, &req);
    // What the plugin's authorize stage saw, if the request got that far.
    let mut who = None;
    let mut response = 'audited: {
        if let Some(refused) = plugin_policy::gate(state, &req) {
            break 'audited refused;
        }
        let stamp = match seraph::authenticate(state, &mut req).await {
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
            if audit.is_some() {
                who = Some(plugin_policy::who(&req));
            }
            if let Some(refused) = plugin_policy::authorize(state, &req) {
                break 'counted refused;
            }
            let mut req = match xsrf::check(state, req).await {
                Ok(req) => req,
                Err(refused) => break 'counted refused,
            };
            if let Some(blocked) = token_auth::mirror(state, &mut req) {
                break 'counted blocked;
            }
            route(inner, req).await
        };
        if let Some(counted) = counted {
            rate_limit::stamp(state, counted, &mut response);
        }
        seraph::stamp(state, stamp, &mut response);
        response
    };
    seraph::oauth_challenge(state, &mut response);
    if let Some(pending) = audit {
        audit::finish(state, pending, who, &response);
    }
    response
}

/// The router's answer.
async fn route(mut inner: Router, req: Request) -> Response {
    let ready = poll_fn(|cx| Service::<Request>::poll_ready(&mut inner, cx)).await;
    let result = match ready {
        Ok(()) => inner.call(req).await,
        Err(never) => Err(never),
    };
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
