//! Highlighted snippets, sized in characters (a byte limit would cut
//! Chinese text to a third of the intended length, or mid-character).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::text::normalise;
use crate::html::escape_attr;

pub const SNIPPET_CHARS: usize = 120;

/// The query's terms, compiled once and applied to each hit's text.
pub struct Highlighter {
    // Leftmost-longest, so 个人所得税 wins over 所得. `None` when there is
    // nothing to match.
    matcher: Option<AhoCorasick>,
}

impl Highlighter {
    pub fn new(terms: &[String]) -> Highlighter {
        let patterns: Vec<&String> = terms.iter().filter(|t| !t.is_empty()).collect();
        let matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(patterns)
            .ok();
        Highlighter { matcher }
    }

    /// The window of `max_chars` characters of `text` with the most
    /// query-term occurrences, HTML-escaped, matches wrapped in `<mark>`.
    /// Terms are matched on normalised text, which has the same character
    /// positions.
    pub fn highlight(&self, text: &str, max_chars: usize) -> String {
        let chars: Vec<char> = text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect();
        let raw: String = chars.iter().collect();
        // Most documents are already simplified, so match the raw text
        // first; only when that finds nothing pay for normalising it all.
        let (mut starts, mut marked) = self.find_matches(&raw, chars.len());
        if starts.is_empty() {
            (starts, marked) = self.find_matches(&normalise(&raw), chars.len());
        }
        let (from, to) = best_window(&starts, chars.len(), max_chars);
        let mut out = String::new();
        if from > 0 {
            out.push('…');
        }
        let mut in_mark = false;
        for k in from..to {
            if marked[k] != in_mark {
                out.push_str(if marked[k] { "<mark>" } else { "</mark>" });
                in_mark = marked[k];
            }
            out.push_str(&escape_attr(&chars[k].to_string()));
        }
        if in_mark {
            out.push_str("</mark>");
        }
        if to < chars.len() {
            out.push('…');
        }
        out
    }

    /// Character offsets where matches start, and which characters are
    /// inside a match. `text` has one character per character of the original.
    fn find_matches(&self, text: &str, len: usize) -> (Vec<usize>, Vec<bool>) {
        let mut starts = Vec::new();
        let mut marked = vec![false; len];
        let Some(matcher) = &self.matcher else {
            return (starts, marked);
        };
        let mut matches = matcher.find_iter(text).peekable();
        if matches.peek().is_none() {
            return (starts, marked);
        }
        let mut char_at = vec![0usize; text.len() + 1];
        for (n, (byte, c)) in text.char_indices().enumerate() {
            char_at[byte..byte + c.len_utf8()].iter_mut().for_each(|x| *x = n);
        }
        char_at[text.len()] = len;
        for m in matches {
            let (from, to) = (char_at[m.start()], char_at[m.end()].min(len));
            starts.push(from);
            marked[from..to].iter_mut().for_each(|x| *x = true);
        }
        (starts, marked)
    }
}

/// The window with the most match starts; it begins a little before the
/// first of them so the match has context.
fn best_window(starts: &[usize], len: usize, width: usize) -> (usize, usize) {
    if len <= width {
        return (0, len);
    }
    let mut best = (0usize, 0usize);
    let mut j = 0;
    for (i, &s) in starts.iter().enumerate() {
        while j < starts.len() && starts[j] < s + width {
            j += 1;
        }
        if j - i > best.1 {
            best = (s, j - i);
        }
    }
    let from = best.0.saturating_sub(width / 6).min(len - width);
    (from, from + width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlight(text: &str, terms: &[String], max_chars: usize) -> String {
        Highlighter::new(terms).highlight(text, max_chars)
    }

    #[test]
    fn highlights_and_escapes() {
        let s = highlight("申领<社保卡>需要身份证", &["社保卡".into()], 50);
        assert_eq!(s, "申领&lt;<mark>社保卡</mark>&gt;需要身份证");
    }

    #[test]
    fn window_is_measured_in_characters() {
        let text = format!("{}医保报销{}", "甲".repeat(300), "乙".repeat(300));
        let s = highlight(&text, &["医保".into()], 40);
        let visible: String = s.replace("<mark>", "").replace("</mark>", "");
        assert_eq!(visible.chars().filter(|c| *c != '…').count(), 40);
        assert!(s.contains("<mark>医保</mark>"));
    }

    #[test]
    fn traditional_text_matches_simplified_terms() {
        assert!(highlight("個人所得稅", &["个人所得税".into()], 20).contains("<mark>個人所得稅</mark>"));
    }
}
