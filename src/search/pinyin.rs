//! Word-level pinyin of titles and questions, so that `wufeichengshi` and
//! `wfcs` find 无废城市.
//!
//! Readings are taken per word: a word with ambiguous characters is looked
//! up in `index/pinyin_phrases.txt` (银行 = yin hang, 重庆 = chong qing); other
//! characters take their most common reading. Pinyin only adds fields; it
//! never replaces the Chinese text.

use std::collections::HashMap;
use std::path::Path;

use pinyin::ToPinyin;

use super::text::is_cjk;

pub const PHRASES_FILE: &str = "pinyin_phrases.txt";

/// Word → syllables for words whose characters have several readings.
#[derive(Default)]
pub struct Phrases {
    readings: HashMap<String, Vec<String>>,
}

impl Phrases {
    /// Reads `pinyin_phrases.txt` (`word syllable syllable …` per line, `#`
    /// comments). A missing file means character readings only.
    pub fn load(index_dir: &Path) -> Phrases {
        let text = std::fs::read_to_string(index_dir.join(PHRASES_FILE)).unwrap_or_default();
        let readings = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|line| {
                let mut parts = line.split_whitespace();
                let word = parts.next()?;
                let syllables: Vec<String> = parts.map(str::to_string).collect();
                (syllables.len() == word.chars().count()).then(|| (word.to_string(), syllables))
            })
            .collect();
        Phrases { readings }
    }

    /// Syllables of one word; characters without a reading (Latin letters,
    /// digits) are kept as they are, lowercased.
    pub fn word(&self, word: &str) -> Vec<String> {
        if let Some(syllables) = self.readings.get(word) {
            return syllables.clone();
        }
        let mut out = Vec::new();
        let mut latin = String::new();
        for c in word.chars() {
            match c.to_pinyin() {
                Some(p) if is_cjk(c) => {
                    if !latin.is_empty() {
                        out.push(std::mem::take(&mut latin));
                    }
                    out.push(p.plain().to_string());
                }
                _ if c.is_ascii_alphanumeric() => latin.push(c.to_ascii_lowercase()),
                _ => {
                    if !latin.is_empty() {
                        out.push(std::mem::take(&mut latin));
                    }
                }
            }
        }
        if !latin.is_empty() {
            out.push(latin);
        }
        out
    }
}

/// Full pinyin (`wufeichengshi`) and initials (`wfcs`) of a segmented text.
pub fn spell(words: &[&str], phrases: &Phrases) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for word in words {
        for syllable in phrases.word(word) {
            if syllable.chars().all(|c| c.is_ascii_lowercase()) {
                full.push_str(&syllable);
                initials.extend(syllable.chars().next());
            }
        }
    }
    (full, initials)
}

/// Overlapping `n`-letter grams of an ASCII string (the whole string when
/// shorter): pinyin typed without spaces matches anywhere inside a title's.
pub fn letter_grams(text: &str, n: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    if bytes.len() <= n {
        return if text.is_empty() { Vec::new() } else { vec![text.to_string()] };
    }
    bytes.windows(n).map(|w| String::from_utf8_lossy(w).into_owned()).collect()
}

/// Whether a query token looks like typed pinyin rather than a word.
pub fn looks_like_pinyin(token: &str) -> bool {
    token.len() >= 2 && token.chars().all(|c| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases() -> Phrases {
        Phrases::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/index")))
    }

    #[test]
    fn readings_are_word_level() {
        let p = phrases();
        assert_eq!(p.word("银行"), ["yin", "hang"]);
        assert_eq!(p.word("重庆"), ["chong", "qing"]);
        assert_eq!(p.word("行走"), ["xing", "zou"]);
    }

    #[test]
    fn full_and_initials() {
        let (full, initials) = spell(&["无", "废", "城市"], &phrases());
        assert_eq!(full, "wufeichengshi");
        assert_eq!(initials, "wfcs");
        assert_eq!(letter_grams("wfcs", 3), ["wfc", "fcs"]);
        assert_eq!(letter_grams("sb", 3), ["sb"]);
    }
}
