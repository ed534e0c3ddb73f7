//! Checks a scenario beyond its shape: ids, keys, the `load:` block, bursts, and
//! references to variables that will exist when a step runs. What must compile
//! (regular expressions, JSONPaths, methods) is checked by compiling it, in
//! [`super::compile`].

use super::de::{Spanned, closest};
use super::facts::fact_ids;
use super::model::{Alg, Auth, Burst, Expect, Load, Scenario, Step};
use super::template::Template;
use super::vars::{self, BUILTINS};
use super::yaml::{Node, NodeKind, Pos};
use std::time::Duration;

pub type Problem = (Pos, String, Option<String>);

/// The most requests one `burst` may send: every load loop is bounded.
pub const MAX_BURST: u32 = 10_000;

/// The longest `wait:`. On the embedded mock a wait moves its clock, so a
/// scenario may wait past a year-long PAT's expiry; against a real server it
/// sleeps, and nothing longer is a test anyone means.
pub const MAX_WAIT: Duration = Duration::from_secs(400 * 86_400);
/// The longest `request.timeout`.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3_600);
/// The longest `load.run_time` (a week-long soak test).
pub const MAX_RUN_TIME: Duration = Duration::from_secs(7 * 86_400);

/// Every problem in `scenario`; `step_nodes` are the steps as written, for the
/// positions of `${…}` references.
pub fn check(scenario: &Scenario, step_nodes: &[Node]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut report = |pos: Pos, message: String| problems.push((pos, message, None));

    let id = &scenario.id;
    if id.inner.is_empty()
        || !id
            .inner
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    {
        report(id.pos, format!("id '{}' must match [A-Z0-9-]+", id.inner));
    }
    if scenario.title.trim().is_empty() {
        report(id.pos, "title must say what a passing target does".into());
    }
    let table = fact_ids();
    let known: Vec<&str> = table.iter().map(String::as_str).collect();
    for fact in &scenario.refs {
        if !is_fact_id(&fact.inner) {
            report(
                fact.pos,
                format!("'{}' is not a fact id like F-BASIC-2", fact.inner),
            );
        } else if !known.contains(&fact.inner.as_str()) {
            // A citation must point at a fact someone can read and check.
            let hint = closest(&fact.inner, &known)
                .map(|c| format!(" (did you mean {c}?)"))
                .unwrap_or_default();
            report(
                fact.pos,
                format!(
                    "'{}' is not a fact of docs/confluence-auth-facts.md{hint}",
                    fact.inner
                ),
            );
        }
    }
    if let Some(load) = &scenario.load {
        check_load(load, &scenario.steps, &mut report);
    }
    for (name, key) in &scenario.keys {
        let sources = [
            key.generate,
            key.private_key.is_some(),
            key.secret.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            report(
                key.pos,
                format!(
                    "key '{name}' needs exactly one of `generate: true`, `private_key`, `secret`"
                ),
            );
        } else if key.secret.is_some() != (key.alg == Alg::HS256) && !key.generate {
            report(
                key.pos,
                format!(
                    "key '{name}': HS256 keys take a `secret`, RS256 and ES256 a `private_key`"
                ),
            );
        }
    }
    let key_names: Vec<&str> = scenario.keys.keys().map(String::as_str).collect();
    for (index, step) in scenario.steps.iter().enumerate() {
        check_step(step, &key_names, &mut report);
        check_step_durations(step, step_nodes.get(index), &mut report);
    }
    check_references(scenario, step_nodes, &mut problems);
    problems
}

/// The most virtual users one load run may start.
pub const MAX_USERS: usize = 100_000;

fn check_load(load: &Spanned<Load>, steps: &[Spanned<Step>], report: &mut impl FnMut(Pos, String)) {
    if load.users == Some(0) || load.users.is_some_and(|u| u > MAX_USERS) {
        report(load.pos, format!("load.users must be 1..={MAX_USERS}"));
    }
    if load.iterations.is_some() && load.run_time.is_some() {
        report(
            load.pos,
            "load takes `iterations` or `run_time`, not both".into(),
        );
    }
    if load.iterations == Some(0) {
        report(load.pos, "load.iterations must be at least 1".into());
    }
    if load.throttle == Some(0) {
        report(
            load.pos,
            "load.throttle must be at least 1 request per second".into(),
        );
    }
    if load.run_time.is_some_and(|t| t.get() > MAX_RUN_TIME) {
        report(
            load.pos,
            format!("load.run_time must be at most {}", as_written(MAX_RUN_TIME)),
        );
    }
    if load.run_time.is_some_and(|t| t.get().as_secs() == 0) {
        report(
            load.pos,
            "load.run_time must be at least 1s (goose counts whole seconds)".into(),
        );
    }
    if load
        .increase_rate
        .is_some_and(|r| !(r.is_finite() && r > 0.0))
    {
        report(
            load.pos,
            "load.increase_rate must be a number of users per second above 0".into(),
        );
    }
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    for wanted in &load.steps {
        if !names.contains(&wanted.inner.as_str()) {
            let hint = closest(&wanted.inner, &names)
                .map(|n| format!(" (did you mean '{n}'?)"))
                .unwrap_or_default();
            report(
                wanted.pos,
                format!("load.steps names no step '{}'{hint}", wanted.inner),
            );
        }
    }
}

/// A step's `wait` and `timeout` within their limits; `node` is the step as
/// written, for the positions.
fn check_step_durations(
    step: &Spanned<Step>,
    node: Option<&Node>,
    report: &mut impl FnMut(Pos, String),
) {
    let at = |path: &[&str]| {
        node.and_then(|node| path.iter().try_fold(node, |n, key| n.get(key)))
            .map_or(step.pos, |n| n.pos)
    };
    if step.wait.is_some_and(|w| w.get() > MAX_WAIT) {
        report(
            at(&["wait"]),
            format!("wait must be at most {}", as_written(MAX_WAIT)),
        );
    }
    if step.request.timeout.is_some_and(|t| t.get() > MAX_TIMEOUT) {
        report(
            at(&["request", "timeout"]),
            format!(
                "request.timeout must be at most {}",
                as_written(MAX_TIMEOUT)
            ),
        );
    }
    let Some(Auth::Jwt(jwt)) = step.request.auth.as_ref().map(|a| &a.inner) else {
        return;
    };
    for (name, value) in &jwt.claims {
        if let Some(problem) = value.as_str().and_then(relative_time_problem) {
            report(
                at(&["request", "auth", "jwt", "claims", name]),
                format!("claim '{name}': {problem}"),
            );
        }
    }
}

/// Why a `now±DURATION` claim cannot become a time, found at `check` rather
/// than when the token is minted (the same grammar as `auth::jwt::claims`,
/// which this module may not import). Text with `${…}` is judged when sent.
fn relative_time_problem(text: &str) -> Option<String> {
    let rest = text.trim().strip_prefix("now")?.trim_start();
    let offset = rest.strip_prefix(['+', '-'])?.trim();
    if offset.contains("${") {
        return None;
    }
    match humantime::parse_duration(offset) {
        Err(e) => Some(format!(
            "'{offset}' is not a duration ({e}); write e.g. now+5m, now-1h"
        )),
        Ok(d) if d > super::duration::MAX => Some(format!("'{offset}' is longer than 100 years")),
        Ok(_) => None,
    }
}

/// A limit the way a scenario would write it: `400d`, `1h`, `90s`.
fn as_written(limit: Duration) -> String {
    let secs = limit.as_secs();
    [(86_400, "d"), (3_600, "h"), (60, "m")]
        .iter()
        .find(|(unit, _)| secs % unit == 0)
        .map_or(format!("{secs}s"), |(unit, name)| {
            format!("{}{name}", secs / unit)
        })
}

fn is_fact_id(text: &str) -> bool {
    let mut parts = text.split('-');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("F"), Some(area), Some(n), None)
            if !area.is_empty() && area.bytes().all(|b| b.is_ascii_uppercase()) && n.parse::<u32>().is_ok()
    )
}

fn check_step(step: &Spanned<Step>, key_names: &[&str], report: &mut impl FnMut(Pos, String)) {
    if let Some(auth) = &step.request.auth {
        if let Auth::Jwt(jwt) = &auth.inner {
            let literal = Template::parse(&jwt.key).is_ok_and(|t| t.as_literal().is_some());
            if literal && !key_names.contains(&jwt.key.as_str()) {
                report(
                    auth.pos,
                    format!(
                        "auth: jwt names key '{}', which `keys:` does not declare",
                        jwt.key
                    ),
                );
            }
        }
    }
    if let Some(burst) = &step.burst {
        check_burst(step, burst, report);
    }
    check_expect_shape(&step.expect, step.burst.is_some(), report);
    if let Some(should) = &step.expect.should {
        check_expect_shape(should, step.burst.is_some(), report);
        if let Some(nested) = &should.should {
            report(
                nested.pos,
                "`should` is already should-level: it cannot hold another `should`".into(),
            );
        }
    }
}

/// What a step's `expect` (or its `should`) may hold: `statuses` and `each` only
/// on a burst, and nothing burst-wide inside one answer's `each`.
fn check_expect_shape(expect: &Expect, burst: bool, report: &mut impl FnMut(Pos, String)) {
    if !burst {
        let misplaced = expect
            .statuses
            .values()
            .map(|v| v.pos)
            .chain(expect.each.values().map(|v| v.pos));
        for pos in misplaced {
            report(
                pos,
                "`statuses` and `each` judge the responses of a `burst` step; this step has none"
                    .into(),
            );
        }
    }
    for each in expect.each.values() {
        if !each.statuses.is_empty() || !each.each.is_empty() {
            report(
                each.pos,
                "`each` judges one response: `statuses` and `each` cannot nest in it".into(),
            );
        }
        if each.should.is_some() {
            report(
                each.pos,
                "`should` goes beside `each`, not in it: write `should: { each: { STATUS: … } }`"
                    .into(),
            );
        }
    }
}

fn check_burst(step: &Step, burst: &Spanned<Burst>, report: &mut impl FnMut(Pos, String)) {
    if burst.count == 0 || burst.concurrency == 0 {
        report(
            burst.pos,
            "a burst needs count and concurrency of at least 1".into(),
        );
    }
    if burst.count > MAX_BURST {
        report(
            burst.pos,
            format!("a burst is bounded: at most {MAX_BURST} requests"),
        );
    }
    if !step.capture.is_empty() {
        report(
            burst.pos,
            "a burst step cannot capture: which of its responses would it take?".into(),
        );
    }
}

/// Each `${name}` in a step must name a var, a built-in, or a capture of an
/// earlier step: a typo is caught before anything is sent.
fn check_references(scenario: &Scenario, step_nodes: &[Node], problems: &mut Vec<Problem>) {
    let mut known: Vec<String> = scenario
        .vars
        .keys()
        .cloned()
        .chain(BUILTINS.iter().map(|s| s.to_string()))
        .collect();
    for (step, node) in scenario.steps.iter().zip(step_nodes) {
        each_value_scalar(node, &mut |text, pos| match vars::references(text) {
            Err(_) => problems.push((pos, "'${' is never closed with '}'".into(), None)),
            Ok(refs) => {
                for r in refs.iter().filter(|r| !known.iter().any(|k| k == r.name)) {
                    let names: Vec<&str> = known.iter().map(String::as_str).collect();
                    problems.push((
                        pos,
                        format!(
                            "unknown variable '{}' (not in vars, not captured by an earlier step)",
                            r.name
                        ),
                        closest(r.name, &names).map(|c| format!("did you mean '{c}'?")),
                    ));
                }
            }
        });
        known.extend(step.capture.keys().cloned());
    }
}

fn each_value_scalar(node: &Node, f: &mut dyn FnMut(&str, Pos)) {
    match &node.kind {
        NodeKind::Scalar { text, .. } => f(text, node.pos),
        NodeKind::Seq(items) => items.iter().for_each(|n| each_value_scalar(n, f)),
        NodeKind::Map(entries) => entries.iter().for_each(|(_, v)| each_value_scalar(v, f)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fact_ids_have_three_parts() {
        assert!(is_fact_id("F-BASIC-2"));
        assert!(is_fact_id("F-PLUG-7"));
        assert!(!is_fact_id("F-basic-2"));
        assert!(!is_fact_id("BASIC-2"));
        assert!(!is_fact_id("F-BASIC-x"));
    }
}
