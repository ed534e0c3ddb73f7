//! The auth cost table: several flows on the same resource under the same load,
//! each measured in rounds interleaved across flows ([`rounds`]), side by side
//! with what each costs over anonymous access; written to the console and to a
//! report in Markdown, JSON or HTML ([`formats`]).

pub mod formats;
pub mod rounds;

use std::cmp::Ordering;
use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use super::plan;
use super::summary::{Phase, Row, micros};
use crate::scenario::Scenario;
use crate::scenario::plan::Auth;

/// The flow every other one is measured against, by scenario file stem.
pub const BASELINE: &str = "anonymous";

/// Baseline first, then the others in the order given: the order the flows
/// run in each round.
pub fn order(mut names: Vec<String>) -> Vec<String> {
    if let Some(at) = names.iter().position(|n| n == BASELINE) {
        let baseline = names.remove(at);
        names.insert(0, baseline);
    }
    names
}

/// Whether a flow's client mints a token for its requests: the table measures
/// the server only when it does not mint for every one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mints {
    /// A JWT for every request (`qsh`, a `jti`, an attack or `mint: per_request`).
    PerRequest,
    /// A token made once per user and reused until it nears its expiry.
    Reused,
    /// No token is minted or fetched (Basic, a PAT, a session cookie, none).
    None,
}

impl Mints {
    /// What the iteration steps of `scenario` mint (steps run once per user do
    /// not count: they are not measured).
    pub fn of(scenario: &Scenario) -> Self {
        let phases = plan::phases(scenario);
        let mut mints = Mints::None;
        for (step, phase) in scenario.steps.iter().zip(&phases) {
            if *phase != Phase::Iteration {
                continue;
            }
            match step.request.auth.as_ref().map(|a| &a.inner) {
                Some(Auth::Jwt(spec)) if spec.mints_per_request() => return Mints::PerRequest,
                Some(Auth::Jwt(_) | Auth::Oauth(_)) => mints = Mints::Reused,
                _ => {}
            }
        }
        mints
    }

    pub fn label(self) -> &'static str {
        match self {
            Mints::PerRequest => "per request",
            Mints::Reused => "reused",
            Mints::None => "—",
        }
    }
}

/// One flow's measured rounds.
#[derive(Clone, Debug)]
pub struct Flow {
    /// The scenario file's stem (`basic`, `pat`, …).
    pub name: String,
    pub mints: Mints,
    /// What each round measured: the requests of the flow's iteration steps.
    pub rounds: Vec<Row>,
}

/// A figure over a flow's rounds: the median, and the least and most of them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// `None` for no values. The median of an even count is the mean of the
    /// middle two.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Self> {
        let mut values: Vec<f64> = values.into_iter().collect();
        values.sort_by(f64::total_cmp);
        let (first, last) = (*values.first()?, *values.last()?);
        let middle = values.len() / 2;
        let median = if values.len() % 2 == 1 {
            values[middle]
        } else {
            (values[middle - 1] + values[middle]) / 2.0
        };
        Some(Spread {
            median,
            min: first,
            max: last,
        })
    }
}

/// One flow's line of the table.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub name: String,
    pub mints: Mints,
    pub rounds: usize,
    /// Over all rounds.
    pub requests: u64,
    pub failures: u64,
    pub rps: Spread,
    pub p50_us: Spread,
    pub p90_us: Spread,
    pub p99_us: Spread,
    pub p999_us: Spread,
    /// The baseline's median req/s over this flow's; `None` if it served none.
    pub cost: Option<f64>,
    /// Median p50 over the baseline's median p50.
    pub extra_p50_us: f64,
}

/// The whole table: the baseline's line first, then the others by cost.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    pub baseline: String,
    pub rounds: usize,
    pub warm_up_secs: f64,
    pub lines: Vec<Line>,
}

impl Table {
    /// The table of `flows`, each against the baseline (`anonymous`, else the
    /// first flow); a flow with no round measured has no line.
    pub fn new(flows: &[Flow], warm_up: Duration) -> Self {
        let mut lines: Vec<Line> = flows.iter().filter_map(line_of).collect();
        let baseline_at = lines
            .iter()
            .position(|l| l.name == BASELINE)
            .unwrap_or_default();
        let (base_rps, base_p50) = lines
            .get(baseline_at)
            .map_or((0.0, 0.0), |l| (l.rps.median, l.p50_us.median));
        let baseline = lines
            .get(baseline_at)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        for line in &mut lines {
            line.cost = (line.rps.median > 0.0).then(|| base_rps / line.rps.median);
            line.extra_p50_us = line.p50_us.median - base_p50;
        }
        lines.sort_by(|a, b| by_cost(a, b, &baseline));
        Table {
            baseline,
            rounds: lines.iter().map(|l| l.rounds).max().unwrap_or_default(),
            warm_up_secs: warm_up.as_secs_f64(),
            lines,
        }
    }
}

fn line_of(flow: &Flow) -> Option<Line> {
    let spread = |figure: fn(&Row) -> f64| Spread::of(flow.rounds.iter().map(figure));
    Some(Line {
        name: flow.name.clone(),
        mints: flow.mints,
        rounds: flow.rounds.len(),
        requests: flow.rounds.iter().map(|r| r.requests).sum(),
        failures: flow.rounds.iter().map(|r| r.failures).sum(),
        rps: spread(|r| r.rps)?,
        p50_us: spread(|r| r.p50_us as f64)?,
        p90_us: spread(|r| r.p90_us as f64)?,
        p99_us: spread(|r| r.p99_us as f64)?,
        p999_us: spread(|r| r.p999_us as f64)?,
        cost: None,
        extra_p50_us: 0.0,
    })
}

/// The baseline first, then cheapest first; a flow that served nothing last.
fn by_cost(a: &Line, b: &Line, baseline: &str) -> Ordering {
    let key = |l: &Line| (l.name != baseline, l.cost.unwrap_or(f64::INFINITY));
    let ((a_later, a_cost), (b_later, b_cost)) = (key(a), key(b));
    a_later
        .cmp(&b_later)
        .then(a_cost.total_cmp(&b_cost))
        .then_with(|| a.name.cmp(&b.name))
}

/// A latency figure in the table's units.
pub fn latency(us: f64) -> String {
    micros(us.round() as u64)
}

/// `min–max` of a latency spread.
pub fn latency_range(spread: &Spread) -> String {
    format!("{}–{}", latency(spread.min), latency(spread.max))
}

/// `min–max` of a req/s spread.
pub fn rps_range(spread: &Spread) -> String {
    format!("{:.0}–{:.0}", spread.min, spread.max)
}

/// `+123us`, `-45us`.
pub fn signed_latency(us: f64) -> String {
    let sign = if us < 0.0 { "-" } else { "+" };
    format!("{sign}{}", latency(us.abs()))
}

/// `2.00x`, or `—` for a flow that served nothing.
pub fn cost(line: &Line) -> String {
    line.cost.map_or_else(|| "—".into(), |c| format!("{c:.2}x"))
}

/// The table on the console: one header line, a line per flow, one footnote.
pub fn write_table(table: &Table, out: &mut impl Write) -> io::Result<()> {
    if table.lines.is_empty() {
        return writeln!(out, "no flows");
    }
    writeln!(
        out,
        "{:<20} {:>9} {:>8} {:>13} {:>8} {:>15} {:>8} {:>8} {:>8} {:>9} {:>8}  mints",
        "flow",
        "req/s",
        "failures",
        "req/s range",
        "p50",
        "p50 range",
        "p90",
        "p99",
        "p99.9",
        "+p50",
        "cost"
    )?;
    for line in &table.lines {
        writeln!(
            out,
            "{:<20} {:>9.0} {:>8} {:>13} {:>8} {:>15} {:>8} {:>8} {:>8} {:>9} {:>8}  {}",
            line.name,
            line.rps.median,
            line.failures,
            rps_range(&line.rps),
            latency(line.p50_us.median),
            latency_range(&line.p50_us),
            latency(line.p90_us.median),
            latency(line.p99_us.median),
            latency(line.p999_us.median),
            signed_latency(line.extra_p50_us),
            cost(line),
            line.mints.label(),
        )?;
    }
    writeln!(out, "{}", footnote(table))
}

/// What the figures are, in one sentence every format shows.
pub fn footnote(table: &Table) -> String {
    format!(
        "median of {} round(s) per flow, each after {} s of warm-up; range: least–most of the rounds; cost: baseline ({}) req/s over the flow's; +p50: median latency over the baseline's; mints: whether the client mints a token per request",
        table.rounds, table.warm_up_secs, table.baseline
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rps: f64, p50_us: u64) -> Row {
        Row {
            name: "iteration steps".into(),
            requests: (rps * 3.0) as u64,
            failures: 0,
            rps,
            p50_us,
            p90_us: p50_us * 2,
            p99_us: p50_us * 3,
            p999_us: p50_us * 4,
            p9999_us: p50_us * 4,
            max_us: p50_us * 5,
            mean_us: p50_us,
        }
    }

    fn flow(name: &str, rounds: &[(f64, u64)]) -> Flow {
        Flow {
            name: name.into(),
            mints: Mints::None,
            rounds: rounds.iter().map(|&(rps, p50)| row(rps, p50)).collect(),
        }
    }

    fn console(table: &Table) -> String {
        let mut out = Vec::new();
        write_table(table, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_baseline_comes_first_then_the_cheapest() {
        let flows = [
            flow("pat", &[(20_000.0, 150)]),
            flow("plugin-jwt-rs256", &[(1_000.0, 1_500)]),
            flow("basic", &[(50_000.0, 400)]),
            flow("anonymous", &[(100_000.0, 200)]),
            flow("down", &[(0.0, 0)]),
            flow("never-ran", &[]),
        ];
        let table = Table::new(&flows, Duration::from_secs(2));
        let names: Vec<&str> = table.lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["anonymous", "basic", "pat", "plugin-jwt-rs256", "down"]
        );
        let text = console(&table);
        let basic = text.lines().find(|l| l.starts_with("basic")).unwrap();
        assert!(basic.contains("2.00x"), "{text}");
        assert!(basic.contains("+200us"), "{text}");
        let anonymous = text.lines().find(|l| l.starts_with("anonymous")).unwrap();
        assert!(anonymous.contains("1.00x"), "{text}");
        let down = text.lines().find(|l| l.starts_with("down")).unwrap();
        assert!(down.contains('—'), "{text}");
        // The header, a line per flow and the footnote.
        assert_eq!(text.lines().count(), 7, "{text}");
    }

    #[test]
    fn the_baseline_runs_first() {
        assert_eq!(
            order(vec!["basic".into(), "anonymous".into(), "pat".into()]),
            ["anonymous", "basic", "pat"]
        );
    }

    #[test]
    fn without_anonymous_the_first_flow_is_the_baseline() {
        let flows = [flow("pat", &[(400.0, 100)]), flow("basic", &[(800.0, 50)])];
        let table = Table::new(&flows, Duration::ZERO);
        assert_eq!(table.baseline, "pat");
        assert_eq!(table.lines[0].name, "pat");
        assert_eq!(table.lines[1].cost, Some(0.5));
    }

    #[test]
    fn rounds_give_the_median_and_the_spread() {
        let flows = [
            flow("anonymous", &[(900.0, 110), (1_000.0, 100), (1_200.0, 90)]),
            flow("basic", &[(400.0, 300), (600.0, 200)]),
        ];
        let table = Table::new(&flows, Duration::from_secs(2));
        let anonymous = &table.lines[0];
        assert_eq!(
            anonymous.rps,
            Spread {
                median: 1_000.0,
                min: 900.0,
                max: 1_200.0
            }
        );
        assert_eq!(anonymous.p50_us.median, 100.0);
        let basic = &table.lines[1];
        assert_eq!(basic.rps.median, 500.0);
        assert_eq!(basic.p50_us.median, 250.0);
        assert_eq!(basic.cost, Some(2.0));
        assert_eq!(table.rounds, 3);
        let text = console(&table);
        assert!(text.contains("900–1200"), "{text}");
        assert!(text.contains("200us–300us"), "{text}");
        assert!(Spread::of([]).is_none());
    }

    #[test]
    fn mints_names_what_the_iteration_steps_mint() {
        let scenario = |auth: &str| {
            let yaml = format!(
                "id: T\ntitle: t\nkeys: {{ k: {{ alg: HS256, secret: s3cret-key-hs256 }} }}\nsteps:\n  - name: s\n    request: {{ path: /x, auth: {auth} }}\n"
            );
            crate::scenario::load_str(&yaml, std::path::Path::new("t.yaml"), &|_| None)
                .unwrap_or_else(|d| {
                    panic!("{}", d.iter().map(ToString::to_string).collect::<String>())
                })
        };
        let jwt = "{ jwt: { key: k, claims: { iat: now, exp: now+5m } } }";
        assert_eq!(Mints::of(&scenario(jwt)), Mints::Reused);
        let connect = "{ jwt: { key: k, qsh: true, claims: { iat: now } } }";
        assert_eq!(Mints::of(&scenario(connect)), Mints::PerRequest);
        let fresh = "{ jwt: { key: k, mint: per_request } }";
        assert_eq!(Mints::of(&scenario(fresh)), Mints::PerRequest);
        assert_eq!(Mints::of(&scenario("{ bearer: t0ken }")), Mints::None);
    }
}
