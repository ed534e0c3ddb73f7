//! `manifest.json`: every file of the bundle but the manifest and its
//! signature, with its size and SHA-256. The signature covers these exact bytes,
//! so the manifest vouches for every other file.

use serde::{Deserialize, Serialize};

use super::{FORMAT, limits, unsafe_path};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// RFC 3339, UTC: when the bundle was written.
    pub created_at: String,
    /// The signing key, or none for an unsigned bundle.
    pub signed_by: Option<Signer>,
    /// Sorted by path.
    pub files: Vec<FileEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// `Ed25519`.
    pub alg: String,
    /// [`super::pem::fingerprint`] of the public key.
    pub fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

impl Manifest {
    /// The manifest of `files` (path and bytes), sorted by path.
    pub fn of<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        created_at: String,
        signed_by: Option<Signer>,
    ) -> Self {
        let mut files: Vec<FileEntry> = files
            .into_iter()
            .map(|(path, bytes)| FileEntry {
                path: path.to_string(),
                size: bytes.len() as u64,
                sha256: super::sha256_hex(bytes),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Manifest {
            format: FORMAT.to_string(),
            created_at,
            signed_by,
            files,
        }
    }

    /// The bytes that are written and signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The manifest in `bytes`, or why it is not one this version can check.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| format!("not a bundle manifest: {e}"))?;
        if manifest.format != FORMAT {
            return Err(format!(
                "format '{}', and this tollgate reads '{FORMAT}'",
                manifest.format
            ));
        }
        if manifest.files.len() > limits::MAX_FILES {
            return Err(format!("more than {} files", limits::MAX_FILES));
        }
        let mut seen = std::collections::BTreeSet::new();
        for file in &manifest.files {
            if let Some(why) = unsafe_path(&file.path) {
                return Err(format!("it lists {why}: {:?}", file.path));
            }
            if !seen.insert(file.path.as_str()) {
                return Err(format!("it lists {} twice", file.path));
            }
            if [super::MANIFEST, super::SIGNATURE].contains(&file.path.as_str()) {
                return Err(format!("it lists {} itself", file.path));
            }
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_round_trips_sorted_and_refuses_bad_paths_and_twins() {
        let manifest = Manifest::of(
            [("b.txt", &b"bee"[..]), ("a.txt", &b"ay"[..])],
            "2026-01-01T00:00:00Z".into(),
            None,
        );
        assert_eq!(manifest.files[0].path, "a.txt");
        assert_eq!(manifest.files[1].size, 3);
        assert_eq!(Manifest::parse(&manifest.to_bytes()), Ok(manifest.clone()));

        let mut twins = manifest.clone();
        twins.files[1].path = "a.txt".into();
        assert!(
            Manifest::parse(&twins.to_bytes())
                .unwrap_err()
                .contains("twice")
        );
        let mut escape = manifest.clone();
        escape.files[0].path = "../../etc/passwd".into();
        assert!(Manifest::parse(&escape.to_bytes()).is_err());
        let mut other = manifest;
        other.format = "tollgate-bundle/9".into();
        assert!(
            Manifest::parse(&other.to_bytes())
                .unwrap_err()
                .contains("format")
        );
    }
}
