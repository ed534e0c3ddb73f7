//! Certification profiles (`profiles/*.yaml`): which scenarios a plugin of one
//! kind must pass, and which vars a run against a real server needs.
//!
//! Plain data, like the rest of `scenario`: no HTTP. A profile is read with the
//! same positioned YAML tree and deserializer as a scenario ([`super::yaml`],
//! [`super::de`]), so a mistake in one is reported as `file:line:col` with a
//! caret and a "did you mean", and every mistake of a file is reported at once.
//!
//! ```yaml
//! name: connect-jwt
//! title: An Atlassian Connect app's JWTs
//! scenarios: [JWT-004, { tag: connect }]
//! requires_vars:
//!   - { name: connect_secret, env: CONNECT_SHARED_SECRET, description: the app's shared secret }
//! ```
//!
//! A required var is one value with two spellings: `--var NAME=VALUE`, or the
//! environment variable `env` (set and not empty). Given with `--var`, it also
//! stands for `${env:ENV}` in every scenario file, because scenario files read
//! credentials from the environment, and some places (a key's `secret:`) take no
//! `${name}` at run time ([`Profile::env_overrides`]).

use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::de::Spanned;
use super::diagnostic::{self, Problem};
use super::model::Setup;
use super::plan::Scenario;
use super::yaml::{self, NodeKind, Pos};
use super::{Diagnostic, de as tde};

/// Where `--profile NAME` looks for `NAME.yaml`, relative to the working
/// directory (as the default `scenarios` folder is).
pub const PROFILE_DIR: &str = "profiles";

/// One `profiles/*.yaml`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Profile {
    /// `[a-z0-9-]+`; the name `--profile` takes and reports show.
    pub name: Spanned<String>,
    /// One line: what kind of plugin or setup the profile certifies.
    pub title: String,
    /// Scenario ids and `{ tag: T }` selectors; the profile runs their union.
    pub scenarios: Vec<Spanned<Selector>>,
    /// What the target must be set up for (docs/profiles.md): a run of the
    /// profile against a real target says its target is, so the scenarios that
    /// require it run.
    #[serde(default)]
    pub setup: Option<Setup>,
    /// What a run against a real target must be given.
    #[serde(default)]
    pub requires_vars: Vec<Spanned<RequiredVar>>,
    /// The file the profile was read from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// One entry of `scenarios:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// `JWT-004`: that scenario.
    Id(String),
    /// `{ tag: connect }`: every scenario carrying the tag.
    Tag(String),
}

impl Selector {
    pub fn matches(&self, scenario: &Scenario) -> bool {
        match self {
            Selector::Id(id) => scenario.id.inner == *id,
            Selector::Tag(tag) => scenario.tags.contains(tag),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Id(id) => f.write_str(id),
            Selector::Tag(tag) => write!(f, "tag:{tag}"),
        }
    }
}

/// A scalar is an id; a mapping is `{ tag: T }`. Hand-written because the
/// positioned deserializer has no buffering for `#[serde(untagged)]`.
impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SelectorVisitor;

        impl<'de> Visitor<'de> for SelectorVisitor {
            type Value = Selector;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scenario id or { tag: TAG }")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Selector, E> {
                Ok(Selector::Id(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Selector, E> {
                Ok(Selector::Id(v.to_string()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Selector, E> {
                Ok(Selector::Id(v.to_string()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Selector, A::Error> {
                let mut tag = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "tag" {
                        return Err(de::Error::unknown_field(&key, &["tag"]));
                    }
                    if tag.is_some() {
                        return Err(de::Error::duplicate_field("tag"));
                    }
                    tag = Some(map.next_value::<String>()?);
                }
                tag.map(Selector::Tag)
                    .ok_or_else(|| de::Error::missing_field("tag"))
            }
        }

        deserializer.deserialize_any(SelectorVisitor)
    }
}

/// As its `Deserialize` reads it: an id, or `{ tag: TAG }`.
impl schemars::JsonSchema for Selector {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Selector".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A scenario id (e.g. JWT-004), or { tag: TAG } for every scenario carrying the tag.",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": { "tag": { "type": "string" } },
                    "required": ["tag"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// One entry of `requires_vars:`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RequiredVar {
    /// The scenario var `--var NAME=VALUE` sets.
    pub name: String,
    /// The environment variable the scenarios read it from (`${env:ENV}`), if any.
    #[serde(default)]
    pub env: Option<String>,
    /// What to give, for the message that names a missing var.
    pub description: String,
}

impl RequiredVar {
    /// `name` (or environment `ENV`), as a missing-var message shows it.
    pub fn spelling(&self) -> String {
        match &self.env {
            Some(env) => format!("--var {}=… (or environment {env})", self.name),
            None => format!("--var {}=…", self.name),
        }
    }
}

impl Profile {
    /// The required vars given neither by `--var` nor by a set, non-empty
    /// environment variable.
    pub fn missing_vars(
        &self,
        cli_vars: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<&RequiredVar> {
        self.requires_vars
            .iter()
            .map(|v| &v.inner)
            .filter(|v| {
                let given = cli_vars.iter().any(|(name, _)| *name == v.name);
                let in_env = v
                    .env
                    .as_deref()
                    .and_then(env)
                    .is_some_and(|value| !value.is_empty());
                !given && !in_env
            })
            .collect()
    }

    /// `(ENV, value)` for each required var given with `--var` that names an
    /// environment variable: the value `${env:ENV}` takes while the suite loads.
    pub fn env_overrides(&self, cli_vars: &[(String, String)]) -> Vec<(String, String)> {
        self.requires_vars
            .iter()
            .filter_map(|v| {
                let env = v.env.as_ref()?;
                let (_, value) = cli_vars.iter().rev().find(|(name, _)| *name == v.name)?;
                Some((env.clone(), value.clone()))
            })
            .collect()
    }

    /// The scenarios this profile selects, in suite order.
    pub fn select(&self, scenarios: Vec<Scenario>) -> Vec<Scenario> {
        scenarios
            .into_iter()
            .filter(|s| self.scenarios.iter().any(|sel| sel.matches(s)))
            .collect()
    }

    /// Every selector must find a scenario in `suite`: a profile that silently
    /// runs less than it names would certify less than it claims.
    pub fn check_against(&self, suite: &[Scenario]) -> Vec<Diagnostic> {
        let source = super::source::read(&self.file).unwrap_or_default();
        let ids: Vec<&str> = suite.iter().map(|s| s.id.inner.as_str()).collect();
        self.scenarios
            .iter()
            .filter(|sel| !suite.iter().any(|s| sel.matches(s)))
            .map(|sel| {
                let (message, help) = match &sel.inner {
                    Selector::Id(id) => (
                        format!("no scenario in the suite has id '{id}'"),
                        tde::closest(id, &ids).map(|c| format!("did you mean '{c}'?")),
                    ),
                    Selector::Tag(tag) => {
                        (format!("no scenario in the suite has tag '{tag}'"), None)
                    }
                };
                Diagnostic::at(&self.file, &source, sel.pos, message, help)
            })
            .collect()
    }
}

/// `--profile NAME`: a path when it names a file (or ends in `.yaml`/`.yml` or
/// holds a `/`), otherwise `profiles/NAME.yaml`.
pub fn resolve(name: &str) -> PathBuf {
    let path = Path::new(name);
    let looks_like_path = path.is_file()
        || name.contains(std::path::MAIN_SEPARATOR)
        || name.contains('/')
        || matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
    if looks_like_path {
        path.to_path_buf()
    } else {
        Path::new(PROFILE_DIR).join(format!("{name}.yaml"))
    }
}

/// The profile files in `dir`, sorted.
pub fn discover(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

/// The names `--profile` accepts from `dir` (file stems), for an unknown-name message.
pub fn available(dir: &Path) -> Vec<String> {
    discover(dir)
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
        .collect()
}

/// Reads and checks one profile file.
pub fn load_file(path: &Path) -> Result<Profile, Vec<Diagnostic>> {
    let source = super::source::read(path).map_err(|d| vec![d])?;
    load_str(&source, path)
}

/// Reads and checks profile text; `path` is for messages.
pub fn load_str(source: &str, path: &Path) -> Result<Profile, Vec<Diagnostic>> {
    let at = |pos: Pos, message: String| vec![Diagnostic::at(path, source, pos, message, None)];
    let root = yaml::parse(source).map_err(|e| at(e.pos, e.message))?;
    if !matches!(root.kind, NodeKind::Map(_)) {
        return Err(at(
            root.pos,
            "a profile file is a mapping with name, title and scenarios".into(),
        ));
    }
    let sorted = |problems| diagnostic::for_file(path, source, problems);
    let soft = RefCell::new(Vec::new());
    let parsed = tde::from_node::<Profile>(&root, &soft);
    let mut diagnostics: Vec<Problem> = soft
        .into_inner()
        .into_iter()
        .chain(parsed.as_ref().err().cloned())
        .map(|e| (e.pos.unwrap_or(root.pos), e.message, e.help))
        .collect();
    let Ok(mut profile) = parsed else {
        return Err(sorted(diagnostics));
    };
    profile.file = path.to_path_buf();

    let name = &profile.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        diagnostics.push((
            name.pos,
            format!(
                "profile name '{}' may hold only a-z, 0-9 and '-'",
                name.inner
            ),
            None,
        ));
    } else if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        && stem != name.inner
    {
        // `--profile NAME` finds the file by name; they must agree.
        diagnostics.push((
            name.pos,
            format!("profile name '{}' differs from its file name", name.inner),
            Some(format!(
                "rename the file to {}.yaml, or the profile to '{stem}'",
                name.inner
            )),
        ));
    }
    if profile.scenarios.is_empty() {
        let pos = root.get("scenarios").map_or(name.pos, |n| n.pos);
        diagnostics.push((pos, "a profile needs at least one scenario".into(), None));
    }
    for (index, var) in profile.requires_vars.iter().enumerate() {
        if profile.requires_vars[..index]
            .iter()
            .any(|earlier| earlier.name == var.name)
        {
            diagnostics.push((
                var.pos,
                format!("required var '{}' is listed twice", var.name),
                None,
            ));
        }
    }
    if diagnostics.is_empty() {
        Ok(profile)
    } else {
        Err(sorted(diagnostics))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "name: demo
title: A demo profile
scenarios:
  - BASIC-001
  - { tag: pat }
requires_vars:
  - { name: user, env: CONF_USER, description: a user }
  - { name: token, description: a token }
";

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_ids_tags_and_required_vars() {
        let profile = load_str(GOOD, Path::new("profiles/demo.yaml")).unwrap();
        assert_eq!(profile.name.inner, "demo");
        let selectors: Vec<_> = profile.scenarios.iter().map(|s| s.inner.clone()).collect();
        assert_eq!(
            selectors,
            [
                Selector::Id("BASIC-001".into()),
                Selector::Tag("pat".into())
            ]
        );
        assert_eq!(profile.requires_vars[0].env.as_deref(), Some("CONF_USER"));
        assert_eq!(profile.scenarios[1].pos.line, 5);
    }

    #[test]
    fn a_var_is_given_by_flag_or_by_a_non_empty_environment_variable() {
        let profile = load_str(GOOD, Path::new("demo.yaml")).unwrap();
        let empty_env = |_: &str| None;
        let names =
            |missing: Vec<&RequiredVar>| missing.iter().map(|v| v.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(profile.missing_vars(&[], &empty_env)),
            ["user", "token"]
        );
        let env = |n: &str| (n == "CONF_USER").then(|| "bob".to_string());
        assert_eq!(names(profile.missing_vars(&[], &env)), ["token"]);
        let blank = |n: &str| (n == "CONF_USER").then(String::new);
        assert_eq!(names(profile.missing_vars(&[], &blank)), ["user", "token"]);
        let given = vars(&[("user", "bob"), ("token", "t")]);
        assert!(profile.missing_vars(&given, &empty_env).is_empty());
        assert_eq!(
            profile.env_overrides(&given),
            [("CONF_USER".to_string(), "bob".to_string())]
        );
    }

    #[test]
    fn every_mistake_is_reported_with_its_position() {
        let text = "name: Demo\ntitle: x\nscenarios: [{ tga: pat }]\nrequires_vars:\n  - { name: a, descripton: b }\n";
        let errors = load_str(text, Path::new("demo.yaml")).unwrap_err();
        let shown: Vec<String> = errors
            .iter()
            .map(|d| format!("{}: {}", d.location(), d.message))
            .collect();
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("demo.yaml:3:") && s.contains("unknown key 'tga'")),
            "{shown:?}"
        );
        let unknown = errors.iter().find(|d| d.message.contains("'tga'")).unwrap();
        assert_eq!(unknown.help.as_deref(), Some("did you mean 'tag'?"));
    }

    #[test]
    fn a_name_must_match_its_file() {
        let errors = load_str(GOOD, Path::new("profiles/other.yaml")).unwrap_err();
        assert!(errors[0].message.contains("differs from its file name"));
        assert_eq!(errors[0].location(), "profiles/other.yaml:1:7");
    }

    #[test]
    fn names_resolve_to_the_profile_folder_and_paths_stay_paths() {
        assert_eq!(resolve("pat"), Path::new("profiles/pat.yaml"));
        assert_eq!(resolve("x/y.yaml"), Path::new("x/y.yaml"));
        assert_eq!(resolve("y.yml"), Path::new("y.yml"));
    }
}
