//! The cost table as a file: Markdown, JSON (`tollgate-compare/1`) or one
//! self-contained HTML page (inline style, nothing loaded from anywhere).

use std::io;
use std::path::Path;

use serde_json::json;

use super::{Table, cost, footnote, latency, latency_range, rps_range, signed_latency};
use crate::report::html::escape;

/// The JSON report's `format`; a reader refuses others.
pub const FORMAT: &str = "tollgate-compare/1";

/// What a `--report` file's extension asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
    Html,
}

impl Format {
    /// By extension: `.md`, `.json`, `.html`; `None` for anything else.
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "md" | "markdown" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            "html" | "htm" => Some(Format::Html),
            _ => None,
        }
    }
}

/// Writes `table` to `path` in the format its extension names.
pub fn write_file(path: &Path, table: &Table) -> io::Result<()> {
    let text = match Format::of(path) {
        Some(Format::Markdown) => markdown(table),
        Some(Format::Json) => json(table),
        Some(Format::Html) => html(table),
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a cost table report is .md, .json or .html",
            ));
        }
    };
    std::fs::write(path, text)
}

/// The cells of one line, as every text format shows them.
fn cells(table: &Table) -> Vec<[String; 12]> {
    table
        .lines
        .iter()
        .map(|line| {
            [
                line.name.clone(),
                format!("{:.0}", line.rps.median),
                rps_range(&line.rps),
                line.failures.to_string(),
                latency(line.p50_us.median),
                latency_range(&line.p50_us),
                latency(line.p90_us.median),
                latency(line.p99_us.median),
                latency(line.p999_us.median),
                signed_latency(line.extra_p50_us),
                cost(line),
                line.mints.label().to_string(),
            ]
        })
        .collect()
}

const HEADINGS: [&str; 12] = [
    "flow",
    "req/s",
    "req/s range",
    "failures",
    "p50",
    "p50 range",
    "p90",
    "p99",
    "p99.9",
    "+p50",
    "cost",
    "mints",
];

pub fn markdown(table: &Table) -> String {
    let mut out = String::from("# Auth cost table\n\n");
    out.push_str(&format!("| {} |\n", HEADINGS.join(" | ")));
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for row in cells(table) {
        // A flow's name is a file stem: a `|` in it would split the cell.
        let row: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push_str(&format!("\n{}\n", footnote(table)));
    out
}

pub fn json(table: &Table) -> String {
    let document = json!({
        "format": FORMAT,
        "baseline": table.baseline,
        "rounds": table.rounds,
        "warm_up_secs": table.warm_up_secs,
        "flows": table.lines,
    });
    // A `Value` of plain data always prints.
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

pub fn html(table: &Table) -> String {
    let mut rows = String::new();
    for row in cells(table) {
        rows.push_str("<tr>");
        for (at, cell) in row.iter().enumerate() {
            let class = if at == 0 || at == 11 { "" } else { " class=n" };
            rows.push_str(&format!("<td{class}>{}</td>", escape(cell)));
        }
        rows.push_str("</tr>\n");
    }
    let headings: String = HEADINGS
        .iter()
        .map(|h| format!("<th>{}</th>", escape(h)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n<title>Auth cost table</title>\n<style>\nbody{{font-family:system-ui,sans-serif;margin:2em}}\ntable{{border-collapse:collapse}}\nth,td{{border:1px solid #ccc;padding:.3em .6em}}\nth{{background:#f3f3f3}}\n.n{{text-align:right;font-variant-numeric:tabular-nums}}\n</style>\n</head>\n<body>\n<h1>Auth cost table</h1>\n<table>\n<tr>{headings}</tr>\n{rows}</table>\n<p>{}</p>\n</body>\n</html>\n",
        escape(&footnote(table))
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{Flow, Mints};
    use super::*;
    use crate::load::summary::Row;

    fn table() -> Table {
        let flow = |name: &str, rps: f64, p50_us: u64, mints| Flow {
            name: name.into(),
            mints,
            rounds: vec![Row {
                name: "iteration steps".into(),
                requests: 100,
                failures: 0,
                rps,
                p50_us,
                p90_us: p50_us,
                p99_us: p50_us,
                p999_us: p50_us,
                p9999_us: p50_us,
                max_us: p50_us,
                mean_us: p50_us,
            }],
        };
        Table::new(
            &[
                flow("plugin-<jwt>", 500.0, 400, Mints::Reused),
                flow("anonymous", 1_000.0, 200, Mints::None),
            ],
            Duration::from_secs(2),
        )
    }

    #[test]
    fn markdown_is_one_table_baseline_first() {
        let text = markdown(&table());
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(rows.len(), 4, "{text}");
        assert!(rows[2].starts_with("| anonymous |"), "{text}");
        assert!(rows[3].contains("| 2.00x | reused |"), "{text}");
    }

    #[test]
    fn json_names_its_format_and_each_flow() {
        let value: serde_json::Value = serde_json::from_str(&json(&table())).unwrap();
        assert_eq!(value["format"], FORMAT);
        assert_eq!(value["baseline"], "anonymous");
        assert_eq!(value["flows"][0]["name"], "anonymous");
        assert_eq!(value["flows"][1]["cost"], 2.0);
        assert_eq!(value["flows"][1]["mints"], "reused");
        assert_eq!(value["flows"][1]["rps"]["median"], 500.0);
    }

    #[test]
    fn html_loads_nothing_and_escapes_names() {
        let text = html(&table());
        assert!(!text.contains("http://") && !text.contains("https://"));
        assert!(!text.contains("src="));
        assert!(text.contains("plugin-&lt;jwt&gt;"), "{text}");
        assert_eq!(text.matches("<tr>").count(), 3);
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(Format::of(Path::new("x.md")), Some(Format::Markdown));
        assert_eq!(Format::of(Path::new("out/x.json")), Some(Format::Json));
        assert_eq!(Format::of(Path::new("x.html")), Some(Format::Html));
        assert_eq!(Format::of(Path::new("x.txt")), None);
        assert_eq!(Format::of(Path::new("x")), None);
    }
}
