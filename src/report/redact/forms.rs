//! Every spelling a secret may take on its way through a request, a response or a
//! report, so the redactor can match it literally in one pass.
//!
//! Encoders disagree on details that matter here: which characters a
//! percent-encoder leaves alone (RFC 3986 unreserved, WHATWG's path and query
//! sets, `application/x-www-form-urlencoded`), the case of hex digits, whether a
//! JSON writer escapes `<>&='` (Gson does, as `\u003c`…) or every non-ASCII
//! character (Jackson's `ESCAPE_NON_ASCII`, Python's `ensure_ascii`), whether
//! `/` becomes `\/` (PHP, org.json), and whether base64 is padded. A form missed
//! here is a secret shown in some report, so the list errs on the long side.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

/// RFC 3986 unreserved characters stay as they are; the rest is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What the `url` crate (so reqwest) encodes in a path (WHATWG path set): a
/// `${secret}` in `path:` travels like this, `&`, `=` and `'` left raw.
const URL_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// What the `url` crate encodes in a query written into the URL itself (WHATWG
/// special-query set).
const URL_QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'\'');

/// What the `url` crate encodes in a userinfo or a fragment; close enough to
/// the path set that the two together cover a secret in either.
const URL_USERINFO: &AsciiSet = &URL_PATH
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');

/// Characters Gson (and other "HTML-safe" JSON writers) write as `\u00XX`.
const HTML_SAFE_JSON: &[char] = &['<', '>', '&', '=', '\''];

/// Every form of `secret` worth matching, the secret itself first, without
/// duplicates.
pub fn wire_forms(secret: &str) -> Vec<String> {
    let mut forms = Vec::new();
    let mut add = |form: String| {
        if !form.is_empty() && !forms.contains(&form) {
            forms.push(form);
        }
    };
    add(secret.to_owned());
    for form in percent_forms(secret) {
        add(form);
    }
    for form in json_forms(secret) {
        add(form);
    }
    for form in html_forms(secret) {
        add(form);
    }
    for encoded in base64_forms(secret.as_bytes()) {
        // A token in a query string or a form has its `+`, `/` and `=` encoded.
        for form in percent_forms(&encoded) {
            add(form);
        }
        add(encoded);
    }
    forms
}

/// Percent-encodings, in upper- and lower-case hex.
fn percent_forms(value: &str) -> Vec<String> {
    let mut forms: Vec<String> = [
        UNRESERVED,
        NON_ALPHANUMERIC,
        URL_PATH,
        URL_QUERY,
        URL_USERINFO,
    ]
    .into_iter()
    .map(|set| utf8_percent_encode(value, set).to_string())
    .collect();
    forms.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    let lower: Vec<String> = forms.iter().map(|f| lowercase_hex(f)).collect();
    forms.extend(lower);
    forms
}

/// `%3C` → `%3c`: some encoders write lower-case hex (RFC 3986 calls the cases
/// equivalent).
fn lowercase_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[at + escape.len()..];
    }
    out.push_str(rest);
    out
}

/// How JSON writers spell `value` inside a string literal (quotes not included).
fn json_forms(value: &str) -> Vec<String> {
    let mut forms = Vec::new();
    for html_safe in [false, true] {
        for non_ascii in [false, true] {
            for upper in [false, true] {
                forms.push(json_escape(value, html_safe, non_ascii, upper));
            }
        }
    }
    let plain = json_escape(value, false, false, false);
    forms.push(plain.replace('/', "\\/"));
    forms
}

fn json_escape(value: &str, html_safe: bool, non_ascii: bool, upper: bool) -> String {
    let unicode = |out: &mut String, unit: u16| {
        if upper {
            out.push_str(&format!("\\u{unit:04X}"));
        } else {
            out.push_str(&format!("\\u{unit:04x}"));
        }
    };
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => unicode(&mut out, c as u16),
            c if html_safe && HTML_SAFE_JSON.contains(&c) => unicode(&mut out, c as u16),
            c if non_ascii && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    unicode(&mut out, *unit);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// How an HTML page (a login form echoing what was typed) may spell `value`.
fn html_forms(value: &str) -> Vec<String> {
    let escape = |apostrophe: &str| {
        let mut out = String::with_capacity(value.len());
        for c in value.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str(apostrophe),
                c => out.push(c),
            }
        }
        out
    };
    ["&#39;", "&#x27;", "&apos;", "'"]
        .into_iter()
        .map(escape)
        .collect()
}

/// Base64, standard and URL-safe, padded and not.
pub fn base64_forms(bytes: &[u8]) -> Vec<String> {
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .into_iter()
        .map(|engine| engine.encode(bytes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_has_its_encoded_forms() {
        let forms = wire_forms("a<b>&c='d é/");
        for expected in [
            "a<b>&c='d é/",
            "a%3Cb%3E%26c%3D%27d%20%C3%A9%2F",
            "a%3cb%3e%26c%3d%27d%20%c3%a9%2f",
            "a%3Cb%3E&c='d%20%C3%A9/",
            "a%3Cb%3E%26c%3D%27d+%C3%A9%2F",
            r"a\u003cb\u003e\u0026c\u003d\u0027d é/",
            r"a\u003Cb\u003E\u0026c\u003D\u0027d \u00E9/",
            r"a<b>&c='d \u00e9/",
            r"a<b>&c='d é\/",
            "a&lt;b&gt;&amp;c=&#39;d é/",
            "a&lt;b&gt;&amp;c=&#x27;d é/",
            "YTxiPiZjPSdkIMOpLw==",
            "YTxiPiZjPSdkIMOpLw",
            "YTxiPiZjPSdkIMOpLw%3D%3D",
        ] {
            assert!(
                forms.iter().any(|f| f == expected),
                "{expected} in {forms:#?}"
            );
        }
        let unique: std::collections::HashSet<_> = forms.iter().collect();
        assert_eq!(unique.len(), forms.len());
    }

    #[test]
    fn astral_characters_are_escaped_as_surrogate_pairs() {
        assert!(wire_forms("k🔑").contains(&r"k\ud83d\udd11".to_string()));
    }

    #[test]
    fn lowercasing_hex_keeps_text_outside_escapes() {
        assert_eq!(lowercase_hex("A%3CB%2f%"), "A%3cB%2f%");
    }
}
