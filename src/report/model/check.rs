//! What a step checked: every expectation judged, passed or missed, with what
//! was expected, what came and where the expectation is written.

use serde::Serialize;

/// Where something is written in a scenario file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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

/// Whether a check is a must (`expect`) or a should (`expect.should`): a missed
/// must fails the step, a missed should is a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Must,
    Should,
}

/// One check a step made, passed or not: the evidence of what was asserted,
/// which a passing step shows as a failing one does.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CheckResult {
    pub check: Check,
    pub level: Level,
    pub passed: bool,
    pub expected: String,
    /// Redacted as everything a report shows.
    pub actual: String,
    /// Where the expectation is written in the scenario.
    pub source: SourceLoc,
}

impl CheckResult {
    /// A check that held.
    pub fn passed(check: Check, expected: String, actual: String, source: SourceLoc) -> Self {
        CheckResult {
            check,
            level: Level::Must,
            passed: true,
            expected,
            actual,
            source,
        }
    }

    /// A check that missed, as its failure says it.
    pub fn missed(failure: Failure) -> Self {
        CheckResult {
            check: failure.check,
            level: Level::Must,
            passed: false,
            expected: failure.expected,
            actual: failure.actual,
            source: failure.source,
        }
    }

    /// The same check at `level`.
    pub fn at(self, level: Level) -> Self {
        CheckResult { level, ..self }
    }

    /// The failure (or, for a should, the warning) this check is, if it missed.
    pub fn miss(&self) -> Option<Failure> {
        (!self.passed).then(|| Failure {
            check: self.check.clone(),
            expected: self.expected.clone(),
            actual: self.actual.clone(),
            source: self.source.clone(),
        })
    }
}

/// One missed expectation.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Failure {
    /// What was checked, e.g. `status`, `header location`, `json $.username`.
    pub check: Check,
    pub expected: String,
    pub actual: String,
    /// Where the expectation is written in the scenario.
    pub source: SourceLoc,
}

/// What one expectation looked at. Reports show it by its [`Display`]
/// (`status`, `header location`, `cookie JSESSIONID Secure`, …), which the JSON
/// report writes as `check`.
///
/// [`Display`]: std::fmt::Display
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Status,
    Header(String),
    /// A cookie's presence (no attribute) or one of its attributes.
    Cookie {
        name: String,
        attribute: Option<CookieAttribute>,
    },
    /// A JSONPath as written in the scenario.
    Json(String),
    Body,
    Duration,
    /// A capture, by its variable's name, that found nothing.
    Capture(String),
    /// A burst's requests that got no answer.
    BurstAnswers,
    /// How many of a burst's answers had this status (`statuses:`).
    BurstStatus(u16),
    /// What the target asked tollgate's IdP (`expect.idp`), e.g.
    /// `idp introspections count`.
    Idp(String),
}

/// The attribute of a `Set-Cookie` an expectation judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieAttribute {
    Secure,
    HttpOnly,
    SameSite,
    Path,
    Value,
}

impl std::fmt::Display for CookieAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CookieAttribute::Secure => "Secure",
            CookieAttribute::HttpOnly => "HttpOnly",
            CookieAttribute::SameSite => "SameSite",
            CookieAttribute::Path => "Path",
            CookieAttribute::Value => "value",
        })
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Status => f.write_str("status"),
            Check::Header(name) => write!(f, "header {name}"),
            Check::Cookie {
                name,
                attribute: None,
            } => write!(f, "cookie {name}"),
            Check::Cookie {
                name,
                attribute: Some(attribute),
            } => write!(f, "cookie {name} {attribute}"),
            Check::Json(path) => write!(f, "json {path}"),
            Check::Body => f.write_str("body"),
            Check::Duration => f.write_str("duration"),
            Check::Capture(name) => write!(f, "capture {name}"),
            Check::BurstAnswers => f.write_str("burst"),
            Check::BurstStatus(status) => write!(f, "statuses {status}"),
            Check::Idp(what) => f.write_str(what),
        }
    }
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
