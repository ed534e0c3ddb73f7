//! A realistic run for the reporters' tests: one scenario per outcome, with
//! transcripts built through the real [`Redactor`] from raw values that
//! hold canary secrets.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::Digest as _;

use super::model::*;
use super::redact::Redactor;

pub const PASSWORD: &str = "Canary-Pa55word!";
pub const TOKEN: &str = "canaryPAT0123456789abcdef";
pub const JWT_SIGNATURE: &str = "SiGcanary_0123456789-abcdefXYZ";
pub const SESSION: &str = "CANARYSESSION0123456789";

/// Every canary, plus the encodings a reader could undo by eye.
pub fn canaries() -> Vec<String> {
    vec![
        PASSWORD.to_owned(),
        TOKEN.to_owned(),
        JWT_SIGNATURE.to_owned(),
        SESSION.to_owned(),
        STANDARD.encode(format!("admin:{PASSWORD}")),
    ]
}

fn loc(file: &str, line: usize, col: usize) -> SourceLoc {
    SourceLoc {
        file: file.to_owned(),
        line,
        col,
    }
}

fn pass(check: Check, expected: &str, actual: &str, source: SourceLoc) -> CheckResult {
    CheckResult::passed(check, expected.into(), actual.into(), source)
}

fn headers(r: &Redactor, raw: &[(&str, &str)]) -> Vec<(String, String)> {
    raw.iter()
        .map(|(name, value)| ((*name).to_owned(), r.header(name, value)))
        .collect()
}

pub fn report() -> RunReport {
    let mut r = Redactor::new();
    r.add_secret(PASSWORD);
    r.add_secret(TOKEN);
    r.add_secret(SESSION);
    let scenarios = vec![passed(&r), warned(&r), failed(&r), errored(&r), skipped()];
    let counts = Counts::tally(scenarios.iter().map(|s| &s.outcome));
    let mut scenario_files: Vec<ScenarioFile> = scenarios
        .iter()
        .map(|s| ScenarioFile {
            path: s.source.file.clone(),
            sha256: hex::encode(sha2::Sha256::digest(s.id.as_bytes())),
        })
        .collect();
    scenario_files.sort_by(|a, b| a.path.cmp(&b.path));
    let table: Vec<(String, String)> = [
        ("F-BASIC-2", "The server never challenges on its own."),
        (
            "F-BASIC-5",
            "A wrong password is `401` <with> a login reason.",
        ),
        ("F-SESS-1", "Logout invalidates the session."),
        ("F-CROWD-1", "The Crowd SSO cookie signs the user in."),
    ]
    .map(|(id, text)| (id.to_string(), text.to_string()))
    .to_vec();
    let facts = crate::report::coverage::fact_coverage(&scenarios, &table);
    RunReport {
        facts,
        tool_version: "0.1.0".into(),
        started_at: "2026-11-23T14:15:49Z".into(),
        finished_at: "2026-11-23T14:15:51Z".into(),
        duration_ms: 1_840,
        target: "embedded mock".into(),
        hostname: "ci-runner-7".into(),
        certification: Certification {
            tool_version: "0.1.0".into(),
            profile: Some("basic-locked-down".into()),
            scenario_files,
            target: "embedded mock".into(),
            started_at: "2026-11-23T14:15:49Z".into(),
            finished_at: "2026-11-23T14:15:51Z".into(),
            confluence_version: Some("9.2.0 (the embedded mock, the emulator's default)".into()),
            strict: false,
            verdict: Verdict::of(&counts, false),
        },
        counts,
        scenarios,
    }
}

const BASE: &str = "http://127.0.0.1:41234";

fn passed(r: &Redactor) -> ScenarioReport {
    let base = BASE;
    let basic = format!("Basic {}", STANDARD.encode(format!("admin:{PASSWORD}")));
    let f_pass = "scenarios/basic/valid-credentials.yaml";
    ScenarioReport {
        id: "basic/valid-credentials".into(),
        title: "Basic auth with valid credentials is accepted".into(),
        source: loc(f_pass, 1, 5),
        tags: vec!["basic".into(), "smoke".into()],
        refs: vec![
            "https://developer.atlassian.com/server/confluence/confluence-rest-api-examples/"
                .into(),
        ],
        outcome: Outcome::Pass,
        skip_reason: None,
        duration_ms: 45,
        steps: vec![StepReport {
            warnings: Vec::new(),
            checks: vec![
                pass(Check::Status, "200", "200", loc(f_pass, 9, 15)),
                pass(
                    Check::Json("$.username".into()),
                    "equal to 'admin'",
                    "\"admin\"",
                    loc(f_pass, 11, 21),
                ),
            ],
            burst: None,
            name: "get current user".into(),
            source: loc(f_pass, 6, 11),
            result: StepResult::Passed,
            duration_ms: 41,
            transcript: Some(Transcript {
                request: RequestRecord::new(
                    "GET".into(),
                    r.url(&format!("{base}/rest/api/user/current")),
                    headers(
                        r,
                        &[("Authorization", &basic), ("Accept", "application/json")],
                    ),
                    None,
                ),
                response: Some(ResponseRecord {
                    status: 200,
                    headers: headers(r, &[("Content-Type", "application/json")]),
                    body: r.text(r#"{"username":"admin","displayName":"Admin"}"#),
                    body_truncated: false,
                    duration_ms: 38,
                }),
                idp_calls: Vec::new(),
            }),
        }],
    }
}

/// Every `expect` held; a `should` (the content type) did not.
fn warned(r: &Redactor) -> ScenarioReport {
    let f_warn = "scenarios/basic/wrong-password.yaml";
    let basic = format!("Basic {}", STANDARD.encode(format!("admin:{PASSWORD}")));
    let content_type_miss = Failure {
        check: Check::Header("content-type".into()),
        expected: "matching /^text/html/".into(),
        actual: "application/json".into(),
        source: loc(f_warn, 17, 25),
    };
    ScenarioReport {
        id: "BASIC-003".into(),
        title: "A wrong password is refused without a Basic challenge".into(),
        source: loc(f_warn, 1, 5),
        tags: vec!["basic".into()],
        refs: vec!["F-BASIC-5".into()],
        outcome: Outcome::Warn,
        skip_reason: None,
        duration_ms: 12,
        steps: vec![StepReport {
            burst: None,
            name: "wrong password".into(),
            source: loc(f_warn, 8, 11),
            result: StepResult::Passed,
            warnings: vec![content_type_miss.clone()],
            checks: vec![
                pass(Check::Status, "401", "401", loc(f_warn, 12, 15)),
                pass(
                    Check::Header("www-authenticate".into()),
                    "not containing 'Basic'",
                    "(absent)",
                    loc(f_warn, 14, 27),
                ),
                CheckResult::missed(content_type_miss).at(Level::Should),
            ],
            duration_ms: 10,
            transcript: Some(Transcript {
                request: RequestRecord::new(
                    "GET".into(),
                    r.url(&format!("{BASE}/rest/api/user/current")),
                    headers(r, &[("Authorization", &basic)]),
                    None,
                ),
                response: Some(ResponseRecord {
                    status: 401,
                    headers: headers(
                        r,
                        &[
                            ("Content-Type", "application/json"),
                            ("X-Seraph-LoginReason", "AUTHENTICATED_FAILED"),
                        ],
                    ),
                    body: r.text(r#"{"statusCode":401,"message":"wrong password"}"#),
                    body_truncated: false,
                    duration_ms: 9,
                }),
                idp_calls: Vec::new(),
            }),
        }],
    }
}

fn failed(r: &Redactor) -> ScenarioReport {
    let base = BASE;
    let f_fail = "scenarios/session/logout-invalidates.yaml";
    let login_body = format!("os_username=admin&os_password={PASSWORD}&login=Log+in");
    let logout_misses = vec![
        Failure {
            check: Check::Status,
            expected: "401".into(),
            actual: "200".into(),
            source: loc(f_fail, 24, 17),
        },
        Failure {
            check: Check::Header("set-cookie".into()),
            expected: "matches `JSESSIONID=; Max-Age=0`".into(),
            actual: "(absent)".into(),
            source: loc(f_fail, 26, 21),
        },
    ];
    ScenarioReport {
        id: "session/logout-invalidates".into(),
        title: "Logout invalidates the session | cookie".into(),
        source: loc(f_fail, 1, 5),
        tags: vec!["session".into()],
        refs: vec!["F-SESS-1".into()],
        outcome: Outcome::Fail,
        skip_reason: None,
        duration_ms: 320,
        steps: vec![
            StepReport {
        warnings: Vec::new(),
            checks: vec![pass(Check::Status, "302", "302", loc(f_fail, 10, 17))],
 burst: None,
 name: "log in".into(),
                source: loc(f_fail, 6, 11),
                result: StepResult::Passed,
                duration_ms: 150,
                transcript: Some(Transcript {
                    request: RequestRecord::new("POST".into(), r.url(&format!("{base}/dologin.action")), headers(r, &[("Content-Type", "application/x-www-form-urlencoded")]), Some(r.text(&login_body))),
                    response: Some(ResponseRecord {
                        status: 302,
                        headers: headers(
                            r,
                            &[
                                ("Location", "/index.action"),
                                ("Set-Cookie", &format!("JSESSIONID={SESSION}; Path=/; HttpOnly")),
                            ],
                        ),
                        body: String::new(),
                        body_truncated: false,
                        duration_ms: 140,
                    }),
                                        idp_calls: Vec::new(),
}),
            },
            StepReport {
        warnings: Vec::new(),
            checks: logout_misses.iter().cloned().map(CheckResult::missed).collect(),
 burst: None,
 name: "reuse session after logout".into(),
 source: loc(f_fail, 18, 11),
 result: StepResult::judged(logout_misses),
                duration_ms: 120,
                transcript: Some(Transcript {
                    request: RequestRecord::new("GET".into(), r.url(&format!("{base}/rest/api/space?limit=1")), headers(
                            r,
                            &[
                                ("Cookie", &format!("JSESSIONID={SESSION}; seraph.confluence=x1")),
                                ("Authorization", &format!("Bearer {TOKEN}")),
                            ],
                        ), None),
                    response: Some(ResponseRecord {
                        status: 200,
                        headers: headers(r, &[("Content-Type", "application/json")]),
                        body: r.text(&format!(
                            "{{\"results\":[{{\"key\":\"DS\"}}],\n\"debug\":{{\"token\":\"{TOKEN}\",\"password\":\"{PASSWORD}\"}}}}"
                        )),
                        body_truncated: true,
                        duration_ms: 110,
                    }),
                                        idp_calls: Vec::new(),
}),
            },
        ],
    }
}

fn errored(r: &Redactor) -> ScenarioReport {
    let base = BASE;
    let jwt = format!(
        "{}.{}.{JWT_SIGNATURE}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(r#"{"iss":"tollgate-addon","exp":1700000000}"#)
    );
    let f_err = "scenarios/jwt/expired-token.yaml";
    ScenarioReport {
        id: "jwt/expired-token".into(),
        title: "An expired Connect JWT is refused".into(),
        source: loc(f_err, 1, 5),
        tags: vec!["jwt".into()],
        refs: vec![],
        outcome: Outcome::Error,
        skip_reason: None,
        duration_ms: 1_005,
        steps: vec![StepReport {
            warnings: Vec::new(),
            checks: Vec::new(),
            burst: None,
            name: "call with expired jwt".into(),
            source: loc(f_err, 9, 11),
            result: StepResult::Errored(r.text(&format!(
                "timed out after 1s waiting for {base}/rest/api/content (jwt {jwt})"
            ))),
            duration_ms: 1_000,
            transcript: Some(Transcript {
                request: RequestRecord::new(
                    "GET".into(),
                    r.url(&format!("{base}/rest/api/content?jwt={jwt}&limit=5")),
                    headers(r, &[("Authorization", &format!("JWT {jwt}"))]),
                    None,
                ),
                response: None,
                idp_calls: Vec::new(),
            }),
        }],
    }
}

fn skipped() -> ScenarioReport {
    ScenarioReport {
        id: "crowd/sso-cookie".into(),
        title: "Crowd SSO cookie signs the user in".into(),
        source: loc("scenarios/crowd/sso-cookie.yaml", 1, 5),
        tags: vec!["crowd".into()],
        refs: vec!["F-CROWD-1".into()],
        outcome: Outcome::Skip,
        skip_reason: Some("needs a Crowd server: pass --idp".into()),
        duration_ms: 0,
        steps: vec![],
    }
}

/// Fails if any canary, in any encoding [`canaries`] lists, is in `output`.
pub fn assert_no_canary(output: &str) {
    for canary in canaries() {
        assert!(
            !output.contains(&canary),
            "canary {canary:?} leaked:\n{output}"
        );
    }
}
