//! A step's request as a `curl` command line, so its evidence can be replayed by
//! hand (issue 6, item 5).
//!
//! The line is built only from a [`RequestRecord`]'s parts, which the runner has
//! already passed through [`crate::report::redact`]: a secret shows as
//! `[redacted]` here exactly as it does in the transcript, and whoever replays the
//! request puts their own credential back.
//!
//! [`RequestRecord`]: crate::report::model::RequestRecord

/// `curl -X POST 'URL' -H 'Name: value' --data-raw 'body'`, every argument
/// quoted for a POSIX shell by [`shell_quote`].
///
/// - `GET` needs no `-X`; `HEAD` is `-I`, because `-X HEAD` makes curl wait for a
///   body that never comes.
/// - `--globoff` when the URL holds `[]{}`: curl would otherwise read
///   `jwt=[redacted]` as a glob range and refuse the URL.
/// - `Content-Length` and `Host` are left out: curl computes both, and a
///   length copied from a redacted body would be wrong.
/// - `--data-raw`, not `-d`: a body starting with `@` must not name a file.
pub fn command(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&str>,
) -> String {
    let mut args = vec!["curl".to_owned()];
    match method {
        "GET" => {}
        "HEAD" => args.push("-I".to_owned()),
        // A plain token (`POST`, `PROPFIND`) needs no quotes; anything else gets them.
        other if !other.is_empty() && other.bytes().all(|b| b.is_ascii_alphabetic()) => {
            args.push("-X".to_owned());
            args.push(other.to_owned());
        }
        other => {
            args.push("-X".to_owned());
            args.push(shell_quote(other));
        }
    }
    if url.contains(['[', ']', '{', '}']) {
        args.push("--globoff".to_owned());
    }
    args.push(shell_quote(url));
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("host") {
            continue;
        }
        args.push("-H".to_owned());
        args.push(shell_quote(&format!("{name}: {value}")));
    }
    if let Some(body) = body {
        args.push("--data-raw".to_owned());
        args.push(shell_quote(body));
    }
    args.join(" ")
}

/// `text` as one POSIX shell word: inside single quotes nothing is special, and a
/// single quote itself is written `'\''` (close, escaped quote, reopen).
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn get_with_headers() {
        assert_eq!(
            command(
                "GET",
                "http://127.0.0.1:8090/rest/api/user/current",
                &h(&[
                    ("authorization", "Basic [redacted]"),
                    ("accept", "application/json")
                ]),
                None
            ),
            "curl 'http://127.0.0.1:8090/rest/api/user/current' -H 'authorization: Basic [redacted]' -H 'accept: application/json'"
        );
    }

    #[test]
    fn post_body_head_and_globs() {
        assert_eq!(
            command(
                "POST",
                "http://h/dologin.action",
                &h(&[
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("content-length", "12")
                ]),
                Some("os_username=admin&os_password=[redacted]")
            ),
            "curl -X POST 'http://h/dologin.action' -H 'content-type: application/x-www-form-urlencoded' --data-raw 'os_username=admin&os_password=[redacted]'"
        );
        assert_eq!(
            command("HEAD", "http://h/", &[], None),
            "curl -I 'http://h/'"
        );
        assert_eq!(
            command("GET", "http://h/x?jwt=[redacted]", &[], None),
            "curl --globoff 'http://h/x?jwt=[redacted]'"
        );
    }

    #[test]
    fn quotes_survive_a_shell() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(
            shell_quote("$(rm -rf /) `x` \"y\""),
            "'$(rm -rf /) `x` \"y\"'"
        );
        // Round trip through a real shell where one exists.
        let text = "a'b \"c\" $HOME `d` \\ e\nf";
        if let Ok(out) = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote(text)))
            .output()
        {
            assert_eq!(String::from_utf8_lossy(&out.stdout), text);
        }
    }
}
