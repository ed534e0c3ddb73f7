//! The report model: plain data the runner produces and every reporter reads.
//!
//! Everything here has already passed through [`crate::report::redact`]: a
//! reporter may print any field as it is.

use serde::Serialize;

mod check;
pub use check::{Check, CheckResult, CookieAttribute, Failure, Level, SourceLoc};

/// The result of one step, one scenario, or a whole run.
///
/// Ordered from best to worst, so a scenario's outcome is the `max` of its steps'.
/// `Warn` is a pass with warnings: every `expect` held, some `should` did not.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Warn,
    Skip,
    Fail,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Skip => "skip",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        }
    }

    /// The upper-case tag the console and reports show, e.g. `FAIL`.
    pub fn tag(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Warn => "WARN",
            Outcome::Skip => "SKIP",
            Outcome::Fail => "FAIL",
            Outcome::Error => "ERROR",
        }
    }

    /// Whether this outcome needs a reader's attention (fail or error).
    pub fn is_problem(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Error)
    }

    /// Words for a reader: `passed`, `passed with warnings`, `skipped`, `failed`,
    /// `error`.
    pub fn words(self) -> &'static str {
        match self {
            Outcome::Pass => "passed",
            Outcome::Warn => "passed with warnings",
            Outcome::Skip => "skipped",
            Outcome::Fail => "failed",
            Outcome::Error => "error",
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RunReport {
    pub tool_version: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// The base URL of a real target, or `embedded mock` when each scenario ran
    /// against its own emulator instance.
    pub target: String,
    /// The machine tollgate ran on (JUnit's `hostname`).
    pub hostname: String,
    pub scenarios: Vec<ScenarioReport>,
    pub counts: Counts,
    /// Which facts of the fact table this run exercised on its target.
    pub facts: FactCoverage,
    /// What a vendor hands over: which tool, profile and exact scenario files
    /// judged which target, when, and the verdict.
    pub certification: Certification,
}

/// The certification block of the JSON and HTML reports (issue 6, item 4).
///
/// It repeats the run's version, target and times on purpose: the block is the
/// evidence a vendor hands over, and must read on its own.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Certification {
    pub tool_version: String,
    /// `--profile NAME`, when the run was for one.
    pub profile: Option<String>,
    /// Every scenario file the run selected, sorted by path: a reader can prove
    /// which version of the suite judged the target.
    pub scenario_files: Vec<ScenarioFile>,
    /// The target's base URL (its userinfo password redacted), or `embedded mock`.
    pub target: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    /// The Confluence version `requires:` was judged against and where it came
    /// from, e.g. `8.5.4 (from /rest/applinks/1.0/manifest)`; none when a real
    /// target's was not needed.
    pub confluence_version: Option<String>,
    /// `--strict`: warnings counted as failures in the verdict and exit code.
    pub strict: bool,
    pub verdict: Verdict,
}

/// One scenario file and the SHA-256 of its bytes as they were loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ScenarioFile {
    pub path: String,
    /// Lowercase hex.
    pub sha256: String,
}

/// Whether the target conforms. A certification counts what ran: a run that
/// skipped scenarios (`only: mock` against a real target, a profile's scenario the
/// target cannot take) proves nothing about them, so it is `incomplete`, never
/// `conformant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every scenario ran and passed (with warnings or without).
    Conformant,
    /// None failed or errored, but only `ran` of `total` ran.
    Incomplete { ran: usize, total: usize },
    /// A scenario failed or errored (or, under `--strict`, had a warning).
    NotConformant,
}

impl Verdict {
    /// A pass with warnings conforms, unless the run was `--strict`: then a
    /// `should` is held to as a must.
    pub fn of(counts: &Counts, strict: bool) -> Self {
        if counts.failed > 0 || counts.errored > 0 || (strict && counts.warned > 0) {
            Verdict::NotConformant
        } else if counts.skipped > 0 {
            Verdict::Incomplete {
                ran: counts.total - counts.skipped,
                total: counts.total,
            }
        } else {
            Verdict::Conformant
        }
    }

    /// A word for styling: `conformant`, `incomplete` or `not-conformant`.
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Conformant => "conformant",
            Verdict::Incomplete { .. } => "incomplete",
            Verdict::NotConformant => "not-conformant",
        }
    }
}

/// The words the reports show: `conformant`, `incomplete: 2 of 28 ran` or
/// `not conformant`.
impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Conformant => f.write_str("conformant"),
            Verdict::Incomplete { ran, total } => write!(f, "incomplete: {ran} of {total} ran"),
            Verdict::NotConformant => f.write_str("not conformant"),
        }
    }
}

/// As its words: JSON readers compare the string.
impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The facts a run exercised on its target: a fact is exercised when a scenario
/// that cites it ran (passed, warned, failed or errored); a skipped scenario
/// exercises nothing. What a vendor's evidence covers, and what it does not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FactCoverage {
    /// How many facts the table has.
    pub total: usize,
    /// In the fact table's order (then facts the table lacks, by id).
    pub exercised: Vec<FactExercised>,
    /// Facts of the table no scenario that ran cites.
    pub not_exercised: Vec<String>,
    /// Each fact's statement, by id, as the fact table writes it: shown beside
    /// the id where a reader meets it.
    #[serde(skip)]
    pub statements: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FactExercised {
    pub id: String,
    /// What the fact says, from the fact table (none for an id it lacks).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub statement: String,
    /// The worst outcome of the scenarios that exercised it.
    pub outcome: Outcome,
    /// Their ids, in run order.
    pub scenarios: Vec<String>,
}

impl FactCoverage {
    /// `31 of 52 facts exercised`: of the table's facts.
    pub fn summary(&self) -> String {
        let done = self.total.saturating_sub(self.not_exercised.len());
        format!("{done} of {} facts exercised", self.total)
    }

    /// What fact `id` says, when the table has it.
    pub fn statement(&self, id: &str) -> Option<&str> {
        self.statements.get(id).map(String::as_str)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counts {
    pub total: usize,
    /// Passed without a warning.
    pub passed: usize,
    /// Passed with warnings: a `should` missed.
    pub warned: usize,
    pub failed: usize,
    pub errored: usize,
    pub skipped: usize,
}

impl Counts {
    pub fn tally<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Self {
        let mut counts = Counts::default();
        for outcome in outcomes {
            counts.total += 1;
            match outcome {
                Outcome::Pass => counts.passed += 1,
                Outcome::Warn => counts.warned += 1,
                Outcome::Skip => counts.skipped += 1,
                Outcome::Fail => counts.failed += 1,
                Outcome::Error => counts.errored += 1,
            }
        }
        counts
    }
}

impl RunReport {
    /// The worst scenario outcome; an empty run passes.
    pub fn outcome(&self) -> Outcome {
        self.scenarios
            .iter()
            .map(|s| s.outcome)
            .max()
            .unwrap_or(Outcome::Pass)
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ScenarioReport {
    pub id: String,
    pub title: String,
    /// Where the scenario's `id:` is written.
    pub source: SourceLoc,
    pub tags: Vec<String>,
    pub refs: Vec<String>,
    pub outcome: Outcome,
    /// Why the scenario was skipped (`outcome == Skip`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub duration_ms: u64,
    pub steps: Vec<StepReport>,
}

impl ScenarioReport {
    /// The part of the suite the scenario belongs to: the folder its file is in
    /// (`scenarios/basic/x.yaml` → `basic`), else its id's prefix (`BASIC-004` →
    /// `basic`). Reports group by it; JUnit's `classname` is `tollgate.AREA`.
    pub fn area(&self) -> String {
        let path = std::path::Path::new(&self.source.file);
        let folder = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .filter(|name| !name.is_empty() && name != "." && name != "..");
        folder.unwrap_or_else(|| {
            let prefix = self
                .id
                .split(['-', '/', '_', '.'])
                .next()
                .unwrap_or_default();
            if prefix.is_empty() {
                "scenarios".to_string()
            } else {
                prefix.to_ascii_lowercase()
            }
        })
    }

    /// The steps that failed or errored, in order.
    pub fn problem_steps(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| step.outcome().is_problem())
    }
}

#[derive(Clone, Debug)]
pub struct StepReport {
    pub name: String,
    /// Where the step's `name:` is written.
    pub source: SourceLoc,
    pub result: StepResult,
    /// What the answer missed of the step's `should`: reported, counted, and a
    /// failure only under `--strict`. Judged whether or not `expect` held.
    pub warnings: Vec<Failure>,
    /// Every check the step made, passed or missed, musts then shoulds: what a
    /// reader needs to see that a passing step asserted something. Empty when no
    /// answer was judged (an error, a skip).
    pub checks: Vec<CheckResult>,
    pub duration_ms: u64,
    /// The exchange, redacted. Absent when nothing was sent. For a burst, the
    /// first answer.
    pub transcript: Option<Transcript>,
    /// What a `burst:` step's answers were.
    pub burst: Option<BurstSummary>,
}

impl StepReport {
    /// The result's outcome, except that a pass with warnings is `Warn`.
    pub fn outcome(&self) -> Outcome {
        match self.result.outcome() {
            Outcome::Pass if !self.warnings.is_empty() => Outcome::Warn,
            outcome => outcome,
        }
    }

    /// Every expectation the response missed; empty unless the step failed.
    pub fn failures(&self) -> &[Failure] {
        self.result.failures()
    }

    /// Why no answer could be judged, when the step errored.
    pub fn error(&self) -> Option<&str> {
        self.result.error()
    }

    /// Why the step was not run, when it was skipped.
    pub fn skip_reason(&self) -> Option<&str> {
        self.result.skip_reason()
    }
}

/// How one step ended, with what only that ending has: a pass carries nothing,
/// a failure its misses, an error its message, a skip its reason.
#[derive(Clone, Debug, PartialEq)]
pub enum StepResult {
    Passed,
    Failed(Failures),
    Errored(String),
    Skipped(String),
}

impl StepResult {
    /// A judged answer: passed when nothing was missed, failed otherwise.
    pub fn judged(failures: Vec<Failure>) -> Self {
        match Failures::new(failures) {
            Some(failures) => StepResult::Failed(failures),
            None => StepResult::Passed,
        }
    }

    pub fn outcome(&self) -> Outcome {
        match self {
            StepResult::Passed => Outcome::Pass,
            StepResult::Failed(_) => Outcome::Fail,
            StepResult::Errored(_) => Outcome::Error,
            StepResult::Skipped(_) => Outcome::Skip,
        }
    }

    pub fn failures(&self) -> &[Failure] {
        match self {
            StepResult::Failed(failures) => failures,
            _ => &[],
        }
    }

    pub fn error(&self) -> Option<&str> {
        match self {
            StepResult::Errored(message) => Some(message),
            _ => None,
        }
    }

    pub fn skip_reason(&self) -> Option<&str> {
        match self {
            StepResult::Skipped(reason) => Some(reason),
            _ => None,
        }
    }
}

/// At least one missed expectation: a failed step always says what it missed.
#[derive(Clone, Debug, PartialEq)]
pub struct Failures(Vec<Failure>);

impl Failures {
    /// `None` for no failures: that is a pass, not a failure.
    pub fn new(failures: Vec<Failure>) -> Option<Self> {
        (!failures.is_empty()).then_some(Failures(failures))
    }
}

impl std::ops::Deref for Failures {
    type Target = [Failure];

    fn deref(&self) -> &[Failure] {
        &self.0
    }
}

impl IntoIterator for Failures {
    type Item = Failure;
    type IntoIter = std::vec::IntoIter<Failure>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The `tollgate-report/1` shape of a step: `outcome`, then `failures` when it
/// failed, `error` when it errored, `warnings` when a `should` missed, and
/// `checks` (every check, passed or not) when an answer was judged. A skip's reason is written as
/// `skip_reason`, as a scenario's is, and also as `error`, where readers of
/// earlier reports find it.
impl Serialize for StepReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;

        let mut out = serializer.serialize_struct("StepReport", 9)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("source", &self.source)?;
        out.serialize_field("outcome", &self.outcome())?;
        out.serialize_field("duration_ms", &self.duration_ms)?;
        match &self.result {
            StepResult::Passed => {}
            StepResult::Failed(failures) => out.serialize_field("failures", &**failures)?,
            StepResult::Errored(message) => out.serialize_field("error", message)?,
            StepResult::Skipped(reason) => {
                out.serialize_field("error", reason)?;
                out.serialize_field("skip_reason", reason)?;
            }
        }
        if !self.warnings.is_empty() {
            out.serialize_field("warnings", &self.warnings)?;
        }
        if !self.checks.is_empty() {
            out.serialize_field("checks", &self.checks)?;
        }
        if let Some(transcript) = &self.transcript {
            out.serialize_field("transcript", transcript)?;
        }
        if let Some(burst) = &self.burst {
            out.serialize_field("burst", burst)?;
        }
        out.end()
    }
}

/// The tally of a `burst:` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BurstSummary {
    pub count: u32,
    pub concurrency: u32,
    /// How many answers had each status.
    pub statuses: std::collections::BTreeMap<u16, u32>,
    /// Requests that got no answer (refused, timed out).
    pub errors: u32,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Transcript {
    pub request: RequestRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
    /// What the target asked tollgate's IdP or Crowd service meanwhile, one
    /// line a call (tokens as digests): the other side's evidence.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub idp_calls: Vec<String>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The request as a `curl` command line, to replay it by hand (issue 6,
    /// item 5). Built by [`RequestRecord::new`] from the fields above, which are
    /// already redacted, so it can hold no secret they do not.
    pub curl: String,
}

impl RequestRecord {
    /// A record of already-redacted parts, with its `curl` line.
    pub fn new(
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<String>,
    ) -> Self {
        let curl = crate::report::curl::command(&method, &url, &headers, body.as_deref());
        RequestRecord {
            method,
            url,
            headers,
            body,
            curl,
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The first bytes of the body, lossily decoded, redacted.
    pub body: String,
    /// The body was longer than what is kept.
    pub body_truncated: bool,
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(line: usize) -> SourceLoc {
        SourceLoc {
            file: "s.yaml".into(),
            line,
            col: 3,
        }
    }

    fn step_report(result: StepResult) -> StepReport {
        StepReport {
            warnings: Vec::new(),
            checks: Vec::new(),
            name: "one".into(),
            source: at(4),
            result,
            duration_ms: 7,
            transcript: None,
            burst: None,
        }
    }

    fn step(result: StepResult) -> serde_json::Value {
        serde_json::to_value(step_report(result)).unwrap()
    }

    fn status_failure() -> Failure {
        Failure {
            check: Check::Status,
            expected: "401".into(),
            actual: "200".into(),
            source: at(9),
        }
    }

    #[test]
    fn each_step_result_keeps_the_report_shape() {
        let head = json!({
            "name": "one",
            "source": { "file": "s.yaml", "line": 4, "col": 3 },
            "duration_ms": 7,
        });
        let with = |extra: serde_json::Value| {
            let mut expected = head.clone();
            for (key, value) in extra.as_object().unwrap() {
                expected[key] = value.clone();
            }
            expected
        };
        assert_eq!(step(StepResult::Passed), with(json!({ "outcome": "pass" })));
        assert_eq!(
            step(StepResult::judged(vec![status_failure()])),
            with(json!({
                "outcome": "fail",
                "failures": [{
                    "check": "status",
                    "expected": "401",
                    "actual": "200",
                    "source": { "file": "s.yaml", "line": 9, "col": 3 },
                }],
            }))
        );
        assert_eq!(
            step(StepResult::Errored("could not connect".into())),
            with(json!({ "outcome": "error", "error": "could not connect" }))
        );
        // `error` still carries a skip's reason for readers of earlier reports.
        assert_eq!(
            step(StepResult::Skipped("not run: step 1 did not pass".into())),
            with(json!({
                "outcome": "skip",
                "error": "not run: step 1 did not pass",
                "skip_reason": "not run: step 1 did not pass",
            }))
        );
    }

    #[test]
    fn step_fields_keep_their_order() {
        let text = serde_json::to_string(&step_report(StepResult::Errored("e".into()))).unwrap();
        let keys = ["name", "source", "outcome", "duration_ms", "error"];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(positions.is_sorted(), "{text}");
    }

    #[test]
    fn no_failures_is_a_pass_not_a_failure() {
        assert_eq!(StepResult::judged(Vec::new()), StepResult::Passed);
        assert!(Failures::new(Vec::new()).is_none());
        let failed = StepResult::judged(vec![status_failure()]);
        assert_eq!(failed.outcome(), Outcome::Fail);
        assert_eq!(failed.failures().len(), 1);
        assert_eq!(failed.error(), None);
    }

    #[test]
    fn checks_read_as_before() {
        let cookie = |attribute| Check::Cookie {
            name: "JSESSIONID".into(),
            attribute,
        };
        let cases = [
            (Check::Status, "status"),
            (Check::Header("x-foo".into()), "header x-foo"),
            (cookie(None), "cookie JSESSIONID"),
            (
                cookie(Some(CookieAttribute::Secure)),
                "cookie JSESSIONID Secure",
            ),
            (
                cookie(Some(CookieAttribute::HttpOnly)),
                "cookie JSESSIONID HttpOnly",
            ),
            (
                cookie(Some(CookieAttribute::SameSite)),
                "cookie JSESSIONID SameSite",
            ),
            (
                cookie(Some(CookieAttribute::Path)),
                "cookie JSESSIONID Path",
            ),
            (
                cookie(Some(CookieAttribute::Value)),
                "cookie JSESSIONID value",
            ),
            (Check::Json("$.a".into()), "json $.a"),
            (Check::Body, "body"),
            (Check::Duration, "duration"),
            (Check::Capture("name".into()), "capture name"),
            (Check::BurstAnswers, "burst"),
            (Check::BurstStatus(429), "statuses 429"),
        ];
        for (check, text) in cases {
            assert_eq!(check.to_string(), text);
            assert_eq!(serde_json::to_value(&check).unwrap(), json!(text));
        }
    }
}
