//! The HTML load report: one self-contained page, inline CSS and SVG only, so it
//! shows the same offline, from a CI artifact or behind a strict CSP. It loads
//! nothing: no script, no font, no stylesheet, and the inline SVG carries no
//! `xmlns` URL (HTML parses `<svg>` without it). Every string from the scenario,
//! the target or a failure is escaped.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::baseline::{self, Comparison};
use super::summary::{Histogram, LoadSummary, Phase, micros};
use super::table::{HEADINGS, cells, headline, open_lines, rows};
use crate::report::html::escape;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 10.0;
/// Points drawn per line at most; longer series are thinned (req/s averaged,
/// latency the worst of each slot), so a day-long run stays a small file.
const SLOTS: usize = 1200;
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}\
table{border-collapse:collapse;margin:.5rem 0}\
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}\
td:first-child,th:first-child{text-align:left}\
dt{font-weight:600}dd{margin:0 0 .3rem 1rem}\
svg{display:block;margin:.5rem 0}svg text{font-size:11px;fill:#444}\
.legend span{margin-right:1rem}.fail{color:#b00}";

/// One line of a chart: (x, y) points in data units.
struct Line {
    label: String,
    color: &'static str,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

pub fn write_html(
    summary: &LoadSummary,
    baseline: Option<&Comparison>,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut page = String::new();
    let title = escape(&summary.scenario);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Load: {title}</title>\n<style>{STYLE}</style>\n</head><body>\n\
         <h1>Load: {title}</h1>\n<p>{}</p>\n",
        escape(&headline(summary))
    );
    for line in open_lines(summary) {
        let _ = writeln!(page, "<p>{}</p>", escape(&line));
    }
    about(summary, &mut page);
    percentiles(summary, &mut page);
    if let Some(comparison) = baseline {
        against_baseline(comparison, &mut page);
    }
    thresholds(summary, &mut page);
    over_time(summary, &mut page);
    histogram(summary, &mut page);
    failures(summary, &mut page);
    page.push_str("</body></html>\n");
    out.write_all(page.as_bytes())
}

fn about(summary: &LoadSummary, page: &mut String) {
    let run = &summary.run;
    let version = if run.tollgate_version.is_empty() {
        "unknown (a summary from before tollgate recorded it)"
    } else {
        &run.tollgate_version
    };
    let _ = write!(
        page,
        "<dl>\n<dt>Scenario</dt><dd>{} ({})</dd>\n<dt>Target</dt><dd>{}</dd>\n\
         <dt>tollgate</dt><dd>{}</dd>\n",
        escape(&summary.scenario),
        escape(&run.scenario_file),
        escape(&summary.target),
        escape(version)
    );
    page.push_str("<dt>Options</dt><dd>");
    if run.options.is_empty() {
        page.push_str("not recorded");
    }
    for (name, value) in &run.options {
        let _ = write!(page, "<code>{}: {}</code> ", escape(name), escape(value));
    }
    page.push_str("</dd>\n</dl>\n");
}

fn percentiles(summary: &LoadSummary, page: &mut String) {
    page.push_str("<h2>Percentiles</h2>\n<table>\n<tr>");
    for heading in HEADINGS {
        let _ = write!(page, "<th>{heading}</th>");
    }
    page.push_str("<th>mean</th></tr>\n");
    for row in rows(summary) {
        page.push_str("<tr>");
        for cell in cells(&row) {
            let _ = write!(page, "<td>{}</td>", escape(&cell));
        }
        let _ = writeln!(page, "<td>{}</td></tr>", micros(row.mean_us));
    }
    page.push_str("</table>\n");
}

fn against_baseline(comparison: &Comparison, page: &mut String) {
    let _ = write!(
        page,
        "<h2>Baseline</h2>\n<p>{}</p>\n<table>\n<tr>",
        escape(&baseline::headline(comparison))
    );
    for heading in baseline::HEADINGS {
        let _ = write!(page, "<th>{heading}</th>");
    }
    page.push_str("</tr>\n");
    for step in &comparison.steps {
        page.push_str("<tr>");
        for cell in baseline::cells(step) {
            let _ = write!(page, "<td>{}</td>", escape(&cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
    if !comparison.notes.is_empty() {
        page.push_str("<ul>\n");
        for note in &comparison.notes {
            let _ = writeln!(page, "<li>{}</li>", escape(note));
        }
        page.push_str("</ul>\n");
    }
}

fn thresholds(summary: &LoadSummary, page: &mut String) {
    if summary.thresholds.is_empty() {
        return;
    }
    page.push_str("<h2>Thresholds</h2>\n<ul>\n");
    for t in &summary.thresholds {
        let result = if t.passed {
            "pass"
        } else {
            "<span class=\"fail\">FAIL</span>"
        };
        let _ = writeln!(
            page,
            "<li><code>{}</code>: {result} (observed {})</li>",
            escape(&t.rule),
            escape(&t.observed)
        );
    }
    page.push_str("</ul>\n");
}

fn over_time(summary: &LoadSummary, page: &mut String) {
    let last_second = summary
        .steps
        .iter()
        .filter_map(|s| s.series.last().map(|p| p.second))
        .max()
        .unwrap_or(0);
    if last_second == 0 {
        page.push_str(
            "<p>No time series: this summary was written before tollgate kept one.</p>\n",
        );
        return;
    }
    let mut latency = Vec::new();
    let mut rate = Vec::new();
    let mut errors = vec![0.0; last_second as usize + 1];
    let shown = summary.steps.iter().filter(|s| s.phase == Phase::Iteration);
    for (step, color) in shown.zip(COLORS.iter().cycle()) {
        let p50 = step.series.iter().map(|p| (p.second, p.p50_us as f64));
        let p99 = step.series.iter().map(|p| (p.second, p.p99_us as f64));
        latency.push(line(
            format!("{} p50", step.name),
            color,
            false,
            thin_max(p50),
        ));
        latency.push(line(
            format!("{} p99", step.name),
            color,
            true,
            thin_max(p99),
        ));
        let mut per_second = vec![0.0; last_second as usize + 1];
        for point in &step.series {
            per_second[point.second as usize] = point.requests as f64;
            errors[point.second as usize] += point.errors as f64;
        }
        rate.push(line(
            format!("{} req/s", step.name),
            color,
            false,
            thin_mean(&per_second),
        ));
    }
    if errors.iter().any(|e| *e > 0.0) {
        rate.push(line(
            "errors/s (all steps)".into(),
            "#b00",
            true,
            thin_mean(&errors),
        ));
    }
    page.push_str("<h2>Latency over time</h2>\n");
    chart(page, &latency, last_second as f64, &|v| micros(v as u64));
    page.push_str("<h2>Requests per second</h2>\n");
    chart(page, &rate, last_second as f64, &|v| format!("{v:.0}"));
}

fn line(label: String, color: &'static str, dashed: bool, points: Vec<(f64, f64)>) -> Line {
    Line {
        label,
        color,
        dashed,
        points,
    }
}

/// At most [`SLOTS`] points, each the worst (highest) of its slot.
fn thin_max(points: impl Iterator<Item = (u32, f64)>) -> Vec<(f64, f64)> {
    let points: Vec<(f64, f64)> = points.map(|(x, y)| (f64::from(x), y)).collect();
    let per_slot = points.len().div_ceil(SLOTS).max(1);
    points
        .chunks(per_slot)
        .filter_map(|chunk| {
            let x = chunk.last()?.0;
            let y = chunk.iter().map(|p| p.1).fold(0.0, f64::max);
            Some((x, y))
        })
        .collect()
}

/// One value per second from 1 on, averaged into at most [`SLOTS`] points.
fn thin_mean(per_second: &[f64]) -> Vec<(f64, f64)> {
    let values = per_second.get(1..).unwrap_or_default();
    let per_slot = values.len().div_ceil(SLOTS).max(1);
    values
        .chunks(per_slot)
        .enumerate()
        .map(|(slot, chunk)| {
            let x = (slot * per_slot + chunk.len()) as f64;
            (x, chunk.iter().sum::<f64>() / chunk.len() as f64)
        })
        .collect()
}

/// A line chart of `lines` over seconds 0..=`last_second`, y from 0.
fn chart(page: &mut String, lines: &[Line], last_second: f64, label: &dyn Fn(f64) -> String) {
    let top = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(1.0, f64::max)
        * 1.05;
    let (plot_w, plot_h) = (WIDTH - LEFT - 10.0, HEIGHT - TOP - BOTTOM);
    let x_of = |x: f64| LEFT + x / last_second.max(1.0) * plot_w;
    let y_of = |y: f64| TOP + plot_h - y / top * plot_h;
    let _ = writeln!(
        page,
        "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\">"
    );
    axes(page, top, last_second, label, &x_of, &y_of);
    for l in lines {
        let points: Vec<String> = l
            .points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", x_of(*x), y_of(*y)))
            .collect();
        let dash = if l.dashed {
            " stroke-dasharray=\"5,3\""
        } else {
            ""
        };
        let _ = writeln!(
            page,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{dash} points=\"{}\"><title>{}</title></polyline>",
            l.color,
            points.join(" "),
            escape(&l.label)
        );
    }
    page.push_str("</svg>\n<p class=\"legend\">");
    for l in lines {
        let style = if l.dashed { "dashed" } else { "solid" };
        let _ = write!(
            page,
            "<span style=\"color:{}\">{} ({style})</span>",
            l.color,
            escape(&l.label)
        );
    }
    page.push_str("</p>\n");
}

fn axes(
    page: &mut String,
    top: f64,
    last_second: f64,
    label: &dyn Fn(f64) -> String,
    x_of: &dyn Fn(f64) -> f64,
    y_of: &dyn Fn(f64) -> f64,
) {
    let (x0, y0) = (x_of(0.0), y_of(0.0));
    let _ = writeln!(
        page,
        "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{:.1}\" y2=\"{y0}\" stroke=\"#888\"/>\
         <line x1=\"{x0}\" y1=\"{TOP}\" x2=\"{x0}\" y2=\"{y0}\" stroke=\"#888\"/>",
        x_of(last_second.max(1.0))
    );
    for tick in 0..=4 {
        let value = top * f64::from(tick) / 4.0;
        let y = y_of(value);
        let _ = writeln!(
            page,
            "<line x1=\"{x0}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x_of(last_second.max(1.0)),
            x0 - 4.0,
            y + 4.0,
            escape(&label(value))
        );
        let second = (last_second * f64::from(tick) / 4.0).round();
        let _ = writeln!(
            page,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{second}s</text>",
            x_of(second),
            y0 + 16.0
        );
    }
}

/// Bars of the whole run's latencies on buckets that double from 1 µs.
fn histogram(summary: &LoadSummary, page: &mut String) {
    let mut all = Histogram::default();
    for step in &summary.steps {
        all.add(&step.latency);
    }
    let Some(hdr) = all.as_hdr().filter(|h| !h.is_empty()) else {
        return;
    };
    let buckets: Vec<(u64, u64)> = hdr
        .iter_log(1, 2.0)
        .map(|v| (v.value_iterated_to(), v.count_since_last_iteration()))
        .skip_while(|(_, count)| *count == 0)
        .collect();
    let most = buckets.iter().map(|b| b.1).max().unwrap_or(1).max(1) as f64;
    let (plot_w, plot_h) = (WIDTH - LEFT - 10.0, HEIGHT - TOP - BOTTOM);
    let bar_w = plot_w / buckets.len().max(1) as f64;
    page.push_str("<h2>Latency histogram</h2>\n");
    let _ = writeln!(
        page,
        "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\">"
    );
    let y0 = TOP + plot_h;
    let _ = writeln!(
        page,
        "<line x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{:.1}\" y2=\"{y0}\" stroke=\"#888\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{most}</text>",
        LEFT + plot_w,
        LEFT - 4.0,
        TOP + 8.0
    );
    for (i, (upto, count)) in buckets.iter().enumerate() {
        let h = *count as f64 / most * plot_h;
        let x = LEFT + i as f64 * bar_w;
        let _ = writeln!(
            page,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#1f77b4\">\
             <title>≤ {}: {count}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y0 - h,
            (bar_w - 2.0).max(1.0),
            micros(*upto),
            x + bar_w / 2.0,
            y0 + 16.0,
            micros(*upto)
        );
    }
    page.push_str(
        "</svg>\n<p>Requests per latency bucket (each bucket up to twice the one before).</p>\n",
    );
}

fn failures(summary: &LoadSummary, page: &mut String) {
    let failing: Vec<_> = summary
        .steps
        .iter()
        .filter(|s| !s.checks.is_empty() || !s.reasons.is_empty())
        .collect();
    if failing.is_empty() {
        if summary.failures() > 0 {
            page.push_str("<h2>Errors</h2>\n<p>Failures were counted, but this summary holds no reasons.</p>\n");
        }
        return;
    }
    page.push_str("<h2>Failed checks</h2>\n<table>\n<tr><th>step</th><th>check</th><th>failed</th><th>of</th></tr>\n");
    for step in &failing {
        for check in &step.checks {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&step.name),
                escape(&check.check),
                check.count,
                step.requests
            );
        }
    }
    page.push_str(
        "</table>\n<h2>Errors</h2>\n<table>\n<tr><th>step</th><th>reason</th><th>count</th></tr>\n",
    );
    for step in &failing {
        for reason in &step.reasons {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&step.name),
                escape(&reason.reason),
                reason.count
            );
        }
    }
    page.push_str("</table>\n");
}
