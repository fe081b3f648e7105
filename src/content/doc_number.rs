//! 发文字号 (document numbers): parsing, validation and normalisation.
//!
//! The canonical form is `机关代字〔年份〕序号号` (国发〔2019〕5号), or
//! `机关代字第序号号` for numbered orders (国令第707号). Writers and callers
//! use many looser forms — ASCII or full-width brackets, a stray 第, full-width
//! digits, `国发2019年5号` — which all normalise to the canonical one so that
//! a document is found however its number was typed.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocNumber {
    /// 机关代字, e.g. 国发, 国办函, 国令.
    pub agency: String,
    /// 年份; `None` for the `国令第707号` form.
    pub year: Option<u16>,
    /// 序号
    pub serial: u32,
}

impl fmt::Display for DocNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Some(year) => write!(f, "{}〔{}〕{}号", self.agency, year, self.serial),
            None => write!(f, "{}第{}号", self.agency, self.serial),
        }
    }
}

/// What went wrong, phrased for the diagnostic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocNumberError(pub String);

/// A successfully parsed number, and whether the input had to be normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub number: DocNumber,
    pub was_canonical: bool,
}

const OPEN_BRACKETS: &[char] = &['〔', '[', '(', '（', '【', '［', '﹝', '〖', '［'];
const CLOSE_BRACKETS: &[char] = &['〕', ']', ')', '）', '】', '］', '﹞', '〗', '］'];

fn to_ascii_digit(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn is_agency_char(c: char) -> bool {
    // 机关代字 are Chinese characters; a few local codes carry Latin letters.
    (c.is_alphabetic() && !c.is_ascii_digit()) && !OPEN_BRACKETS.contains(&c) && c != '第' && c != '号'
}

/// Parses a 文号 in any common form.
///
/// ```
/// use zhiku::content::doc_number::parse;
///
/// let parsed = parse("国发[2019]第5号").unwrap();
/// assert_eq!(parsed.number.to_string(), "国发〔2019〕5号");
/// assert!(!parsed.was_canonical);
/// assert!(parse("国令第707号").unwrap().was_canonical);
/// assert!(parse("2019年5号").is_err());
/// ```
pub fn parse(input: &str) -> Result<Parsed, DocNumberError> {
    let trimmed = input.trim();
    let chars: Vec<char> = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
    // Agencies never contain 第: in `国令第707号` it is the separator.
    let agency_end = chars.iter().position(|&c| !is_agency_char(c)).unwrap_or(chars.len());
    let agency: String = chars[..agency_end].iter().collect();
    if agency.is_empty() {
        return Err(DocNumberError("the 文号 must start with the issuing agency's code (机关代字), e.g. 国发".into()));
    }
    let mut i = agency_end;

    let read_digits = |i: &mut usize| -> Option<u32> {
        let start = *i;
        let mut value: u32 = 0;
        while let Some(d) = chars.get(*i).and_then(|&c| to_ascii_digit(c)) {
            value = value.checked_mul(10)?.checked_add(d)?;
            *i += 1;
        }
        (*i > start).then_some(value)
    };

    let mut year = None;
    let mut canonical_brackets = true;
    match chars.get(i) {
        Some(&c) if OPEN_BRACKETS.contains(&c) => {
            canonical_brackets = c == '〔';
            i += 1;
            let y = read_digits(&mut i)
                .filter(|y| (1949..=2100).contains(y))
                .ok_or_else(|| DocNumberError("the year in brackets must be four digits, e.g. 〔2019〕".into()))?;
            match chars.get(i) {
                Some(&close) if CLOSE_BRACKETS.contains(&close) => {
                    canonical_brackets &= close == '〕';
                    i += 1;
                }
                _ => return Err(DocNumberError("the year is not closed with 〕".into())),
            }
            year = Some(y as u16);
        }
        Some(&c) if to_ascii_digit(c).is_some() => {
            // 国发2019年5号
            let y = read_digits(&mut i)
                .filter(|y| (1949..=2100).contains(y))
                .ok_or_else(|| DocNumberError("expected a four-digit year after the agency code".into()))?;
            if chars.get(i) == Some(&'年') {
                i += 1;
            }
            year = Some(y as u16);
            canonical_brackets = false;
        }
        Some('第') => {}
        _ => {
            return Err(DocNumberError(
                "expected the year in 〔〕 after the agency code, as in 国发〔2019〕5号".into(),
            ));
        }
    }

    let mut had_di = false;
    if chars.get(i) == Some(&'第') {
        had_di = true;
        i += 1;
    }
    let serial =
        read_digits(&mut i).ok_or_else(|| DocNumberError("expected the serial number (序号) before 号".into()))?;
    if chars.get(i) != Some(&'号') {
        return Err(DocNumberError("a 文号 ends with 号, as in 国发〔2019〕5号".into()));
    }
    i += 1;
    if i != chars.len() {
        let rest: String = chars[i..].iter().collect();
        return Err(DocNumberError(format!("unexpected text `{rest}` after 号")));
    }
    if year.is_none() && !had_di {
        return Err(DocNumberError("expected the year in 〔〕 or 第 before the serial number".into()));
    }
    let number = DocNumber { agency, year, serial };
    // 第 is only canonical in the yearless order form (国令第707号).
    let di_ok = had_di == year.is_none();
    let was_canonical = canonical_brackets && di_ok && number.to_string() == trimmed;
    Ok(Parsed { number, was_canonical })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_round_trip() {
        for s in ["国发〔2019〕5号", "国办发明电〔2018〕15号", "国令第707号", "兴署办发〔2024〕12号"]
        {
            let parsed = parse(s).unwrap();
            assert!(parsed.was_canonical, "{s}");
            assert_eq!(parsed.number.to_string(), s);
        }
    }

    #[test]
    fn lenient_forms_normalise() {
        for s in [
            "国发[2019]5号",
            "国发(2019)5号",
            "国发（2019）5号",
            "国发〔2019〕第5号",
            "国发2019年5号",
            "国发〔２０１９〕５号",
            " 国发 〔2019〕 5号 ",
        ] {
            let parsed = parse(s).unwrap();
            assert!(!parsed.was_canonical, "{s}");
            assert_eq!(parsed.number.to_string(), "国发〔2019〕5号", "{s}");
        }
    }

    #[test]
    fn malformed_numbers_are_rejected() {
        for s in ["", "2019年5号", "国发〔19〕5号", "国发〔2019〕5", "国发〔2019〕号", "国发〔2019〕5号附件", "国发"]
        {
            assert!(parse(s).is_err(), "{s} should be rejected");
        }
    }
}
