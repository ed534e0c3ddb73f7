//! The YAML contract: scenario files → the serde surface ([`model`], every node
//! with its span) → checked ([`validate`]) → compiled once into the executable
//! [`plan::Scenario`] that `run` and `load` consume ([`compile`]).
//!
//! Knows nothing of sending requests; never imports `run`, `load`, `mock`,
//! `expect`, `report` or `auth`. Loading reports every error of a file at once,
//! each with `file:line:col`.

pub mod compile;
pub mod de;
pub mod diagnostic;
pub mod duration;
pub mod facts;
#[cfg(test)]
mod load_tests;
pub mod mock_config;
pub mod model;
pub mod paths;
pub mod plan;
pub mod profile;
pub mod source;
pub mod template;
pub mod threshold;
pub mod validate;
pub mod vars;
pub mod version;
pub mod yaml;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use diagnostic::Diagnostic;
use diagnostic::{EnvSubstitutions, Problem};
use model::Step;
pub use plan::Scenario;
use yaml::{Node, NodeKind, Pos};

/// Reads and checks one scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, Vec<Diagnostic>> {
    load_file_with_env(path, &|name| std::env::var(name).ok())
}

/// Reads and checks one scenario file; `env` answers `${env:…}` lookups.
pub fn load_file_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, Vec<Diagnostic>> {
    let source = source::read(path).map_err(|d| vec![d])?;
    load_str(&source, path, env)
}

/// Reads and checks scenario text; `env` answers `${env:…}` lookups.
pub fn load_str(
    source: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, Vec<Diagnostic>> {
    let at = |pos: Pos, message: String| vec![Diagnostic::at(path, source, pos, message, None)];
    let mut root = yaml::parse(source).map_err(|e| at(e.pos, e.message))?;
    if !matches!(root.kind, NodeKind::Map(_)) {
        return Err(at(
            root.pos,
            "a scenario file is a mapping with id, title and steps".into(),
        ));
    }
    let mut problems = Vec::new();
    let mut hidden = EnvSubstitutions::default();
    let resolved = resolve_env(&mut root, env, &mut hidden, &mut |pos, var| {
        problems.push((
            pos,
            format!("environment variable '{var}' is not set"),
            Some(format!("set it, or give a default: ${{env:{var}:-value}}")),
        ));
    });
    read_scenario(root, source, path, problems, resolved).map_err(|problems| {
        let mut diagnostics = diagnostic::for_file(path, source, problems);
        hidden.hide(&mut diagnostics);
        diagnostics
    })
}

/// What `${env:…}` put into a file.
#[derive(Default)]
struct EnvResolved {
    /// Every value, with the variable it came from (secret or not:
    /// [`compile`] decides).
    values: Vec<vars::EnvValue>,
    /// The references that fell back to their default.
    defaults: Vec<vars::EnvDefault>,
    /// Scalars that are one set environment variable's value, whole: a path
    /// there was given by the user, relative to the working directory.
    from_environment: Vec<Pos>,
}

/// Replaces every `${env:…}` in the scalars under `root`, recording in `hidden`
/// what each value was written as; `missing` hears of each unset variable.
fn resolve_env(
    root: &mut Node,
    env: &dyn Fn(&str) -> Option<String>,
    hidden: &mut EnvSubstitutions,
    missing: &mut dyn FnMut(Pos, String),
) -> EnvResolved {
    let mut resolved = EnvResolved::default();
    root.for_each_scalar_mut(&mut |text, pos| {
        let written = text.contains("${").then(|| text.clone());
        match vars::resolve_env(text, env) {
            Ok(found) => {
                resolved.values.extend(found.values);
                resolved.defaults.extend(found.defaults);
            }
            Err(var) => missing(pos, var),
        }
        let Some(written) = written else { return };
        let Ok(references) = vars::references(&written) else {
            return;
        };
        if let [only] = references.as_slice() {
            let whole = only.start == 0 && only.end == written.len();
            let set = vars::env_reference(only.name).is_some_and(|(var, _)| env(var).is_some());
            if whole && set {
                resolved.from_environment.push(pos);
            }
        }
        let from_env: Vec<(String, &str)> = references
            .iter()
            .filter_map(|r| {
                let (var, _default) = vars::env_reference(r.name)?;
                Some((env(var)?, &written[r.start..r.end]))
            })
            .collect();
        if from_env.is_empty() {
            return;
        }
        hidden.add(text.clone(), written.clone());
        for (value, reference) in from_env {
            hidden.add(value, reference.to_string());
        }
    });
    resolved
}

/// The typed scenario from its tree, or every problem found on the way.
fn read_scenario(
    mut root: Node,
    source: &str,
    path: &Path,
    mut problems: Vec<Problem>,
    env: EnvResolved,
) -> Result<Scenario, Vec<Problem>> {
    // Steps are read one by one, so a mistake in one step does not hide the others'.
    let step_nodes = take_steps(&mut root);
    let soft = RefCell::new(Vec::new());
    let head = de::from_node::<model::Scenario>(&root, &soft);
    let mut steps = Vec::new();
    let mut step_errors = Vec::new();
    for node in &step_nodes {
        match de::from_node::<de::Spanned<Step>>(node, &soft) {
            Ok(step) => steps.push(step),
            Err(e) => step_errors.push(e),
        }
    }
    let errors = soft
        .into_inner()
        .into_iter()
        .chain(head.as_ref().err().cloned())
        .chain(step_errors);
    for e in errors {
        problems.push((e.pos.unwrap_or(root.pos), e.message, e.help));
    }

    let Ok(mut scenario) = head else {
        return Err(problems);
    };
    if let Some(mock) = root.get("mock") {
        problems.extend(mock_config::inert::check(&scenario.mock, mock, false));
    }
    scenario.steps = steps;
    scenario.file = path.to_path_buf();
    scenario.env_values = env.values;
    scenario.env_defaults = env.defaults;
    problems.extend(paths::resolve_keys(
        &mut scenario.keys,
        path,
        &env.from_environment,
    ));
    scenario.source_sha256 = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(source.as_bytes()))
    };
    // Checks beyond the shape still run when some steps failed to read, so one
    // `check` shows as much as it can; references need every step in place.
    let nodes: &[Node] = if scenario.steps.len() == step_nodes.len() {
        &step_nodes
    } else {
        &[]
    };
    if step_nodes.is_empty() {
        let pos = root.get("steps").map_or(scenario.id.pos, |n| n.pos);
        problems.push((pos, "a scenario needs at least one step".into(), None));
    }
    problems.extend(validate::check(&scenario, nodes));
    match compile::compile(scenario) {
        Ok(compiled) if problems.is_empty() => Ok(compiled),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// Removes the `steps:` list from the root mapping and returns its items.
fn take_steps(root: &mut Node) -> Vec<Node> {
    let NodeKind::Map(entries) = &mut root.kind else {
        return Vec::new();
    };
    let Some(index) = entries
        .iter()
        .position(|(k, _)| k.as_str() == Some("steps"))
    else {
        return Vec::new();
    };
    let (key, value) = entries.remove(index);
    match value.kind {
        NodeKind::Seq(items) => {
            // Keep an empty list in place so `steps` still counts as written.
            entries.push((
                key,
                Node {
                    kind: NodeKind::Seq(Vec::new()),
                    pos: value.pos,
                },
            ));
            items
        }
        kind => {
            entries.push((
                key,
                Node {
                    kind,
                    pos: value.pos,
                },
            ));
            Vec::new()
        }
    }
}

/// The scenario files under `paths`: files as given, folders searched recursively
/// for `*.yaml` / `*.yml`, in a stable (sorted) order.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)
                .map_err(|e| Diagnostic::file(path, format!("cannot list: {e}")))?;
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            return Err(Diagnostic::file(path, "no such file or folder".into()));
        }
    }
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
    Ok(())
}

/// Loads every scenario under `paths`. All files are read even when some fail,
/// and ids must be unique across the suite.
pub fn load_suite(paths: &[PathBuf]) -> Result<Vec<Scenario>, Vec<Diagnostic>> {
    load_suite_with_env(paths, &|name| std::env::var(name).ok())
}

/// [`load_suite`] with `env` answering `${env:…}` lookups: a profile run feeds
/// its required vars given with `--var` in here ([`profile::Profile::env_overrides`]).
pub fn load_suite_with_env(
    paths: &[PathBuf],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Scenario>, Vec<Diagnostic>> {
    let files = discover(paths).map_err(|d| vec![d])?;
    let mut scenarios = Vec::new();
    let mut diagnostics = Vec::new();
    for file in &files {
        match load_file_with_env(file, env) {
            Ok(s) => scenarios.push(s),
            Err(d) => diagnostics.extend(d),
        }
    }
    let mut seen: HashMap<String, &Scenario> = HashMap::new();
    for scenario in &scenarios {
        if let Some(first) = seen.insert(scenario.id.inner.clone(), scenario) {
            let source = source::read(&scenario.file).unwrap_or_default();
            diagnostics.push(Diagnostic::at(
                &scenario.file,
                &source,
                scenario.id.pos,
                format!("duplicate id '{}'", scenario.id.inner),
                Some(format!(
                    "also used in {}:{}",
                    first.file.display(),
                    first.id.pos.line
                )),
            ));
        }
    }
    if diagnostics.is_empty() {
        Ok(scenarios)
    } else {
        Err(diagnostics)
    }
}

/// The emulator configuration for `tollgate mock --config FILE`: a scenario (its
/// `mock:` block), a file holding only `mock:`, or the block's contents.
/// What `tollgate mock --config` serves: the emulator's configuration and, when
/// the file is a scenario, its keys (issuers and the IdP may name them).
#[derive(Debug, Default)]
pub struct MockFile {
    pub config: mock_config::MockConfig,
    pub keys: indexmap::IndexMap<String, de::Spanned<model::KeySpec>>,
}

pub fn load_mock_file(path: &Path) -> Result<MockFile, Vec<Diagnostic>> {
    let source = source::read(path).map_err(|d| vec![d])?;
    let env = |name: &str| std::env::var(name).ok();
    let mut root = yaml::parse(&source)
        .map_err(|e| vec![Diagnostic::at(path, &source, e.pos, e.message, None)])?;
    if root.get("steps").is_some() || root.get("id").is_some() {
        return load_str(&source, path, &env).map(|s| MockFile {
            config: s.mock,
            keys: s.keys,
        });
    }
    let mut problems = Vec::new();
    let mut hidden = EnvSubstitutions::default();
    resolve_env(&mut root, &env, &mut hidden, &mut |pos, var| {
        problems.push((
            pos,
            format!("environment variable '{var}' is not set"),
            None,
        ));
    });
    let node = match &root.kind {
        NodeKind::Map(entries) if entries.len() == 1 && entries[0].0.as_str() == Some("mock") => {
            &entries[0].1
        }
        _ => &root,
    };
    let soft = RefCell::new(Vec::new());
    let config = de::from_node::<mock_config::MockConfig>(node, &soft);
    for e in soft
        .into_inner()
        .into_iter()
        .chain(config.as_ref().err().cloned())
    {
        problems.push((e.pos.unwrap_or(node.pos), e.message, e.help));
    }
    if let Ok(config) = &config {
        problems.extend(mock_config::inert::check(config, node, true));
    }
    match config {
        Ok(config) if problems.is_empty() => Ok(MockFile {
            config,
            keys: Default::default(),
        }),
        _ => {
            let mut diagnostics = diagnostic::for_file(path, &source, problems);
            hidden.hide(&mut diagnostics);
            Err(diagnostics)
        }
    }
}
