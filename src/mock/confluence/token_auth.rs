//! The `/rest/token-auth/api/` mirror (F-TOKAUTH-1..3).
//!
//! Every `/rest/api/…` resource is also served at `<ctx>/rest/token-auth/api/…`
//! (F-TOKAUTH-1), but blocked unless a whitelist url-pattern matches the path.
//! A blocked request is dropped without calling the resource and without setting
//! a status, so the client sees `200` with an empty body (F-TOKAUTH-2, inferred):
//! "blocked" shows only as the missing payload.
//!
//! Patterns (`token_auth.whitelist`) are relative to the context path and
//! include the prefix, e.g. `/rest/token-auth/api/content/*/child/attachment`
//! (emulator.md). They match the way Seraph's `DefaultPathMapper` does
//! (F-TOKAUTH-3): `*` any run of characters, `/` included; `?` one character;
//! case-insensitive; `//` collapsed to `/` in paths and patterns; exact patterns
//! are looked up before wildcard ones; `/`, `*` and `/*` match every path. The
//! query string is never part of the match.
//!
//! The [`mirror`] stage runs after authentication and before routing: an allowed
//! request has its URI rewritten to `<ctx>/rest/api/…` and goes on to the same
//! handler (which still sees the original URI through `OriginalUri`).

use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::State;
use crate::scenario::mock_config::Fault;

/// The mirrored prefix, relative to the context path (F-TOKAUTH-1).
pub const PREFIX: &str = "/rest/token-auth/api";

/// `//` (and longer runs) collapsed to `/`.
fn collapse(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Whether `pattern` has a wildcard.
fn is_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Glob match of `*` (any run, `/` included) and `?` (one character), with
/// backtracking on the last `*` only, so it is linear-ish and never recursive.
pub(super) fn glob(pattern: &[char], text: &[char], case_sensitive: bool) -> bool {
    let same = |a: char, b: char| {
        if case_sensitive {
            a == b
        } else {
            a.to_lowercase().eq(b.to_lowercase())
        }
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len()
            && (pattern[p] == '?' || (pattern[p] != '*' && same(pattern[p], text[t])))
        {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Whether one url-pattern matches `path` (F-TOKAUTH-3).
pub fn pattern_matches(pattern: &str, path: &str, case_sensitive: bool) -> bool {
    let pattern = collapse(pattern.trim());
    let path = collapse(path);
    if matches!(pattern.as_str(), "/" | "*" | "/*") {
        return true;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = path.chars().collect();
    glob(&p, &t, case_sensitive)
}

/// The configured url-patterns, exact ones apart from wildcard ones.
#[derive(Clone, Debug, Default)]
pub struct Whitelist {
    exact: Vec<String>,
    wildcard: Vec<String>,
}

impl Whitelist {
    pub fn new(patterns: &[String]) -> Self {
        let mut list = Self::default();
        for pattern in patterns.iter().map(|p| collapse(p.trim())) {
            if pattern.is_empty() {
                continue;
            }
            if is_wildcard(&pattern) || pattern == "/" {
                list.wildcard.push(pattern);
            } else {
                list.exact.push(pattern);
            }
        }
        list
    }

    /// Whether `path` (relative to the context path, no query) is whitelisted.
    /// Exact patterns are tried first, then wildcards (F-TOKAUTH-3); for a yes/no
    /// answer the order only saves work.
    pub fn allows(&self, path: &str, case_sensitive: bool) -> bool {
        let path = collapse(path);
        let lower = path.to_lowercase();
        let exact = |p: &String| {
            if case_sensitive {
                *p == path
            } else {
                p.to_lowercase() == lower
            }
        };
        self.exact.iter().any(exact)
            || self
                .wildcard
                .iter()
                .any(|p| pattern_matches(p, &path, case_sensitive))
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.wildcard.is_empty()
    }
}

/// The part of `relative` after [`PREFIX`], if it is a token-auth path.
fn mirrored(relative: &str) -> Option<&str> {
    let rest = relative.strip_prefix(PREFIX)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The mirror stage (F-TOKAUTH-1/2): blocks what the whitelist does not allow
/// (`Some`: the empty `200`), and points the rest at the `/rest/api/` resource of
/// the same path.
pub fn mirror(state: &State, req: &mut Request) -> Option<Response> {
    let relative = state.relative(req.uri().path());
    let rest = mirrored(relative)?;
    let open = state.faults.has(Fault::TokenAuthOpen);
    let case_sensitive = state.faults.has(Fault::TokenAuthCaseSensitive);
    if !open && !state.token_auth.allows(relative, case_sensitive) {
        // F-TOKAUTH-2: the resource is not called and no status is set.
        return Some(StatusCode::OK.into_response());
    }
    // The resource is found the way the whitelist matched: `//` collapsed.
    let mut target = state.path(&format!("/rest/api{}", collapse(rest)));
    if let Some(query) = req.uri().query() {
        target.push('?');
        target.push_str(query);
    }
    match target.parse::<Uri>() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(_) => return Some(StatusCode::OK.into_response()),
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        pattern_matches(pattern, path, false)
    }

    #[test]
    fn star_spans_slashes_and_question_mark_is_one_character() {
        let p = "/rest/token-auth/api/content/*/child/attachment";
        assert!(m(p, "/rest/token-auth/api/content/65537/child/attachment"));
        assert!(m(p, "/rest/token-auth/api/content/a/b/c/child/attachment"));
        assert!(!m(p, "/rest/token-auth/api/content/65537/child/comment"));
        assert!(!m(
            p,
            "/rest/token-auth/api/content/65537/child/attachment/x"
        ));
        assert!(m(
            "/rest/token-auth/api/*",
            "/rest/token-auth/api/space/TST/x"
        ));
        assert!(m(
            "/rest/token-auth/api/space/???",
            "/rest/token-auth/api/space/TST"
        ));
        assert!(!m(
            "/rest/token-auth/api/space/???",
            "/rest/token-auth/api/space/TS"
        ));
        assert!(!m(
            "/rest/token-auth/api/space/???",
            "/rest/token-auth/api/space/TSTX"
        ));
        assert!(m(
            "*attachment",
            "/rest/token-auth/api/content/1/child/attachment"
        ));
        assert!(m("/a*b*c", "/a/x/b/y/c"));
        assert!(!m("/a*b*c", "/a/x/b/y/d"));
        assert!(m("/a**", "/a"));
        assert!(m("/a/*", "/a/"));
        assert!(!m("/a/*", "/a"));
    }

    #[test]
    fn case_insensitive_unless_the_fault_says_otherwise() {
        let p = "/rest/token-auth/api/CONTENT/*";
        assert!(m(p, "/rest/token-auth/api/content/65537"));
        assert!(m(
            "/REST/token-auth/api/space",
            "/rest/TOKEN-AUTH/api/SPACE"
        ));
        assert!(!pattern_matches(
            p,
            "/rest/token-auth/api/content/65537",
            true
        ));
        assert!(pattern_matches(
            p,
            "/rest/token-auth/api/CONTENT/65537",
            true
        ));
    }

    #[test]
    fn double_slashes_collapse_in_paths_and_patterns() {
        assert!(m(
            "/rest/token-auth/api/space",
            "/rest//token-auth///api/space"
        ));
        assert!(m(
            "//rest/token-auth/api//space",
            "/rest/token-auth/api/space"
        ));
        assert_eq!(collapse("//a///b/"), "/a/b/");
    }

    #[test]
    fn slash_star_and_slash_star_match_everything() {
        for p in ["/", "*", "/*", " /* "] {
            assert!(m(p, "/rest/token-auth/api/anything/at/all"), "{p}");
            assert!(m(p, "/"), "{p}");
        }
        assert!(!m(
            "/rest/token-auth/api/space",
            "/rest/token-auth/api/space/TST"
        ));
        assert!(!m("", "/rest/token-auth/api/space"));
    }

    #[test]
    fn whitelist_tries_exact_then_wildcards() {
        let list = Whitelist::new(&[
            "/rest/token-auth/api/space".into(),
            "/rest/token-auth/api/content/*/child/attachment".into(),
            "".into(),
        ]);
        assert_eq!(list.exact.len(), 1);
        assert_eq!(list.wildcard.len(), 1);
        assert!(list.allows("/rest/token-auth/api/space", false));
        assert!(list.allows("/rest/token-auth/api/SPACE", false));
        assert!(!list.allows("/rest/token-auth/api/SPACE", true));
        assert!(!list.allows("/rest/token-auth/api/space/TST", false));
        assert!(list.allows("/rest/token-auth/api/content/1/child/attachment", false));
        assert!(!Whitelist::new(&[]).allows("/rest/token-auth/api/space", false));
        assert!(Whitelist::new(&["/".into()]).allows("/rest/token-auth/api/x", false));
        assert!(Whitelist::new(&[]).is_empty());
    }

    #[test]
    fn only_the_prefix_and_below_is_mirrored() {
        assert_eq!(mirrored("/rest/token-auth/api/space"), Some("/space"));
        assert_eq!(mirrored("/rest/token-auth/api"), Some(""));
        assert_eq!(mirrored("/rest/token-auth/apix"), None);
        assert_eq!(mirrored("/rest/api/space"), None);
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let pattern = "*a".repeat(50) + "b";
        let path = "a".repeat(5_000);
        assert!(!m(&pattern, &path));
    }
}
