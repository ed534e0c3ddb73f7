//! How a command ended, and the one mapping from that to the process's exit code
//! (README's exit table): 0 passed, 1 failed or could not be carried out, 2 a
//! usage or scenario-file error (nothing was sent), 3 a report that could not be
//! written.

use std::io::Write;

use crate::load::LoadError;
use crate::report::redact::Redactor;
use crate::scenario::Diagnostic;
use crate::scenario::profile::RequiredVar;

pub const EXIT_PASS: u8 = 0;
pub const EXIT_FAIL: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
/// A CI job must not take a run whose evidence is missing for a failing target
/// (1) or a passing one (0): the run may have passed, its report is not there.
pub const EXIT_REPORT: u8 = 3;

/// A command that ran to its end: did what it judged hold? Ordered from best to
/// worst, so two outcomes combine to their `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CommandOutcome {
    Passed,
    /// A scenario failed or errored, a threshold was breached, or a fault went
    /// uncaught (each said on stdout or stderr already).
    Failed,
    /// A report could not be written (its path said on stderr already). Worse
    /// than a failure: without its report a run proves nothing either way.
    ReportNotWritten,
}

impl CommandOutcome {
    pub fn passed_if(passed: bool) -> Self {
        if passed {
            CommandOutcome::Passed
        } else {
            CommandOutcome::Failed
        }
    }

    /// The worse of the two.
    pub fn and(self, other: CommandOutcome) -> Self {
        self.max(other)
    }
}

/// Says on stderr which report could not be written and why; the outcome that
/// gives the report's own exit code.
pub fn report_not_written(path: &std::path::Path, error: impl std::fmt::Display) -> CommandOutcome {
    // Nothing is left to tell if stderr is gone; the exit code still says it.
    let _ = writeln!(
        std::io::stderr().lock(),
        "error: cannot write {}: {error}",
        path.display()
    );
    CommandOutcome::ReportNotWritten
}

/// Why a command stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A bad argument or an unusable input: nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// Scenario, profile or mock-config files that do not load: nothing was sent.
    #[error("{}", diagnostics_text(.0))]
    Diagnostics(Vec<Diagnostic>),
    /// A profile run against a real target without the vars it needs.
    #[error("{}", missing_vars_text(profile, vars))]
    MissingVars {
        profile: String,
        vars: Vec<RequiredVar>,
    },
    /// `--target` or `--idp` that is not an http(s) URL.
    #[error("{flag} '{}' is not an http(s) URL such as https://confluence.example.com", Redactor::new().url(.text))]
    NotAnHttpUrl { flag: &'static str, text: String },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The run was set up but could not be carried out (goose stopped it).
    #[error("{0}")]
    Run(String),
    /// The run ended and a report could not be written; the message names it.
    #[error("{0}")]
    ReportNotWritten(String),
}

impl CommandError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Run(_) => EXIT_FAIL,
            CommandError::ReportNotWritten(_) => EXIT_REPORT,
            CommandError::Usage(_)
            | CommandError::Diagnostics(_)
            | CommandError::MissingVars { .. }
            | CommandError::NotAnHttpUrl { .. }
            | CommandError::Runtime(_) => EXIT_USAGE,
        }
    }

    /// The message on stderr: diagnostics speak for themselves (rustc-style),
    /// everything else after `error: `.
    pub fn print(&self, err: &mut impl Write) -> std::io::Result<()> {
        match self {
            CommandError::Diagnostics(_) => writeln!(err, "{self}"),
            _ => writeln!(err, "error: {self}"),
        }
    }
}

impl From<LoadError> for CommandError {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Usage(message) => CommandError::Usage(message),
            LoadError::Run(message) => CommandError::Run(message),
            LoadError::Report(message) => CommandError::ReportNotWritten(message),
        }
    }
}

/// The exit code of a command's result; the only place one is chosen.
pub fn exit_code(result: &Result<CommandOutcome, CommandError>) -> u8 {
    match result {
        Ok(CommandOutcome::Passed) => EXIT_PASS,
        Ok(CommandOutcome::Failed) => EXIT_FAIL,
        Ok(CommandOutcome::ReportNotWritten) => EXIT_REPORT,
        Err(error) => error.exit_code(),
    }
}

fn diagnostics_text(diagnostics: &[Diagnostic]) -> String {
    let files: std::collections::BTreeSet<_> = diagnostics.iter().map(|d| &d.file).collect();
    let mut text = String::new();
    for diagnostic in diagnostics {
        text.push_str(&format!("{diagnostic}\n"));
    }
    text.push_str(&format!(
        "{} error(s) in {} file(s); nothing was sent",
        diagnostics.len(),
        files.len()
    ));
    text
}

fn missing_vars_text(profile: &str, vars: &[RequiredVar]) -> String {
    let mut text = format!(
        "profile '{profile}' needs {} var(s) that were not given:",
        vars.len()
    );
    for var in vars {
        text.push_str(&format!("\n  {}: {}", var.spelling(), var.description));
    }
    text.push_str("\nnothing was sent");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_result_has_its_documented_exit_code() {
        let usage = || CommandError::Usage("bad".into());
        let cases: [(Result<CommandOutcome, CommandError>, u8); 8] = [
            (Ok(CommandOutcome::Passed), 0),
            (Ok(CommandOutcome::Failed), 1),
            (Ok(CommandOutcome::ReportNotWritten), 3),
            (Err(CommandError::Run("goose stopped".into())), 1),
            (Err(usage()), 2),
            (Err(CommandError::Diagnostics(Vec::new())), 2),
            (
                Err(CommandError::NotAnHttpUrl {
                    flag: "--target",
                    text: "x".into(),
                }),
                2,
            ),
            (Err(CommandError::Runtime(std::io::Error::other("no"))), 2),
        ];
        for (result, code) in cases {
            assert_eq!(exit_code(&result), code, "{result:?}");
        }
    }

    #[test]
    fn a_load_error_keeps_its_exit_code() {
        let usage: CommandError = LoadError::Usage("refused".into()).into();
        let run: CommandError = LoadError::Run("stopped".into()).into();
        let report: CommandError = LoadError::Report("cannot write x.html".into()).into();
        assert_eq!(
            (usage.exit_code(), run.exit_code(), report.exit_code()),
            (2, 1, 3)
        );
    }

    #[test]
    fn outcomes_combine_to_the_worse() {
        use CommandOutcome::{Failed, Passed, ReportNotWritten};
        assert_eq!(Passed.and(Passed), Passed);
        assert_eq!(Passed.and(Failed), Failed);
        assert_eq!(Failed.and(Passed), Failed);
        assert_eq!(Failed.and(ReportNotWritten), ReportNotWritten);
        assert_eq!(ReportNotWritten.and(Passed), ReportNotWritten);
    }

    #[test]
    fn a_bad_url_is_shown_without_its_password() {
        let error = CommandError::NotAnHttpUrl {
            flag: "--target",
            text: "ftp://admin:Hunter2-secret@confluence.example.com".into(),
        };
        let text = error.to_string();
        assert!(!text.contains("Hunter2-secret"), "{text}");
        assert!(text.starts_with("--target 'ftp://admin:"), "{text}");
    }

    #[test]
    fn diagnostics_are_printed_without_a_second_error_prefix() {
        let mut out = Vec::new();
        CommandError::Diagnostics(Vec::new())
            .print(&mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 error(s) in 0 file(s); nothing was sent\n"
        );
        let mut out = Vec::new();
        CommandError::Usage("no scenario".into())
            .print(&mut out)
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "error: no scenario\n");
    }
}
