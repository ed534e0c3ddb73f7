//! The fact table (docs/confluence-auth-facts.md), compiled into the binary: the
//! ids scenarios cite in `refs:`, for the loader's check of each citation, the
//! selftest's coverage and a run's "facts exercised on this target".

use std::sync::LazyLock;

const FACTS: &str = include_str!("../../docs/confluence-auth-facts.md");

/// Read once: every scenario file the loader checks asks for it.
static FACT_IDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    FACTS
        .lines()
        .filter_map(|line| line.strip_prefix("| F-"))
        .filter_map(|rest| rest.split_once(' ').map(|(id, _)| format!("F-{id}")))
        .collect()
});

/// Every fact id of confluence-auth-facts.md, in the order it lists them: each
/// line that starts with `| F-`, up to the first space.
pub fn fact_ids() -> &'static [String] {
    &FACT_IDS
}
