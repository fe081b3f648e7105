//! Splitting a file into TOML front matter and body, and reading typed fields
//! out of the front matter with their source positions.
//!
//! The reader records every problem instead of failing on the first one, and
//! remembers which keys were read so that the rest can be reported as unknown
//! with a "did you mean" hint.

use std::collections::BTreeSet;
use std::ops::Range;

use jiff::civil::Date;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, Location, did_you_mean};

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub location: Location,
}

/// Front matter and body of a content file.
pub struct Split<'a> {
    /// TOML text between the `+++` lines.
    pub front_matter: &'a str,
    /// Byte offset of `front_matter` in the file.
    pub front_matter_offset: usize,
    pub body: &'a str,
}

pub fn split(source: &str) -> Result<Split<'_>, (Location, String, String)> {
    let source_no_bom = source.strip_prefix('\u{feff}').unwrap_or(source);
    let bom = source.len() - source_no_bom.len();
    let opening = source_no_bom
        .strip_prefix("+++\r\n")
        .map(|rest| (rest, 5))
        .or_else(|| source_no_bom.strip_prefix("+++\n").map(|rest| (rest, 4)));
    let Some((rest, opening_len)) = opening else {
        return Err((
            Location::of(source, 0..0),
            "the file does not start with TOML front matter".into(),
            "begin the file with a line `+++`, the metadata in TOML, and another line `+++`".into(),
        ));
    };
    let start = bom + opening_len;
    let mut line_start = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "+++" {
            return Ok(Split {
                front_matter: &rest[..line_start],
                front_matter_offset: start,
                body: &rest[line_start + line.len()..],
            });
        }
        line_start += line.len();
    }
    Err((
        Location::of(source, 0..3),
        "the front matter is never closed".into(),
        "add a line `+++` after the last metadata line".into(),
    ))
}

/// Reads typed fields from a parsed front-matter table.
pub struct FieldReader<'a> {
    file: &'a str,
    source: &'a str,
    offset: usize,
    table: DeTable<'a>,
    read: BTreeSet<&'static str>,
    /// Spans (in the front matter) of TOML syntax errors, so that a value
    /// the parser already complained about is not reported twice.
    syntax_errors: Vec<Range<usize>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> FieldReader<'a> {
    /// Parses `split.front_matter`; TOML syntax errors are all recorded.
    pub fn new(file: &'a str, source: &'a str, split: &Split<'a>) -> FieldReader<'a> {
        let (table, errors) = DeTable::parse_recoverable(split.front_matter);
        let mut reader = FieldReader {
            file,
            source,
            offset: split.front_matter_offset,
            table: table.into_inner(),
            read: BTreeSet::new(),
            syntax_errors: Vec::new(),
            diagnostics: Vec::new(),
        };
        for error in errors {
            let location = error.span().map(|span| reader.location(span));
            let hint = if error.message().contains("date") {
                "write dates as YYYY-MM-DD with a day that exists in the calendar, e.g. 2024-02-29"
            } else {
                "front matter is TOML: strings in double quotes, lists in [ ], dates as 2024-01-31"
            };
            reader
                .diagnostics
                .push(Diagnostic::error(file, location, format!("invalid TOML: {}", error.message())).with_hint(hint));
            reader.syntax_errors.extend(error.span());
        }
        reader
    }

    pub fn location(&self, span: Range<usize>) -> Location {
        Location::of(self.source, span.start + self.offset..span.end + self.offset)
    }

    pub fn error(&mut self, location: Option<Location>, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(self.file, location, message).with_hint(hint));
    }

    pub fn warning(&mut self, location: Option<Location>, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(self.file, location, message).with_hint(hint));
    }

    fn take(&mut self, key: &'static str) -> Option<(Location, DeValue<'a>)> {
        self.read.insert(key);
        let entry = self.table.get(key)?;
        let location = self.location(entry.span());
        Some((location, entry.get_ref().clone()))
    }

    fn type_error(&mut self, key: &str, location: Location, expected: &str, example: &str) {
        let span = location.span.start - self.offset..location.span.end - self.offset;
        if self
            .syntax_errors
            .iter()
            .any(|e| e.start < span.end.max(span.start + 1) && span.start < e.end.max(e.start + 1))
        {
            return;
        }
        self.error(Some(location), format!("`{key}` must be {expected}"), format!("write it as {key} = {example}"));
    }

    pub fn string(&mut self, key: &'static str) -> Option<Located<String>> {
        let (location, value) = self.take(key)?;
        match value {
            DeValue::String(s) => Some(Located { value: s.trim().to_string(), location }),
            _ => {
                self.type_error(key, location, "a string", "\"…\"");
                None
            }
        }
    }

    pub fn bool(&mut self, key: &'static str) -> Option<bool> {
        let (location, value) = self.take(key)?;
        match value {
            DeValue::Boolean(b) => Some(b),
            _ => {
                self.type_error(key, location, "true or false", "true");
                None
            }
        }
    }

    pub fn integer(&mut self, key: &'static str) -> Option<i64> {
        let (location, value) = self.take(key)?;
        let parsed = match &value {
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<i64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.type_error(key, location, "a whole number", "10");
        }
        parsed
    }

    /// A list of strings. A lone string is accepted too, since writing
    /// `issuers = "国务院"` for a single issuer is a natural slip.
    pub fn strings(&mut self, key: &'static str) -> Vec<Located<String>> {
        let Some((location, value)) = self.take(key) else { return Vec::new() };
        match value {
            DeValue::String(s) => vec![Located { value: s.trim().to_string(), location }],
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    let item_location = self.location(item.span());
                    match item.get_ref() {
                        DeValue::String(s) if s.trim().is_empty() => self.error(
                            Some(item_location),
                            format!("`{key}` has an empty item"),
                            "remove the empty \"\" or fill it in",
                        ),
                        DeValue::String(s) => {
                            out.push(Located { value: s.trim().to_string(), location: item_location })
                        }
                        _ => self.type_error(key, item_location, "a list of strings", "[\"…\", \"…\"]"),
                    }
                }
                out
            }
            _ => {
                self.type_error(key, location, "a list of strings", "[\"…\", \"…\"]");
                Vec::new()
            }
        }
    }

    /// A calendar date, written as a TOML date or a `YYYY-MM-DD` string.
    pub fn date(&mut self, key: &'static str) -> Option<Located<Date>> {
        let (location, value) = self.take(key)?;
        let text = match &value {
            DeValue::Datetime(dt) => match (dt.date, dt.time) {
                (Some(d), None) => Some(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)),
                (Some(d), Some(_)) => Some(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)),
                _ => None,
            },
            DeValue::String(s) => Some(s.trim().to_string()),
            _ => None,
        };
        match text.as_deref().map(parse_date) {
            Some(Ok(date)) => Some(Located { value: date, location }),
            Some(Err(reason)) => {
                self.error(
                    Some(location),
                    format!("`{key}` is not a valid date: {reason}"),
                    format!("write dates as YYYY-MM-DD, e.g. {key} = 2024-03-01"),
                );
                None
            }
            None => {
                self.type_error(key, location, "a date", "2024-03-01");
                None
            }
        }
    }

    /// A list of inline tables, e.g. `attachments = [{ title = "…", url = "…" }]`,
    /// returned as (location, [(field, string value)]).
    pub fn string_tables(
        &mut self,
        key: &'static str,
        fields: &[&'static str],
    ) -> Vec<(Location, Vec<Option<String>>)> {
        let Some((location, value)) = self.take(key) else { return Vec::new() };
        let DeValue::Array(items) = value else {
            self.type_error(key, location, "a list of tables", "[{ title = \"…\", url = \"…\" }]");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let item_location = self.location(item.span());
            let DeValue::Table(table) = item.get_ref() else {
                self.type_error(key, item_location, "a list of tables", "[{ title = \"…\", url = \"…\" }]");
                continue;
            };
            let mut values = vec![None; fields.len()];
            for (k, v) in table.iter() {
                let name = k.get_ref().as_ref();
                match (fields.iter().position(|f| *f == name), v.get_ref()) {
                    (Some(i), DeValue::String(s)) => values[i] = Some(s.to_string()),
                    (Some(_), _) => {
                        let loc = self.location(v.span());
                        self.type_error(&format!("{key}.{name}"), loc, "a string", "\"…\"");
                    }
                    (None, _) => {
                        let loc = self.location(k.span());
                        let hint = match did_you_mean(name, fields.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("the allowed keys are: {}", fields.join(", ")),
                        };
                        self.error(Some(loc), format!("unknown key `{name}` in `{key}`"), hint);
                    }
                }
            }
            out.push((item_location, values));
        }
        out
    }

    /// A sub-table such as `[audience]`, read with its own reader. Pass that
    /// reader back to [`Self::absorb`] so its problems, unknown keys
    /// included, are reported.
    pub fn table(&mut self, key: &'static str) -> Option<FieldReader<'a>> {
        let (location, value) = self.take(key)?;
        match value {
            DeValue::Table(table) => Some(FieldReader {
                file: self.file,
                source: self.source,
                offset: self.offset,
                table,
                read: BTreeSet::new(),
                syntax_errors: self.syntax_errors.clone(),
                diagnostics: Vec::new(),
            }),
            _ => {
                self.type_error(key, location, "a table", &format!("a [{key}] section at the end of the front matter"));
                None
            }
        }
    }

    /// Takes over the problems found by a sub-table reader.
    pub fn absorb(&mut self, nested: FieldReader<'a>) {
        let problems = nested.finish();
        self.diagnostics.extend(problems);
    }

    /// Reports a required key that is missing.
    pub fn require<T>(&mut self, key: &str, value: Option<T>, example: &str) -> Option<T> {
        if value.is_none() && !self.table.contains_key(key) {
            self.error(
                Some(Location::of(self.source, 0..3)),
                format!("missing required key `{key}`"),
                format!("add `{key} = {example}` to the front matter"),
            );
        }
        value
    }

    /// Like [`Self::require`], and an empty string is reported too: a required
    /// value left blank is as missing as an absent key.
    pub fn require_text(
        &mut self,
        key: &str,
        value: Option<Located<String>>,
        example: &str,
    ) -> Option<Located<String>> {
        if let Some(v) = &value
            && v.value.is_empty()
        {
            self.error(
                Some(v.location.clone()),
                format!("`{key}` is empty"),
                format!("fill it in, e.g. {key} = {example}"),
            );
        }
        self.require(key, value, example)
    }

    /// Reports every key that was never read as unknown, then returns all
    /// diagnostics.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        let unknown: Vec<(String, Range<usize>)> = self
            .table
            .iter()
            .filter(|(k, _)| !self.read.contains(k.get_ref().as_ref()))
            .map(|(k, _)| (k.get_ref().to_string(), k.span()))
            .collect();
        for (key, span) in unknown {
            let location = self.location(span);
            let hint = match did_you_mean(&key, self.read.iter().copied()) {
                Some(known) => format!("did you mean `{known}`?"),
                None => {
                    format!("the keys allowed here are: {}", self.read.iter().copied().collect::<Vec<_>>().join(", "))
                }
            };
            self.error(Some(location), format!("unknown key `{key}`"), hint);
        }
        self.diagnostics
    }
}

/// Parses `YYYY-MM-DD`, explaining what is wrong otherwise.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("`{text}` is not in YYYY-MM-DD form"));
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return Err(format!("`{text}` is not in YYYY-MM-DD form"));
    }
    let number = |s: &str| s.parse::<i16>().map_err(|_| format!("`{text}` is not in YYYY-MM-DD form"));
    let (year, month, day) = (number(y)?, number(m)?, number(d)?);
    Date::new(year, month as i8, day as i8).map_err(|_| format!("{text} does not exist in the calendar"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_front_matter_and_body() {
        let s = split("+++\ntitle = \"a\"\n+++\nbody\n").ok().unwrap();
        assert_eq!(s.front_matter, "title = \"a\"\n");
        assert_eq!(s.front_matter_offset, 4);
        assert_eq!(s.body, "body\n");
    }

    #[test]
    fn split_rejects_missing_and_unclosed() {
        assert!(split("title = 1\n").is_err());
        assert!(split("+++\ntitle = 1\n").is_err());
    }

    #[test]
    fn dates_are_checked_against_the_calendar() {
        assert!(parse_date("2019-02-15").is_ok());
        assert!(parse_date("2019-02-30").unwrap_err().contains("does not exist"));
        assert!(parse_date("2019/02/15").is_err());
        assert!(parse_date("19-2-15").is_err());
    }
}
