//! `about.json`: what a bundle certifies, in one file a reader or a script can
//! take in: the target (as described and as read), the run (profile, verdict,
//! counts, times), what built tollgate, the host, the non-secret vars, the keys
//! by fingerprint, and where each bundled file came from.

use serde::{Deserialize, Serialize};

use crate::report::model::RunReport;

/// What the target says about itself when it is not known.
pub const UNKNOWN: &str = "unknown";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// [`super::FORMAT`].
    pub format: String,
    pub tollgate: Build,
    /// The machine the run ran on.
    pub host: String,
    pub run: RunFacts,
    pub target: TargetFacts,
    /// `--var` values (a name that looks secret shows `[redacted]`) and
    /// `--secret` names (never values).
    pub vars: Vec<Var>,
    /// Public keys by fingerprint; never a private key or a shared secret.
    pub keys: Vec<KeyFingerprint>,
    /// Every bundled file but the manifest, its signature and this one.
    pub files: Vec<BundledFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    pub version: String,
    /// The git commit tollgate was built from, or `unknown`.
    pub commit: String,
    pub target_triple: String,
}

impl Build {
    /// This binary's.
    pub fn current() -> Self {
        Build {
            version: env!("CARGO_PKG_VERSION").to_string(),
            commit: env!("TOLLGATE_GIT_COMMIT").to_string(),
            target_triple: env!("TOLLGATE_TARGET_TRIPLE").to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFacts {
    pub started_at: String,
    pub finished_at: String,
    pub profile: Option<String>,
    pub strict: bool,
    pub verdict: String,
    pub counts: Counts,
}

impl RunFacts {
    pub fn of(report: &RunReport) -> Self {
        let c = &report.counts;
        RunFacts {
            started_at: report.started_at.clone(),
            finished_at: report.finished_at.clone(),
            profile: report.certification.profile.clone(),
            strict: report.certification.strict,
            verdict: report.certification.verdict.to_string(),
            counts: Counts {
                total: c.total,
                passed: c.passed,
                warned: c.warned,
                failed: c.failed,
                errored: c.errored,
                skipped: c.skipped,
            },
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
    pub warned: usize,
    pub failed: usize,
    pub errored: usize,
    pub skipped: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetFacts {
    /// The base URL (no password), or `embedded mock`.
    pub url: String,
    /// `--describe-target`, as given.
    pub described: Option<String>,
    /// The version `requires:` was judged against, and where it came from.
    pub confluence_version_judged: Option<String>,
    pub read: TargetRead,
}

/// What the target said about itself, unasked for credentials: each field as
/// read, or `unknown`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRead {
    /// Where it was read, e.g. `GET /rest/applinks/1.0/manifest`.
    pub from: String,
    pub name: String,
    pub type_id: String,
    pub version: String,
    pub build_number: String,
    pub applinks_version: String,
    /// Why the fields are unknown, when they are.
    pub note: Option<String>,
}

impl TargetRead {
    /// Nothing read, and why.
    pub fn unknown(from: &str, why: impl Into<String>) -> Self {
        TargetRead {
            from: from.to_string(),
            name: UNKNOWN.into(),
            type_id: UNKNOWN.into(),
            version: UNKNOWN.into(),
            build_number: UNKNOWN.into(),
            applinks_version: UNKNOWN.into(),
            note: Some(why.into()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Var {
    pub name: String,
    pub value: String,
    /// `--var` or `--secret`.
    pub given_as: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFingerprint {
    /// e.g. `bundle signature`, `scenario key`, `--idp-key`, `--ca-cert`.
    pub role: String,
    /// The key's name, or its file.
    pub name: String,
    pub alg: String,
    /// [`super::pem::fingerprint`] of the public key (or certificate), when
    /// there is one to name.
    pub fingerprint: Option<String>,
    /// Why there is no fingerprint, e.g. a shared secret or a key made per run.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundledFile {
    /// Its path in the bundle.
    pub path: String,
    /// `report`, `scenario` or `profile`.
    pub role: String,
    /// The path it was read from, as given (none for reports).
    pub source: Option<String>,
}

impl About {
    /// What `tollgate verify` prints: the lines a reader checks first.
    pub fn summary_lines(&self) -> Vec<String> {
        let t = &self.target;
        let c = &self.run.counts;
        let mut lines = vec![format!("target:   {}", t.url)];
        if let Some(described) = &t.described {
            lines.push(format!("  described as: {described}"));
        }
        lines.push(match &t.read.note {
            Some(why) => format!("  read from {}: {why}", t.read.from),
            None => format!(
                "  read from {}: {} {} (build {}, applinks {})",
                t.read.from,
                t.read.name,
                t.read.version,
                t.read.build_number,
                t.read.applinks_version
            ),
        });
        if let Some(judged) = &t.confluence_version_judged {
            lines.push(format!("  version judged against: {judged}"));
        }
        lines.push(format!(
            "profile:  {}",
            self.run.profile.as_deref().unwrap_or("none")
        ));
        let strict = if self.run.strict { " (--strict)" } else { "" };
        lines.push(format!("verdict:  {}{strict}", self.run.verdict));
        lines.push(format!(
            "counts:   {} scenarios: {} passed, {} with warnings, {} failed, {} errors, {} skipped",
            c.total, c.passed, c.warned, c.failed, c.errored, c.skipped
        ));
        lines.push(format!(
            "run:      {} to {} on {}",
            self.run.started_at, self.run.finished_at, self.host
        ));
        lines.push(format!(
            "tollgate: {} (commit {}, {})",
            self.tollgate.version, self.tollgate.commit, self.tollgate.target_triple
        ));
        lines
    }
}
