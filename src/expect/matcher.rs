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

/// `Ok` when the subject passes; otherwise what was expected, in words.
pub fn check(matcher: &Matcher, subject: Subject<'_>, scope: &Scope) -> Result<(), String> {
    match matcher {
        Matcher::Equals(expected) => equals(expected, subject, scope),
        Matcher::Spec(spec) => check_spec(spec, subject, scope),
    }
}

fn resolve(value: &JsonTemplate, scope: &Scope) -> Result<Value, String> {
    value.render(scope).map_err(|e| e.to_string())
}

fn equals(expected: &JsonTemplate, subject: Subject<'_>, scope: &Scope) -> Result<(), String> {
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
    if passed {
        Ok(())
    } else {
        Err(format!("equal to {}", show(&expected)))
    }
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

fn check_spec(spec: &MatcherSpec, subject: Subject<'_>, scope: &Scope) -> Result<(), String> {
    let mut misses = Vec::new();
    let exists = subject.exists();
    for (want, word) in [(spec.present, "present"), (spec.exists, "present")] {
        match want {
            Some(true) if !exists => misses.push(word.to_string()),
            Some(false) if exists => misses.push("absent".to_string()),
            _ => {}
        }
    }
    match spec.absent {
        Some(true) if exists => misses.push("absent".to_string()),
        Some(false) if !exists => misses.push("present".to_string()),
        _ => {}
    }
    if let Some(expected) = &spec.equals {
        if let Err(miss) = equals(expected, subject, scope) {
            misses.push(miss);
        }
    }
    if let Some(pattern) = &spec.matches {
        let re = pattern
            .resolve(scope)
            .map_err(|e| format!("a valid regular expression ({e})"))?;
        if !subject.texts().iter().any(|t| re.is_match(t)) {
            misses.push(format!("matching /{}/", re.as_str()));
        }
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
        if !found {
            misses.push(format!("containing {}", show(&needle)));
        }
    }
    if let Some(json_type) = spec.json_type {
        let actual = match subject {
            Subject::Json(nodes) => nodes.first().map(|n| type_of(n)),
            _ => Some(JsonType::String),
        };
        if actual != Some(json_type) {
            misses.push(format!("of type {}", type_name(json_type)));
        }
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
        if actual != Some(length) {
            misses.push(format!("of length {length}"));
        }
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
        if is_empty != empty {
            misses.push(if empty { "empty" } else { "not empty" }.to_string());
        }
    }
    combinators(spec, subject, scope, &mut misses);
    if misses.is_empty() {
        Ok(())
    } else {
        Err(misses.join(" and "))
    }
}

/// `not` and `any_of`: checks made of other matchers.
fn combinators(spec: &MatcherSpec, subject: Subject<'_>, scope: &Scope, misses: &mut Vec<String>) {
    if let Some(inner) = &spec.not {
        if check(inner, subject, scope).is_ok() {
            misses.push(format!("not {}", describe(inner)));
        }
    }
    if let Some(options) = &spec.any_of {
        if !options.iter().any(|m| check(m, subject, scope).is_ok()) {
            misses.push(any_of_words(options));
        }
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
            Ok(())
        );
        assert_eq!(
            check(&absent_or_anonymous, Subject::Texts(&["anonymous"]), &scope),
            Ok(())
        );
        let miss = check(&absent_or_anonymous, Subject::Texts(&["alice"]), &scope).unwrap_err();
        assert_eq!(miss, "any of (absent | equal to 'anonymous')");
    }
}
