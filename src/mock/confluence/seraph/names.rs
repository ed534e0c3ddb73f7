//! Seraph's names on the wire: its cookies and headers. A leaf: the pages, the
//! rate limiter (UI requests), XSRF and the stamp all read them.

use axum::http::HeaderName;

pub const SESSION_COOKIE: &str = "JSESSIONID";
pub const REMEMBER_ME_COOKIE: &str = "seraph.confluence";
pub const X_SERAPH_LOGIN_REASON: HeaderName = HeaderName::from_static("x-seraph-loginreason");
pub const X_AUSERNAME: HeaderName = HeaderName::from_static("x-ausername");

/// Lifetime of the remember-me cookie and its token (F-SESS-2: Max-Age 1209600).
pub const REMEMBER_ME_SECS: u64 = 1_209_600;
