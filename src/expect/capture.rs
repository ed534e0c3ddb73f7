//! Captures: values a step takes from its response for later steps' `${name}`.

use serde_json::Value;

use super::Response;
use crate::report::model::{Check, Failure, SourceLoc};
use crate::scenario::plan::{Capture, CaptureSource};
use crate::scenario::template::Scope;

/// One value a capture took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    pub name: String,
    pub value: String,
    /// It is a credential: redact it from here on.
    pub secret: bool,
}

/// The step's captures; or a failure per capture that found nothing.
pub fn capture(
    captures: &[Capture],
    response: &Response,
    file: &str,
    scope: &Scope,
) -> Result<Vec<Captured>, Vec<Failure>> {
    let mut values = Vec::new();
    let mut failures = Vec::new();
    for capture in captures {
        match find(&capture.source, response, scope) {
            Some(value) => values.push(Captured {
                secret: is_credential(&capture.name, &capture.source, &value),
                name: capture.name.clone(),
                value,
            }),
            None => failures.push(Failure {
                check: Check::Capture(capture.name.clone()),
                expected: capture.source.to_string(),
                actual: "nothing".into(),
                source: SourceLoc {
                    file: file.to_string(),
                    line: capture.pos.line,
                    col: capture.pos.col,
                },
            }),
        }
    }
    if failures.is_empty() {
        Ok(values)
    } else {
        Err(failures)
    }
}

fn find(source: &CaptureSource, response: &Response, scope: &Scope) -> Option<String> {
    match source {
        CaptureSource::Header(header) => response.header_values(header).next().map(str::to_string),
        CaptureSource::Cookie(cookie) => response
            .set_cookies()
            .into_iter()
            .find(|c| c.name() == cookie)
            .map(|c| c.value().to_string()),
        CaptureSource::Json(query) => {
            let query = query.resolve(scope).ok()?;
            let document = response.json()?;
            query.query(&document).first().map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        }
        CaptureSource::Body(pattern) => {
            let regex = pattern.resolve(scope).ok()?;
            regex
                .captures(&response.body_text())
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string())
        }
    }
}

/// Cookies are credentials; so is anything whose name says token, secret,
/// password, session or code (an OAuth authorization code) and whose value is
/// long enough to be one: redacting a short value such as "404" would blank
/// unrelated evidence.
fn is_credential(name: &str, source: &CaptureSource, value: &str) -> bool {
    const SHORTEST_CREDENTIAL: usize = 8;
    let named = |text: &str| {
        let text = text.to_ascii_lowercase();
        [
            "token",
            "secret",
            "password",
            "session",
            "cookie",
            "authorization",
            "jwt",
            "code",
        ]
        .iter()
        .any(|word| text.contains(word))
    };
    let written = match source {
        CaptureSource::Cookie(_) => return true,
        CaptureSource::Header(header) => header.clone(),
        CaptureSource::Json(query) => query.to_string(),
        CaptureSource::Body(pattern) => pattern.to_string(),
    };
    (named(&written) || named(name)) && value.len() >= SHORTEST_CREDENTIAL
}
