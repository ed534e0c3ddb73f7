//! Where a file read from disk goes in a bundle: under a folder of its kind,
//! below the folder all of them share (whose own name is kept), so that
//! `scenarios/basic/a.yaml` and `/home/ci/suite/scenarios/basic/a.yaml` both
//! become `suite/scenarios/basic/a.yaml`, and nothing climbs out with `..`.

use std::path::{Component, Path};

/// The bundle paths of `sources` (in order), each under `folder/`.
pub fn bundled_paths(folder: &str, sources: &[String]) -> Vec<String> {
    let parts: Vec<Vec<String>> = sources.iter().map(|s| normal_parts(s)).collect();
    let dirs: Vec<&[String]> = parts
        .iter()
        .map(|p| &p[..p.len().saturating_sub(1)])
        .collect();
    let shared = dirs.first().map_or(0, |first| {
        (0..first.len())
            .take_while(|&i| dirs.iter().all(|d| d.get(i) == first.get(i)))
            .count()
    });
    // Keep the shared folder's own name (`scenarios`), drop what is above it.
    let drop = shared.saturating_sub(1);
    parts
        .iter()
        .map(|p| {
            let mut path = folder.to_string();
            for part in &p[drop..] {
                path.push('/');
                path.push_str(part);
            }
            path
        })
        .collect()
}

/// `path`'s names with `.` dropped, `..` taken back where it can be, and what
/// cannot be taken back (a leading `..`, a root, a drive) made a plain name.
fn normal_parts(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(name) => {
                let name = name.to_string_lossy().replace('\\', "_");
                parts.push(name);
            }
            Component::ParentDir => {
                if parts.last().is_some_and(|p| p != "__") {
                    parts.pop();
                } else {
                    parts.push("__".into());
                }
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    if parts.is_empty() {
        parts.push("_".into());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(sources: &[&str]) -> Vec<String> {
        let sources: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
        bundled_paths("suite", &sources)
    }

    #[test]
    fn files_keep_their_shared_folders_name_and_lose_what_is_above() {
        assert_eq!(
            paths(&[
                "/home/ci/x/scenarios/basic/a.yaml",
                "/home/ci/x/scenarios/b.yaml"
            ]),
            ["suite/scenarios/basic/a.yaml", "suite/scenarios/b.yaml"]
        );
        assert_eq!(
            paths(&["scenarios/basic/a.yaml", "other/b.yaml"]),
            ["suite/scenarios/basic/a.yaml", "suite/other/b.yaml"]
        );
        assert_eq!(paths(&["inline.yaml"]), ["suite/inline.yaml"]);
        assert_eq!(
            paths(&["../../x/./a.yaml", "../y.yaml"]),
            ["suite/__/__/x/a.yaml", "suite/__/y.yaml"]
        );
        assert_eq!(paths(&["x/../../a.yaml"]), ["suite/__/a.yaml"]);
        for path in paths(&["../../etc/passwd", "/etc/shadow"]) {
            assert_eq!(crate::bundle::unsafe_path(&path), None, "{path}");
        }
    }
}
