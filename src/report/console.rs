//! The console reporter: one line per scenario as it finishes, the details of
//! what went wrong under it, and a summary that ends with the counts.
//!
//! Colour is decided once by the caller ([`color_wanted`]) and passed in, so tests
//! render the plain text deterministically.

use std::ffi::OsStr;
use std::io::{self, IsTerminal, Write};

use owo_colors::{OwoColorize, Style};

use super::model::{Level, Outcome, RunReport, ScenarioReport};
use super::{counts_line, format_duration, indent};

/// Whether stdout should get colour: not when `NO_COLOR` is set and non-empty
/// (<https://no-color.org>), not when stdout is a file or a pipe.
pub fn color_wanted() -> bool {
    color_wanted_from(
        std::env::var_os("NO_COLOR").as_deref(),
        io::stdout().is_terminal(),
    )
}

/// [`color_wanted`] without the environment, so the rule is testable.
fn color_wanted_from(no_color: Option<&OsStr>, is_terminal: bool) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Prints scenario results and the run summary.
#[derive(Clone, Copy, Debug)]
pub struct Console {
    color: bool,
    /// `--verbose`: every check of every step, passed or not.
    verbose: bool,
}

impl Console {
    pub fn new(color: bool) -> Self {
        Console {
            color,
            verbose: false,
        }
    }

    /// With `--verbose`: every step of every scenario with each check it made,
    /// held or missed, instead of only what went wrong.
    pub fn verbose(self, verbose: bool) -> Self {
        Console { verbose, ..self }
    }

    fn paint(&self, text: &str, style: Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_owned()
        }
    }

    fn tag(&self, outcome: Outcome) -> String {
        // Padded before painting so the columns line up with and without colour.
        let tag = format!("{:<5}", outcome.tag());
        let style = match outcome {
            Outcome::Pass => Style::new().green().bold(),
            Outcome::Warn | Outcome::Skip => Style::new().yellow().bold(),
            Outcome::Fail => Style::new().red().bold(),
            Outcome::Error => Style::new().magenta().bold(),
        };
        self.paint(&tag, style)
    }

    fn location(&self, loc: &impl std::fmt::Display) -> String {
        self.paint(&format!("--> {loc}"), Style::new().dimmed())
    }

    /// One line for a finished scenario, then each step that failed, errored or
    /// missed a `should`, with its failures (check, expected, actual, where the
    /// expectation is written), its error and its warnings; for a skip, the reason.
    pub fn scenario_finished(
        &self,
        out: &mut impl Write,
        scenario: &ScenarioReport,
    ) -> io::Result<()> {
        writeln!(
            out,
            "{} {} — {} ({})",
            self.tag(scenario.outcome),
            self.paint(&scenario.id, Style::new().bold()),
            scenario.title,
            format_duration(scenario.duration_ms)
        )?;
        if let (Outcome::Skip, Some(reason)) = (scenario.outcome, &scenario.skip_reason) {
            writeln!(out, "      reason: {reason}")?;
        }
        if self.verbose {
            return self.every_check(out, scenario);
        }
        for step in &scenario.steps {
            let problem = step.outcome().is_problem();
            if !problem && step.warnings.is_empty() {
                continue;
            }
            let (word, style) = if problem {
                (step.outcome().as_str(), Style::new().red())
            } else {
                ("passed with warnings", Style::new().yellow())
            };
            writeln!(
                out,
                "      step `{}` {} {}",
                self.paint(&step.name, Style::new().bold()),
                self.paint(word, style),
                self.location(&step.source)
            )?;
            self.misses(out, step.failures(), None)?;
            if let Some(error) = step.error() {
                let label = self.paint("error:", Style::new().magenta().bold());
                writeln!(out, "{}", indent(&format!("{label} {error}"), "        "))?;
            }
            let label = self.paint("warning:", Style::new().yellow().bold());
            self.misses(out, &step.warnings, Some(&label))?;
        }
        Ok(())
    }

    /// `--verbose`: each step, then each check it made (`ok`, `MISS` for a
    /// must, `warn` for a should) with expected, actual and where it is written,
    /// and the step's error or skip reason.
    fn every_check(&self, out: &mut impl Write, scenario: &ScenarioReport) -> io::Result<()> {
        for step in &scenario.steps {
            writeln!(
                out,
                "      step `{}` {} {}",
                self.paint(&step.name, Style::new().bold()),
                step.outcome().words(),
                self.location(&step.source)
            )?;
            for check in &step.checks {
                let (mark, style) = match (check.passed, check.level) {
                    (true, _) => ("ok  ", Style::new().green()),
                    (false, Level::Must) => ("MISS", Style::new().red().bold()),
                    (false, Level::Should) => ("warn", Style::new().yellow().bold()),
                };
                let should = if check.level == Level::Should {
                    "should "
                } else {
                    ""
                };
                writeln!(
                    out,
                    "        {} {should}{}: expected {}, actual {} {}",
                    self.paint(mark, style),
                    check.check,
                    one_line(&check.expected),
                    one_line(&check.actual),
                    self.location(&check.source)
                )?;
            }
            if let Some(error) = step.error() {
                let label = self.paint("error:", Style::new().magenta().bold());
                writeln!(out, "{}", indent(&format!("{label} {error}"), "        "))?;
            }
            if let Some(reason) = step.skip_reason() {
                writeln!(out, "        skipped: {reason}")?;
            }
        }
        Ok(())
    }

    /// Each miss: check, expected, actual, and where the expectation is written;
    /// `label` before the check (`warning:` for a missed `should`).
    fn misses(
        &self,
        out: &mut impl Write,
        misses: &[super::model::Failure],
        label: Option<&str>,
    ) -> io::Result<()> {
        let label = label.map(|l| format!("{l} ")).unwrap_or_default();
        for failure in misses {
            let expected = self.paint(&failure.expected, Style::new().green());
            let actual = self.paint(&failure.actual, Style::new().red());
            let single = |v: &str| !v.contains('\n');
            if single(&failure.expected) && single(&failure.actual) {
                writeln!(
                    out,
                    "        {label}{}: expected {expected}, actual {actual}",
                    failure.check
                )?;
            } else {
                writeln!(out, "        {label}{}:", failure.check)?;
                writeln!(
                    out,
                    "          expected:\n{}",
                    indent(&expected, "            ")
                )?;
                writeln!(
                    out,
                    "          actual:\n{}",
                    indent(&actual, "            ")
                )?;
            }
            writeln!(out, "          {}", self.location(&failure.source))?;
        }
        Ok(())
    }

    /// The run summary: the scenarios that need attention, the target, and last
    /// the counts with the wall time, so `tail -1` of a CI log says it all.
    pub fn summary(&self, out: &mut impl Write, report: &RunReport) -> io::Result<()> {
        // Scenarios that passed with warnings are listed too: under `--strict`
        // they fail the run.
        let problems: Vec<_> = report
            .scenarios
            .iter()
            .filter(|s| s.outcome.is_problem() || s.outcome == Outcome::Warn)
            .collect();
        writeln!(out)?;
        if !problems.is_empty() {
            writeln!(
                out,
                "{}",
                self.paint("Needs attention:", Style::new().bold())
            )?;
            for scenario in problems {
                writeln!(
                    out,
                    "  {} {} {}",
                    self.tag(scenario.outcome),
                    scenario.id,
                    self.location(&scenario.source)
                )?;
            }
            writeln!(out)?;
        }
        let version = report
            .certification
            .confluence_version
            .as_deref()
            .map(|v| format!(", Confluence {v}"))
            .unwrap_or_default();
        writeln!(
            out,
            "target: {}{version}, tollgate {}, verdict: {}; {}",
            report.target,
            report.tool_version,
            report.certification.verdict,
            report.facts.summary()
        )?;
        let line = counts_line(&report.counts, report.duration_ms);
        let style = match report.outcome() {
            Outcome::Pass | Outcome::Skip => Style::new().green().bold(),
            Outcome::Warn => Style::new().yellow().bold(),
            Outcome::Fail | Outcome::Error => Style::new().red().bold(),
        };
        writeln!(out, "{}", self.paint(&line, style))
    }
}

/// A value on the line of its check: newlines shown as `⏎`.
fn one_line(text: &str) -> String {
    text.replace("\r\n", "⏎").replace(['\n', '\r'], "⏎")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::redact::normalize_for_snapshot;
    use crate::report::sample;

    fn render(color: bool) -> String {
        let report = sample::report();
        let console = Console::new(color);
        let mut out = Vec::new();
        for scenario in &report.scenarios {
            console.scenario_finished(&mut out, scenario).unwrap();
        }
        console.summary(&mut out, &report).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn summary_ends_with_counts_and_wall_time() {
        let text = render(false);
        assert_eq!(
            text.lines().last(),
            Some("5 scenarios: 1 passed, 1 with warnings, 1 failed, 1 error, 1 skipped in 1.84s")
        );
        assert!(text.contains("WARN  BASIC-003"));
        assert!(text.contains("step `wrong password` passed with warnings"));
        assert!(text.contains(
            "warning: header content-type: expected matching /^text/html/, actual application/json"
        ));
        assert!(text.contains("--> scenarios/basic/wrong-password.yaml:17:25"));
        assert!(!text.contains('\x1b'), "no colour asked, none given");
        assert!(text.contains("FAIL  session/logout-invalidates — Logout"));
        assert!(text.contains("status: expected 401, actual 200"));
        assert!(text.contains("--> scenarios/session/logout-invalidates.yaml:24:17"));
        assert!(text.contains("reason: needs a Crowd server: pass --idp"));
    }

    #[test]
    fn colour_only_when_asked() {
        let text = render(true);
        assert!(text.contains("\x1b["), "colour asked, none given");
        // Same words under the paint.
        let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&text, "");
        assert_eq!(stripped, render(false));
    }

    #[test]
    fn color_rule_follows_no_color_and_tty() {
        assert!(color_wanted_from(None, true));
        assert!(color_wanted_from(Some(OsStr::new("")), true));
        assert!(!color_wanted_from(Some(OsStr::new("1")), true));
        assert!(!color_wanted_from(None, false));
    }

    #[test]
    fn verbose_shows_every_check_of_every_step_passed_or_not() {
        let report = sample::report();
        let console = Console::new(false).verbose(true);
        let mut out = Vec::new();
        for scenario in &report.scenarios {
            console.scenario_finished(&mut out, scenario).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        // A passing step's checks, with what was expected and what came.
        assert!(text.contains("step `get current user` passed"), "{text}");
        assert!(
            text.contains(
                "ok   json $.username: expected equal to 'admin', actual \"admin\" \
             --> scenarios/basic/valid-credentials.yaml:11:21"
            ),
            "{text}"
        );
        assert!(
            text.contains("ok   status: expected 302, actual 302"),
            "{text}"
        );
        assert!(
            text.contains("MISS status: expected 401, actual 200"),
            "{text}"
        );
        assert!(text.contains("warn should header content-type: expected matching /^text/html/"));
        assert!(text.contains("skipped: not run") || !text.contains("skipped:"));
        sample::assert_no_canary(&text);
        // Without --verbose a passing step stays one line.
        assert!(!render(false).contains("step `get current user`"));
    }

    #[test]
    fn console_snapshot() {
        insta::assert_snapshot!("console", normalize_for_snapshot(&render(false)));
    }
}
