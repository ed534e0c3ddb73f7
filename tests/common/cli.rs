//! tollgate as a user runs it: the binary cargo built for this test, without
//! colour, from a given folder.

use std::path::Path;
use std::process::{Command, Output};

/// `tollgate ARGS` from the repository's root (where `scenarios/` is).
pub fn tollgate(args: &[&str]) -> Output {
    tollgate_in(args, Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// `tollgate ARGS` from `dir`.
pub fn tollgate_in(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .output()
        .expect("tollgate runs")
}

/// stdout then stderr, as one text to search and to show when an assertion fails.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
