//! The Basic-auth block's configuration as it stands (an administrator may change
//! it at run time) and whom it lets through (F-BASIC-9/10).

use crate::mock::confluence::patterns::star_glob;
use crate::scenario::mock_config::BasicAuthBlockConfig;

/// Whether the block judges an `Authorization` value at all: it names the Basic
/// scheme, matched ignoring case (F-BASIC-10), or exactly `Basic ` with the
/// `basic_block_case_sensitive` fault.
pub fn is_basic(authorization: &[u8], case_sensitive: bool) -> bool {
    if case_sensitive {
        return authorization.starts_with(b"Basic ");
    }
    authorization.len() >= 6 && authorization[..6].eq_ignore_ascii_case(b"basic ")
}

/// What the block says of one Basic request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Blocking is off: Seraph handles the request as ever.
    NotBlocking,
    /// An allowed path or user: the request goes on, but its session is ended
    /// once it is answered.
    Allowed,
    Blocked,
}

/// Judges a Basic request for `path` (relative to the context path) claiming
/// `user` (the name before the first colon; empty when it does not decode).
pub fn judge(config: &BasicAuthBlockConfig, path: &str, user: &str) -> Judgement {
    if !config.block_requests {
        return Judgement::NotBlocking;
    }
    let path_allowed = config
        .allowed_paths
        .iter()
        .any(|p| wildcard(p.trim(), path, true));
    let user_allowed = !user.is_empty()
        && config
            .allowed_users
            .iter()
            .any(|u| wildcard(u.trim(), user, false));
    if path_allowed || user_allowed {
        Judgement::Allowed
    } else {
        Judgement::Blocked
    }
}

/// `*` stands for any run of characters, nothing else is special (the allowlist
/// doc: "accepts wildcard (“*”) which replaces any list of characters"). The
/// whole text must match. Iterative, backtracking to the last `*` only.
fn wildcard(pattern: &str, text: &str, case_sensitive: bool) -> bool {
    let chars = |s: &str| s.chars().collect::<Vec<char>>();
    star_glob(&chars(pattern), &chars(text), case_sensitive, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(paths: &[&str], users: &[&str]) -> BasicAuthBlockConfig {
        BasicAuthBlockConfig {
            block_requests: true,
            allowed_paths: paths.iter().map(|s| (*s).to_owned()).collect(),
            allowed_users: users.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn the_scheme_is_matched_ignoring_case_unless_the_fault_says_otherwise() {
        assert!(is_basic(b"Basic YQ==", false));
        assert!(is_basic(b"basic YQ==", false));
        assert!(is_basic(b"BASIC YQ==", false));
        assert!(!is_basic(b"basic YQ==", true));
        assert!(!is_basic(b"Bearer x", false));
        assert!(!is_basic(b"Basi", false));
    }

    #[test]
    fn allowed_paths_and_users_take_wildcards() {
        let c = config(&["/rest/greenhopper/*"], &["admin", "svc-*"]);
        assert_eq!(
            judge(&c, "/rest/greenhopper/1.0/x", "bob"),
            Judgement::Allowed
        );
        assert_eq!(judge(&c, "/rest/api/space", "ADMIN"), Judgement::Allowed);
        assert_eq!(
            judge(&c, "/rest/api/space", "svc-build"),
            Judgement::Allowed
        );
        assert_eq!(judge(&c, "/rest/api/space", "bob"), Judgement::Blocked);
        assert_eq!(
            judge(&c, "/REST/greenhopper/1.0/x", "bob"),
            Judgement::Blocked
        );
        assert_eq!(judge(&c, "/rest/api/space", ""), Judgement::Blocked);
        let off = BasicAuthBlockConfig::default();
        assert_eq!(
            judge(&off, "/rest/api/space", "bob"),
            Judgement::NotBlocking
        );
        // `?` is not special, and the whole text must match.
        assert!(wildcard("/a?", "/a?", true) && !wildcard("/a?", "/ab", true));
        assert!(!wildcard("/rest", "/rest/api", true));
        assert!(wildcard("*", "", true));
    }
}
