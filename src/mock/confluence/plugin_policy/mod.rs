//! A REST-auth plugin's access policies (F-PLUG-1..4, seed 003), for REST API
//! paths (`<ctx>/rest/…`) when `plugin:` is configured. Two stages:
//!
//! - [`gate`], before authentication: the IP allowlist (F-PLUG-2; outside → 403)
//!   and "disable Basic authentication" (F-PLUG-3; any `Authorization: Basic …`,
//!   whatever its case, gets `reject_status` before Seraph reads it, so a refused
//!   Basic login neither opens a session nor counts toward the CAPTCHA).
//! - [`authorize`], after authentication: "restrict public APIs" (F-PLUG-4;
//!   anonymous on a listed path → 401 with F-ANON-3's body), allowed groups
//!   (F-PLUG-1; a user in none of `api_groups` → `reject_status`; a member of a
//!   read-only group counts as allowed; anonymous callers are not judged here,
//!   Confluence's own rules decide), read-only groups (F-PLUG-1; anything but
//!   GET/HEAD/OPTIONS → 403).
//!
//! `bypass` patterns (F-PLUG-4) are not judged by either stage (bypass wins over
//! `restrict_public`); Confluence's own authentication still applies. Patterns
//! match like Seraph's url-patterns (`patterns::pattern_matches`: `*` any run,
//! case-insensitive), relative to the context path.
//!
//! The client address (F-PLUG-2) is the TCP peer, or behind proxies listed in
//! `trusted_proxies` the first untrusted address walking `client_ip_header`
//! right to left; an untrusted peer's header is ignored. `reject_status` is the
//! vendor-specific status of F-PLUG-3 (401 by default; any value outside
//! 400..=599 reads as 401).

pub mod policy;
pub mod stage;

pub use policy::Policy;
pub use stage::{authorize, client_address, gate};
