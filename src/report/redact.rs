//! The one place that decides what is secret, and what is noise in a snapshot.
//!
//! The runner passes every header, URL, body and error message of a step through a
//! [`Redactor`] before it builds the report, so reporters can print the model as it
//! is. Rules live here and nowhere else, so a leak is fixed once for every format.
//!
//! [`normalize_for_snapshot`] sits next to it for the same reason nextest keeps its
//! `redact.rs`: ports, durations and timestamps are "noise" the way credentials are
//! "secret", and tests that snapshot user-facing output share one definition.

mod forms;

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;

/// What replaces a secret in every report and log.
pub const REDACTED: &str = "[redacted]";

/// Field names whose values are credentials, in JSON bodies and in form or query
/// strings. `os_password` is Confluence's own login form field (`dologin.action`).
const SECRET_FIELDS: &str =
    "password|os_password|access_token|refresh_token|id_token|client_secret|rawToken|token|secret";

/// Authorization schemes worth keeping when a header carries only the scheme word:
/// a lone `Basic` is evidence of a malformed request, a lone unknown word may be a
/// raw token.
const SCHEMES: &[&str] = &[
    "basic",
    "bearer",
    "jwt",
    "digest",
    "negotiate",
    "ntlm",
    "oauth",
    "token",
];

/// A JWT: three base64url segments, the header starting `eyJ` (`{"`). The signature
/// must be non-empty: an unsigned token (`alg: none`) has nothing to hide.
static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\.[A-Za-z0-9_-]+").expect("valid regex")
});

/// `"password": "…"` in JSON; empty strings are kept because "sent an empty
/// password" is evidence, not a secret.
static JSON_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)("(?:{SECRET_FIELDS})"\s*:\s*")(?:[^"\\]|\\.)+""#
    ))
    .expect("valid regex")
});

/// `password=…` in a form body or a query string. The regex crate has no
/// look-behind, so the separator before the key is captured and written back.
static FORM_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(^|[?&;\s])((?:{SECRET_FIELDS})=)[^&;#\s"]+"#
    ))
    .expect("valid regex")
});

/// The `jwt` query parameter of Atlassian Connect requests: its signature, or
/// the whole value when it is no JWT.
static JWT_PARAM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)([?&;]jwt=)([^&#\s]+)").expect("valid regex"));

/// The password of `scheme://user:password@host`.
static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9+.-]*://[^/?#@:\s]*:)[^/?#@\s]+@").expect("valid regex")
});

/// Runs of base64 (standard or url-safe alphabet) long enough to hold `u:abc`.
static BASE64_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_-]{4,}={0,2}").expect("valid regex"));

/// Decoders that accept padded and unpadded input and stray trailing bits, since a
/// token cut out of free text rarely arrives canonical.
fn lenient(alphabet: &base64::alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}
static B64_STANDARD: LazyLock<GeneralPurpose> =
    LazyLock::new(|| lenient(&base64::alphabet::STANDARD));
static B64_URL_SAFE: LazyLock<GeneralPurpose> =
    LazyLock::new(|| lenient(&base64::alphabet::URL_SAFE));

/// Knows the secret values of a run and rewrites what may be shown.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form a secret may take on the wire ([`forms::wire_forms`]): raw,
    /// percent-encoded, form-encoded, JSON-escaped (`\u003d` too), HTML-escaped,
    /// base64 (standard and URL-safe, padded or not).
    forms: Vec<String>,
    /// All `forms` in one automaton, longest match first, so one pass replaces them
    /// all and a secret inside a longer one cannot leave a tail behind. Built when
    /// first needed: a scenario adds secrets step by step, and building it at each
    /// addition cost more than all the redacting.
    matcher: OnceLock<Option<AhoCorasick>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// A value that must never be shown (a password, a value from `${env:…}`, a
    /// captured session id). Strings shorter than 3 characters are ignored: blanking
    /// every `a` or `42` would make reports unreadable and protect nothing.
    ///
    /// A JWT (a captured access token, say) is registered by its signature:
    /// its header and claims are evidence anyone holding it can read, and
    /// without the signature the token cannot be replayed.
    pub fn add_secret(&mut self, value: impl Into<String>) {
        let mut value = value.into();
        if let Some(signature) = jwt_signature(&value) {
            value = signature.to_owned();
        }
        if value.chars().count() < 3 {
            return;
        }
        let before = self.forms.len();
        for form in forms::wire_forms(&value) {
            if !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        if self.forms.len() != before {
            self.matcher = OnceLock::new();
        }
    }

    fn matcher(&self) -> Option<&AhoCorasick> {
        self.matcher
            .get_or_init(|| {
                // Literal patterns always build; should the automaton not (a size
                // limit), redaction falls back to refusing to show the text at all.
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    // Built once a step (a step can add a secret) and run over a few
                    // kilobytes: a DFA would cost more to build than it saves.
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&self.forms)
                    .ok()
            })
            .as_ref()
    }

    /// `text` redacted, then cut to at most `max_bytes` (on a character
    /// boundary) for display; and whether anything was cut. Redacting first is
    /// the point: a secret straddling the cut would otherwise leave its first
    /// characters behind, which no rule recognises any more.
    pub fn text_cut(&self, text: &str, max_bytes: usize) -> (String, bool) {
        let redacted = self.text(text);
        let kept = cut_on_char_boundary(&redacted, max_bytes);
        let cut = kept.len() < redacted.len();
        (kept.to_owned(), cut)
    }

    /// A header value as it may be shown.
    ///
    /// - `Authorization`, `Proxy-Authorization`: only the scheme word stays
    ///   (`Basic [redacted]`); a JWT keeps header and claims, never its signature.
    /// - `Cookie`: names only (`JSESSIONID=[redacted]; other=[redacted]`).
    /// - `Set-Cookie`: the value goes, the attributes stay, because `Path`,
    ///   `HttpOnly` or `Max-Age=0` are what a scenario checks.
    /// - Every other header goes through [`Redactor::text`].
    ///
    /// Empty cookie values stay empty: a cleared cookie is evidence, not a secret.
    pub fn header(&self, name: &str, value: &str) -> String {
        if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            self.authorization(value)
        } else if name.eq_ignore_ascii_case("cookie") {
            value
                .split(';')
                .map(str::trim)
                .filter(|pair| !pair.is_empty())
                .map(redact_cookie_pair)
                .collect::<Vec<_>>()
                .join("; ")
        } else if name.eq_ignore_ascii_case("set-cookie") {
            let mut parts = value.split(';');
            let first = redact_cookie_pair(parts.next().unwrap_or_default().trim());
            std::iter::once(first)
                .chain(
                    parts
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(|a| self.text(a)),
                )
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            self.text(value)
        }
    }

    fn authorization(&self, value: &str) -> String {
        let value = value.trim();
        match value.split_once(char::is_whitespace) {
            Some((scheme, credentials)) => {
                let credentials = credentials.trim();
                if credentials.is_empty() {
                    return scheme.to_owned();
                }
                // A JWT alone: show what was claimed, hide what proves it.
                let is_jwt = JWT
                    .find(credentials)
                    .is_some_and(|m| m.start() == 0 && m.end() == credentials.len());
                if is_jwt {
                    format!("{scheme} {}", self.text(credentials))
                } else {
                    format!("{scheme} {REDACTED}")
                }
            }
            None if value.is_empty() => String::new(),
            None if SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(value)) => value.to_owned(),
            None => REDACTED.to_owned(),
        }
    }

    /// A URL with the `jwt` query parameter, a userinfo password, secret query
    /// fields and every known secret replaced.
    pub fn url(&self, url: &str) -> String {
        let url = JWT_PARAM.replace_all(url, |caps: &regex::Captures<'_>| {
            // A JWT keeps its header and claims; anything else goes whole.
            match JWT.captures(&caps[2]) {
                Some(jwt) if jwt[0].len() == caps[2].len() => {
                    format!("{}{}.{REDACTED}", &caps[1], &jwt[1])
                }
                _ => format!("{}{REDACTED}", &caps[1]),
            }
        });
        self.text(&url)
    }

    /// Free text (bodies, error messages) as it may be shown.
    ///
    /// In order: known secrets in any encoding; base64 runs that decode to text
    /// holding a known secret (`Basic` credentials leaked into a body); JWT
    /// signatures; the password of a URL's userinfo; JSON string fields and
    /// form/query fields named like a credential.
    pub fn text(&self, text: &str) -> String {
        if self.forms.is_empty() {
            return redact_shapes(text);
        }
        let Some(matcher) = self.matcher() else {
            return REDACTED.to_owned();
        };
        let mut known = String::with_capacity(text.len());
        matcher.replace_all_with(text, &mut known, |_, _, dst| {
            dst.push_str(REDACTED);
            true
        });
        let decoded = BASE64_RUN.replace_all(&known, |caps: &regex::Captures<'_>| {
            let run = &caps[0];
            if decodes_to_secret(run, matcher) {
                REDACTED.to_owned()
            } else {
                run.to_owned()
            }
        });
        redact_shapes(&decoded)
    }
}

/// What is secret by its shape, whoever's it is: JWT signatures, a URL's userinfo
/// password, JSON and form fields named like a credential.
fn redact_shapes(text: &str) -> String {
    let out = JWT.replace_all(text, format!("${{1}}.{REDACTED}"));
    let out = URL_USERINFO.replace_all(&out, format!("${{1}}{REDACTED}@"));
    let out = JSON_FIELD.replace_all(&out, format!("${{1}}{REDACTED}\""));
    let out = FORM_FIELD.replace_all(&out, format!("${{1}}${{2}}{REDACTED}"));
    out.into_owned()
}

/// The signature of `value` when `value` is a whole signed JWT.
fn jwt_signature(value: &str) -> Option<&str> {
    let found = JWT.captures(value)?;
    let whole = found.get(0)?;
    if whole.start() != 0 || whole.end() != value.len() {
        return None;
    }
    let header_and_claims = found.get(1)?;
    value.get(header_and_claims.end() + 1..)
}

/// `name=value` → `name=[redacted]`; a pair with no `=` is all value.
fn redact_cookie_pair(pair: &str) -> String {
    match pair.split_once('=') {
        Some((name, "")) => format!("{}=", name.trim()),
        Some((name, _)) => format!("{}={REDACTED}", name.trim()),
        None if pair.is_empty() => String::new(),
        None => REDACTED.to_owned(),
    }
}

/// A run of base64 characters that decodes to text holding a known secret. The
/// run may start anywhere in the encoding's 4-character groups (text glued to
/// the token, `xBasicdXNlcjpw…`), so each of the four alignments is tried.
fn decodes_to_secret(run: &str, matcher: &AhoCorasick) -> bool {
    let unpadded = run.trim_end_matches('=');
    let alignments = if unpadded.len() >= 8 { 0..4 } else { 0..1 };
    alignments.into_iter().any(|skip| {
        let aligned = &unpadded[skip..];
        [&*B64_STANDARD, &*B64_URL_SAFE].iter().any(|engine| {
            engine
                .decode(aligned)
                .is_ok_and(|bytes| matcher.is_match(String::from_utf8_lossy(&bytes).as_ref()))
        })
    })
}

/// The longest prefix of `text` of at most `max_bytes` that ends on a character
/// boundary.
pub fn cut_on_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Secrets are never shown, not even by `{:?}`: a redactor says how many
/// forms it knows, nothing more.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("forms", &self.forms.len())
            .finish()
    }
}

static LOOPBACK_PORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(127\.0\.0\.1|localhost|\[::1\]):\d+").expect("valid regex"));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
        .expect("valid regex")
});
static DURATION_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"("\w*duration_ms"\s*:\s*)\d+|(\btime=")[0-9.]+""#).expect("valid regex")
});
static SHA256_HEX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[0-9a-f]{64}\b").expect("valid regex"));
static DURATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d+(?:\.\d+)?(?:ms|s)\b").expect("valid regex"));

/// Output with its run-to-run noise replaced, for snapshots: loopback ports
/// (`127.0.0.1:[port]`), RFC 3339 timestamps (`[time]`), durations (`1.23s`, `45ms`,
/// `"duration_ms": 12`, JUnit `time="0.045"` → `[duration]`), and SHA-256 hex
/// digests (`[sha256]`: a scenario file's hash changes with every edit to it).
pub fn normalize_for_snapshot(text: &str) -> String {
    let out = LOOPBACK_PORT.replace_all(text, "${1}:[port]");
    let out = SHA256_HEX.replace_all(&out, "[sha256]");
    // Timestamps before durations: `…:49.5Z` must go whole.
    let out = TIMESTAMP.replace_all(&out, "[time]");
    let out = DURATION_FIELD.replace_all(&out, |caps: &regex::Captures<'_>| {
        match (caps.get(1), caps.get(2)) {
            (Some(key), _) => format!("{}[duration]", key.as_str()),
            (_, Some(attr)) => format!("{}[duration]\"", attr.as_str()),
            _ => caps[0].to_owned(),
        }
    });
    DURATION.replace_all(&out, "[duration]").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

    const USER: &str = "admin";
    const PASSWORD: &str = "Canary-Pa55 w0rd!";
    const TOKEN: &str = "canaryPAT0123456789abcdef";
    const SIGNATURE: &str = "SiGcanary_0123456789-abcdefXYZ";

    fn redactor() -> Redactor {
        let mut r = Redactor::new();
        r.add_secret(PASSWORD);
        r.add_secret(TOKEN);
        r
    }

    fn jwt() -> String {
        let b64 = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.{SIGNATURE}",
            b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64.encode(r#"{"iss":"tollgate","qsh":"abc","exp":1}"#)
        )
    }

    fn basic() -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
    }

    /// No trace of the canaries, in any encoding a reader could undo by eye.
    fn assert_clean(shown: &str) {
        for canary in [PASSWORD, TOKEN, SIGNATURE, &basic()] {
            assert!(!shown.contains(canary), "{canary:?} leaked in {shown:?}");
        }
        assert!(
            !shown.contains("Pa55"),
            "part of the password leaked in {shown:?}"
        );
    }

    #[test]
    fn authorization_keeps_only_the_scheme() {
        let r = redactor();
        let shown = r.header("Authorization", &format!("Basic {}", basic()));
        assert_eq!(shown, "Basic [redacted]");
        let shown = r.header("authorization", &format!("Bearer {TOKEN}"));
        assert_eq!(shown, "Bearer [redacted]");
        // Unknown secrets too: the header alone decides.
        let shown = Redactor::new().header("Proxy-Authorization", "Basic Zm9vOmJhcg==");
        assert_eq!(shown, "Basic [redacted]");
        assert_eq!(r.header("Authorization", "Basic"), "Basic");
        assert_eq!(r.header("Authorization", "rawtokenvalue"), REDACTED);
        assert_eq!(r.header("Authorization", ""), "");
    }

    #[test]
    fn jwt_bearer_keeps_header_and_claims_not_signature() {
        let token = jwt();
        let (kept, _) = token.rsplit_once('.').unwrap();
        for scheme in ["Bearer", "JWT"] {
            let shown = Redactor::new().header("Authorization", &format!("{scheme} {token}"));
            assert_eq!(shown, format!("{scheme} {kept}.{REDACTED}"));
            assert_clean(&shown);
        }
        // A JWT that is itself a known secret (a captured token) is known by
        // its signature: the claims stay evidence everywhere it appears.
        let mut r = redactor();
        r.add_secret(token.clone());
        assert_eq!(
            r.header("Authorization", &format!("Bearer {token}")),
            format!("Bearer {kept}.{REDACTED}")
        );
        assert_eq!(
            r.text(&format!(r#"{{"access_token":"x","echo":"{token}"}}"#)),
            format!(r#"{{"access_token":"{REDACTED}","echo":"{kept}.{REDACTED}"}}"#)
        );
        assert!(!r.text(&format!("sig {SIGNATURE}")).contains(SIGNATURE));
    }

    #[test]
    fn cookies_show_names_only_and_set_cookie_keeps_attributes() {
        let r = redactor();
        assert_eq!(
            r.header(
                "Cookie",
                "JSESSIONID=ABC123DEF; other=xyz;seraph.rememberme.cookie=q"
            ),
            "JSESSIONID=[redacted]; other=[redacted]; seraph.rememberme.cookie=[redacted]"
        );
        assert_eq!(
            r.header("Set-Cookie", "JSESSIONID=ABC123DEF; Path=/; HttpOnly"),
            "JSESSIONID=[redacted]; Path=/; HttpOnly"
        );
        // Clearing a cookie is evidence of logout, not a secret.
        assert_eq!(
            r.header("set-cookie", "JSESSIONID=; Max-Age=0; Path=/"),
            "JSESSIONID=; Max-Age=0; Path=/"
        );
        assert_eq!(
            r.header("Cookie", &format!("tok={TOKEN}")),
            "tok=[redacted]"
        );
    }

    #[test]
    fn other_headers_go_through_text() {
        let r = redactor();
        assert_eq!(r.header("X-Api-Key", TOKEN), REDACTED);
        assert_eq!(
            r.header("WWW-Authenticate", r#"Basic realm="Confluence""#),
            r#"Basic realm="Confluence""#
        );
    }

    #[test]
    fn url_hides_jwt_param_userinfo_and_secrets() {
        let r = redactor();
        let token = jwt();
        let shown = r.url(&format!(
            "http://127.0.0.1:8090/rest/api/space?jwt={token}&limit=1"
        ));
        // A Connect JWT in the query keeps its header and claims (the `qsh`,
        // `iss` a reader checks); a value that is no JWT goes whole.
        let (kept, _) = token.rsplit_once('.').unwrap();
        assert_eq!(
            shown,
            format!("http://127.0.0.1:8090/rest/api/space?jwt={kept}.[redacted]&limit=1")
        );
        assert_eq!(
            r.url("http://h/x?JWT=opaque-value&limit=1"),
            "http://h/x?JWT=[redacted]&limit=1"
        );
        let shown = r.url(&format!(
            "https://{USER}:{PASSWORD}@wiki.example/x?access_token={TOKEN}"
        ));
        assert_clean(&shown);
        assert_eq!(
            shown,
            "https://admin:[redacted]@wiki.example/x?access_token=[redacted]"
        );
        // Percent-encoded, as a query string carries it.
        let encoded = utf8_percent_encode(PASSWORD, NON_ALPHANUMERIC).to_string();
        let shown = r.url(&format!("http://h/login?pw={encoded}&next=/"));
        assert_eq!(shown, "http://h/login?pw=[redacted]&next=/");
    }

    #[test]
    fn text_hides_known_secrets_in_every_encoding() {
        let r = redactor();
        let form: String = url::form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect();
        let json = serde_json::to_string(PASSWORD).unwrap();
        let cases = [
            format!("login failed for {USER} with {PASSWORD}"),
            format!("pw={form}&x=1"),
            format!(r#"{{"pw":{json}}}"#),
            format!("leaked header: Authorization: Basic {}", basic()),
            format!(
                "url-safe: {}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(format!("{USER}:{PASSWORD}"))
            ),
            format!("token {TOKEN}."),
        ];
        for case in cases {
            let shown = r.text(&case);
            assert_clean(&shown);
            assert!(shown.contains(REDACTED), "{shown}");
        }
    }

    #[test]
    fn html_safe_json_and_other_writers_spellings_are_hidden() {
        // Gson writes `=` as `\u003d`, `<` as `\u003c`, … (issue 12, item 4).
        let secret = "Canary<x>&y'z=";
        let mut r = Redactor::new();
        r.add_secret(secret);
        for shown in [
            r#"{"v":"Canary\u003cx\u003e\u0026y\u0027z\u003d"}"#,
            r#"{"v":"Canary\u003Cx\u003E\u0026y\u0027z\u003D"}"#,
            "Canary&lt;x&gt;&amp;y&#39;z=",
            // A path the url crate encoded: `<>` escaped, `&'=` left raw.
            "http://h/rest/Canary%3Cx%3E&y'z=/x",
            "q=Canary%3cx%3e%26y%27z%3d",
        ] {
            let out = r.text(shown);
            assert!(out.contains(REDACTED), "{shown} -> {out}");
            assert!(!out.contains("Canary"), "{shown} -> {out}");
        }
    }

    #[test]
    fn base64_padded_unpadded_and_glued_to_text_is_hidden() {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        let r = redactor();
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            for plain in [
                PASSWORD.to_string(),
                format!("{USER}:{PASSWORD}"),
                format!("x{{\"p\":\"{TOKEN}\"}}"),
            ] {
                let encoded = engine.encode(&plain);
                for shown in [
                    encoded.clone(),
                    format!("glued{encoded}glued"),
                    format!("a{encoded}"),
                    format!("ab{encoded}"),
                    format!("abc{encoded}"),
                    format!("\"{}\"", encoded.replace('=', "\\u003d")),
                ] {
                    let out = r.text(&shown);
                    assert!(!reveals_a_canary(&out), "{shown} -> {out}");
                }
            }
        }
    }

    /// Some base64 run of `shown`, at some alignment, decodes to a canary's part.
    fn reveals_a_canary(shown: &str) -> bool {
        let engines = [&*B64_STANDARD, &*B64_URL_SAFE];
        shown
            .split(|c: char| !(c.is_ascii_alphanumeric() || "+/-_".contains(c)))
            .any(|run| {
                (0..4.min(run.len())).any(|skip| {
                    engines.iter().any(|engine| {
                        engine.decode(&run[skip..]).is_ok_and(|bytes| {
                            let text = String::from_utf8_lossy(&bytes);
                            text.contains("Pa55") || text.contains("canaryPAT")
                        })
                    })
                })
            })
    }

    #[test]
    fn a_cut_comes_after_redaction_and_on_a_char_boundary() {
        let r = redactor();
        let text = format!("{}{PASSWORD} and more", "é".repeat(10));
        // The cut falls inside the password: nothing of it may remain.
        for max in [21, 22, 25, 30] {
            let (shown, cut) = r.text_cut(&text, max);
            assert!(cut);
            assert!(shown.len() <= max, "{shown}");
            assert!(!shown.contains("Canary"), "{shown}");
            assert!(!shown.contains("Can"), "{shown}");
        }
        let (shown, cut) = r.text_cut("short", 4096);
        assert_eq!((shown.as_str(), cut), ("short", false));
        assert_eq!(cut_on_char_boundary("éé", 3), "é");
    }

    #[test]
    fn debug_of_a_redactor_shows_no_secret() {
        let shown = format!("{:?}", redactor());
        assert!(!shown.contains("Canary"), "{shown}");
        assert!(!shown.contains(TOKEN), "{shown}");
    }

    #[test]
    fn text_hides_unknown_credentials_by_shape() {
        // No secret registered: the rules by field name and by JWT shape still hold.
        let r = Redactor::new();
        let token = jwt();
        let (kept, _) = token.rsplit_once('.').unwrap();
        let shown = r.text(&format!("token was {token}, rejected"));
        assert_eq!(shown, format!("token was {kept}.{REDACTED}, rejected"));

        let body = r#"{"access_token": "at-SECRET-1", "refresh_token":"rt-SECRET-2", "id_token":"x\"SECRET-3", "token_type":"Bearer", "Password":"SECRET-4", "rawToken":"SECRET-5", "client_secret":"SECRET-6", "secret":"SECRET-7", "token":"SECRET-8", "password":""}"#;
        let shown = r.text(body);
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains(r#""token_type":"Bearer""#), "{shown}");
        assert!(shown.contains(r#""password":"""#), "empty stays: {shown}");

        let form = "os_username=admin&os_password=SECRET-1&grant_type=password&client_secret=SECRET-2&token=SECRET-3&password=";
        let shown = r.text(form);
        assert_eq!(
            shown,
            "os_username=admin&os_password=[redacted]&grant_type=password&client_secret=[redacted]&token=[redacted]&password="
        );
    }

    #[test]
    fn non_secret_text_passes_unchanged() {
        let r = redactor();
        for text in [
            "",
            "HTTP 401: Basic authentication failed",
            r#"{"username":"admin","displayName":"Admin | Ops","type":"known","token_type":"Bearer"}"#,
            "os_username=admin&os_destination=%2Fwiki&atl_token=",
            "http://127.0.0.1:8090/rest/api/content?limit=25&expand=body.storage",
            "Basic realm=\"Confluence\", charset=\"UTF-8\"",
            "connection refused (os error 111)",
        ] {
            assert_eq!(r.text(text), text);
            assert_eq!(r.url(text), text);
        }
        assert_eq!(
            r.header("Content-Type", "application/json"),
            "application/json"
        );
    }

    #[test]
    fn short_and_empty_secrets_are_ignored() {
        let mut r = Redactor::new();
        r.add_secret("");
        r.add_secret("ab");
        assert_eq!(r.text("abc ab a"), "abc ab a");
        r.add_secret("abc");
        assert_eq!(r.text("abc ab a"), "[redacted] ab a");
    }

    #[test]
    fn overlapping_secrets_leave_no_tail() {
        let mut r = Redactor::new();
        r.add_secret("secret-one");
        r.add_secret("secret-one-and-more");
        assert_eq!(r.text("x secret-one-and-more y"), "x [redacted] y");
    }

    #[test]
    fn a_secret_added_after_redacting_is_redacted_too() {
        // The matcher is built when first used; a later secret must rebuild it.
        let mut r = Redactor::new();
        r.add_secret("first-secret");
        assert_eq!(
            r.text("first-secret second-secret"),
            "[redacted] second-secret"
        );
        r.add_secret("second-secret");
        assert_eq!(
            r.text("first-secret second-secret"),
            "[redacted] [redacted]"
        );
        let copy = r.clone();
        assert_eq!(copy.text("second-secret"), "[redacted]");
    }

    #[test]
    fn normalize_replaces_ports_durations_and_times() {
        let text = r#"GET http://127.0.0.1:41234/x and localhost:8090 in 1.84s (45ms)
"started_at": "2026-11-23T14:15:49Z", "duration_ms": 1840, "step_duration_ms": 3
<testcase name="a" time="0.045"> at 2026-11-23T14:15:49.123+01:00
12 scenarios: 11 passed
"sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824""#;
        assert_eq!(
            normalize_for_snapshot(text),
            r#"GET http://127.0.0.1:[port]/x and localhost:[port] in [duration] ([duration])
"started_at": "[time]", "duration_ms": [duration], "step_duration_ms": [duration]
<testcase name="a" time="[duration]"> at [time]
12 scenarios: 11 passed
"sha256": "[sha256]""#
        );
    }
}
