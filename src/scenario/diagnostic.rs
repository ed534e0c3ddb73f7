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

use aho_corasick::{AhoCorasick, MatchKind};

use super::yaml::Pos;

/// The most characters of a source line shown under a message: a 200 KB line
/// (one line of `- - - …`) would otherwise be printed whole.
const MAX_SHOWN_CHARS: usize = 120;
/// How much of the line before the column a clipped excerpt keeps.
const SHOWN_BEFORE: usize = 40;

/// The most diagnostics shown for one file: a file of 100,000 unknown keys
/// gets the first ones and a count, not 100,000 messages.
pub const MAX_PER_FILE: usize = 100;

/// A problem in a file before it is shown: where, what, and a hint.
pub type Problem = (Pos, String, Option<String>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// Absent when the error is about the whole file (it cannot be read, say).
    pub pos: Option<Pos>,
    pub message: String,
    pub help: Option<String>,
    /// The line at `pos`, for the caret display.
    pub line: Option<Excerpt>,
}

/// A source line as shown under a message: a long line is clipped around the
/// column (see `excerpt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    pub text: Box<str>,
    /// The 1-based column of the diagnostic within `text`.
    pub col: usize,
}

impl Diagnostic {
    pub fn at(file: &Path, source: &str, pos: Pos, message: String, help: Option<String>) -> Self {
        let line = source.lines().nth(pos.line.saturating_sub(1)).map(|line| {
            let (text, col) = excerpt(line, pos.col);
            Excerpt {
                text: text.into(),
                col,
            }
        });
        Diagnostic {
            file: file.to_path_buf(),
            pos: Some(pos),
            message,
            help,
            line,
        }
    }

    pub fn file(file: &Path, message: String) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            pos: None,
            message,
            help: None,
            line: None,
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
        let (Some(pos), Some(Excerpt { text: line, col })) = (self.pos, &self.line) else {
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
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = line
            .chars()
            .skip(col.saturating_sub(1))
            .take_while(|c| !matches!(c, ' ' | ':' | ',' | '}' | ']' | '#' | '…'))
            .count()
            .max(1);
        writeln!(f, "{pad} | {before}{}", "^".repeat(width))?;
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// `line` clipped to [`MAX_SHOWN_CHARS`] around the 1-based `col`, and the
/// column in the clipped text; `…` marks what was cut.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    // A character is at most 4 bytes: longer lines are never short enough.
    let short = line.len() <= MAX_SHOWN_CHARS
        || (line.len() <= 4 * MAX_SHOWN_CHARS && line.chars().count() <= MAX_SHOWN_CHARS);
    if short {
        return (line.to_string(), col);
    }
    let at = col.saturating_sub(1);
    let start = at.saturating_sub(SHOWN_BEFORE);
    // Only the characters up to the window's end are walked: a diagnostic on a
    // 1 MiB line costs its column, not the line.
    let mut rest = line.chars().skip(start);
    let mut shown: String = if start > 0 {
        "…".into()
    } else {
        String::new()
    };
    shown.extend(rest.by_ref().take(MAX_SHOWN_CHARS));
    if rest.next().is_some() {
        shown.push('…');
    }
    (shown, at - start + 1 + usize::from(start > 0))
}

/// The problems of one file as diagnostics: in order of position, duplicates
/// dropped, at most [`MAX_PER_FILE`] and then one saying how many more there are.
pub fn for_file(file: &Path, source: &str, mut problems: Vec<Problem>) -> Vec<Diagnostic> {
    problems.sort_by_key(|(pos, _, _)| *pos);
    problems.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let more = problems.len().saturating_sub(MAX_PER_FILE);
    let first_unshown = problems.get(MAX_PER_FILE).map(|(pos, _, _)| *pos);
    problems.truncate(MAX_PER_FILE);
    let mut shown: Vec<Diagnostic> = problems
        .into_iter()
        .map(|(pos, message, help)| Diagnostic::at(file, source, pos, message, help))
        .collect();
    if let Some(pos) = first_unshown {
        shown.push(Diagnostic::at(
            file,
            source,
            pos,
            format!("{more} more error(s) in this file from here on"),
            Some(format!(
                "only the first {MAX_PER_FILE} errors of a file are shown"
            )),
        ));
    }
    shown
}

/// Values put into the file from the environment (`${env:NAME}`), each with the
/// text it was written as. A message derived from substituted text (`'…' is not
/// a status`) shows what was written, never the value: the value may be a
/// password, and `check` output lands in CI logs.
#[derive(Default)]
pub struct EnvSubstitutions {
    /// (value put in, text as written), non-empty values only.
    pairs: Vec<(String, String)>,
}

impl EnvSubstitutions {
    /// Records that `written` became `value` (a whole scalar or one reference).
    pub fn add(&mut self, value: String, written: String) {
        if !value.is_empty() && value != written {
            self.pairs.push((value, written));
        }
    }

    /// Rewrites every message and help of `diagnostics` so no value shows.
    /// At each place the longest value wins, so a whole scalar (`Bearer s3cr3t`)
    /// becomes its written form (`Bearer ${env:TOKEN}`) in one piece.
    pub fn hide(&self, diagnostics: &mut [Diagnostic]) {
        if self.pairs.is_empty() {
            return;
        }
        let searcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(self.pairs.iter().map(|(value, _)| value));
        let written: Vec<&str> = self.pairs.iter().map(|(_, w)| w.as_str()).collect();
        let hide = |text: &str| match &searcher {
            Ok(searcher) => searcher.replace_all(text, &written),
            Err(_) => "a value from the environment is in this message, so it is hidden".into(),
        };
        for d in diagnostics {
            d.message = hide(&d.message);
            d.help = d.help.as_deref().map(hide);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_clipped_around_the_column() {
        let line = format!("x: {}a", "- ".repeat(10_000));
        let d = Diagnostic::at(
            Path::new("f.yaml"),
            &line,
            Pos {
                line: 1,
                col: 5_000,
            },
            "deep".into(),
            None,
        );
        let shown = d.to_string();
        assert!(shown.len() < 600, "{shown}");
        assert!(shown.contains("f.yaml:1:5000"), "{shown}");
        let caret_line = shown.lines().nth(4).unwrap();
        let text_line = shown.lines().nth(3).unwrap();
        let caret = caret_line.find('^').unwrap();
        assert_eq!(text_line[caret..].chars().next(), Some('-'), "{shown}");
    }

    #[test]
    fn short_lines_are_shown_whole() {
        assert_eq!(excerpt("a: b", 4), ("a: b".to_string(), 4));
        let (shown, col) = excerpt(&"x".repeat(500), 1);
        assert_eq!(col, 1);
        assert!(shown.ends_with('…') && shown.chars().count() == MAX_SHOWN_CHARS + 1);
        // A multi-byte line of few characters is shown whole.
        let accents = "é".repeat(100);
        assert_eq!(excerpt(&accents, 50), (accents.clone(), 50));
        let (shown, col) = excerpt(&"x".repeat(500), 500);
        assert_eq!(
            (shown.chars().count(), col),
            (SHOWN_BEFORE + 2, SHOWN_BEFORE + 2)
        );
    }

    #[test]
    fn environment_values_are_shown_as_written() {
        let mut hidden = EnvSubstitutions::default();
        hidden.add("Bearer canary-7f3a".into(), "Bearer ${env:TOKEN}".into());
        hidden.add("canary-7f3a".into(), "${env:TOKEN}".into());
        let mut diagnostics = vec![Diagnostic::at(
            Path::new("f.yaml"),
            "a: b",
            Pos { line: 1, col: 1 },
            "'Bearer canary-7f3a' is not valid; nor is 'canary-7f3a'".into(),
            Some("canary-7f3a?".into()),
        )];
        hidden.hide(&mut diagnostics);
        let shown = diagnostics[0].to_string();
        assert!(!shown.contains("canary"), "{shown}");
        assert_eq!(
            diagnostics[0].message,
            "'Bearer ${env:TOKEN}' is not valid; nor is '${env:TOKEN}'"
        );
    }
}
