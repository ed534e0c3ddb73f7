//! What one token authenticator (PAT, native OAuth, the plugin's bearer check,
//! Connect JWT) made of a request: the contract between those modules and
//! Seraph's token chain.

use axum::response::Response;

use super::caller::AuthMethod;

/// What one token authenticator made of a request.
#[derive(Debug)]
pub enum TokenVerdict {
    /// Not a token of its kind: the next authenticator looks.
    Pass,
    /// Its kind, but invalid, expired or revoked: no one else looks and the request
    /// goes on anonymously (F-PAT-2, F-OAUTH-2: never a 401 by itself).
    Anonymous,
    /// The token names this (stored) user.
    User(String, AuthMethod),
    /// The request ends here with this answer (verifiers that refuse bad tokens,
    /// like a REST-auth plugin's bearer or Connect JWT).
    Reject(Response),
}
