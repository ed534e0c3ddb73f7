//! The emulated Confluence node: the modules below, and [`router`], which
//! assembles them. Nothing in this tree imports this file: stages and
//! resources import the leaves and [`state`], so the module graph is a tree.
//!
//! Leaves, the vocabulary every stage shares: [`caller`] (who a request is and
//! how it authenticated), [`verdict`] (a token authenticator's answer),
//! [`respond`] (JSON, the REST error shape, HTML, Tomcat's error page),
//! [`request`] (cookies, query parameters), [`patterns`] (Seraph and ant URL
//! patterns), `seraph::names` (cookie and header names), [`outbound`] (the
//! bounded HTTP client for calls to other servers).
//!
//! Clients of other servers, over HTTP as a real Confluence's: [`crowd_client`]
//! (Crowd's session resource) and [`plugin_jwks`] (the IdP's JWKS, cached).
//!
//! Data each instance keeps, in [`state::State`] (built with its [`verifiers`]:
//! Connect JWT, the plugin's bearer check, Crowd SSO): [`users`], [`content`],
//! [`sessions`], `pats::store`, `native_oauth::store`, `rate_limit::limiter`,
//! `plugin_rate::limiter`, `plugin_policy::policy`, `audit::log`, `xsrf::token`.
//!
//! One stage a concern, run by [`pipeline`] in this order, outermost first:
//! [`limits`] (oversized headers) → [`client_addr::set_peer`] → [`audit`]
//! (F-PLUG-6, sees every final status) → Seraph's OAuth challenge (F-BASIC-8 on
//! every 401, the plugin's too) → [`plugin_policy::gate`] (IP allowlist, disabled
//! Basic; F-PLUG-2/3) → [`basic_block`] (Data Center's Basic block, F-BASIC-10) → [`seraph::authenticate`](fn@seraph::authenticate) (the `slow_auth` wait, then
//! session, remember-me, Crowd SSO ([`crowd_sso`]), Basic, then the token
//! authenticators: [`pats`], [`native_oauth`], the plugin's bearer
//! ([`plugin_bearer`]), Connect JWT ([`connect_jwt`]); puts a [`Caller`] in the
//! request) → [`rate_limit`] (F-RATE-*) → [`plugin_rate`] (F-PLUG-5) →
//! [`plugin_policy::authorize`] (restricted public paths, groups, read-only;
//! F-PLUG-1/4) → [`xsrf`] (F-XSRF-1..4) → [`token_auth::mirror`] (the
//! `/rest/token-auth/api/` whitelist, before routing) → the resources ([`rest`],
//! [`pats`], [`native_oauth`], [`pages`], [`control`], [`audit`]), which
//! authorize the caller themselves.

pub mod applinks;
pub mod audit;
pub mod basic_block;
pub mod caller;
pub mod client_addr;
pub mod connect_jwt;
pub mod content;
pub mod control;
pub mod crowd_client;
pub mod crowd_sso;
pub mod jwt_key;
pub mod limits;
pub mod native_oauth;
pub mod outbound;
pub mod pages;
pub mod pats;
pub mod patterns;
pub mod pipeline;
pub mod plugin_bearer;
pub mod plugin_jwks;
pub mod plugin_policy;
pub mod plugin_rate;
pub mod rate_limit;
pub mod request;
pub mod respond;
pub mod rest;
pub mod seraph;
pub mod sessions;
pub mod state;
pub mod token_auth;
pub mod users;
pub mod verdict;
pub mod verifiers;
pub mod xsrf;

use axum::Router;
use axum::response::Response;

pub use caller::{AuthMethod, Caller};
pub use respond::{JSON_UTF8, escape, html, json, json_bytes, raw_json};
pub use seraph::names::REMEMBER_ME_SECS;
pub use state::{Inner, State};
pub use verifiers::{VerifierError, Verifiers};

/// The router of one instance behind every stage ([`pipeline`]); mounted under the context path.
pub fn router(state: State) -> Router {
    let app = Router::new()
        .merge(rest::routes())
        .merge(applinks::routes())
        .merge(pats::routes::routes())
        .merge(native_oauth::routes::routes())
        .merge(pages::routes())
        .merge(control::routes())
        .merge(audit::stage::routes())
        .merge(basic_block::routes::routes())
        .fallback(not_found)
        .with_state(state.clone());
    let app = if state.context_path.is_empty() {
        app
    } else {
        Router::new()
            .nest(&state.context_path, app)
            .fallback(not_found)
    };
    // Every stage runs before routing (the token-auth mirror rewrites the URI),
    // so the pipeline is the service of a router with nothing but a fallback.
    Router::new().fallback_service(pipeline::Pipeline::new(state, app))
}

async fn not_found() -> Response {
    respond::not_found_page()
}
