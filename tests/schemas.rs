//! `tollgate schema --kind scenario|profile|report` through the binary, held to
//! by a real JSON Schema validator (boon, draft 2020-12): the repository's own
//! scenarios and profiles validate against the schemas editors get, and so do
//! the JSON reports real runs write (with every field declared).

use std::path::{Path, PathBuf};

use serde_json::Value;
use tollgate::scenario::yaml::{self, Node, NodeKind};

mod common;
use common::cli::tollgate;

fn schema(kind: &str) -> Value {
    let output = tollgate(&["schema", "--kind", kind]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("a schema is JSON")
}

/// A compiled schema and what it validates.
struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn new(schema: Value) -> Self {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.add_resource("schema.json", schema).unwrap();
        let index = compiler
            .compile("schema.json", &mut schemas)
            .unwrap_or_else(|e| panic!("the schema compiles: {e:#}"));
        Validator { schemas, index }
    }

    fn check(&self, what: &str, instance: &Value) -> Option<String> {
        self.schemas
            .validate(instance, self.index)
            .err()
            .map(|e| format!("{what}: {e}"))
    }
}

/// `schema` with `additionalProperties: false` wherever it lists properties and
/// says nothing of others: the published report schema lets readers meet fields
/// added later; this copy makes a field the schema lacks an error.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(strict);
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

/// YAML as an editor's language server hands it to the schema: plain scalars
/// typed by YAML 1.2's core schema, quoted and block ones strings.
fn to_json(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Scalar { text, plain: false } => Value::String(text.clone()),
        NodeKind::Scalar { text, plain: true } => plain_scalar(text),
        NodeKind::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, value)| (key.as_str().unwrap_or_default().to_string(), to_json(value)))
                .collect(),
        ),
    }
}

fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Ok(int) = text.parse::<i64>() {
                Value::from(int)
            } else if let Some(float) = text
                .parse::<f64>()
                .ok()
                .filter(|_| text.chars().any(|c| c.is_ascii_digit()))
                .and_then(serde_json::Number::from_f64)
            {
                Value::Number(float)
            } else {
                Value::String(text.to_string())
            }
        }
    }
}

fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            found.push(path);
        }
    }
}

fn validate_files(kind: &str, dir: &str) -> usize {
    let validator = Validator::new(schema(kind));
    let mut files = Vec::new();
    yaml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut files);
    let problems: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let node = yaml::parse(&text).unwrap();
            validator.check(&path.display().to_string(), &to_json(&node))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    files.len()
}

#[test]
fn the_repository_s_profiles_validate_against_the_profile_schema() {
    assert!(validate_files("profile", "profiles") >= 5);
    let validator = Validator::new(schema("profile"));
    let typo = serde_json::json!({
        "name": "p", "title": "t", "scenarios": ["BASIC-001", { "tag": "basic" }],
        "requires_var": []
    });
    assert!(validator.check("a typo", &typo).is_some());
    let bad_selector = serde_json::json!({
        "name": "p", "title": "t", "scenarios": [{ "tags": "basic" }]
    });
    assert!(validator.check("a bad selector", &bad_selector).is_some());
}

#[test]
fn the_repository_s_scenarios_validate_against_the_default_schema() {
    let default = tollgate(&["schema"]);
    let default: Value = serde_json::from_slice(&default.stdout).unwrap();
    assert_eq!(
        default,
        schema("scenario"),
        "the scenario schema is the default"
    );
    assert!(validate_files("scenario", "scenarios") >= 50);
}

/// Reports of runs that pass (with bursts and transcripts), fail, warn, error
/// and skip all validate against a strict copy of the report schema.
#[test]
fn json_reports_of_real_runs_validate_with_every_field_declared() {
    let mut report_schema = schema("report");
    assert_eq!(
        report_schema["properties"]["format"]["const"],
        "tollgate-report/1"
    );
    strict(&mut report_schema);
    let validator = Validator::new(report_schema);

    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("own.yaml");
    std::fs::write(
        &own,
        "id: OWN-1\ntitle: a failure and a warning\nsteps:\n  - name: warned\n    request: { path: /rest/api/space }\n    expect: { status: 401, should: { status: 200 } }\n  - name: failed\n    request: { path: /rest/api/space }\n    expect: { status: 200 }\n",
    )
    .unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let runs: [(&str, Vec<&str>); 3] = [
        ("embedded", vec!["--tag", "basic", "--tag", "rate-limit"]),
        (
            "nothing listening",
            vec![
                "--tag",
                "basic",
                "--target",
                "http://127.0.0.1:9",
                "--allow-defaults",
            ],
        ),
        ("failing", vec![]),
    ];
    for (name, extra) in runs {
        let report = dir.path().join(format!("{name}.json"));
        let report_arg = format!("json={}", report.display());
        let path = if name == "failing" {
            own.to_str().unwrap()
        } else {
            scenarios.to_str().unwrap()
        };
        let mut args = vec!["run", path, "--report", &report_arg];
        args.extend(extra);
        let output = tollgate(&args);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{name}: {output:?}"
        );
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        if let Some(problem) = validator.check(name, &report) {
            panic!("{problem}");
        }
    }
}
