//! `tollgate load` and `tollgate merge`: passed when every threshold held, failed
//! when one was breached or a flow could not be carried out; a usage or scenario
//! error stops the command before anything is sent.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::outcome::{CommandError, CommandOutcome, report_not_written};
use super::{CommandResult, refuse_emulator_defaults, runtime, target_options, usage};
use crate::cli::{LoadArgs, MergeArgs};
use crate::load::compare::formats::{self, Format};
use crate::load::compare::rounds::{self, FlowSpec, Rounds};
use crate::load::compare::{self, Table};
use crate::load::plan::{self, Overrides, ShardPlan};
use crate::load::shard::{self, Shard, ShardRecord};
use crate::load::summary::LoadSummary;
use crate::load::{
    LoadError, LoadOptions, baseline, judge, load_of, merge as merging, render, run_load,
};
use crate::scenario::threshold::Threshold;
use crate::scenario::{self, Scenario};

/// `--warm-up`'s default: long enough for a flow's connections, caches and the
/// CPU's clock to settle before it is measured.
const DEFAULT_WARM_UP: std::time::Duration = std::time::Duration::from_secs(2);

pub fn load(args: &LoadArgs) -> CommandResult {
    let thresholds = parse_thresholds(&args.thresholds).map_err(usage)?;
    let options = LoadOptions {
        target: target_options(&args.target)?,
        overrides: Overrides {
            users: args.users,
            increase_rate: args.increase_rate,
            run_time: args.run_time,
            iterations: args.iterations,
            throttle: args.throttle,
            thresholds,
            no_threshold_abort: args.no_threshold_abort,
            co_mitigation: args.co_mitigation,
            reports: args.reports.clone(),
            rate: args.rate,
            over: args.over,
        },
        faults: args.faults.clone(),
        quiet: args.quiet,
        baseline: args
            .baseline
            .as_deref()
            .map(|path| baseline::read(path).map(std::sync::Arc::new))
            .transpose()
            .map_err(|e| usage(format!("--baseline: {e}")))?,
    };
    let sharding = Sharding {
        shard: args
            .shard
            .map(|spec| spec.resolve(std::env::var(shard::INDEX_ENV).ok().as_deref()))
            .transpose()
            .map_err(usage)?,
        start_at: args.start_at,
    };
    match (&args.scenario, &args.compare) {
        (Some(_), _) if args.repeat.is_some() || args.warm_up.is_some() => {
            Err(usage("--repeat and --warm-up go with --compare"))
        }
        (Some(path), _) => load_one(path, &options, &sharding),
        (None, Some(_)) if args.rate.is_some() => Err(usage(
            "--rate goes with one scenario: --compare's cost is how much each flow can take, which a fixed rate would hide",
        )),
        (None, Some(dir)) => {
            let rounds = Rounds {
                warm_up: args.warm_up.unwrap_or(DEFAULT_WARM_UP),
                repeat: args.repeat.map_or(1, |n| n as usize),
            };
            load_compare(dir, &options, rounds)
        }
        (None, None) => Err(usage("name a scenario, or a folder with --compare")),
    }
}

/// goose would refuse a bad rule only once the run starts; say so before.
fn parse_thresholds(rules: &[String]) -> Result<Vec<Threshold>, String> {
    rules
        .iter()
        .map(|rule| rule.parse().map_err(|e| format!("--{e}")))
        .collect()
}

/// `--shard` and `--start-at`: which share this process runs, and when.
#[derive(Clone, Copy, Debug, Default)]
struct Sharding {
    shard: Option<Shard>,
    start_at: Option<SystemTime>,
}

fn load_one(path: &Path, options: &LoadOptions, sharding: &Sharding) -> CommandResult {
    for report in &options.overrides.reports {
        render::check_extension(report)
            .map_err(|e| usage(format!("--report {}: {e}", report.display())))?;
    }
    let scenario = scenario::load_file(path).map_err(CommandError::Diagnostics)?;
    refuse_emulator_defaults(std::slice::from_ref(&scenario), &options.target)?;
    let mut options = options.clone();
    if let Some(shard) = sharding.shard {
        match plan::shard_plan(&load_of(&scenario), &options.overrides, shard) {
            ShardPlan::Run(overrides) => options.overrides = overrides,
            ShardPlan::Idle(note) => {
                println!("{note}");
                return Ok(CommandOutcome::Passed);
            }
        }
    }
    let runtime = runtime()?;
    let outcome = runtime.block_on(async {
        if let Some(at) = sharding.start_at {
            shard::wait_until(at).await.map_err(LoadError::Usage)?;
        }
        run_load(&scenario, &options).await
    });
    runtime.shutdown_background();
    let summary = outcome?;
    let mut outcome = verdict(&summary);
    let mut stdout = std::io::stdout().lock();
    let _ = summary.write_table(&mut stdout);
    if let Some(baseline) = &options.baseline {
        let _ = baseline::write_console(&baseline.compare(&summary), &mut stdout);
    }
    if let Some(note) = shard_line(sharding, &options.overrides) {
        let _ = writeln!(stdout, "{note}");
    }
    for report in &options.overrides.reports {
        let _ = writeln!(stdout, "report: {}", report.display());
    }
    if let Err(e) = stamp_reports(sharding, &options.overrides) {
        eprintln!("error: {e}");
        outcome = outcome.and(CommandOutcome::ReportNotWritten);
    }
    Ok(outcome)
}

/// What a sharded or timed run says under its table.
fn shard_line(sharding: &Sharding, overrides: &Overrides) -> Option<String> {
    let start = sharding
        .start_at
        .map(|at| format!("planned start {}", shard::rfc3339(at)));
    let share = sharding.shard.map(|s| {
        let users = overrides.users.unwrap_or_default();
        let throttle = overrides
            .throttle
            .map(|rps| format!(", throttle {rps} req/s"))
            .unwrap_or_default();
        format!(
            "shard {s}: {users} user(s){throttle}; this shard's verdict judges its share alone, `tollgate merge` judges the whole"
        )
    });
    let parts: Vec<String> = [share, start].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Records the shard and its planned start in each JSON report, for `tollgate merge`.
fn stamp_reports(sharding: &Sharding, overrides: &Overrides) -> Result<(), String> {
    if sharding.shard.is_none() && sharding.start_at.is_none() {
        return Ok(());
    }
    let record = ShardRecord {
        shard: sharding.shard,
        planned_start: sharding.start_at.map(shard::rfc3339),
        users: overrides.users,
        throttle: overrides.throttle,
    };
    overrides
        .reports
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .try_for_each(|path| shard::stamp_report(path, &record))
}

fn verdict(summary: &LoadSummary) -> CommandOutcome {
    CommandOutcome::passed_if(summary.thresholds_passed())
}

fn load_compare(dir: &Path, options: &LoadOptions, how: Rounds) -> CommandResult {
    if let Some(path) = options
        .overrides
        .reports
        .iter()
        .find(|p| Format::of(p).is_none())
    {
        return Err(usage(format!(
            "--report {}: the cost table is written as .md, .json or .html",
            path.display()
        )));
    }
    let scenarios =
        scenario::load_suite(&[dir.to_path_buf()]).map_err(CommandError::Diagnostics)?;
    refuse_emulator_defaults(&scenarios, &options.target)?;
    if scenarios.is_empty() {
        return Err(usage(format!("no scenario in {}", dir.display())));
    }
    let mut by_name: Vec<(String, Scenario)> =
        scenarios.into_iter().map(|s| (stem(&s.file), s)).collect();
    let order = compare::order(by_name.iter().map(|(name, _)| name.clone()).collect());
    by_name.sort_by_key(|(name, _)| order.iter().position(|n| n == name));
    let flows = by_name
        .into_iter()
        .map(|(name, scenario)| {
            let mut flow_options = options.clone();
            // One goose report per flow: x.html → x-basic.html.
            flow_options.overrides.reports = options
                .overrides
                .reports
                .iter()
                .map(|p| with_suffix(p, &name))
                .collect();
            eprintln!("{name}: {}", scenario.file.display());
            FlowSpec {
                name,
                scenario,
                options: flow_options,
            }
        })
        .collect();

    let runtime = runtime()?;
    let runs = runtime.block_on(rounds::run(flows, how));
    runtime.shutdown_background();
    let runs = runs.map_err(CommandError::Usage)?;
    let mut outcome = CommandOutcome::Passed;
    for run in &runs {
        // One flow that could not run still leaves the others' table.
        if let Some(e) = &run.error {
            eprintln!("error: {}: {e}", run.name);
            outcome = CommandOutcome::Failed;
        }
        for summary in &run.summaries {
            outcome = outcome.and(verdict(summary));
        }
    }
    let flows: Vec<_> = runs.iter().map(|r| r.flow()).collect();
    let table = Table::new(&flows, how.warm_up);
    let mut stdout = std::io::stdout().lock();
    let _ = compare::write_table(&table, &mut stdout);
    for path in &options.overrides.reports {
        match formats::write_file(path, &table) {
            Ok(()) => {
                let _ = writeln!(stdout, "report: {}", path.display());
            }
            Err(e) => outcome = outcome.and(report_not_written(path, e)),
        }
    }
    Ok(outcome)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let stem = stem(path);
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{suffix}"),
    };
    path.with_file_name(name)
}

pub fn merge(args: &MergeArgs) -> CommandResult {
    let given = parse_thresholds(&args.thresholds).map_err(usage)?;
    let runs = args
        .files
        .iter()
        .map(|path| merging::read(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(e.to_string()))?;
    let records: Vec<_> = args.files.iter().map(|p| shard::read_record(p)).collect();
    let shard_notes = shard::check_records(&records).map_err(usage)?;
    let mut merged = merging::merge(&runs).map_err(|e| usage(e.to_string()))?;
    let carried = judge::carried_rules(&runs);
    let (rules, mut outcomes) = if given.is_empty() {
        for note in &carried.notes {
            eprintln!("{note}");
        }
        (carried.rules, carried.unreadable)
    } else {
        (given, Vec::new())
    };
    outcomes.extend(judge::judge(&merged, &rules));
    merged.thresholds = outcomes;
    merged.judge_by_default();
    let mut stdout = std::io::stdout().lock();
    let _ = merged.write_table(&mut stdout);
    for note in &shard_notes {
        let _ = writeln!(stdout, "{note}");
    }
    let mut outcome = verdict(&merged);
    let failed = merged.thresholds.iter().filter(|t| !t.passed).count();
    if failed > 0 {
        eprintln!(
            "merge: {failed} of {} threshold(s) failed on the merged runs",
            merged.thresholds.len()
        );
    }
    for path in &args.reports {
        if let Err(e) = render::write_file(path, &merged) {
            outcome = outcome.and(report_not_written(path, e));
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flow_gets_its_own_report_file() {
        assert_eq!(
            with_suffix(Path::new("out/load.html"), "basic"),
            Path::new("out/load-basic.html")
        );
        assert_eq!(with_suffix(Path::new("load"), "pat"), Path::new("load-pat"));
    }

    #[test]
    fn a_bad_threshold_is_refused_before_anything_is_sent() {
        assert!(parse_thresholds(&["p99<50ms".into()]).is_ok());
        let err = parse_thresholds(&["p99<<50ms".into()]).unwrap_err();
        assert!(err.starts_with("--threshold \"p99<<50ms\""), "{err}");
    }
}
