//! Packing a bundle: `manifest.json` (and its signature) first, then
//! `about.json` and every other file, as one gzip'd tar written whole or not
//! at all (a temporary file renamed into place).

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;

use super::about::About;
use super::manifest::{Manifest, Signer};
use super::sign::{ALG, SignKey};
use super::{ABOUT, MANIFEST, SIGNATURE, unsafe_path};

/// The ten bytes every bundle starts with: gzip, deflate, no flags, mtime 0,
/// default level, OS unknown. `verify` holds a bundle to them, so a changed
/// byte in the gzip header (which no checksum covers) is caught too.
pub const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// A file to bundle: its path in the bundle and its bytes.
#[derive(Clone, Debug)]
pub struct BundleFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What was written, for the console.
#[derive(Clone, Debug)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
    /// The signing key's fingerprint, or none for an unsigned bundle.
    pub signed_by: Option<String>,
}

/// Writes `about` and `files` to `path` with a manifest signed by `key` (or
/// unsigned without one).
pub fn write_bundle(
    path: &Path,
    about: &About,
    files: &[BundleFile],
    key: Option<&SignKey>,
    created_at: String,
) -> std::io::Result<Written> {
    let mut seen = std::collections::BTreeSet::new();
    for file in files {
        if let Some(why) = unsafe_path(&file.path) {
            return Err(std::io::Error::other(format!(
                "{why} cannot be bundled: {:?}",
                file.path
            )));
        }
        let reserved = [MANIFEST, SIGNATURE, ABOUT].contains(&file.path.as_str());
        if reserved || !seen.insert(file.path.as_str()) {
            return Err(std::io::Error::other(format!(
                "{} would be bundled twice",
                file.path
            )));
        }
    }
    let mut about_bytes = serde_json::to_vec_pretty(about).map_err(std::io::Error::other)?;
    about_bytes.push(b'\n');
    let signed_by = key.map(|k| Signer {
        alg: ALG.to_string(),
        fingerprint: k.fingerprint(),
    });
    let listed = std::iter::once((ABOUT, about_bytes.as_slice()))
        .chain(files.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())));
    let manifest = Manifest::of(listed, created_at, signed_by).to_bytes();
    let mut entries: Vec<(&str, &[u8])> = vec![(MANIFEST, &manifest)];
    let signature = key.map(|k| format!("{}\n", k.sign(&manifest)));
    if let Some(signature) = &signature {
        entries.push((SIGNATURE, signature.as_bytes()));
    }
    entries.push((ABOUT, &about_bytes));
    entries.extend(files.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())));

    let temporary = temporary_path(path);
    let written = write_tar_gz(&temporary, &entries).and_then(|bytes| {
        std::fs::rename(&temporary, path)?;
        Ok(bytes)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    Ok(Written {
        files: entries.len(),
        bytes: written?,
        signed_by: key.map(SignKey::fingerprint),
    })
}

/// `FILE.tar.gz.partial` beside `FILE.tar.gz`, its folder made if missing.
fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

fn write_tar_gz(path: &Path, entries: &[(&str, &[u8])]) -> std::io::Result<u64> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let file = std::fs::File::create(path)?;
    let gzip = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(std::io::BufWriter::new(file), Compression::default());
    let mut tar = tar::Builder::new(gzip);
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, *bytes)?;
    }
    let mut out = tar.into_inner()?.finish()?;
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(std::fs::metadata(path)?.len())
}
