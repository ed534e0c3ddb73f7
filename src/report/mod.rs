//! Reporters. Each reads only [`model`] and writes to an `impl io::Write`, so every
//! format is snapshot-testable without files.
//!
//! [`redact`] is the one place that decides what is secret; the runner applies it
//! before a [`model::RunReport`] exists, so no reporter redacts anything itself.
//! This module holds what the file formats share: `--report FORMAT=FILE` parsing
//! and the plain-text rendering of durations, failures and transcripts.

pub mod console;
pub mod coverage;
pub mod curl;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod redact;
pub mod schema;

use std::fmt;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::str::FromStr;

use model::{Counts, Failure, RunReport, StepReport, Transcript};

/// A report file format of `tollgate run --report FORMAT=FILE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Junit,
    Json,
    Markdown,
    /// The self-contained evidence page of a certification run.
    Html,
}

impl ReportFormat {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Junit => "junit",
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "md",
            ReportFormat::Html => "html",
        }
    }

    /// Renders `report` in this format.
    pub fn write(self, report: &RunReport, out: &mut impl Write) -> io::Result<()> {
        match self {
            ReportFormat::Junit => junit::write_junit(report, out),
            ReportFormat::Json => json::write_json(report, out),
            ReportFormat::Markdown => markdown::write_markdown(report, out),
            ReportFormat::Html => html::write_html(report, out),
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `--report FORMAT=FILE` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    pub format: ReportFormat,
    pub path: PathBuf,
}

/// The forms a `--report` value may take, named in every parse error.
const VALID_FORMS: &str = "junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE";

/// Why a `--report` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportSpecError {
    #[error("invalid report `{0}`: expected {VALID_FORMS}")]
    NoFormat(String),
    #[error("unknown report format `{format}` in `{input}`: expected {VALID_FORMS}")]
    UnknownFormat { format: String, input: String },
    #[error("report `{0}` has no file name: expected {VALID_FORMS}")]
    NoPath(String),
}

impl FromStr for ReportSpec {
    type Err = ReportSpecError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let Some((format, path)) = input.split_once('=') else {
            return Err(ReportSpecError::NoFormat(input.to_owned()));
        };
        let format = match format.trim().to_ascii_lowercase().as_str() {
            "junit" => ReportFormat::Junit,
            "json" => ReportFormat::Json,
            "md" | "markdown" => ReportFormat::Markdown,
            "html" => ReportFormat::Html,
            _ => {
                return Err(ReportSpecError::UnknownFormat {
                    format: format.to_owned(),
                    input: input.to_owned(),
                });
            }
        };
        if path.is_empty() {
            return Err(ReportSpecError::NoPath(input.to_owned()));
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

impl fmt::Display for ReportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.format, self.path.display())
    }
}

/// Writes `report` to `spec.path` in `spec.format`, creating missing parent
/// folders (CI jobs point `--report` into folders that do not exist yet).
pub fn write_report_file(spec: &ReportSpec, report: &RunReport) -> io::Result<()> {
    if let Some(parent) = spec.path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let mut out = BufWriter::new(fs::File::create(&spec.path)?);
    spec.format.write(report, &mut out)?;
    out.flush()
}

/// `45ms` under a second, `1.84s` from there: what people read at a glance.
pub fn format_duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{}.{:02}s", ms / 1000, (ms % 1000) / 10)
    }
}

/// `12 scenarios: 11 passed, 1 failed, 0 errors, 0 skipped in 1.84s`: the line
/// the console ends with and the Markdown summary leads with.
pub fn counts_line(counts: &Counts, duration_ms: u64) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    // Said only when there are some, so a run without `should` misses reads as
    // it always has.
    let warned = if counts.warned > 0 {
        format!(", {} with warnings", counts.warned)
    } else {
        String::new()
    };
    format!(
        "{}: {} passed{warned}, {} failed, {}, {} skipped in {}",
        plural(counts.total, "scenario", "scenarios"),
        counts.passed,
        counts.failed,
        plural(counts.errored, "error", "errors"),
        counts.skipped,
        format_duration(duration_ms)
    )
}

/// `status: expected 401, actual 200` — one line when both values are short and
/// single-line, otherwise each value on its own indented lines.
pub(crate) fn failure_text(failure: &Failure) -> String {
    let single = |v: &str| !v.contains('\n') && v.chars().count() <= 60;
    if single(&failure.expected) && single(&failure.actual) {
        format!(
            "{}: expected {}, actual {}",
            failure.check, failure.expected, failure.actual
        )
    } else {
        format!(
            "{}:\n  expected:\n{}\n  actual:\n{}",
            failure.check,
            indent(&failure.expected, "    "),
            indent(&failure.actual, "    ")
        )
    }
}

/// The failures and error of one unsuccessful step, as plain text.
pub(crate) fn step_problem_text(step: &StepReport) -> String {
    let mut text = format!(
        "step `{}` {} (at {})",
        step.name,
        step.outcome().as_str(),
        step.source
    );
    for failure in step.failures() {
        text.push('\n');
        text.push_str(&indent(&failure_text(failure), "  "));
        text.push_str(&format!("\n    --> {}", failure.source));
    }
    if let Some(error) = step.error() {
        text.push('\n');
        text.push_str(&indent(&format!("error: {error}"), "  "));
    }
    for warning in &step.warnings {
        text.push('\n');
        text.push_str(&indent(
            &format!("warning: {}", failure_text(warning)),
            "  ",
        ));
        text.push_str(&format!("\n    --> {}", warning.source));
    }
    text
}

/// A step's exchange the way `curl -v` shows it: `>` for what was sent, `<` for
/// what came back. Already redacted by the runner.
pub(crate) fn transcript_text(transcript: &Transcript) -> String {
    let mut lines = Vec::new();
    let request = &transcript.request;
    lines.push(format!("> {} {}", request.method, request.url));
    for (name, value) in &request.headers {
        lines.push(format!("> {name}: {value}"));
    }
    if let Some(body) = &request.body {
        lines.push(">".to_owned());
        lines.extend(body.lines().map(|l| format!("> {l}")));
    }
    match &transcript.response {
        Some(response) => {
            lines.push(format!(
                "< {} ({})",
                response.status,
                format_duration(response.duration_ms)
            ));
            for (name, value) in &response.headers {
                lines.push(format!("< {name}: {value}"));
            }
            if !response.body.is_empty() {
                lines.push("<".to_owned());
                lines.extend(response.body.lines().map(|l| format!("< {l}")));
            }
            if response.body_truncated {
                lines.push("< [body truncated]".to_owned());
            }
        }
        None => lines.push("< (no response)".to_owned()),
    }
    if !transcript.idp_calls.is_empty() {
        lines.push("# meanwhile the target asked tollgate's IdP:".to_owned());
        lines.extend(transcript.idp_calls.iter().map(|c| format!("! {c}")));
    }
    lines.join("\n")
}

/// Prefixes every line of `text` with `prefix`.
pub(crate) fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A realistic run for the reporters' tests: one scenario per outcome, with
/// transcripts built through the real [`redact::Redactor`] from raw values that
/// hold canary secrets.
#[cfg(test)]
pub(crate) mod sample {
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
        let table: Vec<String> = ["F-BASIC-2", "F-BASIC-5", "F-SESS-1", "F-CROWD-1"]
            .map(String::from)
            .to_vec();
        let facts = crate::report::coverage::fact_coverage(&scenarios, &table);
        RunReport {
            facts,
            tool_version: "0.1.0".into(),
            started_at: "2026-11-23T14:15:49Z".into(),
            finished_at: "2026-11-23T14:15:51Z".into(),
            duration_ms: 1_840,
            target: "embedded mock".into(),
            certification: Certification {
                tool_version: "0.1.0".into(),
                profile: Some("basic-locked-down".into()),
                scenario_files,
                target: "embedded mock".into(),
                started_at: "2026-11-23T14:15:49Z".into(),
                finished_at: "2026-11-23T14:15:51Z".into(),
                confluence_version: Some(
                    "9.2.0 (the embedded mock, the emulator's default)".into(),
                ),
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
                warnings: vec![Failure {
                    check: Check::Header("content-type".into()),
                    expected: "matching /^text/html/".into(),
                    actual: "application/json".into(),
                    source: loc(f_warn, 17, 25),
                }],
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
            burst: None,
                    name: "reuse session after logout".into(),
                    source: loc(f_fail, 18, 11),
                    result: StepResult::judged(vec![
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
                    ]),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_spec_parses_every_form() {
        let cases = [
            ("junit=out/junit.xml", ReportFormat::Junit, "out/junit.xml"),
            ("json=r.json", ReportFormat::Json, "r.json"),
            ("md=summary.md", ReportFormat::Markdown, "summary.md"),
            ("markdown=s.md", ReportFormat::Markdown, "s.md"),
            ("HTML=evidence.html", ReportFormat::Html, "evidence.html"),
            ("JUnit=a=b.xml", ReportFormat::Junit, "a=b.xml"),
        ];
        for (input, format, path) in cases {
            let spec: ReportSpec = input.parse().unwrap();
            assert_eq!(spec.format, format, "{input}");
            assert_eq!(spec.path, PathBuf::from(path), "{input}");
        }
        assert_eq!(
            "md=x.md".parse::<ReportSpec>().unwrap().to_string(),
            "md=x.md"
        );
    }

    #[test]
    fn report_spec_errors_name_the_valid_forms() {
        let cases = [
            (
                "report.xml",
                "invalid report `report.xml`: expected junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE",
            ),
            (
                "pdf=r.pdf",
                "unknown report format `pdf` in `pdf=r.pdf`: expected junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE",
            ),
            (
                "junit=",
                "report `junit=` has no file name: expected junit=FILE, json=FILE, md=FILE (also markdown=FILE) or html=FILE",
            ),
        ];
        for (input, message) in cases {
            let err = input.parse::<ReportSpec>().unwrap_err();
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn write_report_file_creates_parent_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let report = sample::report();
        for (format, name) in [
            (ReportFormat::Junit, "a/b/junit.xml"),
            (ReportFormat::Json, "c/report.json"),
            (ReportFormat::Markdown, "summary.md"),
            (ReportFormat::Html, "d/evidence.html"),
        ] {
            let spec = ReportSpec {
                format,
                path: dir.path().join(name),
            };
            write_report_file(&spec, &report).unwrap();
            let written = fs::read_to_string(&spec.path).unwrap();
            let mut expected = Vec::new();
            format.write(&report, &mut expected).unwrap();
            assert_eq!(written.as_bytes(), expected, "{spec}");
            assert!(written.contains("session/logout-invalidates"));
        }
    }

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(format_duration(0), "0ms");
        assert_eq!(format_duration(999), "999ms");
        assert_eq!(format_duration(1_000), "1.00s");
        assert_eq!(format_duration(1_840), "1.84s");
        assert_eq!(format_duration(125_409), "125.40s");
    }

    #[test]
    fn counts_line_pluralizes() {
        let one = model::Counts {
            total: 1,
            passed: 1,
            ..Default::default()
        };
        assert_eq!(
            counts_line(&one, 45),
            "1 scenario: 1 passed, 0 failed, 0 errors, 0 skipped in 45ms"
        );
    }

    #[test]
    fn run_outcome_is_the_worst_scenario() {
        let mut report = sample::report();
        assert_eq!(report.outcome(), model::Outcome::Error);
        report.scenarios.clear();
        assert_eq!(report.outcome(), model::Outcome::Pass);
    }

    #[test]
    fn no_format_leaks_a_canary() {
        let report = sample::report();
        for format in [
            ReportFormat::Junit,
            ReportFormat::Json,
            ReportFormat::Markdown,
            ReportFormat::Html,
        ] {
            let mut out = Vec::new();
            format.write(&report, &mut out).unwrap();
            sample::assert_no_canary(&String::from_utf8(out).unwrap());
        }
        // The curl lines on their own, and a sanity check that they exist.
        let mut curls = 0;
        for step in report.scenarios.iter().flat_map(|s| &s.steps) {
            if let Some(transcript) = &step.transcript {
                sample::assert_no_canary(&transcript.request.curl);
                assert!(transcript.request.curl.starts_with("curl "));
                curls += 1;
            }
        }
        assert_eq!(curls, 5);
        let console = console::Console::new(false);
        let mut out = Vec::new();
        for scenario in &report.scenarios {
            console.scenario_finished(&mut out, scenario).unwrap();
        }
        console.summary(&mut out, &report).unwrap();
        sample::assert_no_canary(&String::from_utf8(out).unwrap());
    }
}
