//! Which scenarios a run takes: `--tag` and `--id` selection.

use crate::scenario::model::Scenario;

/// Keeps the scenarios that carry any of `tags` (all when empty) and whose id is
/// one of `ids` (all when empty).
pub fn select(scenarios: Vec<Scenario>, tags: &[String], ids: &[String]) -> Vec<Scenario> {
    scenarios
        .into_iter()
        .filter(|s| tags.is_empty() || s.tags.iter().any(|t| tags.contains(t)))
        .filter(|s| ids.is_empty() || ids.contains(&s.id.inner))
        .collect()
}
