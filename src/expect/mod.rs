//! Judging a response against a step's `expect`.
//!
//! Every missed expectation becomes a [`Failure`] that carries what was expected,
//! what came (redacted), and where the expectation is written.

pub mod capture;
pub mod idp;
mod matcher;

use std::time::Duration;

use cookie::Cookie;
use serde_json::Value;

use crate::report::model::{Check, CookieAttribute, Failure, SourceLoc};
use crate::report::redact::Redactor;
use crate::scenario::de::Spanned;
use crate::scenario::plan::{CookieExpect, Expect, Matcher, Query};
use crate::scenario::template::Scope;
use crate::scenario::yaml::Pos;
pub use matcher::{Subject, check};

/// What came back, as the judge needs it.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// In arrival order; names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Response {
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The cookies the response sets, by `Set-Cookie`; unparsable ones are skipped.
    pub fn set_cookies(&self) -> Vec<Cookie<'static>> {
        self.header_values("set-cookie")
            .filter_map(|v| Cookie::parse(v.to_string()).ok())
            .collect()
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Everything `response` misses of `expect` (not of its `should`); `scope` fills
/// in `${name}` in expected values.
pub fn judge(
    expect: &Expect,
    response: &Response,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<Failure> {
    let mut judge = Judge {
        response,
        file,
        scope,
        redactor,
        failures: Vec::new(),
    };
    if let Some(status) = &expect.status {
        if !status.matches(response.status) {
            judge.fail(
                Check::Status,
                status.to_string(),
                response.status.to_string(),
                status.pos,
            );
        }
    }
    for (name, matcher) in &expect.headers {
        judge.header(name, matcher);
    }
    if !expect.cookies.is_empty() {
        let cookies = response.set_cookies();
        for (name, cookie_expect) in &expect.cookies {
            judge.cookie(name, cookie_expect, &cookies);
        }
    }
    if !expect.json.is_empty() {
        let document = response.json();
        for (path, matcher) in &expect.json {
            judge.json(path, matcher, document.as_ref());
        }
    }
    if let Some(matcher) = &expect.body {
        let text = response.body_text();
        if let Err(miss) = check(&matcher.inner, Subject::Body(&text), scope) {
            judge.fail(
                Check::Body,
                redactor.text(&miss),
                describe_body(response, redactor),
                matcher.pos,
            );
        }
    }
    if let Some(limit) = &expect.duration {
        if response.elapsed > limit.max.get() {
            judge.fail(
                Check::Duration,
                format!("at most {}", limit.max),
                format!("{}ms", response.elapsed.as_millis()),
                limit.pos,
            );
        }
    }
    judge.failures
}

/// Everything `response` misses of `expect.should`: warnings, judged as `expect` is.
pub fn judge_should(
    expect: &Expect,
    response: &Response,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<Failure> {
    expect
        .should
        .as_ref()
        .map(|should| judge(should, response, file, scope, redactor))
        .unwrap_or_default()
}

/// One response being judged, and what it missed so far.
struct Judge<'a> {
    response: &'a Response,
    file: &'a str,
    scope: &'a Scope,
    redactor: &'a Redactor,
    failures: Vec<Failure>,
}

impl Judge<'_> {
    fn fail(&mut self, check: Check, expected: String, actual: String, pos: Pos) {
        self.failures.push(Failure {
            check,
            expected,
            actual,
            source: SourceLoc {
                file: self.file.to_string(),
                line: pos.line,
                col: pos.col,
            },
        });
    }

    fn header(&mut self, name: &str, matcher: &Spanned<Matcher>) {
        let raw: Vec<&str> = self.response.header_values(name).collect();
        if let Err(miss) = check(&matcher.inner, Subject::Texts(&raw), self.scope) {
            // Redacted only for the message: a load judges every response.
            let values: Vec<String> = raw.iter().map(|v| self.redactor.header(name, v)).collect();
            let actual = if values.is_empty() {
                "(absent)".into()
            } else {
                values.join(" | ")
            };
            let expected = self.redactor.text(&miss);
            self.fail(
                Check::Header(name.to_string()),
                expected,
                actual,
                matcher.pos,
            );
        }
    }

    fn cookie(&mut self, name: &str, expect: &Spanned<CookieExpect>, cookies: &[Cookie<'_>]) {
        let found = cookies.iter().find(|c| c.name() == name);
        for (attribute, expected, actual) in judge_cookie(expect, found, self.scope) {
            let check = Check::Cookie {
                name: name.to_string(),
                attribute,
            };
            let expected = self.redactor.text(&expected);
            self.fail(check, expected, actual, expect.pos);
        }
    }

    fn json(&mut self, path: &Query, matcher: &Spanned<Matcher>, document: Option<&Value>) {
        let check_name = Check::Json(path.to_string());
        let Some(document) = document else {
            let actual = describe_body(self.response, self.redactor);
            self.fail(check_name, "a JSON body".into(), actual, matcher.pos);
            return;
        };
        let query = match path.resolve(self.scope) {
            Ok(query) => query,
            Err(e) => {
                // The path was filled in from the scope: it may hold a secret.
                let actual = self.redactor.text(&e.to_string());
                self.fail(check_name, "a valid JSONPath".into(), actual, matcher.pos);
                return;
            }
        };
        let nodes = query.query(document).all();
        if let Err(miss) = check(&matcher.inner, Subject::Json(&nodes), self.scope) {
            let actual = match nodes.as_slice() {
                [] => "(nothing)".to_string(),
                [one] => one.to_string(),
                many => Value::Array(many.iter().map(|v| (*v).clone()).collect()).to_string(),
            };
            let (expected, actual) = (self.redactor.text(&miss), self.redactor.text(&actual));
            self.fail(check_name, expected, actual, matcher.pos);
        }
    }
}

/// The start of a body, as a failure shows it: redacted whole first, then cut
/// to 200 characters, so a secret straddling the cut leaves nothing behind.
fn describe_body(response: &Response, redactor: &Redactor) -> String {
    const SHOWN: usize = 200;
    let text = response.body_text();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let redacted = redactor.text(&text);
    let mut shown: String = redacted.chars().take(SHOWN).collect();
    if shown.len() < redacted.len() {
        shown.push('…');
    }
    shown
}

/// Misses of one cookie expectation: (the attribute, or none for the cookie
/// itself; expected; actual).
fn judge_cookie(
    expect: &Spanned<CookieExpect>,
    found: Option<&Cookie<'_>>,
    scope: &Scope,
) -> Vec<(Option<CookieAttribute>, String, String)> {
    let mut misses = Vec::new();
    let wants_present = expect.present != Some(false) && expect.absent != Some(true);
    let Some(cookie) = found else {
        if wants_present {
            misses.push((None, "set by the response".into(), "not set".into()));
        }
        return misses;
    };
    if !wants_present {
        misses.push((None, "not set".into(), "set".into()));
        return misses;
    }
    let flag = |on: bool| if on { "set" } else { "not set" }.to_string();
    if let Some(secure) = expect.secure {
        if cookie.secure().unwrap_or(false) != secure {
            misses.push((Some(CookieAttribute::Secure), flag(secure), flag(!secure)));
        }
    }
    if let Some(http_only) = expect.http_only {
        if cookie.http_only().unwrap_or(false) != http_only {
            misses.push((
                Some(CookieAttribute::HttpOnly),
                flag(http_only),
                flag(!http_only),
            ));
        }
    }
    if let Some(same_site) = &expect.same_site {
        let actual = cookie
            .same_site()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "(none)".into());
        if !actual.eq_ignore_ascii_case(same_site) {
            misses.push((Some(CookieAttribute::SameSite), same_site.clone(), actual));
        }
    }
    if let Some(path) = &expect.path {
        let actual = cookie.path().unwrap_or("(none)").to_string();
        if &actual != path {
            misses.push((Some(CookieAttribute::Path), path.clone(), actual));
        }
    }
    if let Some(matcher) = &expect.value {
        if let Err(miss) = check(matcher, Subject::Texts(&[cookie.value()]), scope) {
            // A cookie's value is a credential: the report says only that it missed.
            misses.push((
                Some(CookieAttribute::Value),
                miss,
                crate::report::redact::REDACTED.into(),
            ));
        }
    }
    misses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_straddling_the_shown_part_of_a_body_leaves_nothing_behind() {
        // Issue 12, item 3: the first 200 characters were cut before redacting,
        // so a secret across character 200 showed its first characters.
        const SECRET: &str = "Body-Secret-abcdefghijklmnop";
        let mut redactor = Redactor::new();
        redactor.add_secret(SECRET);
        for before_cut in [3, 10, SECRET.len() - 1] {
            let body = format!(
                "{}{SECRET} and then {}",
                "b".repeat(200 - before_cut),
                "more ".repeat(20)
            );
            let response = Response {
                status: 200,
                headers: Vec::new(),
                body: body.into_bytes(),
                elapsed: Duration::ZERO,
            };
            let shown = describe_body(&response, &redactor);
            assert!(!shown.contains("Bod"), "{shown}");
            assert!(shown.ends_with('…'), "{shown}");
        }
    }
}
