//! Judging a response against a step's `expect`.
//!
//! Every missed expectation becomes a [`Failure`] that carries what was expected,
//! what came (redacted), and where the expectation is written.

mod matcher;

use std::time::Duration;

use cookie::Cookie;
use serde_json_path::JsonPath;

use crate::report::model::{Check, CookieAttribute, Failure, SourceLoc};
use crate::report::redact::Redactor;
use crate::scenario::de::Spanned;
use crate::scenario::model::{CookieExpect, Expect};
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

/// Resolves `${name}` in expected values.
pub type Vars<'a> = &'a (dyn Fn(&str) -> Result<String, String> + Sync);

/// Everything `response` misses of `expect`.
pub fn judge(
    expect: &Expect,
    response: &Response,
    file: &str,
    vars: Vars<'_>,
    redactor: &Redactor,
) -> Vec<Failure> {
    let mut failures = Vec::new();
    let mut fail = |check: Check, expected: String, actual: String, pos: Pos| {
        failures.push(Failure {
            check,
            expected,
            actual,
            source: SourceLoc {
                file: file.to_string(),
                line: pos.line,
                col: pos.col,
            },
        })
    };

    if let Some(status) = &expect.status {
        if !status.matches(response.status) {
            fail(
                Check::Status,
                status.to_string(),
                response.status.to_string(),
                status.pos,
            );
        }
    }

    for (name, matcher) in &expect.headers {
        let raw: Vec<&str> = response.header_values(name).collect();
        if let Err(miss) = check(&matcher.inner, Subject::Texts(&raw), vars) {
            // Redacted only for the message: a load judges every response.
            let values: Vec<String> = raw.iter().map(|v| redactor.header(name, v)).collect();
            let actual = if values.is_empty() {
                "(absent)".into()
            } else {
                values.join(" | ")
            };
            fail(
                Check::Header(name.clone()),
                redactor.text(&miss),
                actual,
                matcher.pos,
            );
        }
    }

    if !expect.cookies.is_empty() {
        let cookies = response.set_cookies();
        for (name, cookie_expect) in &expect.cookies {
            let found = cookies.iter().find(|c| c.name() == name);
            for (attribute, expected, actual) in judge_cookie(cookie_expect, found, vars) {
                let check = Check::Cookie {
                    name: name.clone(),
                    attribute,
                };
                fail(check, redactor.text(&expected), actual, cookie_expect.pos);
            }
        }
    }

    if !expect.json.is_empty() {
        let document = response.json();
        for (path, matcher) in &expect.json {
            let check_name = Check::Json(path.clone());
            let Some(document) = &document else {
                fail(
                    check_name.clone(),
                    "a JSON body".into(),
                    describe_body(response, redactor),
                    matcher.pos,
                );
                continue;
            };
            let query = match vars(path)
                .map_err(|e| e.to_string())
                .and_then(|p| JsonPath::parse(&p).map_err(|e| e.to_string()))
            {
                Ok(query) => query,
                Err(e) => {
                    fail(
                        check_name.clone(),
                        "a valid JSONPath".into(),
                        e,
                        matcher.pos,
                    );
                    continue;
                }
            };
            let nodes = query.query(document).all();
            if let Err(miss) = check(&matcher.inner, Subject::Json(&nodes), vars) {
                let actual = match nodes.as_slice() {
                    [] => "(nothing)".to_string(),
                    [one] => one.to_string(),
                    many => serde_json::Value::Array(many.iter().map(|v| (*v).clone()).collect())
                        .to_string(),
                };
                fail(
                    check_name,
                    redactor.text(&miss),
                    redactor.text(&actual),
                    matcher.pos,
                );
            }
        }
    }

    if let Some(matcher) = &expect.body {
        let text = response.body_text();
        if let Err(miss) = check(&matcher.inner, Subject::Body(&text), vars) {
            fail(
                Check::Body,
                redactor.text(&miss),
                describe_body(response, redactor),
                matcher.pos,
            );
        }
    }

    if let Some(limit) = &expect.duration {
        if response.elapsed > limit.max.get() {
            fail(
                Check::Duration,
                format!("at most {}", limit.max),
                format!("{}ms", response.elapsed.as_millis()),
                limit.pos,
            );
        }
    }

    failures
}

fn describe_body(response: &Response, redactor: &Redactor) -> String {
    const SHOWN: usize = 200;
    let text = response.body_text();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let mut shown: String = text.chars().take(SHOWN).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    redactor.text(&shown)
}

/// Misses of one cookie expectation: (the attribute, or none for the cookie
/// itself; expected; actual).
fn judge_cookie(
    expect: &Spanned<CookieExpect>,
    found: Option<&Cookie<'_>>,
    vars: Vars<'_>,
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
        if let Err(miss) = check(matcher, Subject::Texts(&[cookie.value()]), vars) {
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
