//! The auth cost table: several flows on the same resource, each run in turn
//! under the same load, side by side with what each costs over anonymous access.

use std::io::{self, Write};

use super::summary::{LoadSummary, Row, micros};

/// The flow every other one is measured against, by scenario file stem.
pub const BASELINE: &str = "anonymous";

/// One flow's line of the table.
#[derive(Clone, Debug)]
pub struct Flow {
    /// The scenario file's stem (`basic`, `pat`, …).
    pub name: String,
    pub summary: LoadSummary,
}

impl Flow {
    /// What the flow measures: the requests of its iteration steps.
    pub fn row(&self) -> Row {
        self.summary.iteration_row()
    }
}

/// Baseline first, then the others in the order given.
pub fn order(mut names: Vec<String>) -> Vec<String> {
    if let Some(at) = names.iter().position(|n| n == BASELINE) {
        let baseline = names.remove(at);
        names.insert(0, baseline);
    }
    names
}

/// The table, with each flow's cost over the baseline (the first flow when no
/// flow is named `anonymous`): extra median latency, and how many of its
/// requests the target serves in the time it serves one baseline request.
pub fn write_table(flows: &[Flow], out: &mut impl Write) -> io::Result<()> {
    let Some(baseline) = flows
        .iter()
        .find(|f| f.name == BASELINE)
        .or_else(|| flows.first())
    else {
        return writeln!(out, "no flows");
    };
    let base = baseline.row();
    writeln!(
        out,
        "{:<20} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>10}",
        "flow", "req/s", "failures", "p50", "p90", "p99", "p99.9", "+p50", "cost"
    )?;
    for flow in flows {
        let row = flow.row();
        let extra = row.p50_us as i64 - base.p50_us as i64;
        let cost = if row.rps > 0.0 {
            base.rps / row.rps
        } else {
            f64::INFINITY
        };
        writeln!(
            out,
            "{:<20} {:>10.0} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>9.2}x",
            flow.name,
            row.rps,
            row.failures,
            micros(row.p50_us),
            micros(row.p90_us),
            micros(row.p99_us),
            micros(row.p999_us),
            signed_micros(extra),
            cost,
        )?;
    }
    writeln!(
        out,
        "cost: baseline ({}) req/s over the flow's; +p50: median latency over the baseline's",
        baseline.name
    )
}

fn signed_micros(us: i64) -> String {
    let sign = if us < 0 { "-" } else { "+" };
    format!("{sign}{}", micros(us.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::summary::{FORMAT, Histogram, Phase, StepLoad};

    fn flow(name: &str, requests: u64, median_us: u64) -> Flow {
        let mut latency = Histogram {
            count: requests,
            min_us: median_us,
            max_us: median_us,
            total_us: median_us * requests,
            ..Histogram::default()
        };
        latency.buckets_us.insert(median_us, requests);
        Flow {
            name: name.into(),
            summary: LoadSummary {
                format: FORMAT.into(),
                scenario: name.to_uppercase(),
                target: "embedded mock".into(),
                machines: 1,
                users: 4,
                duration_secs: 10.0,
                steps: vec![StepLoad {
                    name: "read".into(),
                    request: "GET read".into(),
                    phase: Phase::Iteration,
                    requests,
                    failures: 0,
                    statuses: [(200, requests)].into(),
                    latency,
                    ..StepLoad::default()
                }],
                thresholds: Vec::new(),
                ..LoadSummary::default()
            },
        }
    }

    #[test]
    fn the_baseline_comes_first_and_costs_are_relative_to_it() {
        assert_eq!(
            order(vec!["basic".into(), "anonymous".into(), "pat".into()]),
            ["anonymous", "basic", "pat"]
        );
        let flows = [flow("anonymous", 100_000, 200), flow("basic", 50_000, 400)];
        let mut out = Vec::new();
        write_table(&flows, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let basic = text.lines().find(|l| l.starts_with("basic")).unwrap();
        assert!(basic.contains("2.00x"), "{text}");
        assert!(basic.contains("+200us"), "{text}");
        let anonymous = text.lines().find(|l| l.starts_with("anonymous")).unwrap();
        assert!(anonymous.contains("1.00x"), "{text}");
    }
}
