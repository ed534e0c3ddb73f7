//! The signed evidence bundle (`tollgate run --bundle`, `tollgate verify`):
//! one `.tar.gz` holding a run's reports, the scenario and profile files it
//! used, what it was told and read about the target, what built tollgate, and a
//! manifest of every file's SHA-256 signed with Ed25519 (docs/bundle.md).
//!
//! This area packs and checks bytes only: the command layer gathers what goes in
//! (from the report model, the arguments and the target) and hands it over as
//! [`about::About`] and plain files.

pub mod about;
pub mod manifest;
pub mod paths;
pub mod pem;
pub mod sign;
pub mod verify;
pub mod write;

use std::path::{Component, Path};

/// The manifest: every other file's path, size and SHA-256.
pub const MANIFEST: &str = "manifest.json";
/// The Ed25519 signature of [`MANIFEST`]'s exact bytes, base64.
pub const SIGNATURE: &str = "manifest.json.sig";
/// What the bundle certifies: [`about::About`] as JSON.
pub const ABOUT: &str = "about.json";
/// What [`manifest::Manifest::format`] and [`about::About::format`] say.
pub const FORMAT: &str = "tollgate-bundle/1";

/// Bounds on what `verify` reads, so a hostile bundle cannot exhaust memory or
/// time: the compressed file, all unpacked bytes, one file, the files counted,
/// a path, and the small files held in memory (manifest, signature, about).
pub mod limits {
    pub const MAX_BUNDLE_BYTES: u64 = 512 * 1024 * 1024;
    pub const MAX_UNPACKED_BYTES: u64 = 2 * 1024 * 1024 * 1024;
    pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
    pub const MAX_FILES: usize = 20_000;
    pub const MAX_PATH_BYTES: usize = 1024;
    pub const MAX_HELD_BYTES: u64 = 16 * 1024 * 1024;
}

/// Why `path` may not name a file in a bundle, if it may not: only relative
/// paths of plain names, so nothing unpacks outside the folder it is unpacked in
/// (no `..`, no root, no drive, no backslash a Windows tool would split on).
pub fn unsafe_path(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("an empty path");
    }
    if path.len() > limits::MAX_PATH_BYTES {
        return Some("a path longer than 1024 bytes");
    }
    if path.contains('\\') || path.contains('\0') {
        return Some("a path with a backslash or NUL");
    }
    if path.ends_with('/') || path.contains("//") {
        return Some("a path with an empty name in it");
    }
    let all_plain = Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    (!all_plain).then_some("a path that is absolute or holds `.` or `..`")
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_plain_paths_are_safe() {
        for good in ["about.json", "suite/basic/a.yaml", "reports/report.html"] {
            assert_eq!(unsafe_path(good), None, "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "suite/../../x",
            "./about.json",
            "a\\b",
            "a//b",
            "dir/",
        ] {
            assert!(unsafe_path(bad).is_some(), "{bad}");
        }
        assert!(unsafe_path(&"a".repeat(2000)).is_some());
    }
}
