//! `tollgate merge`'s verdict: threshold rules judged on the merged summary, as
//! goose judges them on one run, so N shards pass or fail as one run of their
//! sum would.
//!
//! The rules are checked by goose's parser when they are read
//! ([`Threshold`]); goose keeps what it parsed to itself, so this reads the
//! checked text once more into metric, operator and limit. The figures come from
//! [`LoadSummary`]'s counts and its histograms' merge and percentile methods
//! (all in `Figures::of`), not from how a histogram stores its times.
//!
//! One difference from goose: `rps` on a merged run is every request over the
//! longest shard's run time (ramp included), since a summary keeps no window of
//! the time the users were held steady.

use super::summary::{DEFAULT_RULE, Histogram, LoadSummary, ThresholdOutcome, micros};
use crate::scenario::threshold::Threshold;

/// Where the rules judged on a merge come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub rules: Vec<Threshold>,
    /// Said on the console: the runs carried different rules, or a rule that
    /// does not read.
    pub notes: Vec<String>,
    /// Rules a run carried that do not parse any more, judged failed.
    pub unreadable: Vec<ThresholdOutcome>,
}

/// The rules the runs were judged by (each run's thresholds, without the
/// default rule, which every judgement adds itself). Runs that carried
/// different rules are judged by all of them, and the notes say so.
pub fn carried_rules(runs: &[LoadSummary]) -> Rules {
    let per_run: Vec<Vec<&str>> = runs
        .iter()
        .map(|run| {
            let mut rules: Vec<&str> = run
                .thresholds
                .iter()
                .map(|t| t.rule.as_str())
                .filter(|rule| *rule != DEFAULT_RULE)
                .collect();
            rules.sort_unstable();
            rules.dedup();
            rules
        })
        .collect();
    let mut union: Vec<&str> = per_run.iter().flatten().copied().collect();
    union.sort_unstable();
    union.dedup();
    let mut notes = Vec::new();
    if per_run.windows(2).any(|pair| pair[0] != pair[1]) {
        let each: Vec<String> = per_run
            .iter()
            .enumerate()
            .map(|(index, rules)| format!("run {}: [{}]", index + 1, rules.join(", ")))
            .collect();
        notes.push(format!(
            "note: the runs carried different thresholds ({}); judging all of them",
            each.join("; ")
        ));
    }
    let (mut rules, mut unreadable) = (Vec::new(), Vec::new());
    for rule in union {
        match rule.parse::<Threshold>() {
            Ok(threshold) => rules.push(threshold),
            Err(e) => unreadable.push(ThresholdOutcome {
                rule: rule.to_string(),
                observed: format!("cannot judge: {e}"),
                passed: false,
            }),
        }
    }
    Rules {
        rules,
        notes,
        unreadable,
    }
}

/// Each rule judged on `summary`, in order.
pub fn judge(summary: &LoadSummary, rules: &[Threshold]) -> Vec<ThresholdOutcome> {
    rules
        .iter()
        .map(|rule| {
            let (observed, passed) = match Rule::read(rule.as_str()) {
                Some(parsed) => parsed.judge(summary),
                None => (format!("cannot judge the rule {rule}"), false),
            };
            ThresholdOutcome {
                rule: rule.to_string(),
                observed,
                passed,
            }
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Metric {
    /// A percent, above 0 and below 100.
    Percentile(f64),
    Average,
    Maximum,
    ErrorRate,
    RequestsPerSecond,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Operator {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// A rule goose has accepted, read into its parts.
#[derive(Clone, Debug, PartialEq)]
struct Rule {
    metric: Metric,
    operator: Operator,
    /// µs for a time, a percent for `error-rate`, requests per second for `rps`.
    limit: f64,
    /// `for GET step`: the one request judged.
    request: Option<String>,
}

impl Rule {
    /// goose's grammar: `<metric><op><value>[ for <request>]`; a bare time is
    /// milliseconds.
    fn read(text: &str) -> Option<Rule> {
        let text = text.trim();
        let at = text.find(['<', '>', '='])?;
        let metric = match text[..at].trim() {
            "avg" => Metric::Average,
            "max" => Metric::Maximum,
            "error-rate" => Metric::ErrorRate,
            "rps" => Metric::RequestsPerSecond,
            name => Metric::Percentile(name.strip_prefix('p')?.parse().ok()?),
        };
        let rest = &text[at..];
        let (operator, rest) = [
            ("<=", Operator::LessOrEqual),
            (">=", Operator::GreaterOrEqual),
            ("<", Operator::Less),
            (">", Operator::Greater),
        ]
        .into_iter()
        .find_map(|(sign, op)| rest.strip_prefix(sign).map(|r| (op, r)))?;
        let rest = format!(" {}", rest.trim());
        let (value, request) = match rest.find(" for ") {
            Some(at) => (rest[..at].trim(), Some(rest[at + 5..].trim().to_string())),
            None => (rest.trim(), None),
        };
        let limit = match metric {
            Metric::ErrorRate => value.strip_suffix('%').unwrap_or(value).parse().ok()?,
            Metric::RequestsPerSecond => value.parse().ok()?,
            _ => time_us(value)?,
        };
        Some(Rule {
            metric,
            operator,
            limit,
            request,
        })
    }

    /// What the rule observes in `summary`, as the table shows it, and whether it holds.
    fn judge(&self, summary: &LoadSummary) -> (String, bool) {
        let Some(figures) = Figures::of(summary, self.request.as_deref()) else {
            let known: Vec<&str> = summary.steps.iter().map(|s| s.request.as_str()).collect();
            return (
                format!("no request named so; the runs have: {}", known.join(", ")),
                false,
            );
        };
        let observed = match self.metric {
            _ if figures.requests == 0 => None,
            Metric::Percentile(percent) => {
                let us = figures.latency.percentile_us((percent / 100.0) as f32);
                Some((us as f64, format!("merged {}", micros(us))))
            }
            Metric::Average => {
                let us = figures.latency.mean_us();
                Some((us as f64, format!("merged {}", micros(us))))
            }
            Metric::Maximum => {
                let us = figures.latency.max_us;
                Some((us as f64, format!("merged {}", micros(us))))
            }
            Metric::ErrorRate => {
                let percent = figures.failures as f64 / figures.requests as f64 * 100.0;
                Some((
                    percent,
                    format!(
                        "merged {percent:.2}%: {} of {} failed",
                        figures.failures, figures.requests
                    ),
                ))
            }
            Metric::RequestsPerSecond if summary.duration_secs > 0.0 => {
                let rate = figures.requests as f64 / summary.duration_secs;
                Some((
                    rate,
                    format!(
                        "merged {rate:.1} req/s: {} requests over {:.1} s",
                        figures.requests, summary.duration_secs
                    ),
                ))
            }
            Metric::RequestsPerSecond => None,
        };
        match observed {
            Some((value, shown)) => (shown, self.operator.holds(value, self.limit)),
            // As goose judges at the end: a rule with no samples fails.
            None => ("no samples".to_string(), false),
        }
    }
}

impl Operator {
    fn holds(self, observed: f64, limit: f64) -> bool {
        match self {
            Operator::Less => observed < limit,
            Operator::LessOrEqual => observed <= limit,
            Operator::Greater => observed > limit,
            Operator::GreaterOrEqual => observed >= limit,
        }
    }
}

fn time_us(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        (value, 1_000.0)
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// The requests a rule judges: one step's (goose's request name), or all.
struct Figures {
    requests: u64,
    failures: u64,
    latency: Histogram,
}

impl Figures {
    /// `None` when no step has the request's name.
    fn of(summary: &LoadSummary, request: Option<&str>) -> Option<Figures> {
        let steps: Vec<_> = summary
            .steps
            .iter()
            .filter(|s| request.is_none_or(|name| s.request == name))
            .collect();
        if request.is_some() && steps.is_empty() {
            return None;
        }
        let mut figures = Figures {
            requests: 0,
            failures: 0,
            latency: Histogram::default(),
        };
        for step in steps {
            figures.requests += step.requests;
            figures.failures += step.failures;
            figures.latency.add(&step.latency);
        }
        Some(figures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::summary::{FORMAT, Phase, StepLoad};

    fn step(request: &str, times_us: &[u64], failures: u64) -> StepLoad {
        let mut latency = Histogram::default();
        for &t in times_us {
            let mut one = Histogram {
                count: 1,
                min_us: t,
                max_us: t,
                total_us: t,
                ..Histogram::default()
            };
            one.buckets_us.insert(t, 1);
            latency.add(&one);
        }
        StepLoad {
            name: request.to_string(),
            request: request.to_string(),
            phase: Phase::Iteration,
            requests: times_us.len() as u64,
            failures,
            statuses: Default::default(),
            latency,
            ..StepLoad::default()
        }
    }

    fn summary(steps: Vec<StepLoad>, rules: &[&str]) -> LoadSummary {
        LoadSummary {
            format: FORMAT.into(),
            scenario: "L".into(),
            target: "t".into(),
            machines: 2,
            users: 4,
            duration_secs: 2.0,
            steps,
            thresholds: rules
                .iter()
                .map(|rule| ThresholdOutcome {
                    rule: rule.to_string(),
                    observed: String::new(),
                    passed: true,
                })
                .collect(),
            ..LoadSummary::default()
        }
    }

    fn rules(texts: &[&str]) -> Vec<Threshold> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    fn verdicts(summary: &LoadSummary, texts: &[&str]) -> Vec<bool> {
        judge(summary, &rules(texts))
            .iter()
            .map(|o| o.passed)
            .collect()
    }

    #[test]
    fn every_metric_is_judged_on_the_merged_figures() {
        let merged = summary(
            vec![
                step("GET a", &[100, 100, 100, 5_000], 1),
                step("GET b", &[200, 200, 200, 200], 0),
            ],
            &[],
        );
        assert_eq!(
            verdicts(
                &merged,
                &[
                    "p50<1ms",
                    "p99<1us",
                    "max<=5ms",
                    "max<5ms",
                    "avg<500us",
                    "error-rate<20%"
                ]
            ),
            [true, false, true, false, false, true]
        );
        // 8 requests over 2 s.
        assert_eq!(verdicts(&merged, &["rps>=4", "rps>4"]), [true, false]);
        assert_eq!(
            verdicts(&merged, &["error-rate<1% for GET b", "max<1ms for GET b"]),
            [true, true]
        );
        let failed = &judge(&merged, &rules(&["p99<1us"]))[0];
        assert_eq!(failed.observed, "merged 5.0ms");
    }

    #[test]
    fn a_rule_without_samples_or_request_fails() {
        let empty = summary(vec![step("GET a", &[], 0)], &[]);
        let outcome = &judge(&empty, &rules(&["p99<1s"]))[0];
        assert_eq!(
            (outcome.passed, outcome.observed.as_str()),
            (false, "no samples")
        );
        let outcome = &judge(&empty, &rules(&["p99<1s for GET nope"]))[0];
        assert!(!outcome.passed);
        assert!(outcome.observed.contains("GET a"), "{}", outcome.observed);
    }

    #[test]
    fn runs_that_carried_different_rules_are_judged_by_all() {
        let same = [
            summary(vec![], &["p99<50ms", DEFAULT_RULE]),
            summary(vec![], &["p99<50ms"]),
        ];
        let carried = carried_rules(&same);
        assert_eq!(carried.rules, rules(&["p99<50ms"]));
        assert!(carried.notes.is_empty());
        let differ = [summary(vec![], &["p99<50ms"]), summary(vec![], &["rps>10"])];
        let carried = carried_rules(&differ);
        assert_eq!(carried.rules, rules(&["p99<50ms", "rps>10"]));
        assert!(
            carried.notes[0].contains("different thresholds"),
            "{:?}",
            carried.notes
        );
        let odd = carried_rules(&[summary(vec![], &["p99<<1"])]);
        assert!(odd.rules.is_empty());
        assert!(!odd.unreadable[0].passed);
    }

    #[test]
    fn the_rule_reader_agrees_with_goose_on_units() {
        let read = |t: &str| Rule::read(t).unwrap();
        assert_eq!(read("p99<50").limit, 50_000.0);
        assert_eq!(read("p99.9 <= 2s").limit, 2_000_000.0);
        assert_eq!(read("avg<750us").limit, 750.0);
        assert_eq!(read("error-rate<0.5%").limit, 0.5);
        let rule = read("rps>=100 for GET read spaces");
        assert_eq!(rule.request.as_deref(), Some("GET read spaces"));
        assert_eq!(
            (rule.metric, rule.operator),
            (Metric::RequestsPerSecond, Operator::GreaterOrEqual)
        );
    }
}
