//! The report model: plain data the runner produces and every reporter reads.
//!
//! Everything here has already passed through [`crate::report::redact`]: a
//! reporter may print any field as it is.

use serde::Serialize;

/// The result of one step, one scenario, or a whole run.
///
/// Ordered from best to worst, so a scenario's outcome is the `max` of its steps'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Skip,
    Fail,
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Skip => "skip",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        }
    }

    /// The upper-case tag the console and reports show, e.g. `FAIL`.
    pub fn tag(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Skip => "SKIP",
            Outcome::Fail => "FAIL",
            Outcome::Error => "ERROR",
        }
    }

    /// Whether this outcome needs a reader's attention (fail or error).
    pub fn is_problem(self) -> bool {
        matches!(self, Outcome::Fail | Outcome::Error)
    }
}

/// Where something is written in a scenario file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceLoc {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for SourceLoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub tool_version: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    /// The base URL of a real target, or `embedded mock` when each scenario ran
    /// against its own emulator instance.
    pub target: String,
    pub scenarios: Vec<ScenarioReport>,
    pub counts: Counts,
    /// What a vendor hands over: which tool, profile and exact scenario files
    /// judged which target, when, and the verdict.
    pub certification: Certification,
}

/// The certification block of the JSON and HTML reports (issue 6, item 4).
///
/// It repeats the run's version, target and times on purpose: the block is the
/// evidence a vendor hands over, and must read on its own.
#[derive(Clone, Debug, Serialize)]
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
    pub verdict: Verdict,
}

/// One scenario file and the SHA-256 of its bytes as they were loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScenarioFile {
    pub path: String,
    /// Lowercase hex.
    pub sha256: String,
}

/// Whether the target conforms: no scenario failed or errored. Skips do not
/// count against it (a real target skips `only: mock` scenarios with a reason).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "conformant")]
    Conformant,
    #[serde(rename = "not conformant")]
    NotConformant,
}

impl Verdict {
    pub fn of(counts: &Counts) -> Self {
        if counts.failed == 0 && counts.errored == 0 {
            Verdict::Conformant
        } else {
            Verdict::NotConformant
        }
    }

    /// The words the reports show: `conformant` or `not conformant`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Conformant => "conformant",
            Verdict::NotConformant => "not conformant",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
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

#[derive(Clone, Debug, Serialize)]
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
    /// The steps that failed or errored, in order.
    pub fn problem_steps(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|step| step.outcome.is_problem())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    pub name: String,
    /// Where the step's `name:` is written.
    pub source: SourceLoc,
    pub outcome: Outcome,
    pub duration_ms: u64,
    /// Every expectation the response missed (`outcome == Fail`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// Why no answer could be judged (`outcome == Error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The exchange, redacted. Absent when nothing was sent. For a burst, the
    /// first answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Transcript>,
    /// What a `burst:` step's answers were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<BurstSummary>,
}

/// The tally of a `burst:` step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BurstSummary {
    pub count: u32,
    pub concurrency: u32,
    /// How many answers had each status.
    pub statuses: std::collections::BTreeMap<u16, u32>,
    /// Requests that got no answer (refused, timed out).
    pub errors: u32,
}

/// One missed expectation.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// What was checked, e.g. `status`, `header location`, `json $.username`.
    pub check: String,
    pub expected: String,
    pub actual: String,
    /// Where the expectation is written in the scenario.
    pub source: SourceLoc,
}

#[derive(Clone, Debug, Serialize)]
pub struct Transcript {
    pub request: RequestRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
}

#[derive(Clone, Debug, Serialize)]
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

#[derive(Clone, Debug, Serialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The first bytes of the body, lossily decoded, redacted.
    pub body: String,
    /// The body was longer than what is kept.
    pub body_truncated: bool,
    pub duration_ms: u64,
}
