//! The Atlassian Connect query-string hash (F-JWT-3): a canonical form of the
//! request (`METHOD&path&query`) and its lowercase hex SHA-256.
//!
//! Both sides use it: the runner puts the `qsh` claim in a minted token, the mock's
//! Connect filter recomputes it for the request it received. It follows the
//! server plugin's `HttpRequestCanonicalizer` character for character.

use sha2::{Digest, Sha256};

/// The canonical request of F-JWT-3: `METHOD&canonical-path&canonical-query`.
///
/// `path` is the raw (still percent-encoded) request path including the context
/// path; `query` is the raw query string without the `?`.
pub fn canonical_request(method: &str, path: &str, query: &str, context_path: &str) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        canonical_path(path, context_path),
        canonical_query(query)
    )
}

/// Lowercase hex SHA-256 of [`canonical_request`] (F-JWT-3).
pub fn qsh(method: &str, path: &str, query: &str, context_path: &str) -> String {
    hash_canonical(&canonical_request(method, path, query, context_path))
}

/// Lowercase hex SHA-256 of an already canonical request.
pub fn hash_canonical(canonical: &str) -> String {
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// F-JWT-3: relative to the context path, one trailing `/` removed, empty = `/`,
/// `&` → `%26` (it would otherwise be read as the field separator).
fn canonical_path(path: &str, context_path: &str) -> String {
    let context = context_path.trim_end_matches('/');
    let relative = match path.strip_prefix(context) {
        // Only a whole segment is the context path: `/wiki` is not a prefix of `/wikipedia`.
        Some(rest) if !context.is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
        _ => path,
    };
    let relative = relative.strip_suffix('/').unwrap_or(relative);
    let mut out = String::with_capacity(relative.len() + 1);
    if !relative.starts_with('/') {
        out.push('/');
    }
    out.push_str(&relative.replace('&', "%26"));
    out
}

/// F-JWT-3: drop `jwt`; group values by name; sort each parameter's values; sort
/// parameters by `enc(name) + " " + enc(joined values)`; emit
/// `enc(name)=enc(v1),enc(v2)` joined by `&`.
fn canonical_query(query: &str) -> String {
    // Grouped in first-seen order; the sort below fixes the final order.
    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name == "jwt" {
            continue;
        }
        match params.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value.into_owned()),
            None => params.push((name.into_owned(), vec![value.into_owned()])),
        }
    }
    let mut keyed: Vec<(String, String, Vec<String>)> = params
        .into_iter()
        .map(|(name, mut values)| {
            // Java sorts Strings by UTF-16 code units; that differs from Rust's
            // code-point order only above U+FFFF, but the hash must match exactly.
            values.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let name = enc(&name);
            let key = format!("{name} {}", enc(&values.join(",")));
            (key, name, values)
        })
        .collect();
    // The key is ASCII after encoding, so byte order is Java's String order.
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (_, name, values) in keyed {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&name);
        out.push('=');
        let encoded: Vec<String> = values.iter().map(|v| enc(v)).collect();
        out.push_str(&encoded.join(","));
    }
    out
}

/// Java's `URLEncoder.encode(s, "UTF-8")` with `+`→`%20`, `*`→`%2A`, `%7E`→`~`
/// (F-JWT-3). `byte_serialize` is the same form encoding: it leaves `*-._` and
/// alphanumerics alone, writes a space as `+` and a literal `+` as `%2B`.
fn enc(text: &str) -> String {
    let form: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
    form.replace('+', "%20")
        .replace('*', "%2A")
        .replace("%7E", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(method: &str, path: &str, query: &str) -> String {
        canonical_request(method, path, query, "")
    }

    #[test]
    fn the_documented_examples() {
        assert_eq!(canon("get", "/", "param=foo"), "GET&/&param=foo");
        assert_eq!(canon("POST", "/user", ""), "POST&/user&");
    }

    #[test]
    fn hashes_are_lowercase_hex_sha256_of_the_canonical_request() {
        // `printf 'GET&/&param=foo' | sha256sum`
        assert_eq!(
            qsh("GET", "/", "param=foo", ""),
            "557b49d80f3f963f6bec47b74d9832d8d601d6ed0979476bdb35bae4abafb0a4"
        );
        // `printf 'POST&/user&' | sha256sum`
        assert_eq!(
            qsh("post", "/user/", "", ""),
            "18f9496a296abb418647d87857700529a1f4b2d18b4c1cfa77bbebdeeda6f068"
        );
    }

    #[test]
    fn an_ampersand_in_the_path_is_escaped() {
        assert_eq!(canon("GET", "/a&b/c", ""), "GET&/a%26b/c&");
    }

    #[test]
    fn one_trailing_slash_is_removed_and_empty_is_root() {
        assert_eq!(canon("GET", "/rest/api/space/", ""), "GET&/rest/api/space&");
        assert_eq!(canon("GET", "", ""), "GET&/&");
        assert_eq!(canon("GET", "/", ""), "GET&/&");
    }

    #[test]
    fn the_context_path_is_stripped() {
        let c = |path: &str, context: &str| canonical_request("GET", path, "", context);
        assert_eq!(c("/wiki/rest/api/space", "/wiki"), "GET&/rest/api/space&");
        assert_eq!(c("/wiki/rest/api/space", "/wiki/"), "GET&/rest/api/space&");
        assert_eq!(c("/wiki", "/wiki"), "GET&/&");
        assert_eq!(c("/wiki/", "/wiki"), "GET&/&");
        // Not a whole segment: left alone.
        assert_eq!(c("/wikipedia/x", "/wiki"), "GET&/wikipedia/x&");
    }

    #[test]
    fn repeated_and_unsorted_parameters_are_grouped_and_sorted() {
        assert_eq!(
            canon("GET", "/x", "b=2&a=z&a=y&c=&a=x"),
            "GET&/x&a=x,y,z&b=2&c="
        );
        // A parameter without `=` is an empty value, as the servlet API reads it.
        assert_eq!(canon("GET", "/x", "flag&e=1"), "GET&/x&e=1&flag=");
        // Names sort by their encoded form: `A` (0x41) before `_` (0x5F) before `a`.
        assert_eq!(canon("GET", "/x", "a=1&_=2&A=3"), "GET&/x&A=3&_=2&a=1");
    }

    #[test]
    fn jwt_is_dropped_from_the_query() {
        assert_eq!(
            canon("GET", "/x", "jwt=aaa.bbb.ccc&expand=body"),
            "GET&/x&expand=body"
        );
        assert_eq!(canon("GET", "/x", "jwt=aaa.bbb.ccc"), "GET&/x&");
    }

    #[test]
    fn special_characters_are_encoded_the_connect_way() {
        // `*` → %2A, `~` stays, a space (as `+` or `%20`) → %20, a literal `+` → %2B.
        assert_eq!(canon("GET", "/x", "q=a*b"), "GET&/x&q=a%2Ab");
        assert_eq!(canon("GET", "/x", "q=a%7Eb"), "GET&/x&q=a~b");
        assert_eq!(canon("GET", "/x", "q=a~b"), "GET&/x&q=a~b");
        assert_eq!(canon("GET", "/x", "q=a+b"), "GET&/x&q=a%20b");
        assert_eq!(canon("GET", "/x", "q=a%20b"), "GET&/x&q=a%20b");
        assert_eq!(canon("GET", "/x", "q=a%2Bb"), "GET&/x&q=a%2Bb");
        // Unreserved-in-Java characters stay; others are escaped; commas in values too.
        assert_eq!(canon("GET", "/x", "q=a-b_c.d"), "GET&/x&q=a-b_c.d");
        assert_eq!(canon("GET", "/x", "q=a%2Cb&q=c"), "GET&/x&q=a%2Cb,c");
        assert_eq!(canon("GET", "/x", "my%20name=1"), "GET&/x&my%20name=1");
    }

    #[test]
    fn non_ascii_is_utf8_percent_encoded() {
        // "é" is C3 A9 in UTF-8, "日" E6 97 A5.
        assert_eq!(canon("GET", "/x", "q=%C3%A9"), "GET&/x&q=%C3%A9");
        assert_eq!(canon("GET", "/x", "q=日"), "GET&/x&q=%E6%97%A5");
    }

    #[test]
    fn values_sort_by_utf16_like_java() {
        // U+FF61 (one UTF-16 unit, 0xFF61) sorts after U+1F600 (surrogates 0xD83D…)
        // in Java, though before it by code point.
        assert_eq!(
            canon("GET", "/x", "q=%EF%BD%A1&q=%F0%9F%98%80"),
            "GET&/x&q=%F0%9F%98%80,%EF%BD%A1"
        );
    }

    #[test]
    fn a_known_canonical_request_with_everything_hashes_as_computed_by_hand() {
        let canonical = canonical_request(
            "get",
            "/wiki/rest/api/content/",
            "expand=body.storage&limit=10&jwt=x.y.z&expand=a+b&title=*~",
            "/wiki",
        );
        assert_eq!(
            canonical,
            "GET&/rest/api/content&expand=a%20b,body.storage&limit=10&title=%2A~"
        );
        // `printf '%s' 'GET&/rest/api/content&expand=a%20b,body.storage&limit=10&title=%2A~' | sha256sum`
        assert_eq!(
            hash_canonical(&canonical),
            "5a7b37877b69de2d25bd4e089473176ef98eae35dbbc46248c310705fdcb729b"
        );
    }
}
