//! The REST-auth plugin's per-token rate limit (F-PLUG-5): at most `requests`
//! requests per `per` for each token.
//!
//! Only requests that Seraph's authenticate stage let in with a token count:
//! a PAT, a native OAuth token, a plugin-validated bearer token or a Connect JWT
//! (`AuthMethod::is_token`). Passwords and sessions are not the plugin's tokens. Windows
//! are fixed and start at a token's first request, on the mock's clock; beyond the
//! limit the answer is `429` with a JSON body and `Retry-After` (seconds until the
//! window ends). Tokens are keyed by the SHA-256 of the token that authenticated
//! the request, as its authenticator read it (`AuthenticatedToken`), never by
//! the value itself nor by the raw header (whose spelling a client chooses), and
//! at most [`MAX_TOKENS`] are kept (least recently used goes first).
//!
//! The stage ([`check`], in [`stage`]) sits right after the Data Center limiter;
//! the windows are [`limiter`], a least-recently-used `BoundedStore`.

pub mod limiter;
pub mod stage;

pub use limiter::{MAX_TOKENS, PluginRateLimiter};
pub use stage::check;
