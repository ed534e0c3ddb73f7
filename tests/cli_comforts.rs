//! What a CI user leans on besides the verdict, through the real binary:
//! `run --list` (sends nothing, says why a scenario would be skipped),
//! `--exclude-tag`, shell completions, `--help`'s exit codes and examples, and
//! exit 3 for a report that cannot be written.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

mod common;
use common::cli::{text, tollgate};

fn scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// A loopback listener that counts the connections made to it until dropped.
struct CountingListener {
    port: u16,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CountingListener {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, halt) = (connections.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok(_) => {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        CountingListener {
            port,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops listening and says how many connections were made.
    fn finish(mut self) -> usize {
        // Anything still in the backlog is accepted before the count is read.
        std::thread::sleep(Duration::from_millis(50));
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
        self.connections.load(Ordering::Relaxed)
    }
}

/// `RUN`/`SKIP`/`OUT` and the reason (or note) under each id of a listing.
fn listed(stdout: &str) -> BTreeMap<String, (String, Option<String>)> {
    let mut entries = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in stdout.lines() {
        let mut words = line.split_whitespace();
        match (line.starts_with(' '), words.next(), words.next()) {
            (true, _, _) => {
                if let Some(id) = &last {
                    let entry: &mut (String, Option<String>) = entries.get_mut(id).unwrap();
                    entry.1 = Some(line.trim().to_string());
                }
            }
            (false, Some(tag @ ("RUN" | "SKIP" | "OUT")), Some(id)) => {
                entries.insert(id.to_string(), (tag.to_string(), None));
                last = Some(id.to_string());
            }
            _ => last = None,
        }
    }
    entries
}

#[test]
fn list_against_a_real_target_sends_nothing_binds_nothing_and_says_why_each_skip() {
    let target = CountingListener::start();
    let url = format!("http://127.0.0.1:{}", target.port);
    // The IdP's address is the counting listener's own: a run would fail to
    // bind it, so a listing that succeeds started no IdP.
    let idp = format!("127.0.0.1:{}", target.port);
    let output = tollgate(&[
        "run",
        scenarios().to_str().unwrap(),
        "--list",
        "--target",
        &url,
        "--allow-defaults",
        "--idp-listen",
        &idp,
    ]);
    let connections = target.finish();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(connections, 0, "--list connected to the target: {stdout}");
    assert!(
        stdout
            .lines()
            .last()
            .unwrap_or_default()
            .ends_with("; nothing was sent"),
        "{stdout}"
    );

    let entries = listed(&stdout);
    assert!(entries.len() >= 50, "{stdout}");
    let (tag, note) = &entries["BASIC-001"];
    assert_eq!((tag.as_str(), note), ("RUN", &None), "{stdout}");
    let skipped = |needle: &str| {
        entries
            .values()
            .any(|(tag, why)| tag == "SKIP" && why.as_deref().is_some_and(|w| w.contains(needle)))
    };
    assert!(skipped("(only: mock)"), "{stdout}");
    assert!(skipped("--setup rate-limit"), "{stdout}");
    let version_noted = entries.values().any(|(tag, why)| {
        tag == "RUN"
            && why
                .as_deref()
                .is_some_and(|w| w.starts_with("only if the target is Confluence"))
    });
    assert!(version_noted, "{stdout}");
}

/// `--list` says, for every scenario, what the run with the same arguments
/// then does: the same ids skipped with the same reasons, the same run, and
/// what `--exclude-tag` leaves out absent from the report.
#[test]
fn list_agrees_with_the_run_it_describes_and_exclude_tag_leaves_scenarios_out() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run.json");
    let report_arg = format!("json={}", report.display());
    let scenarios = scenarios();
    let args = [
        "run",
        scenarios.to_str().unwrap(),
        "--target",
        "http://127.0.0.1:9",
        "--allow-defaults",
        "--confluence-version",
        "7.4.0",
        "--exclude-tag",
        "plugin",
        "--exclude-tag",
        "crowd",
    ];
    let listing = tollgate(&[&args[..], &["--list"]].concat());
    assert_eq!(listing.status.code(), Some(0), "{}", text(&listing));
    let entries = listed(&String::from_utf8_lossy(&listing.stdout));

    let run = tollgate(&[&args[..], &["--report", &report_arg]].concat());
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let ran = report["scenarios"].as_array().unwrap();
    let mut in_run = 0;
    for scenario in ran {
        let id = scenario["id"].as_str().unwrap();
        let tags = scenario["tags"].as_array().unwrap();
        assert!(
            !tags.iter().any(|t| t == "plugin" || t == "crowd"),
            "{id} carries an excluded tag"
        );
        let (tag, why) = &entries[id];
        if scenario["outcome"] == "skip" {
            assert_eq!(tag, "SKIP", "{id}");
            assert_eq!(why.as_deref(), scenario["skip_reason"].as_str(), "{id}");
        } else {
            assert_eq!(tag, "RUN", "{id}: {why:?}");
        }
        in_run += 1;
    }
    let version_skips = ran
        .iter()
        .filter_map(|s| s["skip_reason"].as_str())
        .filter(|why| why.starts_with("needs Confluence"))
        .count();
    assert!(version_skips > 0, "--confluence-version 7.4.0 skips some");
    let left_out = entries.values().filter(|(tag, _)| tag == "OUT").count();
    assert!(left_out > 0);
    assert_eq!(in_run + left_out, entries.len());
    assert!(
        entries
            .values()
            .any(|(_, why)| why.as_deref() == Some("not selected: --exclude-tag plugin"))
    );
}

#[test]
fn list_exits_2_where_the_run_would_stop_before_sending() {
    let output = tollgate(&[
        "run",
        "--list",
        "--profile",
        "connect-jwt",
        "--target",
        "http://127.0.0.1:9",
    ]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("JWT-004"), "the listing comes first: {out}");
    assert!(out.contains("needs 3 var(s) that were not given"), "{out}");

    let none = tollgate(&["run", "--list", "--tag", "no-such-tag"]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
}

#[test]
fn completions_print_a_script_for_each_shell() {
    let bash = tollgate(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0), "{}", text(&bash));
    let script = String::from_utf8_lossy(&bash.stdout);
    assert!(script.contains("complete -F _tollgate"), "{script}");
    assert!(script.contains("--exclude-tag"), "{script}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = tollgate(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", text(&output));
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("selftest"),
            "{shell}"
        );
    }
    assert_eq!(tollgate(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn help_shows_exit_codes_and_examples_and_keys_gen_says_what_it_does() {
    for command in ["run", "load"] {
        let help = tollgate(&[command, "--help"]);
        let out = String::from_utf8_lossy(&help.stdout);
        assert_eq!(help.status.code(), Some(0), "{out}");
        for code in ["0", "1", "2", "3"] {
            assert!(out.contains(&format!("\n  {code}  ")), "{command}: {out}");
        }
        assert!(
            out.contains(&format!("Examples:\n  tollgate {command}")),
            "{out}"
        );
    }
    let keys = tollgate(&["keys", "gen", "--help"]);
    let out = String::from_utf8_lossy(&keys.stdout);
    assert!(out.contains("The key's name"), "{out}");
    assert!(out.contains("RS256, ES256 or HS256"), "{out}");
    assert!(out.contains("Ed25519"), "{out}");
    assert!(out.contains("Examples:"), "{out}");
}

#[test]
fn a_report_that_cannot_be_written_exits_3_and_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the report's folder should be: it cannot be made.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let unwritable = blocker.join("junit.xml");
    let written = dir.path().join("report.md");
    let scenarios = scenarios();
    let output = tollgate(&[
        "run",
        scenarios.to_str().unwrap(),
        "--id",
        "BASIC-001",
        "--report",
        &format!("junit={}", unwritable.display()),
        "--report",
        &format!("md={}", written.display()),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        stderr.contains(&format!("error: cannot write {}", unwritable.display())),
        "{stderr}"
    );
    assert!(written.is_file(), "the other reports are still written");

    let load = tollgate(&[
        "load",
        "scenarios/load/basic.yaml",
        "--iterations",
        "1",
        "--users",
        "1",
        "--quiet",
        "--report",
        blocker.join("load.json").to_str().unwrap(),
    ]);
    let out = text(&load);
    assert_eq!(load.status.code(), Some(3), "{out}");
    assert!(
        out.contains(&blocker.join("load.json").display().to_string()),
        "{out}"
    );
}
