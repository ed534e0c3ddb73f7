//! A minimal `multipart/form-data` reader for attachment uploads: names,
//! filenames, content types and sizes, nothing else kept.

use axum::http::{HeaderMap, header};

/// At most this many parts are read from one multipart body.
const MAX_PARTS: usize = 100;

/// One part of a multipart body, as far as the upload needs it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct FilePart {
    pub(super) name: Option<String>,
    pub(super) filename: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) size: u64,
}

/// The `boundary` of a `multipart/form-data` Content-Type (quotes removed).
pub(super) fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mut params = value.split(';');
    let essence = params.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 200)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A minimal RFC 7578 reader: parts between `--boundary` lines, each with
/// headers, a blank line and content up to the next `\r\n--boundary`. Total:
/// anything malformed is an error message, never a panic. (Hand-written rather
/// than axum's `multipart` feature: the upload only needs names, filenames and
/// sizes, and this keeps `multer` out of the build.)
pub(super) fn multipart_parts(body: &[u8], boundary: &str) -> Result<Vec<FilePart>, &'static str> {
    const BAD: &str = "Malformed multipart/form-data body";
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let start = find(body, delimiter.as_bytes()).ok_or(BAD)?;
    let mut rest = &body[start + delimiter.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(BAD)?;
        if parts.len() >= MAX_PARTS {
            return Err("Too many parts in the multipart/form-data body");
        }
        let head_end = find(rest, b"\r\n\r\n").ok_or(BAD)?;
        let head = String::from_utf8_lossy(&rest[..head_end]);
        let content = &rest[head_end + 4..];
        let end = find(content, next_delimiter.as_bytes()).ok_or(BAD)?;
        let mut part = FilePart {
            size: u64::try_from(end).unwrap_or(u64::MAX),
            ..FilePart::default()
        };
        for line in head.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                return Err(BAD);
            };
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            } else if name.eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').skip(1) {
                    let Some((k, v)) = param.split_once('=') else {
                        continue;
                    };
                    let v = v.trim().trim_matches('"').to_owned();
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => part.name = Some(v),
                        "filename" => part.filename = Some(v).filter(|f| !f.is_empty()),
                        _ => {}
                    }
                }
            }
        }
        parts.push(part);
        rest = &content[end + next_delimiter.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_reads_files_and_refuses_garbage() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\nhi\r\n--XyZ--\r\n";
        let parts = multipart_parts(body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            FilePart {
                name: Some("file".into()),
                filename: Some("a.txt".into()),
                content_type: Some("text/plain".into()),
                size: 5,
            }
        );
        assert_eq!(parts[1].size, 2);
        for garbage in [
            &b""[..],
            b"--XyZ",
            b"--XyZ\r\nno blank line",
            b"--XyZ\r\nContent-Disposition: x\r\n\r\nno end",
            b"--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--",
            b"--XyZ\xff\xfe",
        ] {
            assert!(multipart_parts(garbage, "XyZ").is_err(), "{garbage:?}");
        }
        let many: Vec<u8> = (0..=MAX_PARTS)
            .flat_map(|_| b"--b\r\nA: b\r\n\r\nx\r\n".iter().copied())
            .chain(b"--b--".iter().copied())
            .collect();
        assert!(multipart_parts(&many, "b").is_err());
    }

    #[test]
    fn boundaries_come_from_multipart_content_types_only() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(v),
            );
            h
        };
        assert_eq!(
            multipart_boundary(&with("multipart/form-data; boundary=\"a b\"")).as_deref(),
            Some("a b")
        );
        assert_eq!(multipart_boundary(&with("multipart/form-data")), None);
        assert_eq!(multipart_boundary(&with("text/plain; boundary=x")), None);
        assert_eq!(
            multipart_boundary(&with("multipart/form-data; boundary=")),
            None
        );
    }
}
