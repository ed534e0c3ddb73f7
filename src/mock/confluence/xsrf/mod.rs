//! The REST XSRF check (F-XSRF-1..4), as atlassian-rest's `XsrfResourceFilter`
//! applies it to REST resources.
//!
//! - Scope: REST resources only (`<ctx>/rest/…`), never `GET`. The login form
//!   (`/dologin.action`) is a Seraph servlet, not a REST resource, so this filter
//!   does not see it (real Confluence protects forms with its own `atl_token`
//!   action interceptor; the mock does not). The OAuth 2 protocol endpoints under
//!   `/rest/oauth2/` are excluded as Confluence excludes them
//!   (`@XsrfProtectionExcluded`): an OAuth client posts forms with no token.
//! - F-XSRF-1: only requests whose Content-Type is missing,
//!   `application/x-www-form-urlencoded`, `multipart/form-data` or `text/plain`
//!   are checked. A Content-Type that cannot be read counts as missing (fail closed).
//! - F-XSRF-2: they pass with `X-Atlassian-Token: no-check` (or `nocheck`, any
//!   case) or a valid `atl_token`; otherwise a `POST` gets `403` with the body
//!   `XSRF check failed`, while `PUT`/`DELETE`/`PATCH` (and `HEAD`/`OPTIONS`) are
//!   only logged by Confluence, so the mock lets them through.
//! - F-XSRF-3: a `POST` from a browser (a User-Agent containing `Mozilla/`),
//!   JSON included, also needs an `Origin` (or, without one, a `Referer`) of the
//!   same scheme, host and port as the base URL; else `403`.
//! - F-XSRF-4: the token is a session attribute, not a cookie: it is derived from
//!   the live `JSESSIONID` with a per-instance secret (so the mock stores nothing
//!   more), shown in pages as `<meta name="ajs-atl-token" content="…">`, and read
//!   from the query or a form-encoded body as `atl_token`. Without a session
//!   there is no valid token. A multipart body is not searched for it (servlet
//!   `getParameter` does not parse multipart): use the query or the header.
//!
//! The `xsrf_off` fault drops the token requirement (F-XSRF-2) only; the browser
//! origin check stays, so the fault breaks exactly one fact.

pub mod stage;
pub mod token;

pub use stage::{
    FAILED_BODY, MAX_FORM_BYTES, TOKEN_HEADER, TOKEN_PARAM, check, meta_tag, session_token,
};
pub use token::TokenKey;
