//! Texts that may hold `${name}` references, parsed once when a scenario is
//! compiled and filled in at send time from a [`Scope`].
//!
//! `${env:…}` is gone by then (resolved at load, see [`super::vars`]); what is
//! left names a var, a built-in or a capture, which only exist while the
//! scenario runs.

use std::collections::HashMap;
use std::fmt;

use super::vars;

/// The variables a step can see: the scenario's vars, built-ins and captures.
pub type Scope = HashMap<String, String>;

/// A `${name}` that nothing in scope defines.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown variable '{0}'")]
pub struct UnknownVar(pub String);

/// A `${` that is never closed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'${{' at byte {0} is never closed with '}}'")]
pub struct Unclosed(pub usize);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Text(String),
    Var(String),
}

/// A text as written, split into literal pieces and references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, Unclosed> {
        let references = vars::references(text).map_err(Unclosed)?;
        let mut segments = Vec::with_capacity(references.len() * 2 + 1);
        let mut last = 0;
        for reference in references {
            if reference.start > last {
                segments.push(Segment::Text(text[last..reference.start].to_string()));
            }
            segments.push(Segment::Var(reference.name.to_string()));
            last = reference.end;
        }
        if last < text.len() || segments.is_empty() {
            segments.push(Segment::Text(text[last..].to_string()));
        }
        Ok(Template { segments })
    }

    /// A template that is exactly `text`, references and all left unparsed.
    pub fn literal(text: impl Into<String>) -> Self {
        Template {
            segments: vec![Segment::Text(text.into())],
        }
    }

    /// The text, when the template holds no reference: known before anything runs.
    pub fn as_literal(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// The names it refers to, in order.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Var(name) => Some(name.as_str()),
            Segment::Text(_) => None,
        })
    }

    pub fn render(&self, scope: &Scope) -> Result<String, UnknownVar> {
        if let Some(text) = self.as_literal() {
            return Ok(text.to_string());
        }
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Var(name) => match scope.get(name) {
                    Some(value) => out.push_str(value),
                    None => return Err(UnknownVar(name.clone())),
                },
            }
        }
        Ok(out)
    }
}

/// As written: evidence and messages show the template, not its values.
impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => f.write_str(text)?,
                Segment::Var(name) => write!(f, "${{{name}}}")?,
            }
        }
        Ok(())
    }
}

/// A JSON value whose strings are templates (object keys stay as written).
#[derive(Clone, Debug, PartialEq)]
pub enum JsonTemplate {
    /// A value without any string holding a reference: no work at send time.
    Fixed(serde_json::Value),
    String(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    pub fn parse(value: &serde_json::Value) -> Result<Self, Unclosed> {
        use serde_json::Value;
        let parsed = match value {
            Value::String(text) => JsonTemplate::String(Template::parse(text)?),
            Value::Array(items) => JsonTemplate::Array(
                items
                    .iter()
                    .map(JsonTemplate::parse)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => JsonTemplate::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), JsonTemplate::parse(v)?)))
                    .collect::<Result<_, Unclosed>>()?,
            ),
            other => return Ok(JsonTemplate::Fixed(other.clone())),
        };
        Ok(if parsed.is_fixed() {
            JsonTemplate::Fixed(value.clone())
        } else {
            parsed
        })
    }

    fn is_fixed(&self) -> bool {
        match self {
            JsonTemplate::Fixed(_) => true,
            JsonTemplate::String(template) => template.as_literal().is_some(),
            JsonTemplate::Array(items) => items.iter().all(JsonTemplate::is_fixed),
            JsonTemplate::Object(fields) => fields.iter().all(|(_, v)| v.is_fixed()),
        }
    }

    /// The value as written in the file, references unresolved: for describing
    /// an expectation without a scope.
    pub fn as_written(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            JsonTemplate::Fixed(value) => value.clone(),
            JsonTemplate::String(template) => Value::String(template.to_string()),
            JsonTemplate::Array(items) => {
                Value::Array(items.iter().map(Self::as_written).collect())
            }
            JsonTemplate::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_written()))
                    .collect(),
            ),
        }
    }

    pub fn render(&self, scope: &Scope) -> Result<serde_json::Value, UnknownVar> {
        use serde_json::Value;
        Ok(match self {
            JsonTemplate::Fixed(value) => value.clone(),
            JsonTemplate::String(template) => Value::String(template.render(scope)?),
            JsonTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| v.render(scope))
                    .collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(scope)?)))
                    .collect::<Result<_, UnknownVar>>()?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::from([("user".to_string(), "alice".to_string())])
    }

    #[test]
    fn renders_references_from_scope() {
        let template = Template::parse("hi ${user}!").unwrap();
        assert_eq!(template.render(&scope()).unwrap(), "hi alice!");
        assert_eq!(template.to_string(), "hi ${user}!");
        assert_eq!(
            Template::parse("${nope}").unwrap().render(&scope()),
            Err(UnknownVar("nope".into()))
        );
        assert_eq!(Template::parse("${open"), Err(Unclosed(0)));
    }

    #[test]
    fn a_text_without_references_is_literal() {
        assert_eq!(
            Template::parse("plain").unwrap().as_literal(),
            Some("plain")
        );
        assert_eq!(Template::parse("").unwrap().as_literal(), Some(""));
        assert_eq!(Template::parse("${user}").unwrap().as_literal(), None);
    }

    #[test]
    fn json_strings_are_templates_and_fixed_values_stay_whole() {
        let value = serde_json::json!({ "name": "${user}", "n": 1, "list": ["a", "${user}"] });
        let template = JsonTemplate::parse(&value).unwrap();
        assert_eq!(
            template.render(&scope()).unwrap(),
            serde_json::json!({ "name": "alice", "n": 1, "list": ["a", "alice"] })
        );
        let fixed = serde_json::json!({ "a": ["b", 2] });
        assert_eq!(
            JsonTemplate::parse(&fixed).unwrap(),
            JsonTemplate::Fixed(fixed)
        );
    }
}
