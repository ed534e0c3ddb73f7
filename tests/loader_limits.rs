//! `tollgate check` on files made to crash, hang or exhaust the loader: each is
//! refused with exit 2 and a message at `file:line:col` (issue 12). No timing is
//! asserted here; the times measured are in the closing note.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HEAD: &str = "id: LIMIT-1\ntitle: a probe of the loader's limits\nsteps:\n  - name: s\n    request: { path: / }\n";

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("the temp dir is writable");
    path
}

fn tollgate(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("tollgate runs")
}

/// `check` on `contents`: exit 2, and stderr holds every one of `expected`.
fn check_refuses(name: &str, contents: &[u8], expected: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = write(dir.path(), name, contents);
    let output = tollgate(&["check", &path.display().to_string()], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
    for text in expected {
        let text = text.replace("FILE", &path.display().to_string());
        assert!(stderr.contains(&text), "{name}: no '{text}' in {stderr}");
    }
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    // A message never prints a whole 200 KB line; a file gets at most 101.
    assert!(
        stderr.len() < 40_000,
        "{name}: {} bytes of stderr",
        stderr.len()
    );
    stderr
}

#[test]
fn nesting_100000_deep_is_refused() {
    // Overflowed the stack (exit 134) before the depth limit.
    let block = format!("{HEAD}vars:\n  x:\n    {}a\n", "- ".repeat(100_000));
    check_refuses(
        "deep-block.yaml",
        block.as_bytes(),
        &["nesting deeper than 64 levels", "FILE:8:"],
    );
    let flow = format!(
        "{HEAD}vars:\n  x: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    check_refuses(
        "deep-flow.yaml",
        flow.as_bytes(),
        &["nesting deeper than 64 levels", "FILE:7:"],
    );
    let maps = format!(
        "{HEAD}vars:\n  x: {}b{}\n",
        "{a: ".repeat(100_000),
        "}".repeat(100_000)
    );
    check_refuses(
        "deep-map.yaml",
        maps.as_bytes(),
        &["nesting deeper than 64 levels", "FILE:7:"],
    );
}

#[test]
fn an_alias_bomb_is_refused() {
    // ~500 bytes naming 10^9 nodes: took 3 GB and aborted before the budget.
    let mut bomb = String::from(HEAD);
    bomb.push_str("vars:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    check_refuses(
        "bomb.yaml",
        bomb.as_bytes(),
        &[
            "anchors and aliases copy more than 100000 nodes",
            "FILE:11:",
        ],
    );
}

#[test]
fn a_mapping_of_100000_keys_is_checked_in_one_pass() {
    // Quadratic before: 58 s for 100,000 keys in a release build.
    let keys: String = (0..100_000).map(|i| format!("  {i:x}: v\n")).collect();
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = write(
        dir.path(),
        "keys.yaml",
        format!("{HEAD}vars:\n{keys}").as_bytes(),
    );
    let output = tollgate(&["check", &path.display().to_string()], &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let duplicate = format!("{HEAD}vars:\n{keys}  10: again\n");
    check_refuses(
        "duplicate.yaml",
        duplicate.as_bytes(),
        &["duplicate key '10'", "FILE:100007:3"],
    );
    // 100,000 unknown keys: the first 100 messages and a count.
    let unknown: String = (0..100_000).map(|i| format!("{i:x}: v\n")).collect();
    check_refuses(
        "unknown.yaml",
        unknown.as_bytes(),
        &["99901 more error(s) in this file", "FILE:100:1"],
    );
    // The same on one line: each message copied the whole line before (3 GB
    // and an abort for 116,000 keys); now a clipped excerpt.
    let one_line: String = (0..50_000).map(|i| format!("{i:x}: v, ")).collect();
    check_refuses(
        "one-line.yaml",
        format!("{{{one_line}}}\n").as_bytes(),
        &["49901 more error(s) in this file", "FILE:1:"],
    );
}

#[test]
fn a_second_document_is_refused_at_its_start() {
    // The second scenario was silently ignored before.
    let text = format!("{HEAD}---\nid: LIMIT-2\ntitle: never read\n");
    check_refuses(
        "two.yaml",
        text.as_bytes(),
        &["a second YAML document", "FILE:6:1"],
    );
}

#[test]
fn an_oversized_file_is_refused_before_it_is_parsed() {
    let text = format!("{HEAD}# {}\n", "x".repeat(2 * 1024 * 1024));
    check_refuses(
        "big.yaml",
        text.as_bytes(),
        &["larger than 1024 KiB", "FILE"],
    );
}

#[test]
fn text_that_is_not_utf8_is_refused_with_its_position() {
    let mut text = HEAD.as_bytes().to_vec();
    text.extend_from_slice(b"tags: [caf\xe9]\n");
    check_refuses("latin1.yaml", &text, &["not UTF-8", "FILE:6:11"]);
}

#[test]
fn a_duration_that_would_overflow_later_is_refused_by_check() {
    // `expires_in: 9000y` passed check, then panicked run (date overflow).
    let text = "id: LIMIT-1\ntitle: t\nonly: mock\nmock:\n  confluence:\n    pats:\n      tokens: [ { user: admin, name: t, expires_in: 9000y } ]\nsteps:\n  - name: s\n    request: { path: / }\n";
    check_refuses(
        "long.yaml",
        text.as_bytes(),
        &["duration '9000y' is longer than 100 years", "FILE:7:53"],
    );
    let text =
        format!("{HEAD}  - name: t\n    wait: 100y\n    request: {{ path: /, timeout: 1d }}\n");
    check_refuses(
        "wait.yaml",
        text.as_bytes(),
        &[
            "wait must be at most 400d",
            "FILE:7:11",
            "request.timeout must be at most 1h",
            "FILE:8:34",
        ],
    );
}

#[test]
fn messages_of_check_never_show_an_environment_value() {
    let text = format!(
        "{HEAD}    expect: {{ status: \"${{env:TG_LIMIT_CANARY}}\" }}\n  - name: t\n    request: {{ path: /, timeout: \"x${{env:TG_LIMIT_CANARY}}\" }}\n"
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = write(dir.path(), "env.yaml", text.as_bytes());
    let output = tollgate(
        &["check", &path.display().to_string()],
        &[("TG_LIMIT_CANARY", "canary-91e4")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("canary-91e4"), "{stderr}");
    assert!(
        stderr.contains("'${env:TG_LIMIT_CANARY}' is not a status"),
        "{stderr}"
    );
    assert!(stderr.contains("x${env:TG_LIMIT_CANARY}"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_device_as_private_key_is_refused_by_name() {
    // `private_key: /dev/zero` was read until memory ran out.
    let text = "id: LIMIT-1\ntitle: t\nonly: mock\nkeys:\n  app: { alg: RS256, private_key: /dev/zero }\nsteps:\n  - name: s\n    request: { path: /, auth: { jwt: { key: app, claims: { iss: a } } } }\n";
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = write(dir.path(), "key.yaml", text.as_bytes());
    let output = tollgate(&["run", &path.display().to_string()], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(output.status.code(), Some(0), "{stdout}{stderr}");
    let shown = format!("{stdout}{stderr}");
    assert!(
        shown.contains("cannot read /dev/zero: not a regular file"),
        "{shown}"
    );
}
