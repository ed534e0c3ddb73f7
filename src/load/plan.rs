//! What one load run does, decided before anything is sent: which steps run once
//! per user and which every iteration, and goose's configuration from `load:` and
//! the command line (the command line wins).

use std::path::PathBuf;
use std::time::Duration;

use goose::config::GooseConfiguration;
use goose::metrics::GooseCoordinatedOmissionMitigation;

use super::arrival::{RateSpec, Schedule};
use super::shard::Shard;
use super::summary::Phase;
use crate::scenario::Scenario;
use crate::scenario::plan::Load;
use crate::scenario::threshold::Threshold;

/// Without `run_time` or `iterations` anywhere, a load stops after this: every
/// load loop is bounded.
pub const DEFAULT_RUN_TIME: Duration = Duration::from_secs(30);
/// Seconds goose runs past an open-model schedule's length (see `open_configuration`).
const OPEN_RUN_SLACK_SECS: f64 = 1.0;
/// Users when neither `load.users` nor `--users` says.
pub const DEFAULT_USERS: usize = 8;

/// How coordinated omission is mitigated (goose's `--co-mitigation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CoMitigation {
    Disabled,
    Average,
    Minimum,
    Maximum,
}

/// The command line's say over a load run; each `Some` wins over `load:`.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub users: Option<usize>,
    pub increase_rate: Option<f64>,
    pub run_time: Option<Duration>,
    pub iterations: Option<usize>,
    pub throttle: Option<usize>,
    /// Replace the scenario's thresholds when not empty.
    pub thresholds: Vec<Threshold>,
    /// Judge thresholds at the end only.
    pub no_threshold_abort: bool,
    pub co_mitigation: Option<CoMitigation>,
    /// Reports tollgate writes: `.html`, `.json`, `.md` by extension.
    pub reports: Vec<PathBuf>,
    /// The open model: iterations started at this rate (`--rate`), ramped over
    /// `over` when the rate is a ramp.
    pub rate: Option<RateSpec>,
    pub over: Option<Duration>,
}

/// The steps in the order a user runs them, each with its phase.
pub fn phases(scenario: &Scenario) -> Vec<Phase> {
    let wanted: Vec<&str> = scenario
        .load
        .as_ref()
        .map(|load| load.steps.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if wanted.is_empty() {
        return vec![Phase::Iteration; scenario.steps.len()];
    }
    let selected: Vec<bool> = scenario
        .steps
        .iter()
        .map(|s| wanted.contains(&s.name.as_str()))
        .collect();
    let first = selected.iter().position(|s| *s).unwrap_or(0);
    let last = selected.iter().rposition(|s| *s).unwrap_or(0);
    (0..scenario.steps.len())
        .map(|index| match index {
            i if i < first => Phase::Start,
            i if i > last => Phase::Stop,
            // A step between two selected ones that is not selected itself still
            // runs each iteration: later steps may use what it captures.
            _ => Phase::Iteration,
        })
        .collect()
}

/// Why `scenario` cannot be driven as a load, with the step's position.
pub fn refusals(scenario: &Scenario) -> Vec<String> {
    let file = scenario.file.display();
    let mut problems = Vec::new();
    for step in &scenario.steps {
        let at = format!("{file}:{}:{}", step.pos.line, step.pos.col);
        if step.burst.is_some() {
            problems.push(format!(
                "{at}: step '{}' has `burst`: under load, the users are the burst",
                step.name
            ));
        }
        if step.wait.is_some() {
            problems.push(format!(
                "{at}: step '{}' has `wait`, which would stall every user (or move the shared mock's clock)",
                step.name
            ));
        }
        if step.expect.idp.is_some() || step.expect.should.as_ref().is_some_and(|s| s.idp.is_some())
        {
            problems.push(format!(
                "{at}: step '{}' has `expect.idp`: under load the IdP's calls of every user mix, so no step's can be told apart",
                step.name
            ));
        }
        if step.request.follow_redirects {
            problems.push(format!(
                "{at}: step '{}' follows redirects; under load each hop would be a separate request — send them as steps",
                step.name
            ));
        }
    }
    problems
}

/// goose's configuration for a run against `host`.
pub fn configuration(
    load: &Load,
    overrides: &Overrides,
    host: &str,
) -> Result<GooseConfiguration, String> {
    let mut config = GooseConfiguration::default();
    config.host = Some(host.to_string());
    if let Some(rate) = overrides.rate {
        return open_configuration(load, overrides, rate, config);
    }
    if overrides.over.is_some() {
        return Err(
            "--over goes with a ramped --rate, e.g. --rate 100/s..2000/s --over 60s".into(),
        );
    }
    if overrides.users == Some(0)
        || overrides.iterations == Some(0)
        || overrides.throttle == Some(0)
    {
        return Err("--users, --iterations and --throttle must be at least 1".into());
    }
    if overrides
        .increase_rate
        .is_some_and(|r| !(r.is_finite() && r > 0.0))
    {
        return Err("--increase-rate must be a number of users per second above 0".into());
    }
    let users = overrides.users.or(load.users).unwrap_or(DEFAULT_USERS);
    config.users = Some(users);
    // goose starts one user a second unless told: all at once, as k6 and wrk do,
    // unless the scenario or the command line asks for a ramp.
    let rate = overrides
        .increase_rate
        .or(load.increase_rate)
        .unwrap_or(users as f64);
    config.increase_rate = Some(rate.to_string());
    // goose takes a count or a time, not both; the command line's bound replaces
    // the scenario's whichever kind it is.
    let (iterations, run_time) = match (overrides.iterations, overrides.run_time) {
        (Some(_), Some(_)) => return Err("give --iterations or --run-time, not both".into()),
        (None, None) => (load.iterations, load.run_time),
        given => given,
    };
    match (iterations, run_time) {
        (Some(n), None) => config.iterations = Some(n),
        (None, t) => config.run_time = Some(whole_seconds(t.unwrap_or(DEFAULT_RUN_TIME))?),
        (Some(_), Some(_)) => {
            return Err("load: gives both iterations and run_time; goose takes one".into());
        }
    }
    let throttle = overrides.throttle.or(load.throttle);
    config.throttle_requests = throttle;
    config.co_mitigation = Some(match (overrides.co_mitigation, throttle) {
        (Some(mode), _) => goose_mitigation(mode),
        // A throttle sets the rate requests should have gone out at, so a stall
        // shows up as the requests it held back.
        (None, Some(_)) => GooseCoordinatedOmissionMitigation::Average,
        (None, None) => GooseCoordinatedOmissionMitigation::Disabled,
    });
    config.threshold = thresholds(load, overrides)
        .iter()
        .map(|t| t.to_string())
        .collect();
    config.no_threshold_abort = overrides.no_threshold_abort;
    Ok(finish_configuration(config))
}

/// The rules a run is judged by: the command line's, else the scenario's.
pub fn thresholds<'a>(load: &'a Load, overrides: &'a Overrides) -> Vec<&'a Threshold> {
    if overrides.thresholds.is_empty() {
        load.thresholds.iter().collect()
    } else {
        overrides.thresholds.iter().collect()
    }
}

/// What every run's configuration ends with: goose kept quiet.
fn finish_configuration(mut config: GooseConfiguration) -> GooseConfiguration {
    // tollgate prints its own summary and writes every report itself (goose's
    // report_file stays empty); goose's controllers would open ports.
    config.no_print_metrics = true;
    config.no_telnet = true;
    config.quiet = 1;
    // Counts cover every request sent, ramp-up included. goose never resets
    // them in a run bounded by iterations, and refuses to be told so.
    config.no_reset_metrics = config.iterations.is_none();
    config
}

/// The open model's configuration: goose's users are the pool the schedule
/// (`arrival.rs`) hands iterations to, all started at once; goose runs them
/// for the schedule's length, rounded up to its whole seconds. The schedule
/// already measures from when each iteration was due, so goose's own
/// mitigation stays off, and thresholds are judged on tollgate's figures at
/// the end (goose's would judge the uncorrected times while it runs).
fn open_configuration(
    load: &Load,
    overrides: &Overrides,
    rate: RateSpec,
    mut config: GooseConfiguration,
) -> Result<GooseConfiguration, String> {
    if overrides.iterations.is_some() || overrides.throttle.is_some() {
        return Err(
            "--rate sets when iterations start: it goes without --iterations and --throttle".into(),
        );
    }
    if overrides.co_mitigation.is_some() {
        return Err(
            "--rate measures from when each iteration was due: --co-mitigation has nothing to add"
                .into(),
        );
    }
    if overrides.increase_rate.is_some() {
        return Err("--rate starts its pool of users at once; ramp the rate instead (--rate 100/s..2000/s --over 60s)".into());
    }
    if overrides.users == Some(0) {
        return Err("--users must be at least 1".into());
    }
    let schedule = open_schedule(load, overrides, rate)?;
    let users = overrides.users.unwrap_or_else(|| rate.default_pool());
    config.users = Some(users);
    // Launched within about 50 ms. The schedule starts when the first user
    // asks for an iteration, which may be after goose's clock starts (its
    // once-per-user steps, a login, come first): a second more keeps the
    // schedule's last iterations inside goose's run. Users with nothing left
    // wait it out without sending, and rates count over the schedule alone.
    config.increase_rate = Some((users as f64 * 20.0).to_string());
    config.run_time = Some(format!(
        "{}s",
        schedule.length().as_secs_f64().ceil().max(1.0) + OPEN_RUN_SLACK_SECS
    ));
    config.co_mitigation = Some(GooseCoordinatedOmissionMitigation::Disabled);
    Ok(finish_configuration(config))
}

/// When the open model's iterations are due: `rate` over the run time the
/// command line or `load:` gives (else the default).
pub fn open_schedule(
    load: &Load,
    overrides: &Overrides,
    rate: RateSpec,
) -> Result<Schedule, String> {
    let length = overrides
        .run_time
        .or(load.run_time)
        .unwrap_or(DEFAULT_RUN_TIME);
    Schedule::new(rate, overrides.over, length)
}

/// What one shard of a load runs.
#[derive(Clone, Debug)]
pub enum ShardPlan {
    /// Run with these overrides: the shard's share of users, ramp and throttle.
    Run(Overrides),
    /// This shard's share is empty (fewer users, or requests per second, than
    /// shards): nothing to run, and nothing wrong, so it says why and passes.
    Idle(String),
}

/// `shard`'s part of the load `load` and `overrides` describe together: users
/// and throttle split so the shares add up to the whole, the remainder going to
/// the lowest indices; a ramp split evenly, so the shards together ramp as one
/// run would. Iterations are per user and stay as they are.
///
/// A shard judges its thresholds only at the end: its share of an `rps` rule's
/// rate is not the whole, and one shard stopping early would cut the others'
/// load short of what `tollgate merge` judges.
pub fn shard_plan(load: &Load, overrides: &Overrides, shard: Shard) -> ShardPlan {
    if let Some(rate) = overrides.rate {
        // Each shard keeps the whole schedule's shape at 1/N of its rate, and a
        // pool sized for that share unless --users says (then split too).
        return ShardPlan::Run(Overrides {
            rate: Some(rate.share(shard.count)),
            users: overrides.users.map(|users| share(users, shard).max(1)),
            no_threshold_abort: true,
            ..overrides.clone()
        });
    }
    let users = overrides.users.or(load.users).unwrap_or(DEFAULT_USERS);
    let user_share = share(users, shard);
    if user_share == 0 {
        return ShardPlan::Idle(format!(
            "shard {shard}: {users} user(s) over {} shards leaves this one none; nothing to run",
            shard.count
        ));
    }
    let throttle = overrides.throttle.or(load.throttle);
    let throttle_share = throttle.map(|rps| share(rps, shard));
    if let (Some(rps), Some(0)) = (throttle, throttle_share) {
        return ShardPlan::Idle(format!(
            "shard {shard}: a throttle of {rps} request(s)/s over {} shards leaves this one none; nothing to run",
            shard.count
        ));
    }
    let increase_rate = overrides
        .increase_rate
        .or(load.increase_rate)
        .map(|rate| rate / shard.count as f64);
    ShardPlan::Run(Overrides {
        users: Some(user_share),
        throttle: throttle_share,
        increase_rate,
        no_threshold_abort: true,
        ..overrides.clone()
    })
}

/// Shard `shard`'s part of `total`: an even split, one more for each of the
/// lowest `total % count` indices.
pub fn share(total: usize, shard: Shard) -> usize {
    total / shard.count + usize::from(shard.index < total % shard.count)
}

fn whole_seconds(time: Duration) -> Result<String, String> {
    if time.as_secs() == 0 {
        return Err("the run time must be at least 1s".into());
    }
    Ok(format!("{}s", time.as_secs()))
}

fn goose_mitigation(mode: CoMitigation) -> GooseCoordinatedOmissionMitigation {
    match mode {
        CoMitigation::Disabled => GooseCoordinatedOmissionMitigation::Disabled,
        CoMitigation::Average => GooseCoordinatedOmissionMitigation::Average,
        CoMitigation::Minimum => GooseCoordinatedOmissionMitigation::Minimum,
        CoMitigation::Maximum => GooseCoordinatedOmissionMitigation::Maximum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    fn scenario(load: &str) -> Scenario {
        let text = format!(
            "id: L-1\ntitle: t\nsteps:\n  - name: login\n    request: {{ path: / }}\n  - name: read\n    request: {{ path: / }}\n  - name: logout\n    request: {{ path: / }}\n{load}"
        );
        load_str(&text, std::path::Path::new("l.yaml"), &|_| None).unwrap()
    }

    #[test]
    fn expect_idp_cannot_be_judged_under_load() {
        let text = "id: L-2\ntitle: t\nsteps:\n  - name: read\n    request: { path: / }\n    expect: { idp: { jwks: 0 } }\n";
        let s = load_str(text, std::path::Path::new("l.yaml"), &|_| None).unwrap();
        let refused = refusals(&s);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].starts_with("l.yaml:4:"), "{refused:?}");
        assert!(refused[0].contains("`expect.idp`"), "{refused:?}");
    }

    #[test]
    fn steps_around_the_selected_ones_run_once_per_user() {
        let s = scenario("load: { steps: [read] }\n");
        assert_eq!(phases(&s), [Phase::Start, Phase::Iteration, Phase::Stop]);
        let all = scenario("load: { users: 2 }\n");
        assert_eq!(phases(&all), [Phase::Iteration; 3]);
    }

    #[test]
    fn the_command_line_wins_and_a_throttle_turns_on_mitigation() {
        let s = scenario("load: { users: 4, run_time: 20s, thresholds: [\"p99<50ms\"] }\n");
        let load = s.load.as_ref().unwrap();
        let config = configuration(load, &Overrides::default(), "http://127.0.0.1:1").unwrap();
        assert_eq!(config.users, Some(4));
        assert_eq!(config.run_time.as_deref(), Some("20s"));
        assert_eq!(config.threshold, ["p99<50ms"]);
        assert_eq!(
            config.co_mitigation,
            Some(GooseCoordinatedOmissionMitigation::Disabled)
        );
        let overrides = Overrides {
            users: Some(9),
            throttle: Some(100),
            thresholds: vec!["p50<1s".parse().unwrap()],
            ..Overrides::default()
        };
        let config = configuration(load, &overrides, "http://127.0.0.1:1").unwrap();
        assert_eq!(config.users, Some(9));
        assert_eq!(config.throttle_requests, Some(100));
        assert_eq!(config.threshold, ["p50<1s"]);
        assert_eq!(
            config.co_mitigation,
            Some(GooseCoordinatedOmissionMitigation::Average)
        );
    }

    #[test]
    fn a_run_is_always_bounded() {
        let s = scenario("");
        let config = configuration(&Load::default(), &Overrides::default(), "http://x").unwrap();
        assert_eq!(config.run_time.as_deref(), Some("30s"));
        assert!(s.load.is_none());
        let counted = Overrides {
            iterations: Some(5),
            ..Overrides::default()
        };
        let config = configuration(&Load::default(), &counted, "http://x").unwrap();
        assert_eq!(config.iterations, Some(5));
        assert_eq!(config.run_time, None);
        // --iterations replaces the scenario's run time instead of clashing with it.
        let timed = scenario("load: { run_time: 20s }\n");
        let config =
            configuration(&timed.load.as_ref().unwrap().inner, &counted, "http://x").unwrap();
        assert_eq!((config.iterations, config.run_time), (Some(5), None));
    }

    #[test]
    fn a_rate_sizes_its_pool_starts_it_at_once_and_leaves_thresholds_to_the_end() {
        let s = scenario("load: { users: 4, run_time: 2500ms, thresholds: [\"p99<50ms\"] }\n");
        let load = &s.load.as_ref().unwrap().inner;
        let rated = Overrides {
            rate: Some("500/s".parse().unwrap()),
            ..Overrides::default()
        };
        let config = configuration(load, &rated, "http://x").unwrap();
        // A pool for the rate, not the closed model's users.
        assert_eq!(config.users, Some(125));
        // 2.5 s rounded up, and a second for the users' set-up.
        assert_eq!(config.run_time.as_deref(), Some("4s"));
        assert!(config.threshold.is_empty(), "judged on tollgate's figures");
        assert_eq!(
            config.co_mitigation,
            Some(GooseCoordinatedOmissionMitigation::Disabled)
        );
        let schedule = open_schedule(load, &rated, rated.rate.unwrap()).unwrap();
        assert_eq!(schedule.total(), 1_250);
        for clash in [
            Overrides {
                iterations: Some(3),
                ..rated.clone()
            },
            Overrides {
                throttle: Some(3),
                ..rated.clone()
            },
            Overrides {
                co_mitigation: Some(CoMitigation::Average),
                ..rated.clone()
            },
            Overrides {
                increase_rate: Some(3.0),
                ..rated.clone()
            },
            Overrides {
                over: Some(Duration::from_secs(1)),
                ..Overrides::default()
            },
        ] {
            assert!(
                configuration(load, &clash, "http://x").is_err(),
                "{clash:?}"
            );
        }
    }

    #[test]
    fn a_shard_takes_its_share_of_the_rate() {
        let rated = Overrides {
            rate: Some("100/s..1000/s".parse().unwrap()),
            users: Some(5),
            ..Overrides::default()
        };
        let ShardPlan::Run(first) = shard_plan(&Load::default(), &rated, shard(0, 2)) else {
            panic!("a rate always has a share");
        };
        assert_eq!(first.rate, Some("50/s..500/s".parse().unwrap()));
        assert_eq!(first.users, Some(3));
        assert!(first.no_threshold_abort);
    }

    fn shard(index: usize, count: usize) -> Shard {
        Shard { index, count }
    }

    #[test]
    fn shares_add_up_to_the_whole_with_the_remainder_first() {
        let shares: Vec<usize> = (0..3).map(|i| share(8, shard(i, 3))).collect();
        assert_eq!(shares, [3, 3, 2]);
        for (total, count) in [(0, 1), (1, 4), (7, 7), (100, 6), (5, 2)] {
            let sum: usize = (0..count).map(|i| share(total, shard(i, count))).sum();
            assert_eq!(sum, total, "{total} over {count}");
        }
    }

    #[test]
    fn a_shard_takes_its_share_of_users_ramp_and_throttle() {
        let s = scenario("load: { users: 5, increase_rate: 10, throttle: 101 }\n");
        let load = &s.load.as_ref().unwrap().inner;
        let ShardPlan::Run(first) = shard_plan(load, &Overrides::default(), shard(0, 2)) else {
            panic!("shard 0/2 has users");
        };
        assert_eq!((first.users, first.throttle), (Some(3), Some(51)));
        assert_eq!(first.increase_rate, Some(5.0));
        assert!(first.no_threshold_abort);
        let given = Overrides {
            users: Some(4),
            ..Overrides::default()
        };
        let ShardPlan::Run(second) = shard_plan(load, &given, shard(1, 2)) else {
            panic!("shard 1/2 has users");
        };
        assert_eq!((second.users, second.throttle), (Some(2), Some(50)));
    }

    #[test]
    fn a_shard_with_an_empty_share_has_nothing_to_run() {
        let two_users = scenario("load: { users: 2 }\n");
        let load = &two_users.load.as_ref().unwrap().inner;
        let ShardPlan::Idle(note) = shard_plan(load, &Overrides::default(), shard(2, 3)) else {
            panic!("2 users leave shard 2/3 none");
        };
        assert!(note.contains("leaves this one none"), "{note}");
        let throttled = Overrides {
            users: Some(9),
            throttle: Some(2),
            ..Overrides::default()
        };
        assert!(matches!(
            shard_plan(load, &throttled, shard(2, 3)),
            ShardPlan::Idle(_)
        ));
    }
}
