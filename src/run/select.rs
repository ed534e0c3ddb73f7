//! Which scenarios a run takes: `--tag` and `--id` selection, or a profile's.

use crate::scenario::Scenario;
use crate::scenario::profile::Profile;

/// Keeps the scenarios that carry any of `tags` (all when empty) and whose id is
/// one of `ids` (all when empty).
pub fn select(scenarios: Vec<Scenario>, tags: &[String], ids: &[String]) -> Vec<Scenario> {
    scenarios
        .into_iter()
        .filter(|s| tags.is_empty() || s.tags.iter().any(|t| tags.contains(t)))
        .filter(|s| ids.is_empty() || ids.contains(&s.id.inner))
        .collect()
}

/// Exactly the scenarios `profile` names (by id or tag), in suite order, or the
/// selectors that name nothing. A certification run must not quietly run less
/// than its profile lists, so an unmatched selector is an error, not a no-op.
pub fn select_profile(
    scenarios: Vec<Scenario>,
    profile: &Profile,
) -> Result<Vec<Scenario>, Vec<crate::scenario::Diagnostic>> {
    let unmatched = profile.check_against(&scenarios);
    if unmatched.is_empty() {
        Ok(profile.select(scenarios))
    } else {
        Err(unmatched)
    }
}
