//! Query segmentation that a browser can repeat exactly: a unigram model
//! over the site's own vocabulary, with integer costs.
//!
//! jieba's dictionary (and its HMM) are too large to ship to a browser, and
//! a browser that cuts a query differently from the index finds nothing
//! (Pagefind cuts 医保 into 医/保). So the public search index ships the
//! words its documents were indexed under, each with a cost derived from
//! how often it occurs on the site, and both sides cut a query by the same
//! minimum-cost path. Costs are integers so that Rust and JavaScript add up
//! the same numbers and break ties the same way; floating-point logarithms
//! may differ in the last bit between the two.
//!
//! The JavaScript twin is `themes/default/static/zhiku-tokenize.js`;
//! tests/search_parity.rs checks both on corpus sentences.

use std::collections::{BTreeMap, HashMap};

use super::text::{is_cjk, normalise};

/// Cost of a CJK character that is not a word of the vocabulary: more than
/// any word, so known words always win.
const UNKNOWN_EXTRA: u32 = 1000;

/// Longest word considered, in characters.
pub const MAX_WORD_CHARS: usize = 16;

/// Words with their costs: `round(-log2(count / total) * 100)`.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    costs: HashMap<String, u32>,
    unknown: u32,
}

impl Vocabulary {
    /// Builds the vocabulary from word occurrences (normalised CJK words of
    /// two or more characters, and single characters).
    pub fn from_counts(counts: &BTreeMap<String, u64>) -> Vocabulary {
        let total: u64 = counts.values().sum::<u64>().max(1);
        let costs: HashMap<String, u32> = counts
            .iter()
            .filter(|(w, c)| **c > 0 && w.chars().count() <= MAX_WORD_CHARS && w.chars().all(is_cjk))
            .map(|(w, &c)| (w.clone(), cost(c, total)))
            .collect();
        let unknown = costs.values().copied().max().unwrap_or(0) + UNKNOWN_EXTRA;
        Vocabulary { costs, unknown }
    }

    /// Reads the `word\tcost` lines written by [`Vocabulary::to_lines`].
    #[cfg(test)]
    fn from_lines(text: &str) -> Vocabulary {
        let mut costs = HashMap::new();
        let mut unknown = UNKNOWN_EXTRA;
        for line in text.lines() {
            if let Some((word, cost)) = line.split_once('\t')
                && let Ok(cost) = cost.parse::<u32>()
            {
                if word.is_empty() {
                    unknown = cost;
                } else {
                    costs.insert(word.to_string(), cost);
                }
            }
        }
        Vocabulary { costs, unknown }
    }

    /// Every word with its cost, sorted by word.
    pub fn words(&self) -> Vec<(&str, u32)> {
        let mut words: Vec<(&str, u32)> = self.costs.iter().map(|(w, &c)| (w.as_str(), c)).collect();
        words.sort_unstable();
        words
    }

    /// The cost of a character that is no word of the vocabulary.
    pub fn unknown_cost(&self) -> u32 {
        self.unknown
    }

    /// One `word\tcost` line per word, sorted; the first line, with an empty
    /// word, is the cost of an unknown character.
    pub fn to_lines(&self) -> String {
        let mut out = format!("\t{}\n", self.unknown);
        for (word, cost) in self.words() {
            out.push_str(word);
            out.push('\t');
            out.push_str(&cost.to_string());
            out.push('\n');
        }
        out
    }

    pub fn len(&self) -> usize {
        self.costs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.costs.is_empty()
    }

    pub fn contains(&self, word: &str) -> bool {
        self.costs.contains_key(word)
    }

    /// Cuts a run of CJK characters by the minimum total cost. Ties go to
    /// the longer first word, scanning from the end as jieba does.
    fn cut_cjk(&self, chars: &[char]) -> Vec<String> {
        let n = chars.len();
        // best[i]: (cost of the best cut of chars[i..], end of its first word)
        let mut best: Vec<(u64, usize)> = vec![(0, n); n + 1];
        for i in (0..n).rev() {
            let mut choice = (u64::from(self.unknown) + best[i + 1].0, i + 1);
            let mut word = String::new();
            for j in i..n.min(i + MAX_WORD_CHARS) {
                word.push(chars[j]);
                if let Some(&c) = self.costs.get(&word) {
                    let total = u64::from(c) + best[j + 1].0;
                    if total < choice.0 || (total == choice.0 && j + 1 > choice.1) {
                        choice = (total, j + 1);
                    }
                }
            }
            best[i] = choice;
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            let end = best[i].1;
            out.push(chars[i..end].iter().collect());
            i = end;
        }
        out
    }

    /// The words of a query: normalised, CJK runs cut by [`Self::cut_cjk`],
    /// runs of other letters and digits kept whole, everything else dropped.
    pub fn segment(&self, text: &str) -> Vec<String> {
        let text = normalise(text);
        let mut out = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let start = i;
            if is_cjk(c) {
                while i < chars.len() && is_cjk(chars[i]) {
                    i += 1;
                }
                out.extend(self.cut_cjk(&chars[start..i]));
            } else if c.is_alphanumeric() {
                while i < chars.len() && chars[i].is_alphanumeric() && !is_cjk(chars[i]) {
                    i += 1;
                }
                out.push(chars[start..i].iter().collect());
            } else {
                i += 1;
            }
        }
        out
    }
}

fn cost(count: u64, total: u64) -> u32 {
    let p = count as f64 / total as f64;
    (-p.log2() * 100.0).round().max(1.0) as u32
}

/// Traditional → simplified pairs that [`normalise`] applies, for the
/// browser: every CJK character the table changes.
pub fn simplified_table() -> String {
    super::text::simplified_pairs().flat_map(|(c, s)| [c, s]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(words: &[(&str, u64)]) -> Vocabulary {
        Vocabulary::from_counts(&words.iter().map(|(w, c)| (w.to_string(), *c)).collect())
    }

    #[test]
    fn known_words_beat_single_characters() {
        let v = vocabulary(&[("医保", 50), ("报销", 40), ("医", 5), ("保", 5), ("报", 3), ("销", 1)]);
        assert_eq!(v.segment("医保报销怎么办"), ["医保", "报销", "怎", "么", "办"]);
        assert_eq!(v.segment("ＡＢC 12345热线"), ["abc", "12345", "热", "线"]);
    }

    #[test]
    fn round_trips_through_lines() {
        let v = vocabulary(&[("社保卡", 9), ("社保", 20), ("卡", 30)]);
        let back = Vocabulary::from_lines(&v.to_lines());
        assert_eq!(back.segment("社保卡丢了"), v.segment("社保卡丢了"));
        assert_eq!(back.unknown, v.unknown);
    }

    #[test]
    fn table_maps_traditional_characters() {
        let table = simplified_table();
        assert!(table.contains("稅税"), "{}", &table[..60.min(table.len())]);
    }
}
