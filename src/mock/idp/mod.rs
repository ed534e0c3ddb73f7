//! The identity provider served beside the mock Confluence (emulator.md, "Identity
//! provider"): OIDC discovery, JWKS, `POST /token` (client_credentials, password,
//! refresh_token), RFC 7662 introspection (F-OAUTH-4), userinfo with RFC 6750 errors
//! (F-OAUTH-5) and RFC 7009 revocation. It is the IdP a REST-auth plugin asks
//! (F-OAUTH-3, F-PLUG-7), and a vendor can point a real plugin at it (`tollgate mock`).
//!
//! Its own axum server on its own port, so a scenario can take it down mid-run
//! (`POST /__tollgate/down`) and prove the plugin fails closed. [`router`] plus
//! [`IdpState`]; the mock's server module serves it.
//!
//! Modules, one concern each, none importing this file: [`state`] (what an
//! instance knows), [`error`] (JSON answers and RFC 6749 errors), [`form`]
//! (strict form bodies), [`client_auth`] (client_secret_basic /
//! client_secret_post), [`tokens`] (the capped store), [`issue`] (minting JWT or
//! opaque tokens), [`routes`] (the OAuth endpoints), [`control`] (mock-only
//! `/__tollgate/*`), [`crowd`] (the Crowd SSO session service, F-CROWD-*, which
//! the Confluence side calls over HTTP).

pub mod client_auth;
pub mod control;
pub mod crowd;
pub mod error;
pub mod form;
pub mod issue;
pub mod log;
pub mod routes;
pub mod state;
pub mod tokens;

use axum::Router;
use axum::routing::{get, post};

pub use error::{OAuthError, REALM, json};
pub use state::{GENERATED_KEY_NAME, IdpState, SigningKeyError, select_signing_key};
pub use tokens::MAX_TOKENS;

/// The IdP's routes. Served on its own listener (not under Confluence's context path).
pub fn router(state: IdpState) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(routes::discovery))
        .route("/jwks", get(routes::jwks))
        .route("/token", post(routes::token))
        .route("/introspect", post(routes::introspect))
        .route("/userinfo", get(routes::userinfo).post(routes::userinfo))
        .route("/revoke", post(routes::revoke))
        .merge(crowd::service::routes())
        .merge(control::routes())
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> OAuthError {
    OAuthError::not_found()
}
