//! The canary matrix (issue 12): every way a secret enters a run × every place it
//! travels × every output, through the real binary against the embedded mock.
//!
//! Each canary is a short unit repeated (`U U U …`, with `<=&'>/` in the unit so
//! its encoded forms differ from it), so a secret cut in two still shows at
//! least one whole unit: any partial leak is a raw unit somewhere. Every output
//! is searched for the unit as written and as it reads once percent-, HTML-,
//! JSON-, shell- or Markdown-escaping is undone, and for the base64 forms
//! (standard and URL-safe, padded and not) of the canary and of `user:canary`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;

/// The user the `auth` canary is the password of.
const AUTH_USER: &str = "alice";
/// A user whose display name `/rest/api/user/current` echoes: the env and
/// capture canaries travel back in responses through it.
const ECHO_USER: &str = "carol";
/// A `--var` value nobody declared secret: evidence, which must stay visible.
const EVIDENCE: &str = "Evidence-Visible-4242";
/// The default of `${env:TG_EVIDENCE_USER:-…}`: a value from the environment
/// whose variable is not named like a secret and that is sent where no
/// credential goes, so evidence that must stay visible.
const ENV_EVIDENCE: &str = "Env-Evidence-User-7";
/// Nothing listens there: a step sent to it errors, naming its URL.
const REFUSING: &str = "http://127.0.0.1:9";

/// One way a secret enters.
struct Entry {
    /// The scenario id's suffix and the unit's tag.
    name: &'static str,
    /// A few characters whose every copy is a leak.
    unit: String,
    /// The secret: `unit` repeated.
    value: String,
    /// How a step writes it: a literal, `${env:…}` or `${name}`.
    reference: String,
}

impl Entry {
    fn new(name: &'static str, copies: usize, reference: impl Into<String>) -> Self {
        let unit = format!("zq{name}<=&'>/");
        let value = unit.repeat(copies);
        let reference = reference.into();
        // A literal entry is written as itself.
        let reference = if reference.is_empty() {
            value.clone()
        } else {
            reference
        };
        Entry {
            name,
            unit,
            value,
            reference,
        }
    }
}

fn entries() -> Vec<Entry> {
    vec![
        // An `auth:` field (Basic password, literal in the file).
        Entry::new("AUTH", 3, ""),
        // The environment, from a variable named like a secret (issue 15: a
        // variable such as CONF_USER is evidence, shown); long, since the mock
        // echoes it back as a display name whose 200-character cut it straddles.
        Entry::new("ENV", 24, "${env:TG_CANARY_SECRET}"),
        // `--secret cli=…`.
        Entry::new("CLI", 3, "${cli}"),
        // `vars: { declared: { value: …, secret: true } }`.
        Entry::new("VAR", 3, "${declared}"),
        // A capture named `ticket`, from `$.displayName`: secret only because
        // later steps send it where a credential goes. Long, like ENV.
        Entry::new("CAPTURE", 24, "${ticket}"),
    ]
}

/// Every place a secret travels, one step each (the first four share one).
const PLACES: &[&str] = &[
    "header",
    "query",
    "cookie",
    "URL path",
    "JSON body",
    "form body",
    "truncated request body",
    "failed check (expected)",
    "failed check (body shown, cut at 200)",
    "error message",
];

/// The places of the load run (one scenario carries every entry).
const LOAD_PLACES: &[&str] = &[
    "header",
    "query",
    "cookie (the capture)",
    "failed check (expected)",
    "error message and log line (URL path and query)",
];

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// The steps that carry `entry` to every place, then a failing check; the error
/// goes in a scenario of its own, since a failed step skips the rest.
fn scenario(entry: &Entry, erroring: bool) -> String {
    let r = quoted(&entry.reference);
    let inner = entry.reference.as_str();
    let display_name = match entry.name {
        "ENV" => quoted("${env:TG_CANARY_SECRET}"),
        "CAPTURE" => quoted(&entry.value),
        _ => quoted("Carol Evidence"),
    };
    let auth_password = if entry.name == "AUTH" {
        quoted(&entry.value)
    } else {
        quoted("alice-pw")
    };
    let mut text = format!(
        "id: CANARY-{}{}\ntitle: where a secret goes\nvars:\n  cli: placeholder\n  declared: {{ value: {}, secret: true }}\n  shown: placeholder\nmock:\n  confluence:\n    users:\n      - {{ name: {AUTH_USER}, password: {auth_password} }}\n      - {{ name: {ECHO_USER}, password: carol-pw, display_name: {display_name} }}\nsteps:\n",
        entry.name,
        if erroring { "-ERR" } else { "" },
        quoted(&entries()[3].value),
    );
    if entry.name == "CAPTURE" {
        text.push_str(&format!(
            "  - name: take a ticket\n    request: {{ path: /rest/api/user/current, auth: {{ basic: {{ user: {ECHO_USER}, password: carol-pw }} }} }}\n    expect: {{ status: 200 }}\n    capture:\n      ticket: {{ json: $.displayName }}\n"
        ));
    }
    if erroring {
        let url = quoted(&format!("{REFUSING}/probe/{inner}?probe={inner}"));
        // Sent as a credential too, so the capture is one here as well.
        let credential = if entry.name == "AUTH" {
            format!("auth: {{ basic: {{ user: {AUTH_USER}, password: {r} }} }}")
        } else {
            format!(
                "headers: {{ Authorization: {} }}",
                quoted(&format!("Bearer {inner}"))
            )
        };
        text.push_str(&format!(
            "  - name: error message\n    request: {{ url: {url}, timeout: 2s, {credential} }}\n"
        ));
        return text;
    }
    let auth = if entry.name == "AUTH" {
        format!(", auth: {{ basic: {{ user: {AUTH_USER}, password: {r} }} }}")
    } else {
        String::new()
    };
    let path = quoted(&format!("/rest/api/content/{inner}"));
    // The secret starts two units before the transcript's 4,096-byte cut.
    let straddling = quoted(&format!(
        "{}{inner}{}",
        "f".repeat(4096 - 2 * entry.unit.len()),
        " tail".repeat(40)
    ));
    let bearer = if entry.name == "AUTH" {
        String::new()
    } else {
        format!(", Authorization: {}", quoted(&format!("Bearer {inner}")))
    };
    let auth_line = if auth.is_empty() {
        String::new()
    } else {
        format!("auth: {}", &auth[", auth: ".len()..])
    };
    let steps = [
        format!(
            "  - name: header, query, cookie and URL\n    request:\n      path: {path}\n      query: {{ probe: {r} }}\n      headers: {{ X-Probe: {r}, X-Evidence: \"${{shown}}\", X-Evidence-User: \"${{env:TG_EVIDENCE_USER:-{ENV_EVIDENCE}}}\" }}\n      cookies: {{ probe: {r} }}\n      {auth_line}\n"
        ),
        format!(
            "  - name: JSON body\n    request: {{ method: POST, path: /rest/api/content, json: {{ probe: {r}, title: {r} }}, headers: {{ X-Evidence: \"${{shown}}\"{bearer} }} }}\n"
        ),
        format!(
            "  - name: form body\n    request: {{ method: POST, path: /rest/api/content, form: {{ probe: {r} }} }}\n"
        ),
        format!(
            "  - name: truncated request body\n    request: {{ method: POST, path: /rest/api/content, body: {straddling}, headers: {{ Content-Type: text/plain }} }}\n"
        ),
        format!(
            "  - name: failed check\n    request: {{ path: /rest/api/user/current, auth: {{ basic: {{ user: {ECHO_USER}, password: carol-pw }} }} }}\n    expect:\n      status: 200\n      body: {{ matches: \"^this body never matches$\" }}\n      json: {{ \"$.displayName\": {r} }}\n      headers: {{ X-Probe-Echo: {r} }}\n"
        ),
    ];
    text.push_str(&steps.concat());
    text
}

fn tollgate(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("tollgate runs")
}

/// `text` as a reader could see it once one or more escapings are undone.
fn views(text: &str) -> Vec<String> {
    type Undo = fn(&str) -> String;
    let undo: [Undo; 5] = [
        html_unescape,
        shell_unquote,
        markdown_unescape,
        json_unescape,
        percent_decode,
    ];
    let mut views = Vec::with_capacity(1 << undo.len());
    for mask in 0..(1u32 << undo.len()) {
        let mut view = text.to_string();
        for (bit, step) in undo.iter().enumerate() {
            if mask & (1 << bit) != 0 {
                view = step(&view);
            }
        }
        views.push(view);
    }
    views
}

fn html_unescape(text: &str) -> String {
    let numeric = regex::Regex::new(r"&#(x?)([0-9A-Fa-f]+);").unwrap();
    let text = numeric.replace_all(text, |caps: &regex::Captures<'_>| {
        let radix = if caps[1].is_empty() { 10 } else { 16 };
        u32::from_str_radix(&caps[2], radix)
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default()
    });
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn shell_unquote(text: &str) -> String {
    text.replace("'\\''", "'").replace("\\'", "'")
}

fn markdown_unescape(text: &str) -> String {
    regex::Regex::new(r"\\([!-/:-@\[-`{-~])")
        .unwrap()
        .replace_all(text, "$1")
        .into_owned()
}

fn json_unescape(text: &str) -> String {
    let unicode = regex::Regex::new(r"\\u([0-9A-Fa-f]{4})").unwrap();
    let text = unicode.replace_all(text, |caps: &regex::Captures<'_>| {
        u32::from_str_radix(&caps[1], 16)
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default()
    });
    text.replace("\\/", "/").replace("\\\"", "\"")
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Every form of `entry` whose presence in an output is a leak.
fn leak_forms(entry: &Entry) -> Vec<String> {
    let mut forms = Vec::new();
    for plain in [
        entry.value.clone(),
        format!("{AUTH_USER}:{}", entry.value),
        format!("{ECHO_USER}:{}", entry.value),
    ] {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            forms.push(engine.encode(&plain));
        }
    }
    forms
}

/// The leaks of `entries` in one output: `(entry, how it was found)`.
fn leaks(output: &str, entries: &[Entry]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let views = views(output);
    for entry in entries {
        if let Some(index) = views.iter().position(|v| v.contains(&entry.unit)) {
            let view = &views[index];
            let at = view.find(&entry.unit).unwrap_or(0);
            let context = view
                .get(at.saturating_sub(60)..(at + 60).min(view.len()))
                .unwrap_or_default();
            found.push((
                entry.name.to_string(),
                format!("view {index:05b}: …{context}…"),
            ));
        }
        for form in leak_forms(entry) {
            if output.contains(&form) {
                found.push((entry.name.to_string(), format!("encoded {form}")));
            }
        }
    }
    found
}

struct Outputs(Vec<(String, String)>);

impl Outputs {
    fn read(output: &Output, files: &[PathBuf]) -> Self {
        let mut all = vec![
            (
                "stdout".to_string(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
            ),
            (
                "stderr".to_string(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ),
        ];
        for file in files {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| {
                panic!(
                    "{} was not written: {e}\n{}{}",
                    file.display(),
                    all[0].1,
                    all[1].1
                )
            });
            all.push((
                file.file_name().unwrap().to_string_lossy().into_owned(),
                text,
            ));
        }
        Outputs(all)
    }

    fn assert_clean(&self, entries: &[Entry]) {
        let mut report = Vec::new();
        for (name, text) in &self.0 {
            for (entry, how) in leaks(text, entries) {
                report.push(format!("{entry} leaks in {name}: {how}"));
            }
        }
        assert!(report.is_empty(), "{}", report.join("\n"));
    }

    fn text(&self, name: &str) -> &str {
        &self.0.iter().find(|(n, _)| n == name).unwrap().1
    }
}

#[test]
fn no_secret_reaches_any_output_of_run_whichever_way_it_came_in() {
    let dir = tempfile::tempdir().unwrap();
    let entries = entries();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    for entry in &entries {
        for erroring in [false, true] {
            let name = format!("{}{}.yaml", entry.name, if erroring { "-err" } else { "" });
            std::fs::write(scenarios.join(name), scenario(entry, erroring)).unwrap();
        }
    }
    let files: Vec<PathBuf> = ["junit.xml", "report.json", "report.md", "report.html"]
        .iter()
        .map(|name| dir.path().join(name))
        .collect();
    let cli = format!("cli={}", entries[2].value);
    let evidence = format!("shown={EVIDENCE}");
    let mut args = vec!["run", "scenarios", "--secret", &cli, "--var", &evidence];
    let specs: Vec<String> = ["junit", "json", "md", "html"]
        .iter()
        .zip(&files)
        .map(|(format, file)| format!("{format}={}", file.display()))
        .collect();
    for spec in &specs {
        args.extend(["--report", spec]);
    }
    let output = tollgate(
        &args,
        dir.path(),
        &[("TG_CANARY_SECRET", &entries[1].value)],
    );
    let outputs = Outputs::read(&output, &files);
    assert_eq!(output.status.code(), Some(1), "{}", outputs.text("stdout"));

    // Every step ran: the places were all visited, the checks failed and the
    // error happened, so the outputs hold what would leak.
    let json: Value = serde_json::from_str(outputs.text("report.json")).unwrap();
    let scenarios = json["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 2 * entries.len());
    for scenario in scenarios {
        let steps = scenario["steps"].as_array().unwrap();
        let results: Vec<&str> = steps
            .iter()
            .map(|s| s["outcome"].as_str().unwrap_or_default())
            .collect();
        let expected_last = if scenario["id"].as_str().unwrap().ends_with("-ERR") {
            "error"
        } else {
            "fail"
        };
        assert_eq!(
            results.last(),
            Some(&expected_last),
            "{}: {results:?}",
            scenario["id"]
        );
        assert!(
            results[..results.len() - 1].iter().all(|r| *r == "pass"),
            "{}: {results:?}",
            scenario["id"]
        );
    }

    outputs.assert_clean(&entries);

    // Evidence that is not secret stays: the echo user, the status, a --var.
    let json_text = outputs.text("report.json");
    for evidence in [ECHO_USER, "Carol Evidence", EVIDENCE, ENV_EVIDENCE, "200"] {
        assert!(
            json_text.contains(evidence),
            "{evidence} missing from the JSON report"
        );
    }
    assert!(outputs.text("report.html").contains(EVIDENCE));
    assert!(outputs.text("stdout").contains("CANARY-ENV"));
    eprintln!(
        "canary matrix (run): {} entries × {} places × {} outputs",
        entries.len(),
        PLACES.len(),
        outputs.0.len()
    );
}

/// `tollgate load`: its console, log lines and reports, over one bounded run of
/// a scenario that carries every entry (one scenario per load run).
#[test]
fn no_secret_reaches_any_output_of_load() {
    let dir = tempfile::tempdir().unwrap();
    let entries = entries();
    let mut steps = format!(
        "  - name: take a ticket\n    request: {{ path: /rest/api/user/current, auth: {{ basic: {{ user: {ECHO_USER}, password: carol-pw }} }} }}\n    expect: {{ status: 200 }}\n    capture:\n      ticket: {{ json: $.displayName }}\n  - name: sign in\n    request: {{ path: /rest/api/user/current, auth: {{ basic: {{ user: {AUTH_USER}, password: {} }} }}, cookies: {{ probe: \"${{ticket}}\" }} }}\n    expect: {{ status: 200 }}\n",
        quoted(&entries[0].reference)
    );
    for entry in &entries {
        let (name, inner) = (entry.name, &entry.reference);
        let r = quoted(inner);
        // A 200 that misses a header: the failure is tollgate's, with its tag.
        steps.push_str(&format!(
            "  - name: check {name}\n    request: {{ path: /rest/api/user/current, headers: {{ X-Probe: {r} }}, query: {{ probe: {r} }} }}\n    expect: {{ status: 200, headers: {{ X-Probe-Echo: {r} }} }}\n"
        ));
        let url = quoted(&format!("{REFUSING}/probe/{inner}?probe={inner}"));
        steps.push_str(&format!(
            "  - name: error {name}\n    request: {{ url: {url}, timeout: 2s }}\n"
        ));
    }
    let yaml = format!(
        "id: CANARY-LOAD\ntitle: where a secret goes under load\nvars:\n  cli: placeholder\n  declared: {{ value: {}, secret: true }}\nmock:\n  confluence:\n    users:\n      - {{ name: {AUTH_USER}, password: {} }}\n      - {{ name: {ECHO_USER}, password: carol-pw, display_name: {} }}\nsteps:\n{steps}",
        quoted(&entries[3].value),
        quoted(&entries[0].value),
        quoted(&entries[4].value),
    );
    let scenario = dir.path().join("load.yaml");
    std::fs::write(&scenario, yaml).unwrap();
    let files: Vec<PathBuf> = ["load.html", "load.json", "load.md"]
        .iter()
        .map(|name| dir.path().join(name))
        .collect();
    let cli = format!("cli={}", entries[2].value);
    let mut args = vec![
        "load",
        scenario.to_str().unwrap(),
        "--users",
        "1",
        "--iterations",
        "1",
        "--secret",
        &cli,
    ];
    for file in &files {
        args.extend(["--report", file.to_str().unwrap()]);
    }
    let output = tollgate(
        &args,
        dir.path(),
        &[("TG_CANARY_SECRET", &entries[1].value)],
    );
    let outputs = Outputs::read(&output, &files);
    let console = format!("{}{}", outputs.text("stdout"), outputs.text("stderr"));
    // The checks failed and the errors happened: goose's tables hold them.
    assert!(console.contains("check CLI"), "{console}");
    assert!(console.contains("error VAR"), "{console}");
    outputs.assert_clean(&entries);
    eprintln!(
        "canary matrix (load): {} entries × {} places × {} outputs",
        entries.len(),
        LOAD_PLACES.len(),
        outputs.0.len()
    );
}

/// Target userinfo, the sixth way in, is refused before anything is sent, and
/// the refusal shows neither half of it.
#[test]
fn a_target_or_idp_with_credentials_is_refused_and_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let canary = Entry::new("URL", 3, "");
    let scenario = dir.path().join("s.yaml");
    std::fs::write(
        &scenario,
        "id: T\ntitle: t\nsteps:\n  - name: s\n    request: { path: / }\n",
    )
    .unwrap();
    let encoded =
        percent_encoding::utf8_percent_encode(&canary.value, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let with_password = format!("http://{AUTH_USER}:{encoded}@127.0.0.1:9");
    let with_user = format!("http://{encoded}@127.0.0.1:9");
    let s = scenario.to_str().unwrap();
    for args in [
        vec!["run", s, "--target", &with_password],
        vec!["run", s, "--target", &with_user],
        vec!["run", s, "--target", REFUSING, "--idp", &with_password],
        vec!["load", s, "--target", &with_password, "--iterations", "1"],
        vec!["run", s, "--idp", &with_password],
    ] {
        let output = tollgate(&args, dir.path(), &[]);
        let outputs = Outputs::read(&output, &[]);
        let stderr = outputs.text("stderr");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("carries credentials"), "{stderr}");
        assert!(stderr.contains("--secret NAME=VALUE"), "{stderr}");
        outputs.assert_clean(std::slice::from_ref(&canary));
    }
}

/// A loader message quotes what it read, which may be an `${env:…}` value
/// (issue 12, item 4): `tollgate check` shows the reference as written instead.
#[test]
fn a_loader_message_does_not_echo_an_env_value() {
    let dir = tempfile::tempdir().unwrap();
    let canary = Entry::new("LOADER", 3, "");
    std::fs::write(
        dir.path().join("s.yaml"),
        "id: T\ntitle: t\nsteps:\n  - name: s\n    request: { path: / }\n    expect: { status: \"${env:TG_CANARY_STATUS}\" }\n",
    )
    .unwrap();
    let output = tollgate(
        &["check", "s.yaml"],
        dir.path(),
        &[("TG_CANARY_STATUS", &canary.value)],
    );
    let outputs = Outputs::read(&output, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        outputs
            .text("stderr")
            .contains("'${env:TG_CANARY_STATUS}' is not a status"),
        "{}",
        outputs.text("stderr")
    );
    outputs.assert_clean(std::slice::from_ref(&canary));
}
