//! The figures of a load summary as the report tables show them: the same
//! headings, rows and cells in Markdown and HTML.

use super::summary::{LoadSummary, Row, micros};

pub const HEADINGS: [&str; 10] = [
    "step", "requests", "failures", "req/s", "p50", "p90", "p99", "p99.9", "p99.99", "max",
];

pub fn cells(row: &Row) -> [String; 10] {
    [
        row.name.clone(),
        row.requests.to_string(),
        row.failures.to_string(),
        format!("{:.1}", row.rps),
        micros(row.p50_us),
        micros(row.p90_us),
        micros(row.p99_us),
        micros(row.p999_us),
        micros(row.p9999_us),
        micros(row.max_us),
    ]
}

pub fn rows(summary: &LoadSummary) -> Vec<Row> {
    let mut rows = summary.step_rows();
    rows.push(summary.total_row());
    rows
}

pub fn headline(summary: &LoadSummary) -> String {
    format!(
        "{} against {}: {} user(s) on {} machine(s), {:.1} s",
        summary.scenario, summary.target, summary.users, summary.machines, summary.duration_secs
    )
}

/// How an open-model run held its rate, and the warning when it did not.
pub fn open_lines(summary: &LoadSummary) -> Vec<String> {
    let Some(open) = &summary.open else {
        return Vec::new();
    };
    std::iter::once(open.describe())
        .chain(open.shortfall())
        .collect()
}
