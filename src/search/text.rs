//! Character-level text rules shared by every index: normalisation,
//! character bigrams, and finding 文号 in free text.
//!
//! Normalisation maps one character to one character, so positions in the
//! normalised text are positions in the original, which is what snippets
//! rely on.

use crate::content::doc_number;

/// Full-width to half-width, traditional to simplified, case folded.
pub fn normalise(text: &str) -> String {
    text.chars().map(normalise_char).collect()
}

fn normalise_char(c: char) -> char {
    // Nearly every character of a site is ASCII or an ideograph: answer
    // those without Unicode's case tables (6 % of a build's time in perf).
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if is_cjk(c) {
        return simplified(c);
    }
    if is_cjk_punctuation(c) {
        return half_width(c);
    }
    let c = half_width(c);
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// The ideographs fast2s converts: those of the BMP's unified and
/// compatibility blocks.
const SIMPLIFIED_RANGES: [std::ops::RangeInclusive<u32>; 2] = [0x3400..=0x9FFF, 0xF900..=0xFAFF];

/// fast2s's traditional → simplified table, one character at a time, for
/// [`SIMPLIFIED_RANGES`]. fast2s also has a few rules that look at the
/// neighbours (乾隆 keeps 乾, 看著 gives 看着); normalisation leaves them
/// out, because the browser's search applies this same table
/// ([`simplified_pairs`]) and both sides must agree on every character.
/// Looking a character up here is also cheaper than fast2s's hash map,
/// which every character of a site went through.
static SIMPLIFIED: std::sync::LazyLock<Vec<char>> = std::sync::LazyLock::new(|| {
    SIMPLIFIED_RANGES
        .iter()
        .flat_map(|range| range.clone())
        .map(|code| {
            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
            let converted = fast2s::convert(c.encode_utf8(&mut [0u8; 4]));
            let mut chars = converted.chars();
            match (chars.next(), chars.next()) {
                (Some(s), None) => s,
                _ => c,
            }
        })
        .collect()
});

/// The simplified form of one character (itself when it has none).
fn simplified(c: char) -> char {
    let code = c as u32;
    let mut offset = 0;
    for range in &SIMPLIFIED_RANGES {
        if range.contains(&code) {
            return SIMPLIFIED[offset + (code - range.start()) as usize];
        }
        offset += (range.end() - range.start() + 1) as usize;
    }
    c
}

/// Every (traditional, simplified) pair of the table [`normalise`] applies.
pub fn simplified_pairs() -> impl Iterator<Item = (char, char)> {
    SIMPLIFIED_RANGES
        .iter()
        .flat_map(|range| range.clone())
        .filter_map(char::from_u32)
        .map(|c| (c, simplified(c)))
        .filter(|(c, s)| c != s)
}

/// The half-width form of a full-width character (and of the ideographic space).
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// CJK ideographs (the characters bigrams are made of).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Besides ideographs, a Chinese text is mostly punctuation (、。《》「」
/// 【】〔〕 and “”…—), which has no case and is neither letter nor digit.
/// Callers answer it without Unicode's tables, which are slow to say so.
fn is_cjk_punctuation(c: char) -> bool {
    matches!(c as u32, 0x2000..=0x206F | 0x3000..=0x3004 | 0x3008..=0x3020)
}

/// `c.is_alphanumeric()`, quicker for the characters Chinese text is made of.
fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    if matches!(c, '\u{4E00}'..='\u{9FFF}') {
        return true;
    }
    !is_cjk_punctuation(c) && c.is_alphanumeric()
}

/// Letters and digits that form words of their own (ASCII words, numbers).
fn is_word_char(c: char) -> bool {
    is_alphanumeric(c) && !is_cjk(c)
}

/// A word of two CJK characters: in a field cut plainly it is the bigram at
/// the same place, so it is indexed only there (see [`Cut::Plain`]).
///
/// [`Cut::Plain`]: super::Cut::Plain
pub fn is_bigram_word(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next(), chars.next()), (Some(a), Some(b), None) if is_cjk(a) && is_cjk(b))
}

/// Overlapping character bigrams of every CJK run (a lone character stands
/// for itself), plus every Latin or digit run as one token. Expects
/// normalised text.
pub fn bigrams(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_bigram(text, |gram| out.push(gram.to_string()));
    out
}

/// [`bigrams`] without allocating: each gram is a slice of `text`, handed
/// to `visit` in order. Indexing calls this for every character of every
/// body, so it must not allocate per gram.
pub fn for_each_bigram<'a>(text: &'a str, mut visit: impl FnMut(&'a str)) {
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let end_of = |i: usize, c: char| i + c.len_utf8();
        if is_cjk(c) {
            let mut previous = start;
            let mut end = end_of(start, c);
            let mut lone = true;
            while let Some(&(i, next)) = chars.peek().filter(|(_, n)| is_cjk(*n)) {
                chars.next();
                end = end_of(i, next);
                visit(&text[previous..end]);
                previous = i;
                lone = false;
            }
            if lone {
                visit(&text[start..end]);
            }
        } else if is_word_char(c) {
            let mut end = end_of(start, c);
            while let Some(&(i, next)) = chars.peek().filter(|(_, n)| is_word_char(*n)) {
                chars.next();
                end = end_of(i, next);
            }
            visit(&text[start..end]);
        }
    }
}

/// Whether a segment carries meaning (not only punctuation or spaces).
pub fn is_meaningful(token: &str) -> bool {
    token.chars().any(is_alphanumeric)
}

/// Every 文号 that may be written in `text`, in canonical form, whatever
/// brackets or spacing were used (国发2019年5号, 国发[2019]5号 …).
///
/// Free text does not say where an agency code starts (关于国发… could be
/// the agency 关于国发), so each suffix that parses is a candidate; the
/// caller keeps those that exist.
pub fn find_doc_numbers(text: &str) -> Vec<String> {
    // Spaces go, except that one between two numbers separates the year
    // from the serial (国发 2019 5号).
    let raw: Vec<char> = text.chars().collect();
    let mut chars: Vec<char> = Vec::with_capacity(raw.len());
    for (i, &c) in raw.iter().enumerate() {
        if !c.is_whitespace() {
            chars.push(c);
        } else if chars.last().is_some_and(char::is_ascii_digit)
            && raw[i + 1..].iter().find(|c| !c.is_whitespace()).is_some_and(char::is_ascii_digit)
            && chars.last() != Some(&'年')
        {
            chars.push('年');
        }
    }
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '号' {
            i += 1;
            continue;
        }
        // Agencies are at least two characters; look back at most 24.
        for start in i.saturating_sub(24)..i {
            let candidate: String = chars[start..=i].iter().collect();
            if let Ok(parsed) = doc_number::parse(&candidate)
                && parsed.number.agency.chars().count() >= 2
            {
                let number = parsed.number.to_string();
                if !found.contains(&number) {
                    found.push(number);
                }
            }
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast paths of `normalise_char`, `is_meaningful` and
    /// `is_word_char` must answer exactly what Unicode's tables answer, for
    /// every character.
    #[test]
    fn fast_paths_agree_with_unicode_tables() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let narrowed = half_width(c);
            let mut lower = narrowed.to_lowercase();
            let expected = match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => narrowed,
            };
            let expected = if is_cjk(c) { simplified(c) } else { expected };
            assert_eq!(normalise_char(c), expected, "U+{:04X}", c as u32);
            assert_eq!(is_meaningful(c.encode_utf8(&mut [0; 4])), c.is_alphanumeric(), "U+{:04X}", c as u32);
            assert_eq!(is_word_char(c), c.is_alphanumeric() && !is_cjk(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn normalises_width_case_and_script() {
        assert_eq!(normalise("個人所得稅"), "个人所得税");
        // One character for one, as the browser's table does: fast2s's
        // rules for neighbours (乾隆, 答覆) are not applied.
        assert_eq!(normalise("乾隆年间的答覆"), "干隆年间的答覆");
        assert_eq!(normalise("ＡＢＣ１２３　Ｘ"), "abc123 x");
        assert_eq!(normalise("国发〔2019〕5号").chars().count(), "国发〔2019〕5号".chars().count());
    }

    #[test]
    fn bigrams_cover_cjk_runs_and_words() {
        assert_eq!(bigrams("社保卡 app12345，医"), vec!["社保", "保卡", "app12345", "医"]);
    }

    #[test]
    fn doc_numbers_are_found_in_any_form() {
        for q in
            ["国发2019年5号", "国发[2019]5号文件", "关于国发（2019）5号的解读", "国发〔2019〕5号", "国发 〔2019〕 5 号"]
        {
            assert!(find_doc_numbers(q).contains(&"国发〔2019〕5号".to_string()), "{q}");
        }
        assert_eq!(find_doc_numbers("国令第707号"), vec!["国令第707号".to_string()]);
        assert!(find_doc_numbers("国办发〔2019〕5号").contains(&"国办发〔2019〕5号".to_string()));
        assert!(find_doc_numbers("社保卡丢了怎么办").is_empty());
    }
}
