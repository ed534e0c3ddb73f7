//! `tollgate load`: drives one scenario's steps with goose's virtual users and
//! reports throughput and latency per step, judged by thresholds.
//!
//! The steps become one goose scenario (`transaction.rs`); [`plan`] decides what
//! runs once per user and goose's configuration; `recorder.rs` keeps each step's
//! latencies in HDR histograms and a time series, which `progress.rs` prints
//! each second; [`summary`] puts goose's counts and those latencies into the
//! table people read and `tollgate merge` adds up; [`render`] writes it as
//! JSON, Markdown or HTML (`html.rs`), with the change against a [`baseline`];
//! [`compare`] runs a folder of flows under the same load into the auth cost
//! table.

pub mod arrival;
pub mod baseline;
pub mod compare;
mod hdr;
mod html;
pub mod judge;
pub mod latency;
mod logging;
pub mod merge;
pub mod plan;
mod progress;
mod recorder;
pub mod render;
pub mod shard;
pub mod summary;
mod table;
mod transaction;

use std::sync::Arc;
use std::time::Instant;

use goose::GooseAttack;
use goose::goose::Scenario as GooseScenario;

use crate::scenario::Scenario;
use crate::scenario::mock_config::Fault;
use crate::scenario::plan::Load;
use crate::session::{ResolvedTarget, Session, SessionError, Target, TargetOptions};
use plan::Overrides;
use summary::{LoadSummary, Phase};
use transaction::Shared;

/// Everything a load run takes besides the scenario.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Target, `--var`, `--idp`, `--ca-cert`, `--insecure`: as for `tollgate run`.
    pub target: TargetOptions,
    pub overrides: Overrides,
    /// Faults switched on in the embedded mock (`--fault`).
    pub faults: Vec<Fault>,
    /// No progress lines (`--quiet`).
    pub quiet: bool,
    /// An earlier run the reports show the change against (`--baseline`).
    pub baseline: Option<Arc<baseline::Baseline>>,
}

/// Why a load run did not produce a summary.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The scenario or the options cannot be run as a load: nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// The run could not start or goose stopped it.
    #[error("{0}")]
    Run(String),
    /// The run ended, and one of its reports could not be written.
    #[error("{0}")]
    Report(String),
}

/// Runs `scenario` as a load and returns what it measured; thresholds are judged
/// in the summary (`thresholds_passed`).
pub async fn run_load(
    scenario: &Scenario,
    options: &LoadOptions,
) -> Result<LoadSummary, LoadError> {
    let (session, target) = open_session(scenario, options).await?;
    let result = attack(scenario, options, &session, &target).await;
    session.close().await;
    result
}

/// What `run_load` checks and opens before a single run, for a session that
/// outlives one.
pub(crate) async fn open_session(
    scenario: &Scenario,
    options: &LoadOptions,
) -> Result<(Session, String), LoadError> {
    let refusals = plan::refusals(scenario);
    if !refusals.is_empty() {
        return Err(LoadError::Usage(refusals.join("\n")));
    }
    refuse_faults_on_remote(&options.faults, &options.target.target)?;
    let target = ResolvedTarget::resolve(&options.target, std::slice::from_ref(scenario))
        .map_err(|e| LoadError::Usage(e.to_string()))?;
    let session = Session::open(scenario, &target, &options.faults)
        .await
        .map_err(|e| match e {
            SessionError::Mock(_) => LoadError::Run(e.to_string()),
            other => LoadError::Usage(other.to_string()),
        })?;
    Ok((session, target.label().to_string()))
}

fn refuse_faults_on_remote(faults: &[Fault], target: &Target) -> Result<(), LoadError> {
    if !faults.is_empty() && *target != Target::Embedded {
        return Err(LoadError::Usage(
            "--fault switches the embedded mock's faults; a real target has its own".into(),
        ));
    }
    Ok(())
}

async fn attack(
    scenario: &Scenario,
    options: &LoadOptions,
    session: &Session,
    target: &str,
) -> Result<LoadSummary, LoadError> {
    let phases = plan::phases(scenario);
    let load = load_of(scenario);
    let open = open_model(&load, &options.overrides)?;
    let arrivals = open.as_ref().map(|(_, arrivals)| arrivals.clone());
    let recorder = Arc::new(
        recorder::Recorder::new(scenario.steps.len())
            .ok_or_else(|| LoadError::Run("cannot make a latency histogram".into()))?,
    );
    let shared = Arc::new(Shared {
        scenario: scenario.clone(),
        file: scenario.file.display().to_string(),
        endpoints: session.endpoints.clone(),
        keys: session.keys.clone(),
        clients: session.clients.clone(),
        scope: session.scope.clone(),
        redactor: session.redactor.clone(),
        request_names: scenario.steps.iter().map(|s| s.name.clone()).collect(),
        cacheable: transaction::cacheable(scenario, &phases),
        recorder: recorder.clone(),
        arrivals: arrivals.clone(),
        iteration_steps: iteration_steps(&phases),
    });
    let goose_scenario = goose_scenario(&scenario.id.inner, &shared, &phases);

    // goose shows its host in every report: never with a password in it.
    let host = without_userinfo(&session.endpoints.base_url);
    let config = plan::configuration(&load, &options.overrides, &host).map_err(LoadError::Usage)?;
    let run_info = run_info(scenario, &config, &options.faults, &options.overrides);
    logging::install(session.redactor.clone());
    let steps: Vec<(String, String, Phase)> = scenario
        .steps
        .iter()
        .zip(&phases)
        .map(|(step, phase)| {
            let method = step.request.method.as_str();
            (step.name.clone(), format!("{method} {}", step.name), *phase)
        })
        .collect();

    let shown: Vec<(usize, String)> = steps
        .iter()
        .enumerate()
        .filter(|(_, (_, _, phase))| *phase == Phase::Iteration)
        .map(|(index, (name, _, _))| (index, name.clone()))
        .collect();
    let progress = (!options.quiet).then(|| progress::Progress::new(shown));
    let started = Instant::now();
    let attack = GooseAttack::initialize_with_config(config)
        .map_err(|e| LoadError::Run(e.to_string()))?
        .register_scenario(goose_scenario);
    let ticker = tokio::spawn(progress::run(recorder.clone(), progress));
    let outcome = attack.execute().await;
    ticker.abort();
    let elapsed = started.elapsed().as_secs_f64();
    let metrics = match outcome {
        Ok(metrics) => metrics,
        Err(goose::GooseError::ThresholdsFailed { metrics, .. }) => *metrics.0,
        Err(e) => return Err(LoadError::Run(describe(&e))),
    };
    // goose counts whole seconds; a run bounded by iterations may take less
    // than one. An open model's rate is over its schedule's length.
    let duration = match (&open, metrics.duration) {
        (Some((schedule, _)), _) => schedule.length().as_secs_f64(),
        (None, 0) => elapsed,
        (None, seconds) => seconds as f64,
    };
    let mut summary =
        LoadSummary::from_metrics(&metrics, &scenario.id.inner, target, &steps, duration);
    summary.attach(recorder.finish());
    summary.run = run_info;
    if let (Some((_, arrivals)), Some(rate)) = (&open, options.overrides.rate) {
        judge_open(&mut summary, arrivals, rate, &load, &options.overrides);
    }
    summary.judge_by_default();
    logging::report_repeats();
    let comparison = options.baseline.as_deref().map(|b| b.compare(&summary));
    for path in &options.overrides.reports {
        render::write_report(path, &summary, comparison.as_ref())
            .map_err(|e| LoadError::Report(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(summary)
}

/// The open model's schedule and the arrivals that hand it out, under `--rate`.
fn open_model(
    load: &Load,
    overrides: &Overrides,
) -> Result<Option<(arrival::Schedule, Arc<arrival::Arrivals>)>, LoadError> {
    let Some(rate) = overrides.rate else {
        return Ok(None);
    };
    let schedule = plan::open_schedule(load, overrides, rate).map_err(LoadError::Usage)?;
    let arrivals = arrival::Arrivals::new(schedule)
        .ok_or_else(|| LoadError::Run("cannot make a latency histogram".into()))?;
    Ok(Some((schedule, Arc::new(arrivals))))
}

/// How an open-model run held its rate, and its thresholds: goose was given
/// none, so they are judged here, on the times counted from when each
/// iteration was due.
fn judge_open(
    summary: &mut LoadSummary,
    arrivals: &arrival::Arrivals,
    rate: arrival::RateSpec,
    load: &Load,
    overrides: &Overrides,
) {
    let pool = usize::try_from(summary.users).unwrap_or(usize::MAX);
    summary.open = Some(arrivals.finish(rate, overrides.over, pool));
    let rules: Vec<_> = plan::thresholds(load, overrides)
        .into_iter()
        .cloned()
        .collect();
    summary.thresholds = judge::judge(summary, &rules);
}

/// The steps as one goose scenario: a user's set-up first, then each step in
/// order, in its phase.
fn goose_scenario(name: &str, shared: &Arc<Shared>, phases: &[Phase]) -> GooseScenario {
    let mut scenario =
        GooseScenario::new(name).register_transaction(transaction::start_user(shared.clone()));
    for (index, phase) in phases.iter().enumerate() {
        let step = transaction::step(shared.clone(), index).set_sequence(index + 2);
        scenario = scenario.register_transaction(match phase {
            Phase::Start => step.set_on_start(),
            Phase::Iteration => step,
            Phase::Stop => step.set_on_stop(),
        });
    }
    scenario
}

/// The first and last steps each iteration runs, if any does.
fn iteration_steps(phases: &[Phase]) -> Option<(usize, usize)> {
    let first = phases.iter().position(|p| *p == Phase::Iteration)?;
    let last = phases.iter().rposition(|p| *p == Phase::Iteration)?;
    Some((first, last))
}

/// What the reports say about how the run was driven.
fn run_info(
    scenario: &Scenario,
    config: &goose::config::GooseConfiguration,
    faults: &[Fault],
    overrides: &Overrides,
) -> summary::RunInfo {
    let (rate, over) = (overrides.rate, overrides.over);
    let mut options = indexmap::IndexMap::new();
    let mut set = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            options.insert(name.to_string(), value);
        }
    };
    set("rate", rate.map(|r| r.to_string()));
    set(
        "over",
        over.map(|o| humantime::format_duration(o).to_string()),
    );
    set("users", config.users.map(|u| u.to_string()));
    set("increase_rate", config.increase_rate.clone());
    set("run_time", config.run_time.clone());
    set("iterations", config.iterations.map(|i| i.to_string()));
    set(
        "throttle",
        config.throttle_requests.map(|t| format!("{t}/s")),
    );
    set(
        "co_mitigation",
        config
            .co_mitigation
            .as_ref()
            .map(|m| format!("{m:?}").to_lowercase()),
    );
    set(
        "thresholds",
        (!config.threshold.is_empty()).then(|| config.threshold.join(", ")),
    );
    set(
        "faults",
        (!faults.is_empty()).then(|| {
            let names: Vec<String> = faults.iter().map(|f| f.to_string()).collect();
            names.join(", ")
        }),
    );
    summary::RunInfo {
        tollgate_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_file: scenario.file.display().to_string(),
        options,
    }
}

/// goose's errors in words, without its `GooseError:` prefix.
fn describe(error: &goose::GooseError) -> String {
    let text = error.to_string();
    text.strip_prefix("GooseError: ")
        .unwrap_or(&text)
        .to_string()
}

fn without_userinfo(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => url.to_string(),
    }
}

/// `load:` of `scenario`, or the defaults.
pub fn load_of(scenario: &Scenario) -> Load {
    scenario
        .load
        .as_ref()
        .map(|l| l.inner.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goose_never_sees_a_password_in_its_host() {
        assert_eq!(
            without_userinfo("https://admin:s3cret@staging.example.com/confluence"),
            "https://staging.example.com/confluence"
        );
        assert_eq!(
            without_userinfo("http://127.0.0.1:8090"),
            "http://127.0.0.1:8090"
        );
    }
}
