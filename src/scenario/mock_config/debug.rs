//! What `Debug` shows in place of a password or secret of the configuration:
//! a Debug line ends up in panic messages.

/// What Debug shows in place of a password, secret or token.
pub(super) const REDACTED_IN_DEBUG: &str = "[redacted]";
