//! Files a scenario names (today: the PEM keys of `keys:`), found the way a
//! reader of the file expects: a relative path is relative to the file it is
//! written in, so a suite copied anywhere and run from any folder reads the
//! same keys. A path that comes whole from a set environment variable
//! (`${env:TOLLGATE_IDP_KEY}`) was typed by the user in a shell, so it is
//! relative to the working directory, as a shell's paths are; the default of an
//! unset one (`${env:TOLLGATE_IDP_KEY:-../../fixtures/keys/test-rs256.pem}`) is
//! written in the file, so it is the file's.
//!
//! The loader checks here that every key file can be opened, so `check` fails
//! on a missing key at the path's own `file:line:col` rather than `run` later.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::de::Spanned;
use super::diagnostic::Problem;
use super::model::KeySpec;
use super::yaml::Pos;

/// `written` as read from `file`'s folder, unless absolute.
pub fn relative_to_file(written: &Path, file: &Path) -> PathBuf {
    if written.is_absolute() {
        return written.to_path_buf();
    }
    match file.parent() {
        Some(folder) => folder.join(written),
        None => written.to_path_buf(),
    }
}

/// Why `path` cannot be read as a key file, if it cannot: it must open and be a
/// regular file (a device such as `/dev/zero` is refused by name, as the key
/// reader refuses it). What is inside is judged when the key is made.
pub fn unreadable(path: &Path) -> Option<String> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) => return Some(error.to_string()),
    };
    match file.metadata() {
        Ok(metadata) if metadata.is_file() => None,
        Ok(_) => Some("not a regular file (PEM files are read from regular files only)".into()),
        Err(error) => Some(error.to_string()),
    }
}

/// Makes every `private_key` of `keys` a path tollgate can open from the
/// working directory (relative to `file`, or kept as given when it came whole
/// from the environment: `from_environment`), and reports each that cannot be
/// read at the path's position.
pub fn resolve_keys(
    keys: &mut IndexMap<String, Spanned<KeySpec>>,
    file: &Path,
    from_environment: &[Pos],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, key) in keys.iter_mut() {
        let Some(path) = key.inner.private_key.as_mut() else {
            continue;
        };
        let given_by_user = from_environment.contains(&path.pos);
        if !given_by_user {
            path.inner = relative_to_file(&path.inner, file);
        }
        if let Some(reason) = unreadable(&path.inner) {
            let help = if given_by_user {
                "this path came from the environment, so it is read from the working directory"
                    .to_string()
            } else {
                format!(
                    "a relative path is read from the folder of the file it is written in ({})",
                    shown_folder(file)
                )
            };
            problems.push((
                path.pos,
                format!(
                    "key '{name}': cannot read {}: {reason}",
                    path.inner.display()
                ),
                Some(help),
            ));
        }
    }
    problems
}

fn shown_folder(file: &Path) -> String {
    match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.display().to_string(),
        _ => ".".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_path_is_the_file_s_and_an_absolute_one_is_kept() {
        let file = Path::new("suite/scenarios/jwt/a.yaml");
        assert_eq!(
            relative_to_file(Path::new("../../keys/k.pem"), file),
            Path::new("suite/scenarios/jwt/../../keys/k.pem")
        );
        assert_eq!(
            relative_to_file(Path::new("/etc/k.pem"), file),
            Path::new("/etc/k.pem")
        );
        assert_eq!(
            relative_to_file(Path::new("k.pem"), Path::new("a.yaml")),
            Path::new("k.pem")
        );
    }

    #[test]
    fn a_missing_file_and_a_folder_are_unreadable() {
        assert!(unreadable(Path::new("fixtures/keys/test-rs256.pem")).is_none());
        assert!(unreadable(Path::new("fixtures/keys/no-such.pem")).is_some());
        let folder = unreadable(Path::new("fixtures/keys")).unwrap_or_default();
        assert!(!folder.is_empty());
    }
}
