//! Highlighted snippets, sized in characters (a byte limit would cut
//! Chinese text to a third of the intended length, or mid-character).

use super::text::normalise;
use crate::html::escape_attr;

pub const SNIPPET_CHARS: usize = 120;

/// The window of `max_chars` characters of `text` with the most query-term
/// occurrences, HTML-escaped, matches wrapped in `<mark>`. Terms are matched
/// on normalised text, which has the same character positions.
pub fn highlight(text: &str, terms: &[String], max_chars: usize) -> String {
    let chars: Vec<char> = text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect();
    let folded: Vec<char> = normalise(&chars.iter().collect::<String>()).chars().collect();
    // Longest terms first, so 个人所得税 wins over 所得.
    let mut terms: Vec<Vec<char>> =
        terms.iter().map(|t| t.chars().collect::<Vec<char>>()).filter(|t: &Vec<char>| !t.is_empty()).collect();
    terms.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let mut marked = vec![false; folded.len()];
    let mut starts = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        match terms.iter().find(|t| folded[i..].starts_with(t)) {
            Some(t) => {
                starts.push(i);
                marked[i..i + t.len()].iter_mut().for_each(|m| *m = true);
                i += t.len();
            }
            None => i += 1,
        }
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
