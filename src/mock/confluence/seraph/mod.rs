//! Authentication the way Seraph does it (F-BASIC-*, F-SESS-*): who is calling,
//! what a failed login answers, and the headers every response carries. One
//! concern a file, none importing this one:
//!
//! - [`names`]: Seraph's cookies and headers.
//! - [`basic`]: the Basic header (F-BASIC-4); [`auth_type`]: `os_authType`
//!   (F-BASIC-3); [`credentials`]: what the `slow_auth` fault waits for.
//! - [`authenticate`](mod@authenticate): the stage (session, remember-me, Crowd SSO, Basic, then
//!   [`tokens`], the token authenticators in order).
//! - [`stamp`](mod@stamp): the headers added on the way out, and the OAuth 1 challenge on
//!   every 401 (F-BASIC-8); [`cookies`]: the `Set-Cookie` values.

pub mod auth_type;
pub mod authenticate;
pub mod basic;
pub mod cookies;
pub mod credentials;
pub mod names;
pub mod stamp;
pub mod tokens;

pub use authenticate::authenticate;
pub use credentials::SLOW_AUTH_DELAY;
pub use names::{REMEMBER_ME_COOKIE, SESSION_COOKIE, X_AUSERNAME, X_SERAPH_LOGIN_REASON};
pub use stamp::{Stamp, oauth_challenge, stamp};
