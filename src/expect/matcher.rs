//! One [`Matcher`] against one subject: header values, a body, or the nodes a
//! JSONPath selected.

use serde_json::Value;

use crate::scenario::model::JsonType;
use crate::scenario::plan::{Matcher, MatcherSpec};
use crate::scenario::template::{JsonTemplate, Scope};

/// What a matcher looks at.
#[derive(Clone, Copy, Debug)]
pub enum Subject<'a> {
    /// Zero or more values (a header may repeat); a text check passes if any value
    /// passes it, so `not: { contains: Basic }` means no value contains it.
    Texts(&'a [&'a str]),
    Body(&'a str),
    Json(&'a [&'a Value]),
}

impl Subject<'_> {
    fn exists(&self) -> bool {
        match self {
            Subject::Texts(values) => !values.is_empty(),
            Subject::Body(_) => true,
            Subject::Json(nodes) => !nodes.is_empty(),
        }
    }

    /// The values as text, for text checks. JSON strings are taken without quotes.
    fn texts(&self) -> Vec<String> {
        match self {
            Subject::Texts(values) => values.iter().map(|v| v.to_string()).collect(),
            Subject::Body(body) => vec![body.to_string()],
            Subject::Json(nodes) => nodes.iter().map(|v| json_text(v)).collect(),
        }
    }
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What was expected, in words: `Ok` when the subject passes (every part of the
/// matcher, for the evidence of a passed check), `Err` with the parts it missed.
pub fn check(matcher: &Matcher, subject: Subject<'_>, scope: &Scope) -> Result<String, String> {
    match matcher {
        Matcher::Equals(expected) => equals(expected, subject, scope),
        Matcher::Spec(spec) => check_spec(spec, subject, scope),
    }
}

fn resolve(value: &JsonTemplate, scope: &Scope) -> Result<Value, String> {
    value.render(scope).map_err(|e| e.to_string())
}

fn equals(expected: &JsonTemplate, subject: Subject<'_>, scope: &Scope) -> Result<String, String> {
    let expected = resolve(expected, scope)?;
    let passed = match subject {
        Subject::Json(nodes) => nodes
            .first()
            .is_some_and(|node| loosely_equal(node, &expected)),
        _ => {
            let want = json_text(&expected);
            subject.texts().contains(&want)
        }
    };
    let words = format!("equal to {}", show(&expected));
    if passed { Ok(words) } else { Err(words) }
}

/// JSON equality, except that a string from the scenario (where `${var}` always
/// yields text) also equals a number or boolean with the same text.
fn loosely_equal(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(_) | Value::Bool(_), Value::String(s)) => {
            s.as_str() == actual.to_string().as_str()
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => actual == expected,
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

fn check_spec(spec: &MatcherSpec, subject: Subject<'_>, scope: &Scope) -> Result<String, String> {
    let mut parts = Parts::default();
    let exists = subject.exists();
    let wanted = [spec.present, spec.exists, spec.absent.map(|absent| !absent)];
    for want in wanted.into_iter().flatten() {
        let word = if want { "present" } else { "absent" };
        parts.push(exists == want, word.to_string());
    }
    if let Some(expected) = &spec.equals {
        match equals(expected, subject, scope) {
            Ok(words) => parts.push(true, words),
            Err(words) => parts.push(false, words),
        }
    }
    if let Some(pattern) = &spec.matches {
        let re = pattern
            .resolve(scope)
            .map_err(|e| format!("a valid regular expression ({e})"))?;
        let held = subject.texts().iter().any(|t| re.is_match(t));
        parts.push(held, format!("matching /{}/", re.as_str()));
    }
    if let Some(needle) = &spec.contains {
        let needle = resolve(needle, scope)?;
        let found = match subject {
            Subject::Json(nodes) => nodes.first().is_some_and(|node| match node {
                Value::Array(items) => items.iter().any(|i| loosely_equal(i, &needle)),
                Value::String(s) => s.contains(&json_text(&needle)),
                _ => false,
            }),
            _ => subject
                .texts()
                .iter()
                .any(|t| t.contains(&json_text(&needle))),
        };
        parts.push(found, format!("containing {}", show(&needle)));
    }
    if let Some(json_type) = spec.json_type {
        let actual = match subject {
            Subject::Json(nodes) => nodes.first().map(|n| type_of(n)),
            _ => Some(JsonType::String),
        };
        parts.push(
            actual == Some(json_type),
            format!("of type {}", type_name(json_type)),
        );
    }
    if let Some(length) = spec.length {
        let actual = match subject {
            Subject::Json(nodes) => nodes.first().map(|n| match n {
                Value::Array(items) => items.len(),
                Value::Object(map) => map.len(),
                Value::String(s) => s.chars().count(),
                _ => usize::MAX,
            }),
            _ => subject.texts().first().map(|t| t.chars().count()),
        };
        parts.push(actual == Some(length), format!("of length {length}"));
    }
    if let Some(empty) = spec.empty {
        let is_empty = match subject {
            Subject::Json(nodes) => nodes.first().is_none_or(|n| match n {
                Value::Array(items) => items.is_empty(),
                Value::Object(map) => map.is_empty(),
                Value::String(s) => s.is_empty(),
                Value::Null => true,
                _ => false,
            }),
            _ => subject.texts().iter().all(|t| t.is_empty()),
        };
        let word = if empty { "empty" } else { "not empty" };
        parts.push(is_empty == empty, word.to_string());
    }
    combinators(spec, subject, scope, &mut parts);
    parts.verdict()
}

/// The parts of a matcher judged so far: those that held and those missed.
#[derive(Default)]
struct Parts {
    held: Vec<String>,
    missed: Vec<String>,
}

impl Parts {
    fn push(&mut self, held: bool, words: String) {
        if held {
            self.held.push(words);
        } else {
            self.missed.push(words);
        }
    }

    /// A miss names only what missed; a pass names everything that held.
    fn verdict(self) -> Result<String, String> {
        if !self.missed.is_empty() {
            Err(self.missed.join(" and "))
        } else if self.held.is_empty() {
            Ok("anything".to_string())
        } else {
            Ok(self.held.join(" and "))
        }
    }
}

/// `not` and `any_of`: checks made of other matchers.
fn combinators(spec: &MatcherSpec, subject: Subject<'_>, scope: &Scope, parts: &mut Parts) {
    if let Some(inner) = &spec.not {
        let held = check(inner, subject, scope).is_err();
        parts.push(held, format!("not {}", describe(inner)));
    }
    if let Some(options) = &spec.any_of {
        let held = options.iter().any(|m| check(m, subject, scope).is_ok());
        parts.push(held, any_of_words(options));
    }
}

fn any_of_words(options: &[Matcher]) -> String {
    let words: Vec<String> = options.iter().map(describe).collect();
    format!("any of ({})", words.join(" | "))
}

fn type_of(value: &Value) -> JsonType {
    match value {
        Value::Null => JsonType::Null,
        Value::Bool(_) => JsonType::Boolean,
        Value::Number(_) => JsonType::Number,
        Value::String(_) => JsonType::String,
        Value::Array(_) => JsonType::Array,
        Value::Object(_) => JsonType::Object,
    }
}

fn type_name(json_type: JsonType) -> &'static str {
    match json_type {
        JsonType::String => "string",
        JsonType::Number => "number",
        JsonType::Boolean => "boolean",
        JsonType::Array => "array",
        JsonType::Object => "object",
        JsonType::Null => "null",
    }
}

/// A matcher in words, for `not: …` and `any_of: …` messages.
fn describe(matcher: &Matcher) -> String {
    match matcher {
        Matcher::Equals(v) => format!("equal to {}", show(&v.as_written())),
        Matcher::Spec(spec) => {
            let mut parts = Vec::new();
            if let Some(v) = &spec.equals {
                parts.push(format!("equal to {}", show(&v.as_written())));
            }
            if let Some(p) = &spec.matches {
                parts.push(format!("matching /{p}/"));
            }
            if let Some(v) = &spec.contains {
                parts.push(format!("containing {}", show(&v.as_written())));
            }
            if spec.present == Some(true) || spec.exists == Some(true) || spec.absent == Some(false)
            {
                parts.push("present".into());
            }
            if spec.absent == Some(true)
                || spec.present == Some(false)
                || spec.exists == Some(false)
            {
                parts.push("absent".into());
            }
            if let Some(t) = spec.json_type {
                parts.push(format!("of type {}", type_name(t)));
            }
            if let Some(n) = spec.length {
                parts.push(format!("of length {n}"));
            }
            if let Some(e) = spec.empty {
                parts.push(if e { "empty" } else { "not empty" }.into());
            }
            if let Some(inner) = &spec.not {
                parts.push(format!("not {}", describe(inner)));
            }
            if let Some(options) = &spec.any_of {
                parts.push(any_of_words(options));
            }
            parts.join(" and ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: serde_json::Value) -> Matcher {
        let surface =
            crate::scenario::model::Matcher::Spec(Box::new(serde_json::from_value(value).unwrap()));
        crate::scenario::compile::matcher(&surface).unwrap()
    }

    fn equal(value: serde_json::Value) -> Matcher {
        Matcher::Equals(JsonTemplate::parse(&value).unwrap())
    }

    #[test]
    fn header_checks_pass_if_any_value_passes() {
        let values = ["OAuth realm=\"x\"", "Basic realm=\"y\""];
        let subject = Subject::Texts(&values);
        assert!(check(&spec(json!({"contains": "Basic"})), subject, &Scope::new()).is_ok());
        let miss = check(
            &spec(json!({"not": {"contains": "Basic"}})),
            subject,
            &Scope::new(),
        )
        .unwrap_err();
        assert_eq!(miss, "not containing 'Basic'");
        assert!(
            check(
                &spec(json!({"absent": true})),
                Subject::Texts(&[]),
                &Scope::new()
            )
            .is_ok()
        );
        assert_eq!(
            check(&spec(json!({"absent": true})), subject, &Scope::new()).unwrap_err(),
            "absent"
        );
    }

    #[test]
    fn json_equality_is_loose_only_for_text_from_the_scenario() {
        let id = json!(65537);
        let nodes = [&id];
        assert!(check(&equal(json!("65537")), Subject::Json(&nodes), &Scope::new()).is_ok());
        assert!(check(&equal(json!(65537)), Subject::Json(&nodes), &Scope::new()).is_ok());
        assert!(check(&equal(json!(1)), Subject::Json(&nodes), &Scope::new()).is_err());
        assert_eq!(
            check(&equal(json!("x")), Subject::Json(&[]), &Scope::new()).unwrap_err(),
            "equal to 'x'"
        );
    }

    #[test]
    fn body_checks_and_variables() {
        let vars = Scope::from([("user".to_string(), "alice".to_string())]);
        let body = Subject::Body("hello alice");
        assert!(
            check(
                &spec(json!({"contains": "${user}", "matches": "^hello"})),
                body,
                &vars
            )
            .is_ok()
        );
        assert_eq!(
            check(&spec(json!({"empty": true})), body, &vars).unwrap_err(),
            "empty"
        );
        assert!(check(&spec(json!({"empty": true})), Subject::Body(""), &vars).is_ok());
    }

    #[test]
    fn json_type_length_and_exists() {
        let list = json!([1, 2, 3]);
        let nodes = [&list];
        let subject = Subject::Json(&nodes);
        assert!(
            check(
                &spec(json!({"type": "array", "length": 3, "contains": 2})),
                subject,
                &Scope::new()
            )
            .is_ok()
        );
        assert_eq!(
            check(&spec(json!({"exists": false})), subject, &Scope::new()).unwrap_err(),
            "absent"
        );
    }

    #[test]
    fn any_of_passes_on_any_listed_answer_and_names_them_all_when_none_holds() {
        let scope = Scope::new();
        let absent_or_anonymous = spec(json!({"any_of": [{"absent": true}, "anonymous"]}));
        assert_eq!(
            check(&absent_or_anonymous, Subject::Texts(&[]), &scope),
            Ok("any of (absent | equal to 'anonymous')".to_string())
        );
        assert_eq!(
            check(&absent_or_anonymous, Subject::Texts(&["anonymous"]), &scope),
            Ok("any of (absent | equal to 'anonymous')".to_string())
        );
        let miss = check(&absent_or_anonymous, Subject::Texts(&["alice"]), &scope).unwrap_err();
        assert_eq!(miss, "any of (absent | equal to 'anonymous')");
    }

    #[test]
    fn a_pass_names_every_part_that_held_and_a_miss_only_what_missed() {
        let scope = Scope::new();
        let realm = spec(json!({"matches": "^OAuth", "not": {"contains": "Basic"}}));
        assert_eq!(
            check(&realm, Subject::Texts(&["OAuth realm=\"x\""]), &scope),
            Ok("matching /^OAuth/ and not containing 'Basic'".to_string())
        );
        assert_eq!(
            check(&realm, Subject::Texts(&["OAuth, Basic"]), &scope),
            Err("not containing 'Basic'".to_string())
        );
        assert_eq!(
            check(&equal(json!(401)), Subject::Texts(&["401"]), &scope),
            Ok("equal to 401".to_string())
        );
    }
}
