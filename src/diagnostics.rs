//! Problems found in a site, each pinned to file:line:col with a fix hint.
//!
//! Every stage pushes into a [`Diagnostics`] list instead of returning early, so
//! one run reports every problem. The plain one-line form is what tests assert
//! and what `--format json` (later) builds on; the pretty form uses
//! codespan-reporting to show the offending source line.

use std::fmt;
use std::ops::Range;
use std::path::Path;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::Buffer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A position in a source file: byte span plus the 1-based line and column
/// (in characters) of its start.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub span: Range<usize>,
    pub line: usize,
    pub col: usize,
}

impl Location {
    /// Resolves a byte span of `source` to line and column.
    pub fn of(source: &str, span: Range<usize>) -> Location {
        let start = span.start.min(source.len());
        let before = &source[..floor_char_boundary(source, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Location { span, line, col }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the site root, with `/` separators.
    pub file: String,
    pub location: Option<Location>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, file: file.into(), location, message: message.into(), hint: None }
    }

    pub fn warning(file: impl Into<String>, location: Option<Location>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(file, location, message) }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:col`, or just `file` when there is no position.
    pub fn position(&self) -> String {
        match &self.location {
            Some(loc) => format!("{}:{}:{}", self.file, loc.line, loc.col),
            None => self.file.clone(),
        }
    }
}

/// The stable plain form: `error: path:line:col: message` and, when there is
/// one, an indented `hint:` line.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.severity, self.position(), self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// An ordered collection of diagnostics from every stage.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Sorts by file, then position, so output does not depend on the order
    /// parallel stages finished in.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            let pos = |d: &Diagnostic| d.location.as_ref().map_or((0, 0), |l| (l.line, l.col));
            (&a.file, pos(a), a.severity, &a.message).cmp(&(&b.file, pos(b), b.severity, &b.message))
        });
    }

    /// All diagnostics in the plain form, one block per problem.
    /// The stable JSON form of `zhiku check --format json`.
    pub fn to_json(&self) -> String {
        let problems: Vec<serde_json::Value> = self
            .items
            .iter()
            .map(|d| {
                serde_json::json!({
                    "severity": d.severity.to_string(),
                    "file": d.file,
                    "line": d.location.as_ref().map(|l| l.line),
                    "column": d.location.as_ref().map(|l| l.col),
                    "message": d.message,
                    "hint": d.hint,
                })
            })
            .collect();
        let value = serde_json::json!({
            "errors": self.error_count(),
            "warnings": self.warning_count(),
            "problems": problems,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }

    pub fn to_plain(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&d.to_string());
            out.push('\n');
        }
        out
    }

    /// Renders with source excerpts (read from `root`) for a terminal.
    pub fn to_pretty(&self, root: &Path, color: bool) -> String {
        let mut buffer = if color { Buffer::ansi() } else { Buffer::no_color() };
        let config = term::Config::default();
        for d in &self.items {
            let source = std::fs::read_to_string(root.join(&d.file)).unwrap_or_default();
            let file = SimpleFile::new(d.file.as_str(), source.as_str());
            let located = d.location.as_ref().filter(|loc| !source.is_empty() && loc.span.end <= source.len());
            // Without a source excerpt codespan prints no file name, so the
            // message carries it.
            let message = match located {
                Some(_) => d.message.clone(),
                None => format!("{}: {}", d.position(), d.message),
            };
            let mut cs = match d.severity {
                Severity::Error => CsDiagnostic::error(),
                Severity::Warning => CsDiagnostic::warning(),
            }
            .with_message(message);
            if let Some(loc) = located {
                cs = cs.with_labels(vec![Label::primary((), loc.span.clone())]);
            }
            if let Some(hint) = &d.hint {
                cs = cs.with_notes(vec![format!("hint: {hint}")]);
            }
            // Writing into an in-memory buffer cannot fail.
            let _ = term::emit(&mut buffer, &config, &file, &cs);
        }
        String::from_utf8_lossy(buffer.as_slice()).into_owned()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// "did you mean" for a misspelt name: the closest candidate by edit
/// distance, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(distance, c)| *distance <= (c.chars().count() / 3).max(2))
        .min_by_key(|(distance, c)| (*distance, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_characters_not_bytes() {
        let src = "a\n标题 = x";
        let loc = Location::of(src, 9..10);
        assert_eq!((loc.line, loc.col), (2, 4));
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = ["question", "variants", "category"];
        assert_eq!(did_you_mean("questoin", keys), Some("question"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
