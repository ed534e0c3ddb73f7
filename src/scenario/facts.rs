//! The fact table (docs/confluence-auth-facts.md), compiled into the binary: the
//! ids scenarios cite in `refs:`, for the loader's check of each citation, the
//! selftest's coverage and a run's "facts exercised on this target", and each
//! fact's statement, which reports show beside its id.

use std::sync::LazyLock;

const FACTS: &str = include_str!("../../docs/confluence-auth-facts.md");

/// Read once: every scenario file the loader checks asks for it.
static FACT_ROWS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    FACTS
        .lines()
        .filter_map(|line| line.strip_prefix("| F-"))
        .filter_map(|rest| {
            let (id, _) = rest.split_once(' ')?;
            // `id | statement | source | …`: the statement is the second cell.
            let statement = rest.split('|').nth(1).unwrap_or_default().trim();
            Some((format!("F-{id}"), statement.to_owned()))
        })
        .collect()
});

static FACT_IDS: LazyLock<Vec<String>> =
    LazyLock::new(|| FACT_ROWS.iter().map(|(id, _)| id.clone()).collect());

/// Every fact id of confluence-auth-facts.md, in the order it lists them: each
/// line that starts with `| F-`, up to the first space.
pub fn fact_ids() -> &'static [String] {
    &FACT_IDS
}

/// Every fact of the table as (id, statement), in its order.
pub fn fact_rows() -> &'static [(String, String)] {
    &FACT_ROWS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_has_its_statement() {
        assert_eq!(fact_rows().len(), fact_ids().len());
        let (id, statement) = &fact_rows()[0];
        assert_eq!(id, "F-BASIC-1");
        assert!(
            statement.starts_with("Seraph's authenticator tries"),
            "{statement}"
        );
        assert!(fact_rows().iter().all(|(_, s)| !s.is_empty()));
    }
}
