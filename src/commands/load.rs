//! `tollgate load` and `tollgate merge`: exit 0 when every threshold held, 1 when
//! one was breached or the run could not be carried out, 2 for a usage or
//! scenario error (nothing was sent).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{
    EXIT_FAIL, EXIT_PASS, EXIT_USAGE, parse_target, print_diagnostics, runtime, usage_error,
};
use crate::cli::{LoadArgs, MergeArgs};
use crate::load::compare::{self, Flow};
use crate::load::plan::Overrides;
use crate::load::summary::LoadSummary;
use crate::load::{LoadError, LoadOptions, merge as merging, render, run_load};
use crate::scenario::threshold::Threshold;
use crate::scenario::{self, Scenario};
use crate::session::TargetOptions;

pub fn load(args: &LoadArgs) -> ExitCode {
    let target = match parse_target(args.target.url.as_deref()) {
        Ok(target) => target,
        Err(e) => return usage_error(&e),
    };
    let thresholds = match parse_thresholds(&args.thresholds) {
        Ok(thresholds) => thresholds,
        Err(e) => return usage_error(&e),
    };
    let options = LoadOptions {
        target: TargetOptions {
            target,
            vars: args.target.vars.clone(),
            idp: args.target.idp.clone(),
            ca_cert: args.target.ca_cert.clone(),
            insecure: args.target.insecure,
        },
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
            baseline_file: args.baseline_file.clone(),
        },
        faults: args.faults.clone(),
    };
    match (&args.scenario, &args.compare) {
        (Some(path), _) => load_one(path, &options),
        (None, Some(dir)) => load_compare(dir, &options),
        (None, None) => usage_error("name a scenario, or a folder with --compare"),
    }
}

/// goose would refuse a bad rule only once the run starts; say so before.
fn parse_thresholds(rules: &[String]) -> Result<Vec<Threshold>, String> {
    rules
        .iter()
        .map(|rule| rule.parse().map_err(|e| format!("--{e}")))
        .collect()
}

fn load_one(path: &Path, options: &LoadOptions) -> ExitCode {
    let scenario = match scenario::load_file(path) {
        Ok(scenario) => scenario,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&e),
    };
    let outcome = runtime.block_on(run_load(&scenario, options));
    runtime.shutdown_background();
    let summary = match outcome {
        Ok(summary) => summary,
        Err(LoadError::Usage(e)) => return usage_error(&e),
        Err(LoadError::Run(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_FAIL);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = summary.write_table(&mut stdout);
    for report in &options.overrides.reports {
        let _ = writeln!(stdout, "report: {}", report.display());
    }
    verdict(&summary)
}

fn verdict(summary: &LoadSummary) -> ExitCode {
    if summary.thresholds_passed() {
        ExitCode::from(EXIT_PASS)
    } else {
        ExitCode::from(EXIT_FAIL)
    }
}

fn load_compare(dir: &Path, options: &LoadOptions) -> ExitCode {
    let scenarios = match scenario::load_suite(&[dir.to_path_buf()]) {
        Ok(scenarios) => scenarios,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if scenarios.is_empty() {
        return usage_error(&format!("no scenario in {}", dir.display()));
    }
    let mut by_name: Vec<(String, Scenario)> =
        scenarios.into_iter().map(|s| (stem(&s.file), s)).collect();
    let order = compare::order(by_name.iter().map(|(name, _)| name.clone()).collect());
    by_name.sort_by_key(|(name, _)| order.iter().position(|n| n == name));

    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&e),
    };
    let mut flows = Vec::new();
    let mut exit = EXIT_PASS;
    for (name, scenario) in by_name {
        let mut flow_options = options.clone();
        // One report per flow: x.html → x-basic.html.
        flow_options.overrides.reports = options
            .overrides
            .reports
            .iter()
            .map(|p| with_suffix(p, &name))
            .collect();
        eprintln!("{name}: loading {} …", scenario.file.display());
        match runtime.block_on(run_load(&scenario, &flow_options)) {
            Ok(summary) => {
                if !summary.thresholds_passed() {
                    exit = EXIT_FAIL;
                }
                flows.push(Flow { name, summary });
            }
            Err(LoadError::Usage(e)) => return usage_error(&e),
            Err(LoadError::Run(e)) => {
                eprintln!("error: {name}: {e}");
                exit = EXIT_FAIL;
            }
        }
    }
    runtime.shutdown_background();
    let _ = compare::write_table(&flows, &mut std::io::stdout().lock());
    ExitCode::from(exit)
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

pub fn merge(args: &MergeArgs) -> ExitCode {
    let mut runs = Vec::new();
    for path in &args.files {
        match merging::read(path) {
            Ok(run) => runs.push(run),
            Err(e) => return usage_error(&e),
        }
    }
    let merged = match merging::merge(&runs) {
        Ok(merged) => merged,
        Err(e) => return usage_error(&e),
    };
    let _ = merged.write_table(&mut std::io::stdout().lock());
    let mut exit = EXIT_PASS;
    for path in &args.reports {
        if let Err(e) = render::write_file(path, &merged) {
            eprintln!("error: cannot write {}: {e}", path.display());
            exit = EXIT_FAIL;
        }
    }
    ExitCode::from(exit)
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
