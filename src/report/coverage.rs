//! Which facts of the fact table a run exercised on its target: the reach of a
//! vendor's evidence, and its gaps.

use super::model::{FactCoverage, FactExercised, Outcome, ScenarioReport};

/// Coverage of `table` (each fact's id and statement, in order) by `scenarios`'
/// `refs`: a fact is exercised when a scenario that cites it ran; a skip
/// exercises nothing.
pub fn fact_coverage(scenarios: &[ScenarioReport], table: &[(String, String)]) -> FactCoverage {
    let statements: std::collections::BTreeMap<String, String> = table.iter().cloned().collect();
    let mut exercised: Vec<FactExercised> = Vec::new();
    for scenario in scenarios.iter().filter(|s| s.outcome != Outcome::Skip) {
        for fact in &scenario.refs {
            match exercised.iter_mut().find(|f| &f.id == fact) {
                Some(found) => {
                    found.outcome = found.outcome.max(scenario.outcome);
                    found.scenarios.push(scenario.id.clone());
                }
                None => exercised.push(FactExercised {
                    id: fact.clone(),
                    statement: statements.get(fact).cloned().unwrap_or_default(),
                    outcome: scenario.outcome,
                    scenarios: vec![scenario.id.clone()],
                }),
            }
        }
    }
    let rank = |id: &str| {
        table
            .iter()
            .position(|(t, _)| t == id)
            .unwrap_or(usize::MAX)
    };
    exercised.sort_by(|a, b| (rank(&a.id), &a.id).cmp(&(rank(&b.id), &b.id)));
    let not_exercised = table
        .iter()
        .map(|(id, _)| id)
        .filter(|id| !exercised.iter().any(|f| &f.id == *id))
        .cloned()
        .collect();
    FactCoverage {
        total: table.len(),
        exercised,
        not_exercised,
        statements,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::SourceLoc;

    fn scenario(id: &str, outcome: Outcome, refs: &[&str]) -> ScenarioReport {
        ScenarioReport {
            id: id.into(),
            title: String::new(),
            source: SourceLoc {
                file: "x.yaml".into(),
                line: 1,
                col: 1,
            },
            tags: Vec::new(),
            refs: refs.iter().map(|r| r.to_string()).collect(),
            outcome,
            skip_reason: None,
            duration_ms: 0,
            steps: Vec::new(),
        }
    }

    #[test]
    fn a_fact_is_exercised_only_by_scenarios_that_ran_and_takes_their_worst_outcome() {
        let table: Vec<(String, String)> = ["F-A-1", "F-A-2", "F-A-3"]
            .map(|id| (id.to_string(), format!("{id} holds")))
            .to_vec();
        let scenarios = [
            scenario("S1", Outcome::Pass, &["F-A-2", "F-X-9"]),
            scenario("S2", Outcome::Fail, &["F-A-2"]),
            scenario("S3", Outcome::Skip, &["F-A-3"]),
            scenario("S4", Outcome::Warn, &["F-A-1"]),
        ];
        let coverage = fact_coverage(&scenarios, &table);
        let ids: Vec<&str> = coverage.exercised.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            ["F-A-1", "F-A-2", "F-X-9"],
            "table order, then the rest"
        );
        assert_eq!(coverage.exercised[1].outcome, Outcome::Fail);
        assert_eq!(coverage.exercised[1].scenarios, ["S1", "S2"]);
        assert_eq!(
            coverage.not_exercised,
            ["F-A-3"],
            "a skip exercises nothing"
        );
        assert_eq!(coverage.summary(), "2 of 3 facts exercised");
        assert_eq!(coverage.exercised[0].statement, "F-A-1 holds");
        assert_eq!(coverage.exercised[2].statement, "", "an id the table lacks");
        assert_eq!(coverage.statement("F-A-3"), Some("F-A-3 holds"));
    }
}
