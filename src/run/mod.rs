//! Running scenarios: each against its own fresh embedded mock (or a real
//! target), in parallel, step by step, into a [`RunReport`].

pub mod burst;
pub mod select;
pub mod step;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures::StreamExt;

use crate::report::coverage::fact_coverage;
use crate::report::model::{
    Certification, Counts, Outcome, RunReport, ScenarioFile, ScenarioReport, SourceLoc, StepReport,
    StepResult, Verdict,
};
use crate::scenario::Scenario;
use crate::scenario::facts::fact_rows;
use crate::scenario::model::Only;
use crate::session::{ResolvedTarget, Session, SessionError, TargetOptions};
use step::{StepContext, millis, run_step};

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Where and how scenarios are sent (`--target`, `--var`, `--idp`, TLS).
    pub target: TargetOptions,
    /// Scenarios run at once.
    pub jobs: usize,
    /// Start no scenario after one fails or errors.
    pub fail_fast: bool,
    /// `--profile NAME`: the certification profile this run is for.
    pub profile: Option<String>,
    /// `--strict`: a missed `should` counts against the verdict as a failure does.
    pub strict: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            target: TargetOptions::default(),
            jobs: num_cpus::get().max(1),
            fail_fast: false,
            profile: None,
            strict: false,
        }
    }
}

/// Why a suite could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Target(#[from] SessionError),
}

/// Runs `scenarios`, calling `on_finished` as each one ends (in completion order);
/// the report lists them in the order given.
pub async fn run_suite(
    scenarios: Vec<Scenario>,
    options: &RunOptions,
    mut on_finished: impl FnMut(&ScenarioReport),
) -> Result<RunReport, RunError> {
    let started_at = now_rfc3339();
    let started = Instant::now();
    let scenario_files = scenario_files(&scenarios);
    let mut target = ResolvedTarget::resolve(&options.target, &scenarios)?;
    target.read_version(&scenarios).await;
    let target = Arc::new(target);
    let stop = Arc::new(AtomicBool::new(false));
    let fail_fast = options.fail_fast;

    let tasks = scenarios.into_iter().enumerate().map(|(index, scenario)| {
        let target = target.clone();
        let stop = stop.clone();
        // What the report says of this scenario if its task dies.
        let stub = skeleton(&scenario, Outcome::Error);
        async move {
            let handle = tokio::spawn(async move {
                if stop.load(Ordering::Relaxed) {
                    return skipped(
                        &scenario,
                        "not run: an earlier scenario failed (--fail-fast)".into(),
                    );
                }
                let report = run_scenario(&scenario, &target).await;
                if fail_fast && matches!(report.outcome, Outcome::Fail | Outcome::Error) {
                    stop.store(true, Ordering::Relaxed);
                }
                report
            });
            (index, handle.await.unwrap_or_else(|e| died(stub, &e)))
        }
    });
    let mut results = Vec::new();
    let mut stream = futures::stream::iter(tasks).buffer_unordered(options.jobs.max(1));
    while let Some((index, report)) = stream.next().await {
        on_finished(&report);
        results.push((index, report));
    }
    results.sort_by_key(|(index, _)| *index);
    let scenarios: Vec<ScenarioReport> = results.into_iter().map(|(_, r)| r).collect();
    let finished_at = now_rfc3339();
    let confluence_version = target.version_label();
    let target = target.label().to_string();
    let counts = Counts::tally(scenarios.iter().map(|s| &s.outcome));
    let certification = Certification {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        profile: options.profile.clone(),
        scenario_files,
        target: target.clone(),
        started_at: started_at.clone(),
        finished_at: finished_at.clone(),
        confluence_version,
        strict: options.strict,
        verdict: Verdict::of(&counts, options.strict),
    };
    let facts = fact_coverage(&scenarios, fact_rows());
    Ok(RunReport {
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        facts,
        started_at,
        finished_at,
        duration_ms: millis(started.elapsed()),
        target,
        hostname: hostname(),
        counts,
        certification,
        scenarios,
    })
}

/// The SHA-256 of every file the selected scenarios came from, sorted by path.
///
/// The hash is taken by the loader from the text it parsed (not re-read here), so
/// it names the bytes that judged the target even if the file changes meanwhile.
fn scenario_files(scenarios: &[Scenario]) -> Vec<ScenarioFile> {
    let by_path: std::collections::BTreeMap<String, &str> = scenarios
        .iter()
        .map(|s| (s.file.display().to_string(), s.source_sha256.as_str()))
        .collect();
    by_path
        .into_iter()
        .map(|(path, sha256)| ScenarioFile {
            path,
            sha256: sha256.to_owned(),
        })
        .collect()
}

/// The machine's name, for JUnit's `hostname`: the kernel's where it has one
/// (Linux), else what the shell says, else `localhost`.
fn hostname() -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    kernel
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn source_of(scenario: &Scenario) -> SourceLoc {
    SourceLoc {
        file: scenario.file.display().to_string(),
        line: scenario.id.pos.line,
        col: scenario.id.pos.col,
    }
}

fn skeleton(scenario: &Scenario, outcome: Outcome) -> ScenarioReport {
    ScenarioReport {
        id: scenario.id.inner.clone(),
        title: scenario.title.clone(),
        source: source_of(scenario),
        tags: scenario.tags.clone(),
        refs: scenario.refs.iter().map(|r| r.inner.clone()).collect(),
        outcome,
        skip_reason: None,
        duration_ms: 0,
        steps: Vec::new(),
    }
}

/// A scenario whose task panicked (a tollgate bug) is that scenario's `error`:
/// the others run and every report is written. The panic's own message is not
/// repeated, as it may quote a secret; the panic hook printed where it happened.
fn died(stub: ScenarioReport, error: &tokio::task::JoinError) -> ScenarioReport {
    let why = if error.is_panic() {
        "stopped by an internal error (a tollgate bug; its location is on stderr)"
    } else {
        "stopped before its end (its task was cancelled)"
    };
    ScenarioReport {
        steps: vec![scenario_error("run", stub.source.clone(), why.into())],
        ..stub
    }
}

fn skipped(scenario: &Scenario, reason: String) -> ScenarioReport {
    ScenarioReport {
        skip_reason: Some(reason),
        ..skeleton(scenario, Outcome::Skip)
    }
}

/// Why an `only: mock` scenario is skipped on a real target (`run --list` too).
pub const ONLY_MOCK: &str = "needs the embedded mock (only: mock)";

/// Runs one scenario to its end, or to its first step that does not pass.
pub async fn run_scenario(scenario: &Scenario, target: &ResolvedTarget) -> ScenarioReport {
    if !target.is_embedded() && scenario.only == Some(Only::Mock) {
        return skipped(scenario, ONLY_MOCK.into());
    }
    if let Some(reason) = target.excludes(scenario) {
        return skipped(scenario, reason);
    }
    if let Some(reason) = target.not_set_up_for(scenario) {
        return skipped(scenario, reason);
    }
    let started = Instant::now();
    let mut report = skeleton(scenario, Outcome::Pass);
    match Session::open(scenario, target, &[]).await {
        Ok(mut session) => {
            report.steps = drive(scenario, &mut session).await;
            session.close().await;
        }
        Err(e) => report.steps.push(setup_error(scenario, e.to_string())),
    }
    report.outcome = report
        .steps
        .iter()
        .map(|s| s.outcome())
        .filter(|o| *o != Outcome::Skip)
        .max()
        .unwrap_or(Outcome::Pass);
    report.duration_ms = millis(started.elapsed());
    report
}

/// The steps in order, until one fails or errors; the rest are skipped, since
/// later steps build on its captures and state.
async fn drive(scenario: &Scenario, session: &mut Session) -> Vec<StepReport> {
    let file = scenario.file.display().to_string();
    let env = session.env();
    let mut scope = session.scope.clone();
    let mut reports = Vec::with_capacity(scenario.steps.len());
    for (index, step) in scenario.steps.iter().enumerate() {
        let ctx = StepContext {
            clients: &session.clients,
            env: &env,
            file: &file,
            scope: &mut scope,
            redactor: &mut session.redactor,
            idp: session.idp.as_ref().map(|idp| &idp.log),
        };
        let result = run_step(step, ctx).await;
        // A warning is still a pass: later steps build on this one as they would.
        let stop = !matches!(result.outcome(), Outcome::Pass | Outcome::Warn);
        reports.push(result);
        if stop {
            for later in &scenario.steps[index + 1..] {
                reports.push(StepReport {
                    warnings: Vec::new(),
                    checks: Vec::new(),
                    burst: None,
                    name: later.name.clone(),
                    source: SourceLoc {
                        file: file.clone(),
                        line: later.pos.line,
                        col: later.pos.col,
                    },
                    result: StepResult::Skipped(format!(
                        "not run: step {} did not pass",
                        index + 1
                    )),
                    duration_ms: 0,
                    transcript: None,
                });
            }
            break;
        }
    }
    reports
}

fn setup_error(scenario: &Scenario, message: String) -> StepReport {
    scenario_error("set up", source_of(scenario), message)
}

/// The one step of a scenario that ended before its own steps could say how:
/// named for what failed (`set up`, `run`), at the scenario's `id:`.
fn scenario_error(name: &str, source: SourceLoc, message: String) -> StepReport {
    StepReport {
        warnings: Vec::new(),
        checks: Vec::new(),
        burst: None,
        name: name.into(),
        source,
        result: StepResult::Errored(message),
        duration_ms: 0,
        transcript: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stub() -> ScenarioReport {
        let scenario = crate::scenario::load_str(
            "id: PANICS\ntitle: t\nsteps:\n  - name: one\n    request: { path: / }\n",
            std::path::Path::new("panics.yaml"),
            &|_| None,
        )
        .unwrap();
        skeleton(&scenario, Outcome::Error)
    }

    /// A real panicking task: its join error becomes the scenario's `error`, with
    /// none of the panic's words (they may quote a secret).
    #[tokio::test]
    async fn a_scenario_whose_task_panics_is_its_error_and_keeps_the_panic_text_out() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let joined = tokio::spawn(async { panic!("token s3cr3t-canary") }).await;
        std::panic::set_hook(previous);
        let report = died(stub(), &joined.unwrap_err());
        assert_eq!(report.id, "PANICS");
        assert_eq!(report.outcome, Outcome::Error);
        let error = report.steps[0].error().unwrap();
        assert!(error.contains("internal error"), "{error}");
        assert!(!format!("{report:?}").contains("s3cr3t-canary"));
    }
}
