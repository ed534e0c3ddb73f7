//! Checking a bundle (`tollgate verify`): it is read once, as a stream, within
//! [`super::limits`]; nothing is unpacked to disk. It verifies when its gzip
//! header is tollgate's, the stream is whole (gzip's CRC), every entry is a plain
//! file at a safe path listed once, the manifest lists exactly the files there
//! are with their sizes and hashes, and the signature of the manifest verifies
//! with the key given.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

use sha2::Digest;

use super::about::About;
use super::manifest::Manifest;
use super::sign::VerifyKey;
use super::write::GZIP_HEADER;
use super::{ABOUT, MANIFEST, SIGNATURE, limits, unsafe_path};

/// One reason a bundle does not verify, naming the file it is about (a path in
/// the bundle, or the bundle itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub why: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.why)
    }
}

#[derive(Debug)]
pub enum VerifyError {
    /// The bundle is signed and no key was given to check it with.
    NeedsKey {
        signed_by: String,
    },
    Problems(Vec<Problem>),
}

/// A bundle that verified.
#[derive(Debug)]
pub struct Verified {
    pub about: About,
    /// Files checked against the manifest (about.json included).
    pub files: usize,
    /// The key that signed it, or none for an unsigned one (`--allow-unsigned`).
    pub signed_by: Option<String>,
}

/// What the stream held: each entry's size and SHA-256, and the bytes of the
/// three small files read whole.
#[derive(Default)]
struct Contents {
    entries: BTreeMap<String, (u64, String)>,
    held: BTreeMap<String, Vec<u8>>,
}

pub fn verify_bundle(
    path: &Path,
    key: Option<&VerifyKey>,
    allow_unsigned: bool,
) -> Result<Verified, VerifyError> {
    let bundle = path.display().to_string();
    let problem = |file: &str, why: String| Problem {
        file: file.to_string(),
        why,
    };
    let mut problems = Vec::new();
    let contents = read_contents(path, &mut problems)
        .map_err(|why| VerifyError::Problems(vec![problem(&bundle, why)]))?;
    if !problems.is_empty() {
        return Err(VerifyError::Problems(problems));
    }
    let Some(manifest_bytes) = contents.held.get(MANIFEST) else {
        return Err(VerifyError::Problems(vec![problem(
            MANIFEST,
            "missing: this is not a tollgate bundle, or it was cut".into(),
        )]));
    };
    let manifest = Manifest::parse(manifest_bytes)
        .map_err(|why| VerifyError::Problems(vec![problem(MANIFEST, why)]))?;
    let signature = contents.held.get(SIGNATURE);
    let signed_by = check_signature(&manifest, manifest_bytes, signature, key, &mut problems)?;
    check_hashes(&manifest, &contents, &mut problems);
    let about = contents
        .held
        .get(ABOUT)
        .map(|bytes| serde_json::from_slice::<About>(bytes));
    let about = match about {
        Some(Ok(about)) => Some(about),
        Some(Err(e)) => {
            problems.push(problem(ABOUT, format!("not readable: {e}")));
            None
        }
        None => None,
    };
    if signed_by.is_none() && !allow_unsigned && key.is_none() {
        problems.push(problem(
            &bundle,
            "unsigned: its hashes prove nothing about who wrote it (pass --allow-unsigned to check them alone)"
                .into(),
        ));
    }
    match about {
        Some(about) if problems.is_empty() => Ok(Verified {
            about,
            files: manifest.files.len(),
            signed_by,
        }),
        _ => Err(VerifyError::Problems(problems)),
    }
}

/// The signer's fingerprint when the manifest is signed and verifies with `key`.
fn check_signature(
    manifest: &Manifest,
    manifest_bytes: &[u8],
    signature: Option<&Vec<u8>>,
    key: Option<&VerifyKey>,
    problems: &mut Vec<Problem>,
) -> Result<Option<String>, VerifyError> {
    let mut fail = |file: &str, why: String| {
        problems.push(Problem {
            file: file.to_string(),
            why,
        });
        Ok(None)
    };
    match (&manifest.signed_by, signature, key) {
        (None, None, None) => Ok(None),
        (None, None, Some(_)) => fail(MANIFEST, "unsigned, and --key was given".into()),
        (None, Some(_), _) => fail(SIGNATURE, "present, but the manifest says unsigned".into()),
        (Some(signer), None, _) => fail(
            SIGNATURE,
            format!(
                "missing; the manifest says {} signed it",
                signer.fingerprint
            ),
        ),
        (Some(signer), Some(_), None) => Err(VerifyError::NeedsKey {
            signed_by: signer.fingerprint.clone(),
        }),
        (Some(signer), Some(signature), Some(key)) => {
            let text = String::from_utf8_lossy(signature);
            if !key.verifies(manifest_bytes, &text) {
                let named = if signer.fingerprint == key.fingerprint() {
                    String::new()
                } else {
                    format!("; it names {} as its signer", signer.fingerprint)
                };
                return fail(
                    MANIFEST,
                    format!(
                        "the signature does not verify with the given key {}{named}",
                        key.fingerprint()
                    ),
                );
            }
            Ok(Some(key.fingerprint()))
        }
    }
}

fn check_hashes(manifest: &Manifest, contents: &Contents, problems: &mut Vec<Problem>) {
    let mut push = |file: &str, why: String| {
        problems.push(Problem {
            file: file.to_string(),
            why,
        })
    };
    for listed in &manifest.files {
        match contents.entries.get(&listed.path) {
            None => push(
                &listed.path,
                "listed in the manifest, missing from the bundle".into(),
            ),
            Some((size, sha256)) if *size != listed.size || *sha256 != listed.sha256 => push(
                &listed.path,
                format!(
                    "changed: sha256 {sha256} ({size} bytes), the manifest says {} ({} bytes)",
                    listed.sha256, listed.size
                ),
            ),
            Some(_) => {}
        }
    }
    for path in contents.entries.keys() {
        let own = path == MANIFEST || path == SIGNATURE;
        if !own && !manifest.files.iter().any(|f| &f.path == path) {
            push(path, "in the bundle, not in the manifest".into());
        }
    }
}

/// Reads the stream within the limits. Entries that break a rule are recorded
/// as problems; an `Err` is a stream that cannot be read on (said whole).
fn read_contents(path: &Path, problems: &mut Vec<Problem>) -> Result<Contents, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {e}"))?
        .len();
    if size > limits::MAX_BUNDLE_BYTES {
        return Err(format!(
            "{size} bytes, over the {} a bundle may have",
            limits::MAX_BUNDLE_BYTES
        ));
    }
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut header = [0u8; GZIP_HEADER.len()];
    file.read_exact(&mut header)
        .map_err(|_| "too short to be a bundle".to_string())?;
    if header != GZIP_HEADER {
        return Err(
            "its gzip header is not the one tollgate writes (changed, or not a bundle)".into(),
        );
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let gzip = flate2::bufread::GzDecoder::new(std::io::BufReader::new(file));
    let mut archive = tar::Archive::new(Bounded {
        inner: gzip,
        used: 0,
    });
    let mut contents = Contents::default();
    let mut last = String::from("its start");
    let entries = archive
        .entries()
        .map_err(|e| format!("not a gzip'd tar: {e}"))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("unreadable after {last}: {e}"))?;
        if contents.entries.len() >= limits::MAX_FILES {
            return Err(format!("more than {} files", limits::MAX_FILES));
        }
        match read_entry(entry, &mut contents, problems) {
            Ok(Some(name)) => last = name,
            // Refused whole (said in `problems`): nothing after it is read.
            Ok(None) => return Ok(contents),
            Err(e) => return Err(format!("unreadable after {last}: {e}")),
        }
    }
    let mut rest = archive.into_inner();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = rest
            .read(&mut buffer)
            .map_err(|e| format!("unreadable after {last}: {e}"))?;
        if n == 0 {
            break;
        }
        if buffer[..n].iter().any(|b| *b != 0) {
            return Err("data after the tar's end".into());
        }
    }
    let mut after = rest.inner.into_inner();
    if !after.fill_buf().map_err(|e| e.to_string())?.is_empty() {
        return Err("bytes after the gzip stream".into());
    }
    Ok(contents)
}

/// Hashes one entry (holding the small files whole) and returns its path; none
/// when the entry is too large to read on (a bomb is not unpacked to be judged).
fn read_entry<R: Read>(
    mut entry: tar::Entry<'_, R>,
    contents: &mut Contents,
    problems: &mut Vec<Problem>,
) -> std::io::Result<Option<String>> {
    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let mut refuse = |why: String| {
        problems.push(Problem {
            file: name.clone(),
            why,
        })
    };
    let kind = entry.header().entry_type();
    if !kind.is_file() {
        refuse(format!("not a plain file ({kind:?})"));
        return Ok(Some(name));
    }
    if let Some(why) = unsafe_path(&name) {
        refuse(format!("refused: {why}"));
        return Ok(Some(name));
    }
    if contents.entries.contains_key(&name) {
        refuse("in the bundle twice".into());
        return Ok(Some(name));
    }
    let size = entry.size();
    if size > limits::MAX_FILE_BYTES {
        refuse(format!(
            "{size} bytes, over the {} a file may have",
            limits::MAX_FILE_BYTES
        ));
        return Ok(None);
    }
    let hold = [MANIFEST, SIGNATURE, ABOUT].contains(&name.as_str());
    if hold && size > limits::MAX_HELD_BYTES {
        refuse(format!(
            "{size} bytes, over the {} it may have",
            limits::MAX_HELD_BYTES
        ));
        return Ok(None);
    }
    let mut hasher = sha2::Sha256::new();
    let mut held = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut read = 0u64;
    loop {
        let n = entry.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        hasher.update(&buffer[..n]);
        if hold {
            held.extend_from_slice(&buffer[..n]);
        }
    }
    if hold {
        contents.held.insert(name.clone(), held);
    }
    contents
        .entries
        .insert(name.clone(), (read, hex::encode(hasher.finalize())));
    Ok(Some(name))
}

/// Stops the stream once it has unpacked more than [`limits::MAX_UNPACKED_BYTES`]:
/// a small bundle that inflates without end is refused, not followed.
struct Bounded<R> {
    inner: R,
    used: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.used += n as u64;
        if self.used > limits::MAX_UNPACKED_BYTES {
            return Err(std::io::Error::other(format!(
                "it unpacks to more than {} bytes",
                limits::MAX_UNPACKED_BYTES
            )));
        }
        Ok(n)
    }
}
