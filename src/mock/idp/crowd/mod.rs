//! Crowd SSO on the IdP (F-CROWD-1..4): [`sessions`] the session store,
//! [`service`] Crowd's REST session resource over it, which the mock
//! Confluence's Crowd client calls over HTTP.

pub mod service;
pub mod sessions;

pub use service::{MAX_FACTOR_LEN, MAX_FACTORS, routes};
pub use sessions::{CrowdSessions, Factor, MAX_SESSIONS, SESSION_IDLE, SessionInfo, Validation};
