//! Past one machine, on one: `tollgate load --shard I/N` as N local processes,
//! then `tollgate merge` judging thresholds on their sum; the shard and
//! `--start-at` refusals; and the Kubernetes manifests that run the same recipe.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use tollgate::scenario::yaml::{self, Node, NodeKind};

fn tollgate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command
        .env("NO_COLOR", "1")
        .env_remove("JOB_COMPLETION_INDEX")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    tollgate()
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("tollgate runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Requests in a goose JSON report (a shard's) or a merged summary.
fn requests(report: &Path) -> u64 {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    if let Some(requests) = json["raw_metrics"]["requests"].as_object() {
        return requests
            .values()
            .map(|r| r["raw_data"]["counter"].as_u64().unwrap())
            .sum();
    }
    json["steps"]
        .as_array()
        .expect("a merged summary has steps")
        .iter()
        .map(|s| s["requests"].as_u64().unwrap())
        .sum()
}

fn shard(index: usize, report: &Path) -> Child {
    tollgate()
        .args(["load", "scenarios/load/basic.yaml", "--users", "2"])
        .args(["--run-time", "2s", "--start-at", "+2s"])
        .arg("--shard")
        .arg(format!("{index}/2"))
        .arg("--report")
        .arg(report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tollgate starts")
}

#[test]
fn two_shards_merge_into_one_verdict_on_their_sum() {
    let dir = tempfile::tempdir().unwrap();
    let reports: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("s{i}.json")))
        .collect();
    let shards: Vec<Child> = (0..2).map(|i| shard(i, &reports[i])).collect();
    for (index, child) in shards.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "shard {index}: {}",
            text(&output)
        );
        let out = text(&output);
        assert!(
            out.contains(&format!("shard {index}/2: 1 user(s)")),
            "{out}"
        );
        assert!(out.contains("planned start"), "{out}");
    }
    let shard_sum: u64 = reports.iter().map(|r| requests(r)).sum();
    assert!(shard_sum > 0);
    let files: Vec<&str> = reports.iter().map(|p| p.to_str().unwrap()).collect();

    let merged = dir.path().join("merged.json");
    let mut strict = vec!["merge", files[0], files[1], "--threshold", "p99<1us"];
    strict.extend(["--report", merged.to_str().unwrap()]);
    let output = run(&strict, &[]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("threshold FAIL: p99<1us (observed merged "),
        "{out}"
    );
    assert!(out.contains("on 2 machine(s)"), "{out}");
    assert!(out.contains("shards 0/2, 1/2 planned to start at"), "{out}");
    assert_eq!(requests(&merged), shard_sum);
    // The merged summary records what was judged and how it went.
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    let judged = &summary["thresholds"][0];
    assert_eq!(
        (judged["rule"].as_str(), judged["passed"].as_bool()),
        (Some("p99<1us"), Some(false))
    );

    let output = run(
        &["merge", files[0], files[1], "--threshold", "p99<60s"],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    // The same shard twice would count its requests twice.
    let output = run(&["merge", files[0], files[0]], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("given twice"), "{}", text(&output));
}

#[test]
fn a_bad_shard_or_start_is_refused_before_anything_is_sent() {
    let basic = "scenarios/load/basic.yaml";
    for (args, envs, says) in [
        (vec!["--shard", "2/2"], vec![], "below 2"),
        (vec!["--shard", "0/0"], vec![], "at least 1"),
        (vec!["--shard", "half"], vec![], "is not I/N"),
        (vec!["--shard", "auto/2"], vec![], "not set"),
        (
            vec!["--shard", "auto/2"],
            vec![("JOB_COMPLETION_INDEX", "2")],
            "below 2",
        ),
        (vec!["--start-at", "+2h"], vec![], "the most is 1h"),
        (vec!["--start-at", "2000-01-01T00:00:00Z"], vec![], "ago"),
        (vec!["--start-at", "tomorrow"], vec![], "RFC 3339"),
    ] {
        let mut line = vec!["load", basic];
        line.extend(&args);
        let output = run(&line, &envs);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(text(&output).contains(says), "{args:?}: {}", text(&output));
    }
    let output = run(
        &["load", "--compare", "scenarios/load", "--shard", "0/2"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn a_shard_with_no_user_passes_and_says_so() {
    let output = run(
        &[
            "load",
            "scenarios/load/basic.yaml",
            "--users",
            "1",
            "--shard",
            "auto/2",
        ],
        &[("JOB_COMPLETION_INDEX", "1")],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("leaves this one none"),
        "{}",
        text(&output)
    );
}

fn get<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    path.iter().try_fold(node, |node, key| node.get(key))
}

#[test]
fn the_kubernetes_manifests_run_an_indexed_job_and_a_merge() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes");
    let mut indexed = Vec::new();
    let mut merges = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        let manifest = yaml::parse(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| {
            panic!(
                "{}: {}:{} {}",
                path.display(),
                e.pos.line,
                e.pos.col,
                e.message
            )
        });
        assert!(get(&manifest, &["kind"]).is_some(), "{}", path.display());
        let text = std::fs::read_to_string(&path).unwrap();
        if get(&manifest, &["spec", "completionMode"]).and_then(Node::as_str) == Some("Indexed") {
            let n = |key| {
                get(&manifest, &["spec", key])
                    .and_then(Node::as_str)
                    .map(str::to_string)
            };
            assert_eq!(n("parallelism"), n("completions"), "{}", path.display());
            assert!(
                text.contains("--shard") && text.contains("--start-at"),
                "{}",
                path.display()
            );
            indexed.push(path.clone());
        }
        if text.contains("tollgate merge") {
            merges += 1;
        }
        assert!(
            !matches!(manifest.kind, NodeKind::Seq(_)),
            "{}",
            path.display()
        );
    }
    assert_eq!(indexed.len(), 1, "one Indexed Job in {}", folder.display());
    assert!(merges >= 1, "a merge step in {}", folder.display());
}
