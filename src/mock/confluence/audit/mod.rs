//! The REST-auth plugin's audit log (F-PLUG-6) and its mock-only reader,
//! `GET <ctx>/__tollgate/audit` → `{"entries":[…]}`, oldest first.
//!
//! With a plugin configured, the audit stage ([`begin`] and [`finish`] in
//! [`stage`], outside authentication, so it sees every refusal too) appends one entry a REST API request (`<ctx>/rest/…`):
//! `{time, user, method, path, status, client_ip, auth_method}`. `time` is Unix
//! seconds on the mock's clock; `user` is the authenticated user or `anonymous`
//! (a refused login is anonymous: the name it claimed is not trusted);
//! `auth_method` is how the user was authenticated, or null. The path is logged
//! without its query, so no `jwt=`, `atl_token` or other secret ever enters the
//! log; headers and bodies never do.
//!
//! Trimming (F-PLUG-6: "after a number of days or entries"): at most
//! `audit.max_entries` entries (the oldest go first; never more than
//! [`HARD_MAX_ENTRIES`]) and none older than `audit.max_age` on the mock's
//! clock, applied on every append and every read. The `audit_missing` fault
//! records nothing.

pub mod log;
pub mod stage;

pub use log::{AuditLog, Entry, HARD_MAX_ENTRIES};
pub use stage::{Pending, begin, finish, routes};
