//! URL patterns, the two dialects the emulated servers speak. A leaf: the
//! token-auth whitelist, the REST-auth plugin's restrict/bypass lists and the
//! rate limiter's exempt list all match with it.
//!
//! - Seraph's url-patterns ([`pattern_matches`], [`Whitelist`]; F-TOKAUTH-3,
//!   F-PLUG-4), as `DefaultPathMapper` matches them: `*` any run of characters,
//!   `/` included; `?` one character; case-insensitive; `//` collapsed to `/` in
//!   paths and patterns; exact patterns are looked up before wildcard ones; `/`,
//!   `*` and `/*` match every path. The query string is never part of the match.
//! - Ant-style patterns ([`AntPattern`], F-RATE-4), as Spring's `AntPathMatcher`:
//!   `**` any number of segments, `*` and `?` within one segment, case-sensitive.
//!
//! Both run on one [`glob`]: backtracking on the last star only, so it is
//! linear-ish and never recursive, whatever the pattern.

/// `//` (and longer runs) collapsed to `/`.
pub fn collapse(path: &str) -> String {
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
pub fn glob(pattern: &[char], text: &[char], case_sensitive: bool) -> bool {
    star_glob(pattern, text, case_sensitive, Some('?'))
}

/// Glob match of `*` (any run) and, when given, `one` (any one character);
/// every other character stands for itself. The whole text must match.
pub fn star_glob(pattern: &[char], text: &[char], case_sensitive: bool, one: Option<char>) -> bool {
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
            && (Some(pattern[p]) == one || (pattern[p] != '*' && same(pattern[p], text[t])))
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

/// An ant-style URL pattern (F-RATE-4): `**` matches any number of path segments
/// (zero included), `*` any run of characters within one segment, `?` one
/// character; case-sensitive. Empty segments are ignored on both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AntPattern {
    segments: Vec<Vec<char>>,
}

impl AntPattern {
    pub fn new(pattern: &str) -> Self {
        Self {
            segments: pattern
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().collect())
                .collect(),
        }
    }

    /// Whether `path` matches. `.` and `..` segments are resolved first, so
    /// `/rest/applinks/../api/space` is judged as `/rest/api/space`.
    pub fn matches(&self, path: &str) -> bool {
        let mut segments: Vec<Vec<char>> = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                s => segments.push(s.chars().collect()),
            }
        }
        let is_globstar = |p: &Vec<char>| p.len() == 2 && p[0] == '*' && p[1] == '*';
        // Greedy match with backtracking to the last `**`, like a glob over
        // segments: linear-ish and never recursive.
        let (pattern, text) = (&self.segments, &segments);
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pattern.len()
                && !is_globstar(&pattern[p])
                && segment_matches(&pattern[p], &text[t])
            {
                p += 1;
                t += 1;
            } else if p < pattern.len() && is_globstar(&pattern[p]) {
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
        pattern[p..].iter().all(is_globstar)
    }
}

/// `*` (any run) and `?` (one character) within one segment: the token-auth
/// whitelist's glob, case-sensitive, on text that holds no `/`.
fn segment_matches(pattern: &[char], text: &[char]) -> bool {
    glob(pattern, text, true)
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
    fn pathological_patterns_stay_fast() {
        let pattern = "*a".repeat(50) + "b";
        let path = "a".repeat(5_000);
        assert!(!m(&pattern, &path));
    }
    fn matches(pattern: &str, path: &str) -> bool {
        AntPattern::new(pattern).matches(path)
    }

    #[test]
    fn globstar_matches_any_number_of_segments() {
        assert!(matches("/**/rest/capabilities", "/rest/capabilities"));
        assert!(matches(
            "/**/rest/capabilities",
            "/confluence/rest/capabilities"
        ));
        assert!(matches("/**/rest/capabilities", "/a/b/rest/capabilities/"));
        assert!(!matches("/**/rest/capabilities", "/rest/capabilities/x"));
        assert!(matches("/**/rest/applinks/**", "/rest/applinks"));
        assert!(matches(
            "/**/rest/applinks/**",
            "/wiki/rest/applinks/3.0/status"
        ));
        assert!(!matches("/**/rest/applinks/**", "/rest/applinksx/1"));
        assert!(matches("/**", "/"));
        assert!(matches("/**", "/anything/at/all"));
        assert!(matches("/a/**/b/**/c", "/a/x/b/y/z/c"));
        assert!(matches("/a/**/b/**/c", "/a/b/c"));
        assert!(!matches("/a/**/b/**/c", "/a/c/b"));
    }

    #[test]
    fn exactly_content_is_not_its_children() {
        assert!(matches("/**/rest/api/content", "/rest/api/content"));
        assert!(matches("/**/rest/api/content", "/wiki/rest/api/content"));
        assert!(!matches("/**/rest/api/content", "/rest/api/content/65537"));
        assert!(!matches("/**/rest/api/content", "/rest/api/contents"));
    }

    #[test]
    fn single_star_and_question_mark_stay_in_one_segment() {
        assert!(matches("/rest/api/content/*", "/rest/api/content/65537"));
        assert!(!matches("/rest/api/content/*", "/rest/api/content/1/child"));
        assert!(matches(
            "/rest/api/content/*/child/*",
            "/rest/api/content/1/child/attachment"
        ));
        assert!(matches("/rest/api/sp?ce", "/rest/api/space"));
        assert!(!matches("/rest/api/sp?ce", "/rest/api/spaace"));
        assert!(matches("/rest/api/*ace", "/rest/api/space"));
        assert!(matches("/rest/*/space", "/rest/api/space"));
        // Case-sensitive, like Spring's AntPathMatcher.
        assert!(!matches("/rest/api/space", "/REST/api/space"));
    }

    #[test]
    fn dot_segments_are_resolved_before_matching() {
        assert!(!matches(
            "/**/rest/applinks/**",
            "/rest/applinks/../api/space"
        ));
        assert!(matches(
            "/**/rest/capabilities",
            "/rest/./x/../capabilities"
        ));
        assert!(!matches("/rest/x", "/../../rest/y"));
    }
}
