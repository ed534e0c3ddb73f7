//! Data Center's own Basic-auth block (F-BASIC-9/10), native since Confluence
//! 7.16 (earlier with the "SSO for Atlassian Data Center" app): an administrator
//! turns Basic credentials off, with an allowlist of paths and users.
//!
//! - [`rules`]: the configuration as it stands, and whom it lets through.
//! - [`stage`]: the filter in front of Seraph, and the session it ends afterwards.
//! - [`routes`]: `GET`/`PUT /rest/basicauth/1.0/config`.

pub mod routes;
pub mod rules;
pub mod stage;
