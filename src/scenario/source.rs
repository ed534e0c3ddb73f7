//! Reading scenario, profile and mock-config files: only regular files, at most
//! [`MAX_SOURCE_BYTES`], UTF-8. The size is enforced while reading (a file that
//! grows, or a path that names a device, cannot make us read without end).

use std::io::Read;
use std::path::Path;

use super::diagnostic::Diagnostic;
use super::yaml::{MAX_SOURCE_BYTES, Pos, too_large_message};

/// The text of `path`, or a diagnostic saying why it cannot be a scenario file.
pub fn read(path: &Path) -> Result<String, Diagnostic> {
    let cannot = |e: std::io::Error| Diagnostic::file(path, format!("cannot read: {e}"));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    if !metadata.is_file() {
        return Err(Diagnostic::file(
            path,
            "not a regular file (scenario and profile files are read from regular files only)"
                .into(),
        ));
    }
    let too_large = |len: usize| Diagnostic::file(path, too_large_message(len));
    if let Ok(len) = usize::try_from(metadata.len())
        && len > MAX_SOURCE_BYTES
    {
        return Err(too_large(len));
    }
    let mut bytes = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over it".
    file.take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(too_large(bytes.len()));
    }
    String::from_utf8(bytes).map_err(|e| not_utf8(path, e))
}

/// Where the first byte that is not UTF-8 is, as a position in the valid text
/// before it (UTF-16 and Latin-1 files end up here).
fn not_utf8(path: &Path, error: std::string::FromUtf8Error) -> Diagnostic {
    let valid_up_to = error.utf8_error().valid_up_to();
    let bytes = error.into_bytes();
    let before = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    let shown = String::from_utf8_lossy(&bytes);
    Diagnostic::at(
        path,
        &shown,
        Pos { line, col },
        format!("not UTF-8 text (byte {valid_up_to} is not valid UTF-8)"),
        Some("save the file as UTF-8".into()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn oversized_files_are_refused_before_they_are_read() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&vec![b'#'; MAX_SOURCE_BYTES + 1]).unwrap();
        let err = read(file.path()).unwrap_err();
        assert!(err.message.contains("larger than 1024 KiB"), "{err}");
        assert_eq!(err.pos, None);
    }

    #[test]
    fn a_file_at_the_limit_is_read() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&vec![b'#'; MAX_SOURCE_BYTES]).unwrap();
        assert_eq!(read(file.path()).unwrap().len(), MAX_SOURCE_BYTES);
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_folders_are_refused() {
        for path in ["/dev/zero", "/tmp"] {
            let err = read(Path::new(path)).unwrap_err();
            assert!(
                err.message.contains("not a regular file") || err.message.contains("cannot read"),
                "{path}: {err}"
            );
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_with_its_position() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"id: A\ntitle: caf\xe9\n").unwrap();
        let err = read(file.path()).unwrap_err();
        assert_eq!(err.pos, Some(Pos { line: 2, col: 11 }));
        assert!(err.message.contains("not UTF-8"), "{err}");
        // UTF-16 with a byte-order mark.
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&[0xff, 0xfe, b'i', 0, b'd', 0]).unwrap();
        assert_eq!(
            read(file.path()).unwrap_err().pos,
            Some(Pos { line: 1, col: 1 })
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        /// Any bytes: text, or a diagnostic (with a position when the bytes are
        /// not UTF-8); UTF-16 and Latin-1 encodings of text included.
        #[test]
        fn any_file_is_text_or_a_diagnostic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            text in "\\PC{0,64}",
            encoding in 0u8..4,
        ) {
            let contents = match encoding {
                0 => bytes,
                1 => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
                2 => text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect(),
                _ => text.clone().into_bytes(),
            };
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(&contents).unwrap();
            match read(file.path()) {
                Ok(read) => proptest::prop_assert_eq!(read.as_bytes(), &contents[..]),
                Err(d) => {
                    proptest::prop_assert!(std::str::from_utf8(&contents).is_err());
                    proptest::prop_assert!(d.pos.is_some_and(|p| p.line >= 1 && p.col >= 1));
                    let _ = d.to_string();
                }
            }
        }
    }
}
