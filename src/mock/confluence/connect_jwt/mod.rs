//! The Atlassian Connect JWT filter of the emulated Confluence (F-TOKAUTH-4,
//! F-JWT-1..4): a pure function from a request's method, path, query and
//! `Authorization` header to "no token", "this user" or "refuse with this status".
//!
//! Seraph's token chain calls [`ConnectJwtVerifier::verify`]; it keeps no
//! state, so it needs no lock. [`issuers`] resolves the configured issuers' keys,
//! [`verifier`] runs the checks. Time is the mock's clock (`now`), not the wall
//! clock, so scenarios can advance it past `exp`.
//!
//! Order of checks, as the server plugin does them: parse (400) → `alg` (401) →
//! `iss` picks the key from the *unverified* payload (unknown: 401 with the
//! plugin's message) → signature (401), then `sub` must be a string (400) →
//! `iat`/`exp`/`nbf` (401) → `qsh` (401) → the user: the issuer's own, or `sub`
//! where impersonation is allowed (F-JWT-2; empty `sub`: 400; no user: 403).
//! `aud` is never read (F-JWT-5: Connect's reader has no audience check).
//!
//! Faults (each breaks exactly one check; see `Fault`): `jwt_alg_none`,
//! `jwt_key_confusion`, `jwt_signature_unchecked`, `jwt_expiry_ignored`,
//! `jwt_qsh_ignored`, `jwt_unknown_issuer`, `jwt_kid_traversal`,
//! `connect_impersonation_open`.
//! `jwt_audience_ignored` belongs to the REST-auth plugin, not here: Connect never
//! looks at `aud`.

pub mod issuers;
pub mod verifier;

#[cfg(test)]
mod tests;

pub use issuers::ConnectJwtError;
pub use verifier::{ConnectJwtVerifier, JwtOutcome, UNKNOWN_ISSUER_MESSAGE};
