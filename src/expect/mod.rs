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

use crate::report::model::{Check, CheckResult, CookieAttribute, Failure, Level, SourceLoc};
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
/// in `${name}` in expected values. What a load judges each answer with: it
/// keeps no evidence of the checks that held.
pub fn judge(
    expect: &Expect,
    response: &Response,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<Failure> {
    let mut judge = Judge::new(response, file, scope, redactor, Keep::Misses);
    judge.all(expect);
    judge.checks.iter().filter_map(CheckResult::miss).collect()
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

/// Every check of `expect`, then of its `should`, passed or missed: the
/// evidence of what a step asserted. Its misses are exactly what [`judge`] and
/// [`judge_should`] return.
pub fn judge_checks(
    expect: &Expect,
    response: &Response,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<CheckResult> {
    let mut checks = judge_every(expect, response, file, scope, redactor);
    if let Some(should) = &expect.should {
        let shoulds = judge_every(should, response, file, scope, redactor);
        checks.extend(shoulds.into_iter().map(|c| c.at(Level::Should)));
    }
    checks
}

/// Every check of `expect` alone (not its `should`), passed or missed, as musts.
pub fn judge_every(
    expect: &Expect,
    response: &Response,
    file: &str,
    scope: &Scope,
    redactor: &Redactor,
) -> Vec<CheckResult> {
    let mut judge = Judge::new(response, file, scope, redactor, Keep::Every);
    judge.all(expect);
    judge.checks
}

/// Which checks a judge keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Only the misses (a load's every answer: no evidence is kept).
    Misses,
    /// Every check, with what held.
    Every,
}

/// One response being judged, and what it checked so far.
struct Judge<'a> {
    response: &'a Response,
    file: &'a str,
    scope: &'a Scope,
    redactor: &'a Redactor,
    keep: Keep,
    checks: Vec<CheckResult>,
}

impl<'a> Judge<'a> {
    fn new(
        response: &'a Response,
        file: &'a str,
        scope: &'a Scope,
        redactor: &'a Redactor,
        keep: Keep,
    ) -> Self {
        Judge {
            response,
            file,
            scope,
            redactor,
            keep,
            checks: Vec::new(),
        }
    }

    fn all(&mut self, expect: &Expect) {
        if let Some(status) = &expect.status {
            let held = status.matches(self.response.status);
            self.record(
                held,
                Check::Status,
                || (status.to_string(), self.response.status.to_string()),
                status.pos,
            );
        }
        for (name, matcher) in &expect.headers {
            self.header(name, matcher);
        }
        if !expect.cookies.is_empty() {
            let cookies = self.response.set_cookies();
            for (name, cookie_expect) in &expect.cookies {
                self.cookie(name, cookie_expect, &cookies);
            }
        }
        if !expect.json.is_empty() {
            let document = self.response.json();
            for (path, matcher) in &expect.json {
                self.json(path, matcher, document.as_ref());
            }
        }
        if let Some(matcher) = &expect.body {
            let text = self.response.body_text();
            let judged = check(&matcher.inner, Subject::Body(&text), self.scope);
            self.matched(Check::Body, judged, matcher.pos, |judge| {
                describe_body(judge.response, judge.redactor)
            });
        }
        if let Some(limit) = &expect.duration {
            let elapsed = self.response.elapsed;
            self.record(
                elapsed <= limit.max.get(),
                Check::Duration,
                || {
                    (
                        format!("at most {}", limit.max),
                        format!("{}ms", elapsed.as_millis()),
                    )
                },
                limit.pos,
            );
        }
    }

    /// Records one check; `words` (expected, actual) are made only when kept.
    fn record(
        &mut self,
        held: bool,
        check: Check,
        words: impl FnOnce() -> (String, String),
        pos: Pos,
    ) {
        if held && self.keep == Keep::Misses {
            return;
        }
        let (expected, actual) = words();
        let source = SourceLoc {
            file: self.file.to_string(),
            line: pos.line,
            col: pos.col,
        };
        self.checks.push(CheckResult {
            check,
            level: Level::Must,
            passed: held,
            expected,
            actual,
            source,
        });
    }

    /// Records a matcher's verdict: what it expected (all of it when it held,
    /// what missed otherwise), redacted, and `actual` as the report shows it.
    fn matched(
        &mut self,
        check: Check,
        judged: Result<String, String>,
        pos: Pos,
        actual: impl FnOnce(&Self) -> String,
    ) {
        let held = judged.is_ok();
        if held && self.keep == Keep::Misses {
            return;
        }
        let expected = self.redactor.text(&judged.unwrap_or_else(|miss| miss));
        let actual = actual(self);
        self.record(held, check, || (expected, actual), pos);
    }

    fn header(&mut self, name: &str, matcher: &Spanned<Matcher>) {
        let raw: Vec<&str> = self.response.header_values(name).collect();
        let judged = check(&matcher.inner, Subject::Texts(&raw), self.scope);
        self.matched(
            Check::Header(name.to_string()),
            judged,
            matcher.pos,
            |judge| {
                // Redacted only for the report: a load judges every response.
                let values: Vec<String> =
                    raw.iter().map(|v| judge.redactor.header(name, v)).collect();
                if values.is_empty() {
                    "(absent)".into()
                } else {
                    values.join(" | ")
                }
            },
        );
    }

    fn cookie(&mut self, name: &str, expect: &Spanned<CookieExpect>, cookies: &[Cookie<'_>]) {
        let found = cookies.iter().find(|c| c.name() == name);
        for judged in judge_cookie(expect, found, self.scope) {
            let check = Check::Cookie {
                name: name.to_string(),
                attribute: judged.attribute,
            };
            let expected = self.redactor.text(&judged.expected);
            self.record(judged.held, check, || (expected, judged.actual), expect.pos);
        }
    }

    fn json(&mut self, path: &Query, matcher: &Spanned<Matcher>, document: Option<&Value>) {
        let check_name = Check::Json(path.to_string());
        let Some(document) = document else {
            let actual = describe_body(self.response, self.redactor);
            self.record(
                false,
                check_name,
                || ("a JSON body".into(), actual),
                matcher.pos,
            );
            return;
        };
        let query = match path.resolve(self.scope) {
            Ok(query) => query,
            Err(e) => {
                // The path was filled in from the scope: it may hold a secret.
                let actual = self.redactor.text(&e.to_string());
                let words = || ("a valid JSONPath".into(), actual);
                self.record(false, check_name, words, matcher.pos);
                return;
            }
        };
        let nodes = query.query(document).all();
        let judged = check(&matcher.inner, Subject::Json(&nodes), self.scope);
        self.matched(check_name, judged, matcher.pos, |judge| {
            let actual = match nodes.as_slice() {
                [] => "(nothing)".to_string(),
                [one] => one.to_string(),
                many => Value::Array(many.iter().map(|v| (*v).clone()).collect()).to_string(),
            };
            judge.redactor.text(&actual)
        });
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

/// One part of a cookie expectation, judged.
struct CookieJudged {
    /// The attribute, or none for the cookie itself.
    attribute: Option<CookieAttribute>,
    held: bool,
    expected: String,
    actual: String,
}

/// Every part of one cookie expectation, held or missed.
fn judge_cookie(
    expect: &Spanned<CookieExpect>,
    found: Option<&Cookie<'_>>,
    scope: &Scope,
) -> Vec<CookieJudged> {
    let mut judged = Vec::new();
    let mut push = |attribute, held, expected: String, actual: String| {
        judged.push(CookieJudged {
            attribute,
            held,
            expected,
            actual,
        })
    };
    let wants_present = expect.present != Some(false) && expect.absent != Some(true);
    let Some(cookie) = found else {
        let expected = if wants_present {
            "set by the response"
        } else {
            "not set"
        };
        push(None, !wants_present, expected.into(), "not set".into());
        return judged;
    };
    if !wants_present {
        push(None, false, "not set".into(), "set".into());
        return judged;
    }
    push(None, true, "set by the response".into(), "set".into());
    let flag = |on: bool| if on { "set" } else { "not set" }.to_string();
    if let Some(secure) = expect.secure {
        let actual = cookie.secure().unwrap_or(false);
        push(
            Some(CookieAttribute::Secure),
            actual == secure,
            flag(secure),
            flag(actual),
        );
    }
    if let Some(http_only) = expect.http_only {
        let actual = cookie.http_only().unwrap_or(false);
        let attribute = Some(CookieAttribute::HttpOnly);
        push(
            attribute,
            actual == http_only,
            flag(http_only),
            flag(actual),
        );
    }
    if let Some(same_site) = &expect.same_site {
        let actual = cookie
            .same_site()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "(none)".into());
        let held = actual.eq_ignore_ascii_case(same_site);
        push(
            Some(CookieAttribute::SameSite),
            held,
            same_site.clone(),
            actual,
        );
    }
    if let Some(path) = &expect.path {
        let actual = cookie.path().unwrap_or("(none)").to_string();
        push(
            Some(CookieAttribute::Path),
            &actual == path,
            path.clone(),
            actual,
        );
    }
    if let Some(matcher) = &expect.value {
        let verdict = check(matcher, Subject::Texts(&[cookie.value()]), scope);
        let held = verdict.is_ok();
        // A cookie's value is a credential: the report never shows it.
        let expected = verdict.unwrap_or_else(|miss| miss);
        let actual = crate::report::redact::REDACTED.to_string();
        push(Some(CookieAttribute::Value), held, expected, actual);
    }
    judged
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
