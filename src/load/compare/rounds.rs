//! Running the flows of a cost table: each flow's session (its mock, its keys)
//! is opened once and kept; every round runs each flow in turn, each after a
//! warm-up against the same session that is not measured. Interleaving rounds
//! spreads what drifts over a run (CPU clocks, other load) across all flows
//! instead of charging it to whichever ran last.

use std::time::Duration;

use super::{Flow, Mints};
use crate::load::summary::LoadSummary;
use crate::load::{LoadError, LoadOptions, attack, open_session};
use crate::scenario::Scenario;
use crate::session::Session;

/// How the flows are measured.
#[derive(Clone, Copy, Debug)]
pub struct Rounds {
    /// Before each measured run of a flow; zero for none.
    pub warm_up: Duration,
    /// Measured runs of each flow, at least one.
    pub repeat: usize,
}

/// One flow to run: its name (the file stem), scenario and load options (its
/// own report paths).
pub struct FlowSpec {
    pub name: String,
    pub scenario: Scenario,
    pub options: LoadOptions,
}

/// What a flow's rounds gave: every measured summary, and why it stopped if it
/// could not finish them.
pub struct FlowRun {
    pub name: String,
    pub mints: Mints,
    pub summaries: Vec<LoadSummary>,
    pub error: Option<String>,
}

impl FlowRun {
    /// The table's view: the iteration steps of each measured round.
    pub fn flow(&self) -> Flow {
        Flow {
            name: self.name.clone(),
            mints: self.mints,
            rounds: self.summaries.iter().map(|s| s.iteration_row()).collect(),
        }
    }
}

struct Open {
    spec: FlowSpec,
    session: Session,
    target: String,
    run: FlowRun,
}

/// Runs every flow `rounds.repeat` times, interleaved. A flow that cannot be
/// opened or run stops there and leaves the others' rounds; a usage error (the
/// scenario cannot be a load: `Err`) stops everything as it is found.
pub async fn run(flows: Vec<FlowSpec>, rounds: Rounds) -> Result<Vec<FlowRun>, String> {
    let mut done = Vec::new();
    let mut open = Vec::new();
    for spec in flows {
        let run = FlowRun {
            name: spec.name.clone(),
            mints: Mints::of(&spec.scenario),
            summaries: Vec::new(),
            error: None,
        };
        match open_session(&spec.scenario, &spec.options).await {
            Ok((session, target)) => open.push(Open {
                spec,
                session,
                target,
                run,
            }),
            Err(LoadError::Usage(e)) => {
                close(open).await;
                return Err(e);
            }
            // A flow's own report that cannot be written is that flow's error.
            Err(LoadError::Run(e) | LoadError::Report(e)) => done.push(FlowRun {
                error: Some(e),
                ..run
            }),
        }
    }
    let repeat = rounds.repeat.max(1);
    let mut outcome = Ok(());
    'rounds: for round in 1..=repeat {
        for flow in open.iter_mut().filter(|f| f.run.error.is_none()) {
            eprintln!("{}: round {round}/{repeat} …", flow.spec.name);
            if let Err(e) = one_round(flow, rounds.warm_up, round == repeat).await {
                match e {
                    LoadError::Usage(e) => {
                        outcome = Err(e);
                        break 'rounds;
                    }
                    LoadError::Run(e) | LoadError::Report(e) => flow.run.error = Some(e),
                }
            }
        }
    }
    let mut runs: Vec<FlowRun> = Vec::new();
    for flow in open {
        flow.session.close().await;
        runs.push(flow.run);
    }
    outcome?;
    runs.extend(done);
    Ok(runs)
}

/// A warm-up, then one measured run; goose writes the flow's reports in the
/// last round only.
async fn one_round(flow: &mut Open, warm_up: Duration, last: bool) -> Result<(), LoadError> {
    let (scenario, session, target) = (&flow.spec.scenario, &flow.session, &flow.target);
    if !warm_up.is_zero() {
        let mut options = flow.spec.options.clone();
        options.overrides.run_time = Some(warm_up);
        options.overrides.reports.clear();
        // A warm-up measures nothing, so it judges nothing either.
        options.overrides.no_threshold_abort = true;
        attack(scenario, &options, session, target).await?;
    }
    let mut options = flow.spec.options.clone();
    if !last {
        options.overrides.reports.clear();
    }
    let summary = attack(scenario, &options, session, target).await?;
    flow.run.summaries.push(summary);
    Ok(())
}

async fn close(open: Vec<Open>) {
    for flow in open {
        flow.session.close().await;
    }
}
