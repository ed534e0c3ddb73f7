//! `${name}` references: finding them, and replacing them with values.
//!
//! `${env:NAME}` and `${env:NAME:-default}` are resolved when a file is loaded
//! ([`resolve_env`]); every other `${name}` is parsed into a
//! [`super::template::Template`] when the scenario is compiled and filled in when
//! a step is sent, from the scenario's vars, the captures so far and the built-ins.

/// The target's base URL, without a trailing slash.
pub const BASE_URL: &str = "base_url";
/// The identity provider's URL.
pub const IDP_URL: &str = "idp_url";
/// Names every scenario can use without declaring them.
pub const BUILTINS: &[&str] = &[BASE_URL, IDP_URL];

/// One `${…}` in a text: its byte range and the name inside.
#[derive(Debug, PartialEq, Eq)]
pub struct Reference<'a> {
    pub start: usize,
    pub end: usize,
    pub name: &'a str,
}

/// Every `${…}` in `text`, or the offset of an unclosed `${`.
pub fn references(text: &str) -> Result<Vec<Reference<'_>>, usize> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(offset) = text[rest..].find("${") {
        let start = rest + offset;
        let Some(close) = text[start..].find('}') else {
            return Err(start);
        };
        let end = start + close + 1;
        found.push(Reference {
            start,
            end,
            name: text[start + 2..end - 1].trim(),
        });
        rest = end;
    }
    Ok(found)
}

/// An `${env:NAME}` or `${env:NAME:-default}` reference, split.
pub fn env_reference(name: &str) -> Option<(&str, Option<&str>)> {
    let spec = name.strip_prefix("env:")?;
    Some(match spec.split_once(":-") {
        Some((var, default)) => (var.trim(), Some(default)),
        None => (spec.trim(), None),
    })
}

/// An `${env:NAME:-default}` whose variable was not set, so its default was used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvDefault {
    /// The environment variable that was not set.
    pub name: String,
    /// What stood in for it.
    pub value: String,
}

/// One value an `${env:…}` reference put into a file, and the variable it
/// stands for: whether it is secret depends on both ([`names_a_secret`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvValue {
    pub name: String,
    pub value: String,
}

/// What resolving `${env:…}` in one text put in.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EnvResolved {
    /// Every value put in, defaults included.
    pub values: Vec<EnvValue>,
    /// The references that fell back to their default.
    pub defaults: Vec<EnvDefault>,
}

/// The words that make an environment variable's value a secret wherever it
/// goes: `CONF_PASSWORD`, `APP_SECRET`, `CONF_PLUGIN_TOKEN`, `TOLLGATE_IDP_KEY`.
/// Any other variable (`CONF_USER`, `CONNECT_ISSUER`, `CONF_PAGE_ID`) is
/// evidence, shown in reports, unless the scenario sends it where a credential
/// goes.
const SECRET_NAME_WORDS: &[&str] = &["PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY"];

/// Whether an environment variable's name says its value is a secret
/// (case-insensitive: `conf_password` too).
pub fn names_a_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_WORDS.iter().any(|word| upper.contains(word))
}

/// Replaces the `${env:…}` references of `text`, leaving other references alone.
/// Returns what was put in, or the first missing variable's name.
pub fn resolve_env(
    text: &mut String,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<EnvResolved, String> {
    let mut resolved = EnvResolved::default();
    let Ok(refs) = references(text) else {
        return Ok(resolved);
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in refs {
        let Some((var, default)) = env_reference(r.name) else {
            continue;
        };
        let value = match (env(var), default) {
            (Some(value), _) => value,
            (None, Some(default)) => {
                resolved.defaults.push(EnvDefault {
                    name: var.to_string(),
                    value: default.to_string(),
                });
                default.to_string()
            }
            (None, None) => return Err(var.to_string()),
        };
        out.push_str(&text[last..r.start]);
        out.push_str(&value);
        resolved.values.push(EnvValue {
            name: var.to_string(),
            value,
        });
        last = r.end;
    }
    if !resolved.values.is_empty() {
        out.push_str(&text[last..]);
        *text = out;
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references_and_unclosed_ones() {
        let refs = references("hi ${user} and ${ other }!").unwrap();
        let names: Vec<&str> = refs.iter().map(|r| r.name).collect();
        assert_eq!(names, ["user", "other"]);
        assert_eq!(references("${open"), Err(0));
    }

    #[test]
    fn env_references_use_the_environment_then_the_default() {
        let env = |n: &str| (n == "SET").then(|| "from-env".to_string());
        let mut text = "${env:SET} ${env:UNSET:-fallback} ${user}".to_string();
        let resolved = resolve_env(&mut text, &env).unwrap();
        assert_eq!(text, "from-env fallback ${user}");
        let values: Vec<(&str, &str)> = resolved
            .values
            .iter()
            .map(|v| (v.name.as_str(), v.value.as_str()))
            .collect();
        assert_eq!(values, [("SET", "from-env"), ("UNSET", "fallback")]);
        assert_eq!(
            resolved.defaults,
            [EnvDefault {
                name: "UNSET".into(),
                value: "fallback".into()
            }]
        );
        let mut missing = "${env:UNSET}".to_string();
        assert_eq!(resolve_env(&mut missing, &env).unwrap_err(), "UNSET");
    }

    #[test]
    fn secret_names_are_told_by_their_words_in_any_case() {
        for name in [
            "CONF_PASSWORD",
            "conf_passwd",
            "APP_SECRET",
            "CONNECT_SHARED_SECRET",
            "CONF_PLUGIN_TOKEN",
            "TOLLGATE_IDP_KEY",
            "api_key",
        ] {
            assert!(names_a_secret(name), "{name}");
        }
        for name in ["CONF_USER", "CONNECT_ISSUER", "CONF_PAGE_ID", "PLUG_SPACE"] {
            assert!(!names_a_secret(name), "{name}");
        }
    }
}
