//! `tollgate load`: drives one scenario's steps with goose's virtual users and
//! reports throughput and latency per step, judged by thresholds.
//!
//! The steps become one goose scenario (`transaction.rs`); [`plan`] decides what
//! runs once per user and goose's configuration; [`summary`] turns goose's
//! metrics into the table people read and `tollgate merge` adds up; [`compare`]
//! runs a folder of flows under the same load into the auth cost table.

pub mod compare;
mod logging;
pub mod merge;
pub mod plan;
pub mod render;
pub mod summary;
mod transaction;

use std::sync::Arc;
use std::time::Instant;

use goose::GooseAttack;
use goose::goose::Scenario as GooseScenario;

use crate::auth::keys::KeyRing;
use crate::mock;
use crate::report::redact::Redactor;
use crate::run::step::ScenarioEnv;
use crate::run::{
    Clients, RunOptions, Target, idp_and_context_path, initial_scope, secrets_of, tls_trust,
};
use crate::scenario::mock_config::Fault;
use crate::scenario::model::{Load, Scenario};
use plan::Overrides;
use summary::{LoadSummary, Phase};
use transaction::Shared;

/// Everything a load run takes besides the scenario.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Target, `--var`, `--idp`, `--ca-cert`, `--insecure`: as for `tollgate run`.
    pub run: RunOptions,
    pub overrides: Overrides,
    /// Faults switched on in the embedded mock (`--fault`).
    pub faults: Vec<Fault>,
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
}

/// Runs `scenario` as a load and returns what it measured; thresholds are judged
/// in the summary (`thresholds_passed`).
pub async fn run_load(
    scenario: &Scenario,
    options: &LoadOptions,
) -> Result<LoadSummary, LoadError> {
    let refusals = plan::refusals(scenario);
    if !refusals.is_empty() {
        return Err(LoadError::Usage(refusals.join("\n")));
    }
    if !options.faults.is_empty() && options.run.target != Target::Embedded {
        return Err(LoadError::Usage(
            "--fault switches the embedded mock's faults; a real target has its own".into(),
        ));
    }
    let keys = KeyRing::from_specs(scenario.keys.iter().map(|(name, spec)| (name, &spec.inner)))
        .map_err(|e| LoadError::Usage(e.to_string()))?;
    let mut redactor = secrets_of(scenario);
    for secret in keys.secrets() {
        redactor.add_secret(secret);
    }

    let mut mock_config = scenario.mock.clone();
    mock_config
        .confluence
        .faults
        .extend(options.faults.iter().copied());
    let running = match &options.run.target {
        Target::Embedded => Some(
            mock::start_with_keys(&mock_config, keys.keys())
                .await
                .map_err(|e| LoadError::Run(format!("cannot start the embedded mock: {e}")))?,
        ),
        Target::Remote(_) => None,
    };
    let result = attack(scenario, options, keys, redactor, running.as_ref()).await;
    if let Some(running) = running {
        running.shutdown().await;
    }
    result
}

async fn attack(
    scenario: &Scenario,
    options: &LoadOptions,
    keys: KeyRing,
    redactor: Redactor,
    running: Option<&mock::RunningMock>,
) -> Result<LoadSummary, LoadError> {
    let base_url = match (&options.run.target, running) {
        (_, Some(running)) => running.base_url().to_string(),
        (Target::Remote(url), None) => url.trim_end_matches('/').to_string(),
        (Target::Embedded, None) => unreachable!("the embedded target always has a mock"),
    };
    let (idp_url, context_path) = idp_and_context_path(&base_url, &options.run, running);
    let keys = Arc::new(keys);
    let template = ScenarioEnv {
        base_url: base_url.clone(),
        idp_url: idp_url.clone(),
        context_path: context_path.clone(),
        keys: keys.clone(),
        tokens: Default::default(),
        embedded: running.is_some(),
        clock_offset: Default::default(),
    };
    let scope = initial_scope(scenario, &options.run, &template)
        .map_err(|e| LoadError::Usage(redactor.text(&e)))?;
    let trust =
        tls_trust(std::slice::from_ref(scenario), &options.run).map_err(LoadError::Usage)?;
    let clients = Clients::new(&trust).map_err(LoadError::Usage)?;

    let phases = plan::phases(scenario);
    let shared = Arc::new(Shared {
        scenario: scenario.clone(),
        file: scenario.file.display().to_string(),
        base_url: base_url.clone(),
        idp_url,
        context_path,
        keys,
        embedded: running.is_some(),
        clients,
        scope,
        redactor: redactor.clone(),
        request_names: scenario.steps.iter().map(|s| s.name.clone()).collect(),
        cacheable: transaction::cacheable(scenario, &phases),
    });
    let mut goose_scenario = GooseScenario::new(&scenario.id.inner)
        .register_transaction(transaction::start_user(shared.clone()));
    for (index, phase) in phases.iter().enumerate() {
        let step = transaction::step(shared.clone(), index).set_sequence(index + 2);
        goose_scenario = goose_scenario.register_transaction(match phase {
            Phase::Start => step.set_on_start(),
            Phase::Iteration => step,
            Phase::Stop => step.set_on_stop(),
        });
    }

    // goose shows its host in every report: never with a password in it.
    let host = without_userinfo(&base_url);
    let config = plan::configuration(&load_of(scenario), &options.overrides, &host)
        .map_err(LoadError::Usage)?;
    logging::install(redactor);
    let target = match &options.run.target {
        Target::Embedded => "embedded mock".to_string(),
        Target::Remote(url) => Redactor::new().url(url),
    };
    let steps: Vec<(String, String, Phase)> = scenario
        .steps
        .iter()
        .zip(&phases)
        .map(|(step, phase)| {
            let method = step.request.method.to_ascii_uppercase();
            (step.name.clone(), format!("{method} {}", step.name), *phase)
        })
        .collect();

    let started = Instant::now();
    let outcome = GooseAttack::initialize_with_config(config)
        .map_err(|e| LoadError::Run(e.to_string()))?
        .register_scenario(goose_scenario)
        .execute()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let metrics = match outcome {
        Ok(metrics) => metrics,
        Err(goose::GooseError::ThresholdsFailed { metrics, .. }) => *metrics.0,
        Err(e) => return Err(LoadError::Run(describe(&e))),
    };
    // goose counts whole seconds; a run bounded by iterations may take less than one.
    let duration = if metrics.duration > 0 {
        metrics.duration as f64
    } else {
        elapsed
    };
    Ok(LoadSummary::from_metrics(
        &metrics,
        &scenario.id.inner,
        &target,
        &steps,
        duration,
    ))
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
