//! Which scenarios a run takes: `--tag`, `--exclude-tag` and `--id` selection,
//! or a profile's.

use crate::scenario::Scenario;
use crate::scenario::profile::Profile;

/// `--tag`, `--exclude-tag` and `--id` as a run takes them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Selection<'a> {
    /// Any of these (all scenarios when empty).
    pub tags: &'a [String],
    /// None of these; wins over `tags` and `ids`.
    pub exclude_tags: &'a [String],
    /// One of these ids (all when empty).
    pub ids: &'a [String],
}

impl Selection<'_> {
    /// Why `scenario` is left out, if it is: `run --list` shows it.
    pub fn leaves_out(&self, scenario: &Scenario) -> Option<String> {
        if let Some(tag) = self.exclude_tags.iter().find(|t| scenario.tags.contains(t)) {
            return Some(format!("not selected: --exclude-tag {tag}"));
        }
        if !self.tags.is_empty() && !scenario.tags.iter().any(|t| self.tags.contains(t)) {
            return Some(format!(
                "not selected: carries none of --tag {}",
                self.tags.join(", ")
            ));
        }
        if !self.ids.is_empty() && !self.ids.contains(&scenario.id.inner) {
            return Some("not selected: its id is not among --id".into());
        }
        None
    }
}

/// Keeps the scenarios `selection` does not leave out, in order.
pub fn select(scenarios: Vec<Scenario>, selection: &Selection<'_>) -> Vec<Scenario> {
    scenarios
        .into_iter()
        .filter(|s| selection.leaves_out(s).is_none())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(id: &str, tags: &[&str]) -> Scenario {
        let yaml = format!(
            "id: {id}\ntitle: t\ntags: [{}]\nsteps:\n  - name: one\n    request: {{ path: / }}\n",
            tags.join(", ")
        );
        crate::scenario::load_str(&yaml, std::path::Path::new("s.yaml"), &|_| None).unwrap()
    }

    fn ids(scenarios: &[Scenario]) -> Vec<&str> {
        scenarios.iter().map(|s| s.id.inner.as_str()).collect()
    }

    #[test]
    fn an_excluded_tag_wins_over_a_selected_one() {
        let suite = vec![
            scenario("A-1", &["basic"]),
            scenario("A-2", &["basic", "slow"]),
            scenario("B-1", &["jwt"]),
        ];
        let tags = ["basic".to_string()];
        let exclude_tags = ["slow".to_string()];
        let selection = Selection {
            tags: &tags,
            exclude_tags: &exclude_tags,
            ids: &[],
        };
        assert_eq!(ids(&select(suite.clone(), &selection)), ["A-1"]);
        assert_eq!(
            selection.leaves_out(&suite[1]).as_deref(),
            Some("not selected: --exclude-tag slow")
        );
        assert_eq!(
            selection.leaves_out(&suite[2]).as_deref(),
            Some("not selected: carries none of --tag basic")
        );
        let only_exclude = Selection {
            exclude_tags: &exclude_tags,
            ..Selection::default()
        };
        assert_eq!(ids(&select(suite, &only_exclude)), ["A-1", "B-1"]);
    }
}
