//! Confluence's own OAuth 2 provider (F-OAUTH-1/2): the authorization-code grant
//! with PKCE, refresh tokens, and the bearer check for the tokens it issues.
//!
//! - `GET /rest/oauth2/latest/authorize` for a logged-in user (session, Basic, …)
//!   answers `302` to the client's `redirect_uri` with `code` and `state`; the
//!   consent screen is taken as accepted (the mock has no UI). Anonymous callers
//!   are sent to the login page like any page (F-ANON-1). An unknown client or a
//!   `redirect_uri` that is not the registered one is a `400` and never a redirect
//!   (RFC 6749 §4.1.2.1); other request errors redirect with `error=`.
//! - `POST /rest/oauth2/latest/token` (form; client authenticated by
//!   `client_id` + `client_secret` in the form): `authorization_code` (single-use
//!   code, 10 minutes, same client and `redirect_uri`, PKCE S256 checked when the
//!   authorization carried a `code_challenge`) and `refresh_token` (rotated: the
//!   old refresh token dies). Access tokens live `access_token_ttl` (F-OAUTH-1:
//!   3600 s), refresh tokens 90 days. Errors are RFC 6749 JSON: `invalid_client`
//!   401, others 400. No introspection endpoint (F-OAUTH-1).
//! - Bearer handling (F-OAUTH-2): a live access token makes its user the caller
//!   and the response `Cache-Control: private`; a dead or unknown one is "not
//!   authenticated" and the request goes on anonymously, with no
//!   `WWW-Authenticate: Bearer` ever sent.
//!
//! PKCE: only `S256` is accepted (`plain` is refused as `invalid_request`); a
//! request without `code_challenge` is allowed (PKCE optional, inferred).
//! Only SHA-256 hashes of codes and tokens are stored, each kind capped.
//!
//! [`store`] the codes and tokens, [`authenticate`] the bearer step of Seraph's
//! token chain, [`routes`] the two endpoints.

pub mod authenticate;
pub mod routes;
pub mod store;

pub use store::{CODE_TTL, MAX_CODES, MAX_TOKENS, OauthStore, REFRESH_TOKEN_TTL};
