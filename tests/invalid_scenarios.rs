//! Every file under fixtures/invalid/ must fail to load, and its messages (a
//! snapshot per file) must point at file:line:col. Adding a case is adding a file.

use std::path::{Path, PathBuf};
use std::process::Command;

use tollgate::scenario;

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("fixtures/invalid")
        .expect("fixtures/invalid exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn each_invalid_fixture_reports_positions() {
    let files = fixtures();
    assert!(
        files.len() >= 10,
        "expected the invalid fixture set, found {}",
        files.len()
    );
    for file in files {
        let diagnostics = match scenario::load_file(&file) {
            Ok(_) => panic!("{} loaded, but it is an invalid fixture", file.display()),
            Err(d) => d,
        };
        for d in &diagnostics {
            let pos = d
                .pos
                .unwrap_or_else(|| panic!("{}: '{}' has no position", file.display(), d.message));
            assert!(pos.line >= 1 && pos.col >= 1);
            assert!(d.to_string().contains(&format!(
                "{}:{}:{}",
                file.display(),
                pos.line,
                pos.col
            )));
        }
        let rendered: String = diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name");
        insta::assert_snapshot!(name, rendered);
    }
}

#[test]
fn unknown_keys_name_the_closest_valid_key() {
    let diagnostics =
        scenario::load_file(Path::new("fixtures/invalid/unknown-keys.yaml")).unwrap_err();
    let helps: Vec<_> = diagnostics
        .iter()
        .filter_map(|d| d.help.as_deref())
        .collect();
    assert_eq!(
        helps,
        [
            "did you mean 'title'?",
            "did you mean 'method'?",
            "did you mean 'expect'?"
        ]
    );
}

#[test]
fn check_through_the_binary_exits_2_and_names_positions() {
    let output = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(["check", "fixtures/invalid/"])
        .output()
        .expect("tollgate runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("fixtures/invalid/unknown-keys.yaml:8:5"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was sent"), "{stderr}");
}
