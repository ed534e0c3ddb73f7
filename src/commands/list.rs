//! `tollgate run --list`: what a run with the same arguments would run and what
//! it would skip, and why, decided from the files and flags alone. Nothing is
//! sent (not even the request that reads a real target's version), no port is
//! bound and no report is written.

use std::io::Write;

use super::outcome::{CommandError, CommandOutcome};
use super::{
    CommandResult, check_profile_vars, idp_loop, load_profile, nothing_selected, profile_suite,
    refuse_emulator_defaults, selection, target_options,
};
use crate::cli::RunArgs;
use crate::client::manifest::MANIFEST_PATH;
use crate::report::redact::Redactor;
use crate::run::ONLY_MOCK;
use crate::scenario::Scenario;
use crate::scenario::model::Only;
use crate::session::version::{self, KnownVersion};
use crate::session::{SessionError, Target, TargetOptions, setup_gap};

/// What the run would do with one scenario.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Sent; `note` is a condition only the run can judge.
    Run { note: Option<String> },
    /// In the run (and its reports) as a skip, for this reason.
    Skip(String),
    /// Not in the run at all: `--tag`, `--exclude-tag` or `--id` leave it out.
    LeftOut(String),
}

pub fn list(args: &RunArgs) -> CommandResult {
    let mut target = target_options(&args.target)?;
    let profile = args.profile.as_deref().map(load_profile).transpose()?;
    target.setups = args.setups.clone();
    target.setups.extend(profile.as_ref().and_then(|p| p.setup));
    // The plan reads and checks every flag and key file; the IdP is not started.
    let idp_in_loop = idp_loop::plan(&args.idp_loop)?.is_some();
    if idp_in_loop && target.target == Target::Embedded {
        return Err(CommandError::Usage(
            SessionError::IdpLoopWithoutTarget.to_string(),
        ));
    }
    let (entries, outside_profile): (Vec<(Scenario, Plan)>, _) = match &profile {
        None => {
            let suite =
                crate::scenario::load_suite(&args.paths).map_err(CommandError::Diagnostics)?;
            let selection = selection(args);
            let entries = suite
                .into_iter()
                .map(|scenario| {
                    let plan = match selection.leaves_out(&scenario) {
                        Some(reason) => Plan::LeftOut(reason),
                        None => plan_of(&scenario, &target, idp_in_loop),
                    };
                    (scenario, plan)
                })
                .collect();
            (entries, None)
        }
        Some(profile) => {
            let all = crate::scenario::load_suite(&args.paths)
                .map_err(CommandError::Diagnostics)?
                .len();
            let selected = profile_suite(profile, args)?;
            let outside = (all - selected.len(), profile.name.inner.clone());
            let entries = selected
                .into_iter()
                .map(|scenario| {
                    let plan = plan_of(&scenario, &target, idp_in_loop);
                    (scenario, plan)
                })
                .collect();
            (entries, Some(outside))
        }
    };
    print(&entries, &target, outside_profile.as_ref());
    // What would stop the run before its first request stops the listing's
    // exit code too: `--list` in CI answers "would this start?".
    if let Some(profile) = &profile {
        check_profile_vars(profile, args, &target.target)?;
    }
    let selected: Vec<Scenario> = entries
        .into_iter()
        .filter(|(_, plan)| !matches!(plan, Plan::LeftOut(_)))
        .map(|(scenario, _)| scenario)
        .collect();
    if selected.is_empty() {
        return Err(nothing_selected());
    }
    refuse_emulator_defaults(&selected, &target)?;
    Ok(CommandOutcome::Passed)
}

/// The run's own skip decisions (`run::run_scenario`), in its order: `only: mock`,
/// the Confluence version, the target's setup. A real target's version is read
/// when the run starts, so without `--confluence-version` a range is a note.
fn plan_of(scenario: &Scenario, target: &TargetOptions, idp_in_loop: bool) -> Plan {
    let given = target.confluence_version.as_ref();
    let Target::Remote(_) = target.target else {
        return match version::excluded_embedded(scenario, given) {
            Some(reason) => Plan::Skip(reason),
            None => Plan::Run { note: None },
        };
    };
    if scenario.only == Some(Only::Mock) {
        return Plan::Skip(ONLY_MOCK.into());
    }
    let mut note = None;
    match (given, &scenario.requires_confluence) {
        (Some(found), _) => {
            if let Some(reason) = version::excluded(scenario, &KnownVersion::Given(found.clone())) {
                return Plan::Skip(reason);
            }
        }
        (None, Some(range)) => {
            note = Some(format!(
                "only if the target is Confluence {range}: read from its {MANIFEST_PATH} when the run starts (--confluence-version decides now)"
            ));
        }
        (None, None) => {}
    }
    match setup_gap(scenario, &target.setups, idp_in_loop) {
        Some(reason) => Plan::Skip(reason),
        None => Plan::Run { note },
    }
}

/// One line a scenario (`RUN`, `SKIP`, or `OUT` when the selection leaves it
/// out; id; title), its reason or note indented under it, then the counts.
fn print(
    entries: &[(Scenario, Plan)],
    target: &TargetOptions,
    outside_profile: Option<&(usize, String)>,
) {
    let width = entries
        .iter()
        .map(|(s, _)| s.id.inner.len())
        .max()
        .unwrap_or(0);
    // What the run holds first, in its order; then what the selection leaves out.
    let (left, held): (Vec<_>, Vec<_>) = entries
        .iter()
        .partition(|(_, plan)| matches!(plan, Plan::LeftOut(_)));
    let mut out = std::io::stdout().lock();
    let (mut runs, mut skips, mut left_out) = (0, 0, 0);
    for (scenario, plan) in held.into_iter().chain(left) {
        let (tag, under) = match plan {
            Plan::Run { note } => {
                runs += 1;
                ("RUN ", note.as_deref())
            }
            Plan::Skip(reason) => {
                skips += 1;
                ("SKIP", Some(reason.as_str()))
            }
            Plan::LeftOut(reason) => {
                left_out += 1;
                ("OUT ", Some(reason.as_str()))
            }
        };
        let id = &scenario.id.inner;
        // A closed pipe (`--list | head`) is not an error worth reporting.
        let _ = writeln!(out, "{tag}  {id:<width$}  {}", scenario.title);
        if let Some(under) = under {
            let _ = writeln!(out, "      {under}");
        }
    }
    if let Some((count, name)) = outside_profile {
        let _ = writeln!(
            out,
            "({count} other scenario(s) of the suite are not in profile {name})"
        );
    }
    let against = match &target.target {
        Target::Embedded => "the embedded mock".to_string(),
        Target::Remote(url) => Redactor::new().url(url),
    };
    let not_selected = if left_out > 0 {
        format!(", {left_out} not selected")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{runs} would run, {skips} would be skipped{not_selected}, against {against}; nothing was sent"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Setup;

    fn scenario(extra: &str) -> Scenario {
        let yaml = format!(
            "id: S-1\ntitle: t\n{extra}steps:\n  - name: one\n    request: {{ path: / }}\n"
        );
        crate::scenario::load_str(&yaml, std::path::Path::new("s.yaml"), &|_| None).unwrap()
    }

    fn remote() -> TargetOptions {
        TargetOptions {
            target: Target::Remote("https://confluence.example.com".into()),
            ..TargetOptions::default()
        }
    }

    #[test]
    fn a_real_target_skips_mock_only_and_unset_up_scenarios_and_notes_a_version_range() {
        let mock_only = scenario("only: mock\n");
        assert_eq!(
            plan_of(&mock_only, &remote(), false),
            Plan::Skip(ONLY_MOCK.into())
        );
        assert_eq!(
            plan_of(&mock_only, &TargetOptions::default(), false),
            Plan::Run { note: None }
        );

        let ranged = scenario("requires: { confluence: \">=99\" }\n");
        let Plan::Run { note: Some(note) } = plan_of(&ranged, &remote(), false) else {
            panic!("a range is judged when the run starts");
        };
        assert!(note.contains(">=99"), "{note}");
        let given = TargetOptions {
            confluence_version: Some("8.5.4".parse().unwrap()),
            ..remote()
        };
        let Plan::Skip(reason) = plan_of(&ranged, &given, false) else {
            panic!("a given version decides now");
        };
        assert!(reason.contains("8.5.4"), "{reason}");

        let needs_setup = scenario("requires: { setup: rate-limit }\n");
        let Plan::Skip(reason) = plan_of(&needs_setup, &remote(), false) else {
            panic!("no --setup rate-limit");
        };
        assert!(reason.contains("--setup rate-limit"), "{reason}");
        let set_up = TargetOptions {
            setups: vec![Setup::RateLimit],
            ..remote()
        };
        assert_eq!(
            plan_of(&needs_setup, &set_up, false),
            Plan::Run { note: None }
        );
    }
}
