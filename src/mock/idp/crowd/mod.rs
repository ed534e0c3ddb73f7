//! Crowd SSO on the IdP (F-CROWD-1..4): [`sessions`] the session store Confluence
//! shares, [`service`] Crowd's REST session resource over it.

pub mod service;
pub mod sessions;

pub use service::{MAX_FACTOR_LEN, MAX_FACTORS, routes};
pub use sessions::{CrowdSessions, Factor, MAX_SESSIONS, SESSION_IDLE, SessionInfo, Validation};
