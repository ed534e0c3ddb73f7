//! Errors in scenario files, printed the way rustc prints them:
//!
//! ```text
//! error: unknown key 'expct', expected one of name, wait, request, burst, expect, capture
//!   --> scenarios/basic/x.yaml:7:5
//!    |
//!  7 |     expct:
//!    |     ^^^^^
//!    = help: did you mean 'expect'?
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use super::yaml::Pos;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// Absent when the error is about the whole file (it cannot be read, say).
    pub pos: Option<Pos>,
    pub message: String,
    pub help: Option<String>,
    /// The text of the line at `pos`, for the caret display.
    pub line_text: Option<String>,
}

impl Diagnostic {
    pub fn at(file: &Path, source: &str, pos: Pos, message: String, help: Option<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            pos: Some(pos),
            message,
            help,
            line_text: source
                .lines()
                .nth(pos.line.saturating_sub(1))
                .map(str::to_string),
        }
    }

    pub fn file(file: &Path, message: String) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            pos: None,
            message,
            help: None,
            line_text: None,
        }
    }

    /// `file:line:col`, or just the file.
    pub fn location(&self) -> String {
        match self.pos {
            Some(pos) => format!("{}:{}:{}", self.file.display(), pos.line, pos.col),
            None => self.file.display().to_string(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let (Some(pos), Some(line)) = (self.pos, &self.line_text) else {
            writeln!(f, "  --> {}", self.location())?;
            if let Some(help) = &self.help {
                writeln!(f, "  = help: {help}")?;
            }
            return Ok(());
        };
        let gutter = pos.line.to_string().len();
        let pad = " ".repeat(gutter);
        writeln!(f, "{pad}--> {}", self.location())?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{} | {line}", pos.line)?;
        let before: String = line
            .chars()
            .take(pos.col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = line
            .chars()
            .skip(pos.col.saturating_sub(1))
            .take_while(|c| !matches!(c, ' ' | ':' | ',' | '}' | ']' | '#'))
            .count()
            .max(1);
        writeln!(f, "{pad} | {before}{}", "^".repeat(width))?;
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}
