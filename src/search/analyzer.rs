//! The language layer every index uses: jieba segmentation with the site
//! dictionary, normalisation, character bigrams and synonym expansion.
//!
//! Titles, 相似问法 and keywords are segmented with `cut_for_search`,
//! bodies and queries with `cut` (see [`Cut`]), all with HMM off, so unknown
//! words fall back to single characters and the bigram field instead of to
//! HMM guesses that differ between a short query and a long document.

use std::collections::{HashMap, HashSet};
use std::io::BufReader;
use std::path::Path;

use jieba_rs::Jieba;

use super::pinyin::{self, Phrases};
use super::text::{bigrams, for_each_bigram, is_bigram_word, is_meaningful, normalise};
use crate::diagnostics::{Diagnostic, Location};

pub const DICT_FILE: &str = "dict.txt";
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// Which layers are on; the search-quality harness compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Layers {
    /// jieba word fields (off only for the bigram-only baseline).
    pub words: bool,
    /// Character bigram fields as a fallback for words jieba splits
    /// differently.
    pub bigrams: bool,
    /// Full-width, case and traditional-to-simplified normalisation.
    pub normalise: bool,
    /// Query expansion from `synonyms.txt`.
    pub synonyms: bool,
    /// Full pinyin and initials of titles (`wfcs` → 无废城市).
    pub pinyin: bool,
    /// jieba's HMM for unknown words (off when shipped: it lowers recall
    /// on the evaluation sets).
    pub hmm: bool,
}

impl Layers {
    pub const ALL: Layers =
        Layers { words: true, bigrams: true, normalise: true, synonyms: true, pinyin: true, hmm: false };
    pub const WORDS_ONLY: Layers =
        Layers { words: true, bigrams: false, normalise: false, synonyms: false, pinyin: false, hmm: false };
    pub const WORDS_BIGRAMS: Layers = Layers { bigrams: true, ..Layers::WORDS_ONLY };
    /// The plain character-bigram BM25 baseline.
    pub const BIGRAMS_ONLY: Layers = Layers { words: false, ..Layers::WORDS_BIGRAMS };
}

/// Function words that carry no meaning in a question (怎么, 吗 …). Dropped
/// from queries only; documents keep them.
const QUERY_STOPWORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "是",
    "在",
    "和",
    "与",
    "及",
    "或",
    "我",
    "你",
    "他",
    "她",
    "我们",
    "请问",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "哪些",
    "哪里",
    "哪个",
    "能否",
    "可以",
    "是否",
    "有",
    "有没有",
    "需要",
    "要",
    "吗",
    "么",
    "呀",
    "一下",
    "问",
    "想",
    "咨询",
    "这个",
    "那个",
    "问题",
    "事宜",
    "有关",
    "相关",
    "情况",
    "关于",
    "反映",
    "一些",
    "有何",
    "为何",
    "为什么",
    "多少",
    "几",
    "哪",
    "该",
    "能",
    "会",
    "还",
    "都",
    "就",
    "也",
    "对",
    "给",
    "被",
    "把",
    "让",
];

/// How finely a document field is cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// jieba's `cut_for_search`: every word and the dictionary words inside
    /// it (个人所得税 also gives 所得 and 所得税), for the short fields people
    /// name things by.
    Fine,
    /// jieba's `cut`: every word once, for bodies. Their bigram field holds
    /// every two-character substring already, so the inner words only added
    /// tokens: on both evaluation sets MRR@10 and Recall@10 moved by at most
    /// 0.001, and the operator index of a 10,000-document site was built
    /// 13 % faster.
    ///
    /// A word of two CJK characters is also the bigram at its place, and the
    /// word field holds it; the bigram field leaves it out (see
    /// [`Analyzer::index_field`]).
    Plain,
}

pub struct Analyzer {
    jieba: Jieba,
    phrases: Phrases,
    /// word → the other words of its synonym groups.
    synonyms: HashMap<String, Vec<String>>,
    stopwords: HashSet<&'static str>,
    pub layers: Layers,
}

/// One query, analysed: words with weights, and the bigrams.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysedQuery {
    /// (word, weight): 1.0 for the query's own words, less for synonyms.
    pub words: Vec<(String, f32)>,
    pub bigrams: Vec<String>,
    /// Letter trigrams of pinyin typed in the query.
    pub pinyin_full: Vec<String>,
    /// Letter bigrams of the same, matched against titles' initials.
    pub pinyin_initials: Vec<String>,
}

pub const SYNONYM_WEIGHT: f32 = 0.8;
pub const FULL_PINYIN_GRAM: usize = 3;
pub const INITIALS_GRAM: usize = 2;
const SYNONYM_FREQ_MARGIN: usize = 20;

impl Analyzer {
    /// Jieba's default dictionary plus the site's `dict.txt` and
    /// `synonyms.txt` from `index_dir`, if present. Problems in those files
    /// are returned as diagnostics with their line.
    pub fn load(index_dir: &Path, layers: Layers) -> Result<Analyzer, Vec<Diagnostic>> {
        let mut jieba = Jieba::new();
        let mut problems = Vec::new();
        let dict_path = index_dir.join(DICT_FILE);
        if dict_path.is_file() {
            match std::fs::File::open(&dict_path) {
                Ok(file) => {
                    if let Err(e) = jieba.load_dict(&mut BufReader::new(file)) {
                        problems.push(
                            Diagnostic::error(
                                display(&dict_path),
                                None,
                                format!("cannot read the site dictionary: {e}"),
                            )
                            .with_hint("each line is `word [frequency] [tag]`, as in jieba's dict.txt"),
                        );
                    }
                }
                Err(e) => problems.push(Diagnostic::error(display(&dict_path), None, format!("cannot open: {e}"))),
            }
        }
        let synonyms_path = index_dir.join(SYNONYMS_FILE);
        let synonym_text = if synonyms_path.is_file() {
            std::fs::read_to_string(&synonyms_path).unwrap_or_else(|e| {
                problems.push(Diagnostic::error(display(&synonyms_path), None, format!("cannot read: {e}")));
                String::new()
            })
        } else {
            String::new()
        };
        let synonyms = parse_synonyms(&display(&synonyms_path), &synonym_text, layers.normalise, &mut problems);
        // Synonyms must survive segmentation whole, or expansion never fires.
        // The frequency that merely ties them with their split in isolation
        // loses in context, hence the margin.
        let mut words: Vec<&String> = synonyms.keys().collect();
        words.sort();
        for word in words {
            let freq = jieba.suggest_freq(word).saturating_mul(SYNONYM_FREQ_MARGIN);
            jieba.add_word(word, Some(freq), None);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let phrases = if layers.pinyin { Phrases::load(index_dir) } else { Phrases::default() };
        Ok(Analyzer { jieba, phrases, synonyms, stopwords: QUERY_STOPWORDS.iter().copied().collect(), layers })
    }

    fn prepare(&self, text: &str) -> String {
        if self.layers.normalise { normalise(text) } else { text.to_string() }
    }

    /// Words of a title, as its word field holds them.
    pub fn index_words(&self, text: &str) -> Vec<String> {
        let mut words = Vec::new();
        self.for_each_index_word(&self.prepare(text), Cut::Fine, |w| words.push(w.to_string()));
        words
    }

    /// Words of normalised text, punctuation dropped (nothing when the
    /// layer is off).
    fn for_each_index_word<'a>(&self, normalised: &'a str, cut: Cut, visit: impl FnMut(&'a str)) {
        if self.layers.words {
            let tokens = match cut {
                Cut::Fine => self.jieba.cut_for_search(normalised, self.layers.hmm),
                Cut::Plain => self.jieba.cut(normalised, self.layers.hmm),
            };
            tokens.into_iter().map(|t| t.word).filter(|w| is_meaningful(w)).for_each(visit);
        }
    }

    /// The words and the bigrams of one field, each as one space-separated
    /// string for the operator index's whitespace tokenizer. The text is
    /// normalised once and no token is allocated on its own: this runs over
    /// every character of the site.
    ///
    /// In a field cut plainly, a bigram where a word of two CJK characters
    /// was cut is left out: the word field holds the same token at the same
    /// place, and queries look their bigrams up there too (see
    /// [`Analyzer::bigram_in_word_field`]). Bodies are most of what is indexed,
    /// and a third of their bigrams are such words.
    pub fn index_field(&self, text: &str, cut: Cut) -> (String, String) {
        let mut grams = String::new();
        let words = self.index_field_with(text, cut, |g| push_token(&mut grams, g));
        (words, grams)
    }

    /// [`Analyzer::index_field`], handing each bigram to `visit` instead
    /// of joining them.
    pub fn index_field_with(&self, text: &str, cut: Cut, mut visit: impl FnMut(&str)) -> String {
        let text = self.prepare(text);
        let mut words = String::with_capacity(text.len() + text.len() / 2);
        // Byte offsets of the two-character words, in text order.
        let mut pairs: Vec<usize> = Vec::new();
        self.for_each_index_word(&text, cut, |w| {
            if self.bigram_in_word_field(w, cut) {
                pairs.push(w.as_ptr() as usize - text.as_ptr() as usize);
            }
            push_token(&mut words, w);
        });
        if self.layers.bigrams {
            let mut pairs = pairs.into_iter().peekable();
            for_each_bigram(&text, |g| {
                let at = g.as_ptr() as usize - text.as_ptr() as usize;
                while pairs.next_if(|&p| p < at).is_some() {}
                if pairs.next_if_eq(&at).is_none() {
                    visit(g);
                }
            });
        }
        words
    }

    /// Letter grams of a title's full pinyin (trigrams) and initials
    /// (bigrams), for the pinyin fields (empty when the layer is off).
    pub fn index_pinyin(&self, title: &str) -> (Vec<String>, Vec<String>) {
        if !self.layers.pinyin {
            return (Vec::new(), Vec::new());
        }
        let text = self.prepare(title);
        let words: Vec<&str> = self.jieba.cut(&text, self.layers.hmm).into_iter().map(|t| t.word).collect();
        let (full, initials) = pinyin::spell(&words, &self.phrases);
        (pinyin::letter_grams(&full, FULL_PINYIN_GRAM), pinyin::letter_grams(&initials, INITIALS_GRAM))
    }

    /// Whether the bigrams of a field cut plainly that are two-character
    /// words are in its word field rather than its bigram field (both layers
    /// on), so that a bigram of two CJK characters is looked up in both.
    pub fn pairs_in_words(&self) -> bool {
        self.layers.words && self.layers.bigrams
    }

    /// Whether `gram`, met in a field cut with `cut`, is held by the word
    /// field instead of the bigram field: the one rule that indexing, the
    /// operator query and the static index share.
    pub fn bigram_in_word_field(&self, gram: &str, cut: Cut) -> bool {
        cut == Cut::Plain && self.pairs_in_words() && is_bigram_word(gram)
    }

    /// The other words of `word`'s synonym group (normalised), if any.
    pub fn synonyms_of(&self, word: &str) -> &[String] {
        if self.layers.synonyms { self.synonyms.get(word).map_or(&[], Vec::as_slice) } else { &[] }
    }

    /// Every synonym entry as `word\tother other…` lines, sorted: what the
    /// public search ships.
    pub fn synonym_lines(&self) -> String {
        let mut words: Vec<&String> = self.synonyms.keys().collect();
        words.sort();
        words.into_iter().map(|w| format!("{w}\t{}\n", self.synonyms[w].join(" "))).collect()
    }

    /// Segments a query: its words (without function words, unless nothing
    /// else is left), their synonyms, and its bigrams.
    pub fn query(&self, query: &str) -> AnalysedQuery {
        let text = self.prepare(query);
        let all: Vec<&str> =
            self.jieba.cut(&text, self.layers.hmm).into_iter().map(|t| t.word).filter(|w| is_meaningful(w)).collect();
        let content: Vec<&str> = all.iter().copied().filter(|w| !self.stopwords.contains(w)).collect();
        let chosen = if content.is_empty() { all } else { content };
        let mut words: Vec<(String, f32)> = Vec::new();
        let use_words = self.layers.words;
        let mut push = |word: &str, weight: f32| {
            if let Some(existing) = words.iter_mut().find(|(w, _)| w == word) {
                existing.1 = existing.1.max(weight);
            } else {
                words.push((word.to_string(), weight));
            }
        };
        for word in chosen.iter().filter(|_| use_words) {
            push(word, 1.0);
            if self.layers.synonyms
                && let Some(others) = self.synonyms.get(*word)
            {
                for other in others {
                    push(other, SYNONYM_WEIGHT);
                }
            }
        }
        // Runs of content words: bigrams cross word boundaries, so a term
        // jieba splits (无废城市 → 无/废/城市) still matches as 无废, 废城 …;
        // function words and punctuation break the runs. The plain baseline
        // takes the whole query.
        let runs: Vec<String> = if use_words {
            let mut runs = vec![String::new()];
            for token in self.jieba.cut(&text, self.layers.hmm) {
                if self.stopwords.contains(token.word) || !is_meaningful(token.word) {
                    runs.push(String::new());
                } else if let Some(run) = runs.last_mut() {
                    run.push_str(token.word);
                }
            }
            runs
        } else {
            vec![text.clone()]
        };
        let mut grams: Vec<String> = Vec::new();
        for gram in runs.iter().filter(|_| self.layers.bigrams).flat_map(|run| bigrams(run)) {
            if !grams.contains(&gram) {
                grams.push(gram);
            }
        }
        // Letters-only tokens may be pinyin typed for Chinese words.
        let mut pinyin_full = Vec::new();
        let mut pinyin_initials = Vec::new();
        if self.layers.pinyin {
            for token in text.split(|c: char| !c.is_ascii_alphabetic()).map(str::to_ascii_lowercase) {
                if pinyin::looks_like_pinyin(&token) {
                    pinyin_full.extend(pinyin::letter_grams(&token, FULL_PINYIN_GRAM));
                    pinyin_initials.extend(pinyin::letter_grams(&token, INITIALS_GRAM));
                }
            }
        }
        AnalysedQuery { words, bigrams: grams, pinyin_full, pinyin_initials }
    }
}

fn push_token(out: &mut String, token: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(token);
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// `synonyms.txt`: one group per line, words separated by spaces; `#`
/// starts a comment.
fn parse_synonyms(
    file: &str,
    text: &str,
    normalised: bool,
    problems: &mut Vec<Diagnostic>,
) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.split('#').next().unwrap_or("");
        let words: Vec<String> =
            content.split_whitespace().map(|w| if normalised { normalise(w) } else { w.to_string() }).collect();
        if words.len() == 1 {
            problems.push(
                Diagnostic::error(
                    file,
                    Some(Location::of(text, offset..offset + line.trim_end().len())),
                    "a synonym group needs at least two words",
                )
                .with_hint("write the words of one group on one line, separated by spaces: 个税 个人所得税"),
            );
        }
        for word in &words {
            let entry = map.entry(word.clone()).or_default();
            for other in &words {
                if other != word && !entry.contains(other) {
                    entry.push(other.clone());
                }
            }
        }
        offset += line.len();
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(synonyms: &str) -> Analyzer {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SYNONYMS_FILE), synonyms).unwrap();
        std::fs::write(dir.path().join(DICT_FILE), "蒙速办 100 n\n").unwrap();
        Analyzer::load(dir.path(), Layers::ALL).unwrap()
    }

    #[test]
    fn queries_drop_function_words_and_expand_synonyms() {
        let a = analyzer("个税 个人所得税\n");
        let q = a.query("个税怎么交？");
        assert!(q.words.contains(&("个税".into(), 1.0)), "{q:?}");
        assert!(q.words.contains(&("个人所得税".into(), SYNONYM_WEIGHT)), "{q:?}");
        assert!(!q.words.iter().any(|(w, _)| w == "怎么"), "{q:?}");
        assert!(q.bigrams.contains(&"个税".to_string()));
    }

    #[test]
    fn site_dictionary_keeps_terms_whole() {
        let a = analyzer("");
        assert!(a.index_words("下载蒙速办").contains(&"蒙速办".to_string()));
    }

    #[test]
    fn titles_keep_inner_words_and_bodies_leave_them_to_bigrams() {
        let a = analyzer("");
        let words = |cut| a.index_field("个人所得税", cut).0.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert!(words(Cut::Fine).contains(&"所得税".to_string()), "{:?}", words(Cut::Fine));
        assert_eq!(words(Cut::Plain), ["个人所得税"]);
        assert!(a.index_field("个人所得税", Cut::Plain).1.split(' ').any(|g| g == "所得"));
    }

    #[test]
    fn traditional_queries_find_simplified_words() {
        let a = analyzer("");
        assert_eq!(a.index_words("個人所得稅"), a.index_words("个人所得税"));
    }

    #[test]
    fn one_word_synonym_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SYNONYMS_FILE), "医保 医疗保险\n社保卡\n").unwrap();
        let problems = Analyzer::load(dir.path(), Layers::ALL).err().unwrap();
        assert_eq!(problems[0].location.as_ref().unwrap().line, 2);
    }
}
