//! Stamps the binary with what an evidence bundle says built it: the git commit
//! (when the source is a git checkout and git is installed; `unknown` otherwise)
//! and the target triple. Nothing else is generated.

use std::path::Path;
use std::process::Command;

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=TOLLGATE_TARGET_TRIPLE={target}");
    println!("cargo:rerun-if-changed=build.rs");
    // The commit HEAD names, without a "dirty" mark: telling uncommitted changes
    // apart would mean rerunning on every file change (and `git status` rewrites
    // the index this script would watch).
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=TOLLGATE_GIT_COMMIT={commit}");
    // Rerun when HEAD moves (a checkout or a commit), not on every file change:
    // a test edit must not rebuild the library. A worktree's HEAD and the
    // branch's ref live in different folders; git names both.
    for name in ["HEAD", "packed-refs"] {
        watch_git_path(name);
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch_git_path(&branch);
    }
}

fn watch_git_path(name: &str) {
    if let Some(path) = git(&["rev-parse", "--git-path", name]) {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// `git ARGS` in the crate's folder, trimmed, or none if git is missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
