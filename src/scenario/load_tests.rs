//! The loader end to end on hostile text: secrets from the environment never
//! reach a message, limits are reported at their position, and no input panics.

use std::path::Path;

use proptest::prelude::*;

use super::{Diagnostic, load_str};

const CANARY: &str = "canary-4f1d-ENV";

fn env(name: &str) -> Option<String> {
    match name {
        "SECRET" => Some(CANARY.to_string()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

fn diagnostics(text: &str) -> Vec<Diagnostic> {
    load_str(text, Path::new("t.yaml"), &env).expect_err("an invalid scenario")
}

fn rendered(text: &str) -> String {
    diagnostics(text)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn messages_never_show_a_value_from_the_environment() {
    // Each place where a message quotes the text it was given: the value shape
    // (a status, a duration, a bool), the checks after it (an id) and compiling
    // (a regex, a method).
    let scenarios = [
        "id: A-1\ntitle: t\nsteps:\n  - name: s\n    request: { path: / }\n    expect: { status: \"${env:SECRET}\" }\n",
        "id: A-1\ntitle: t\nsteps:\n  - name: s\n    request: { path: /, timeout: \"${env:SECRET}\" }\n",
        "id: A-1\ntitle: t\nsteps:\n  - name: s\n    request: { path: /, follow_redirects: \"x${env:SECRET}y\" }\n",
        "id: \"${env:SECRET}\"\ntitle: t\nsteps:\n  - name: s\n    request: { path: / }\n",
        "id: A-1\ntitle: t\nsteps:\n  - name: s\n    request: { path: / }\n    expect: { body: { matches: \"(${env:SECRET}\" } }\n",
        "id: A-1\ntitle: t\nsteps:\n  - name: s\n    request: { path: /, method: \"B A D ${env:SECRET}\" }\n",
        "id: A-1\ntitle: t\nsteps:\n  - name: s\n    wait: \"${env:SECRET}\"\n    request: { path: / }\n",
    ];
    for text in scenarios {
        let shown = rendered(text);
        assert!(!shown.contains(CANARY), "{shown}");
        assert!(!shown.contains("4f1d"), "{shown}");
        assert!(shown.contains("t.yaml:"), "{shown}");
    }
    // What was written is shown instead, so the author can still find it.
    let shown = rendered(scenarios[0]);
    assert!(shown.contains("'${env:SECRET}' is not a status"), "{shown}");
    let shown = rendered(scenarios[2]);
    assert!(shown.contains("x${env:SECRET}y"), "{shown}");
}

#[test]
fn a_default_from_the_file_may_be_shown() {
    let shown = rendered(
        "id: A-1\ntitle: t\nsteps:\n  - name: s\n    request: { path: / }\n    expect: { status: \"${env:UNSET:-2000}\" }\n",
    );
    assert!(shown.contains("'2000' is not a status"), "{shown}");
}

#[test]
fn overlong_durations_are_reported_where_they_are_written() {
    // `expires_in: 9000y` passed `check`, then panicked `run` (issue 12).
    let text = "id: A-1\ntitle: t\nonly: mock\nmock:\n  confluence:\n    pats:\n      tokens: [ { user: admin, name: t, expires_in: 9000y } ]\nsteps:\n  - name: s\n    request: { path: / }\n";
    let found = diagnostics(text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].location(), "t.yaml:7:53");
    assert!(
        found[0].message.contains("longer than 100 years"),
        "{}",
        found[0]
    );
}

#[test]
fn waits_timeouts_and_run_times_have_sane_limits() {
    let text = "id: A-1\ntitle: t\nload: { run_time: 8d }\nsteps:\n  - name: s\n    wait: 401d\n    request: { path: /, timeout: 2h }\n";
    let found = diagnostics(text);
    let messages: Vec<(String, &str)> = found
        .iter()
        .map(|d| (d.location(), d.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [
            ("t.yaml:3:7".to_string(), "load.run_time must be at most 7d"),
            ("t.yaml:6:11".to_string(), "wait must be at most 400d"),
            (
                "t.yaml:7:34".to_string(),
                "request.timeout must be at most 1h"
            ),
        ]
    );
}

#[test]
fn relative_claims_are_checked_before_the_token_is_minted() {
    let text = "id: A-1\ntitle: t\nkeys: { app: { alg: HS256, secret: s } }\nsteps:\n  - name: s\n    request:\n      path: /\n      auth: { jwt: { key: app, claims: { exp: now+9000y, nbf: now-5x, iat: now, iss: nowhere, sub: \"now+${x}\" } } }\n";
    let found = diagnostics(text);
    let messages: Vec<String> = found
        .iter()
        .map(|d| format!("{} {}", d.location(), d.message))
        .collect();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(
        messages[0].contains("claim 'exp': '9000y' is longer than 100 years"),
        "{messages:#?}"
    );
    assert!(
        messages[1].contains("claim 'nbf': '5x' is not a duration"),
        "{messages:#?}"
    );
    assert!(messages[2].contains("'x'"), "{messages:#?}");
}

#[test]
fn a_second_document_is_an_error() {
    let text = "id: A-1\ntitle: t\nsteps:\n  - name: s\n    request: { path: / }\n---\nid: A-2\n";
    let found = diagnostics(text);
    assert_eq!(found[0].location(), "t.yaml:6:1");
}

/// Pieces of scenario files, valid and not, for the loader end to end.
fn scenario_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id: A-1\n".to_string()),
        Just("title: t\n".to_string()),
        Just("steps:\n".to_string()),
        Just("  - name: s\n".to_string()),
        Just("    request: { path: / }\n".to_string()),
        Just("    request: { path: /, timeout: 99999999999999y }\n".to_string()),
        Just("    wait: ${env:SECRET}\n".to_string()),
        Just("    expect: { status: [200, \"2xx\", { not: 500 }] }\n".to_string()),
        Just("    expect: { json: { \"$.a\": { matches: \"(\" } } }\n".to_string()),
        Just("vars: &v { a: [*v] }\n".to_string()),
        Just("vars: { a: &x [1, 2], b: [*x, *x] }\n".to_string()),
        Just("load: { users: 18446744073709551616, run_time: 1y }\n".to_string()),
        Just("keys: { k: { alg: RS256, private_key: /dev/zero } }\n".to_string()),
        Just("requires: { confluence: \">=7.9, <\" }\n".to_string()),
        Just("mock: { confluence: { pats: { tokens: [{ expires_in: 9000y }] } } }\n".to_string()),
        Just("---\n".to_string()),
        Just("- ".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        "[ -~]{0,16}\n",
        "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A scenario or diagnostics with positions, never a panic; and no message
    /// shows the environment's value.
    #[test]
    fn the_loader_gives_a_scenario_or_diagnostics(pieces in prop::collection::vec(scenario_piece(), 0..40)) {
        if let Err(found) = load_str(&pieces.concat(), Path::new("p.yaml"), &env) {
            prop_assert!(!found.is_empty());
            for d in &found {
                let shown = d.to_string();
                prop_assert!(!shown.contains(CANARY), "{}", shown);
            }
        }
    }

    /// Arbitrary bytes, read the way a file is (lossily here, since the file
    /// reader refuses what is not UTF-8 before the loader sees it).
    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(found) = load_str(&text, Path::new("p.yaml"), &env) {
            for d in &found {
                let _ = d.to_string();
            }
        }
    }
}
