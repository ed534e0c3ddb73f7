//! Captures: values a step takes from its response for later steps' `${name}`.

use serde_json::Value;

use super::Response;
use crate::report::model::{Check, CheckResult, Failure, SourceLoc};
use crate::report::redact::Redactor;
use crate::scenario::plan::{Capture, CaptureSource, Step};
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
                secret: is_credential(capture, &value),
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

/// Every capture of a step as a check: found (its value as the report shows it,
/// redacted, so a credential reads `[redacted]`) or the failure that it found
/// nothing.
pub fn capture_checks(
    captures: &[Capture],
    captured: &Result<Vec<Captured>, Vec<Failure>>,
    file: &str,
    redactor: &Redactor,
) -> Vec<CheckResult> {
    match captured {
        Err(missed) => missed.iter().cloned().map(CheckResult::missed).collect(),
        Ok(values) => captures
            .iter()
            .zip(values)
            .map(|(capture, value)| {
                let source = SourceLoc {
                    file: file.to_string(),
                    line: capture.pos.line,
                    col: capture.pos.col,
                };
                let shown = if value.secret {
                    crate::report::redact::REDACTED.to_string()
                } else {
                    redactor.text(&value.value)
                };
                let check = Check::Capture(capture.name.clone());
                CheckResult::passed(check, capture.source.to_string(), shown, source)
            })
            .collect(),
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

/// The values in `scope` that captures of `steps` took and that are credentials:
/// what a report about a later step must not show (a load user keeps its
/// captures across transactions, without their flags).
pub fn secret_values(steps: &[Step], scope: &Scope) -> Vec<String> {
    steps
        .iter()
        .flat_map(|step| &step.capture)
        .filter_map(|capture| {
            let value = scope.get(&capture.name)?;
            is_credential(capture, value).then(|| value.clone())
        })
        .collect()
}

/// A capture is a credential by what it is and where it goes, not by its name
/// alone: declared `secret: true` or sent where a credential goes (both known
/// when the scenario compiled, [`Capture::secret`]); a cookie; or a value whose
/// capture name or source says token, secret, password, session or code (an
/// OAuth authorization code) and that is long enough to be one (redacting a
/// short value such as "404" would blank unrelated evidence).
fn is_credential(capture: &Capture, value: &str) -> bool {
    if capture.secret {
        return true;
    }
    let (name, source) = (&capture.name, &capture.source);
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::scenario::{Scenario, load_str};

    fn scenario(yaml: &str) -> Scenario {
        load_str(yaml, Path::new("inline.yaml"), &|_| None)
            .unwrap_or_else(|d| panic!("{}", d.iter().map(ToString::to_string).collect::<String>()))
    }

    fn answer(body: &str) -> Response {
        Response {
            status: 200,
            headers: vec![(
                "set-cookie".into(),
                "JSESSIONID=Session-Value-1; Path=/".into(),
            )],
            body: body.as_bytes().to_vec(),
            elapsed: Duration::ZERO,
        }
    }

    fn captured(yaml: &str, body: &str) -> Vec<Captured> {
        let scenario = scenario(yaml);
        let step = &scenario.steps[0];
        capture(&step.capture, &answer(body), "inline.yaml", &Scope::new()).unwrap()
    }

    const BODY: &str = r#"{"displayName": "Ticket-Value-0123", "count": "1234567890"}"#;

    #[test]
    fn a_capture_sent_where_a_credential_goes_is_secret_whatever_its_name() {
        // Issue 12, item 4: `ticket` says nothing of a credential, but a later
        // step sends it as a bearer token, a cookie, a `jwt` parameter or a
        // password field.
        for later_use in [
            "headers: { Authorization: \"Bearer ${ticket}\" }",
            "cookies: { probe: \"${ticket}\" }",
            "query: { jwt: \"${ticket}\" }",
            "path: \"/plugins/servlet/x?jwt=${ticket}\"",
            "form: { os_password: \"${ticket}\" }",
            "json: { auth: { password: \"${ticket}\" } }",
            "auth: { bearer: \"${ticket}\" }",
            "auth: { basic: { user: alice, password: \"${ticket}\" } }",
        ] {
            let path = if later_use.starts_with("path:") {
                ""
            } else {
                "path: /y, "
            };
            let yaml = format!(
                "id: T\ntitle: t\nsteps:\n  - name: take\n    request: {{ path: /x }}\n    capture:\n      ticket: {{ json: $.displayName }}\n      count: {{ json: $.count }}\n  - name: use\n    request: {{ {path}{later_use} }}\n"
            );
            let values = captured(&yaml, BODY);
            assert!(values[0].secret, "{later_use}");
            assert!(!values[1].secret, "{later_use}: count is evidence");
        }
    }

    #[test]
    fn secret_true_forces_it_and_cookies_and_credential_fields_are_secret() {
        let yaml = "id: T\ntitle: t\nsteps:\n  - name: take\n    request: { path: /x }\n    capture:\n      ticket: { json: $.displayName, secret: true }\n      count: { json: $.count }\n      session: { cookie: JSESSIONID }\n      pw: { json: $.password }\n";
        let values = captured(
            yaml,
            r#"{"displayName": "x1", "count": "1234567890", "password": "Pass-Word-1"}"#,
        );
        let secret: Vec<(&str, bool)> =
            values.iter().map(|c| (c.name.as_str(), c.secret)).collect();
        assert_eq!(
            secret,
            [
                ("ticket", true),
                ("count", false),
                ("session", true),
                ("pw", true)
            ]
        );
    }

    #[test]
    fn a_capture_with_two_sources_or_none_does_not_load() {
        for capture in ["{ json: $.a, header: X }", "{ secret: true }"] {
            let yaml = format!(
                "id: T\ntitle: t\nsteps:\n  - name: take\n    request: {{ path: /x }}\n    capture:\n      ticket: {capture}\n"
            );
            let problems = load_str(&yaml, Path::new("inline.yaml"), &|_| None).unwrap_err();
            let text: String = problems.iter().map(ToString::to_string).collect();
            assert!(
                text.contains("exactly one of header, cookie, json, body"),
                "{text}"
            );
            assert!(text.contains("inline.yaml:7"), "{text}");
        }
    }

    #[test]
    fn a_load_user_knows_its_secret_captures_across_steps() {
        let scenario = scenario(
            "id: T\ntitle: t\nsteps:\n  - name: take\n    request: { path: /x }\n    capture:\n      ticket: { json: $.a }\n      count: { json: $.b }\n  - name: use\n    request: { path: /y, cookies: { c: \"${ticket}\" } }\n",
        );
        let scope = Scope::from([
            ("ticket".to_string(), "Ticket-Value-0123".to_string()),
            ("count".to_string(), "1234567890".to_string()),
        ]);
        assert_eq!(
            secret_values(&scenario.steps, &scope),
            ["Ticket-Value-0123"]
        );
    }
}
