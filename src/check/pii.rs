//! Personal information (个人信息) in text a government website publishes.
//!
//! The scanner is deliberately conservative: laws and policy documents are full of long numbers
//! (dates, document numbers, money amounts, 统一社会信用代码), and a false alarm in the build gate
//! costs more trust than it buys. A number is only reported when it has the exact shape of an ID
//! card, a mobile number or a bank card, passes that format's checksum, and stands on its own.

use std::ops::Range;

/// What kind of personal information was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PiiKind {
    IdCard,
    Mobile,
    BankCard,
}

impl PiiKind {
    /// Chinese name for messages: 身份证号, 手机号码, 银行卡号.
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::IdCard => "身份证号",
            PiiKind::Mobile => "手机号码",
            PiiKind::BankCard => "银行卡号",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: PiiKind,
    /// Byte range in the scanned text.
    pub span: Range<usize>,
    /// The value masked for display in a hint: 138****1234, 152201********1234, 6222 **** **** 1234 style (keep first and last few digits, mask the middle with *).
    pub masked: String,
}

/// Every piece of personal information in `text`, in order of position, non-overlapping.
pub fn find(text: &str) -> Vec<Finding> {
    let runs = digit_runs(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let mut j = i + 1;
        while j < runs.len() && joined(text, &runs[j - 1], &runs[j]) {
            j += 1;
        }
        let chain = &runs[i..j];
        match grouped(text, chain) {
            Some(f) => out.push(f),
            None => out.extend(chain.iter().filter_map(|r| single(text, r))),
        }
        i = j;
    }
    out
}

/// A maximal run of digits (ASCII or full-width), with the digits normalised to ASCII.
struct Run {
    start: usize,
    end: usize,
    digits: String,
}

/// Amount and counter suffixes: an 11-19 digit number followed by one of these is a quantity or a
/// serial number in a document, not a phone or card number.
const UNIT_SUFFIXES: &[char] = &['元', '万', '亿', '%', '％', '号', '吨', '人', '次', '个', '件', '户'];
const CURRENCY_PREFIXES: &[char] = &['¥', '￥', '$', '€', '£'];

fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => Some((c as u32 - '０' as u32) as u8),
        _ => None,
    }
}

fn is_digit(c: char) -> bool {
    digit_value(c).is_some()
}

/// Bytes that can start a digit or a link: ASCII digits, `h`/`H`, and the
/// lead byte of the full-width digits (U+FF10–FF19 are EF BC 90–99). Text
/// between them is skipped without decoding it: this runs over every
/// character of the site on every build.
const MAY_MATTER: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b'0';
    while b <= b'9' {
        table[b as usize] = true;
        b += 1;
    }
    table[b'h' as usize] = true;
    table[b'H' as usize] = true;
    table[0xEF] = true;
    table
};

fn digit_runs(text: &str) -> Vec<Run> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut cur: Option<Run> = None;
    let mut i = 0;
    while i < bytes.len() {
        if cur.is_none() {
            // Outside a run, a character that is neither a digit nor `h`
            // changes nothing. The bytes found are ASCII or lead bytes, so
            // `i` stays on a character boundary.
            match bytes[i..].iter().position(|&b| MAY_MATTER[b as usize]) {
                Some(skip) => i += skip,
                None => break,
            }
        }
        let Some(c) = text[i..].chars().next() else { break };
        if let Some(d) = digit_value(c) {
            let run = cur.get_or_insert_with(|| Run { start: i, end: i, digits: String::new() });
            run.digits.push(char::from(b'0' + d));
            i += c.len_utf8();
            run.end = i;
            continue;
        }
        runs.extend(cur.take());
        let at = i;
        i += c.len_utf8();
        if matches!(c, 'h' | 'H') && starts_url(&text[at..]) {
            // Numbers in links (article ids, dates in paths) are not personal data. The link ends at
            // whitespace, and also at the first non-ASCII character: Chinese text usually runs
            // straight on after a link with no space, and swallowing the rest of the paragraph would
            // hide real numbers.
            while bytes.get(i).is_some_and(|b| b.is_ascii() && !b.is_ascii_whitespace()) {
                i += 1;
            }
        }
    }
    runs.extend(cur);
    runs
}

fn starts_url(s: &str) -> bool {
    let b = s.as_bytes();
    let has = |p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
    has(b"http://") || has(b"https://")
}

/// Two runs separated by exactly one space or hyphen may be groups of one number (138 1234 5678).
fn joined(text: &str, a: &Run, b: &Run) -> bool {
    b.start == a.end + 1 && matches!(text.as_bytes()[a.end], b' ' | b'-')
}

fn char_before(text: &str, pos: usize) -> Option<char> {
    text[..pos].chars().next_back()
}

fn char_after(text: &str, pos: usize) -> Option<char> {
    text[pos..].chars().next()
}

/// Whether a number starting at `start` stands on its own rather than continuing an identifier,
/// a decimal (3.14), a hyphenated code (2019-13812345678) or a money amount.
fn left_ok(text: &str, start: usize) -> bool {
    match char_before(text, start) {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' || is_digit(c) => false,
        // '.' and '-' are one byte, so `start - 1` is a char boundary.
        Some('.' | '-') => !char_before(text, start - 1).is_some_and(is_digit),
        Some(c) => !CURRENCY_PREFIXES.contains(&c),
    }
}

fn right_ok(text: &str, end: usize) -> bool {
    match char_after(text, end) {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' || is_digit(c) => false,
        Some('.' | '-') => !char_after(text, end + 1).is_some_and(is_digit),
        Some(c) => !UNIT_SUFFIXES.contains(&c),
    }
}

fn uniform_separators(text: &str, runs: &[Run]) -> bool {
    let bytes = text.as_bytes();
    runs.windows(2).all(|w| bytes[w[0].end] == bytes[runs[0].end])
}

fn concat(runs: &[Run]) -> String {
    runs.iter().map(|r| r.digits.as_str()).collect()
}

/// A chain of space- or hyphen-separated groups read as one number: `+86 138 1234 5678`,
/// `86-13812345678`, `138-1234-5678`, `6222 0212 3456 7890`. The whole chain must match, so that a
/// longer grouped number is not split into a phone number plus leftovers.
fn grouped(text: &str, chain: &[Run]) -> Option<Finding> {
    let last = chain.last()?;
    if chain.len() < 2 || !right_ok(text, last.end) {
        return None;
    }
    if chain[0].digits == "86" {
        let body = &chain[1..];
        let start = match char_before(text, chain[0].start) {
            Some(c @ ('+' | '＋')) => chain[0].start - c.len_utf8(),
            _ => chain[0].start,
        };
        let shape_ok = body.len() == 1 || (body.len() == 3 && group_lengths(body, &[3, 4, 4]));
        let digits = concat(body);
        if shape_ok && uniform_separators(text, body) && is_mobile(&digits) && left_ok(text, start) {
            return Some(mobile(start..last.end, &digits));
        }
    }
    if !left_ok(text, chain[0].start) || !uniform_separators(text, chain) {
        return None;
    }
    let digits = concat(chain);
    let span = chain[0].start..last.end;
    if chain.len() == 3 && group_lengths(chain, &[3, 4, 4]) && is_mobile(&digits) {
        return Some(mobile(span, &digits));
    }
    // Cards are printed in groups of four; a 19-digit card leaves a short last group.
    let (head, tail) = chain.split_at(chain.len() - 1);
    let card_shape = head.iter().all(|r| r.digits.len() == 4) && (1..=4).contains(&tail[0].digits.len());
    if card_shape && is_bank_card(&digits) {
        return Some(bank_card(span, &digits));
    }
    None
}

fn group_lengths(runs: &[Run], lens: &[usize]) -> bool {
    runs.len() == lens.len() && runs.iter().zip(lens).all(|(r, &n)| r.digits.len() == n)
}

/// One run of digits on its own.
fn single(text: &str, r: &Run) -> Option<Finding> {
    let d = r.digits.as_str();
    // The ID check character may be X, which is not part of the digit run.
    let mut end = r.end;
    let mut eighteen = None;
    if d.len() == 17 {
        if let Some(c @ ('X' | 'x' | 'Ｘ' | 'ｘ')) = char_after(text, r.end) {
            end += c.len_utf8();
            eighteen = Some(format!("{d}X"));
        }
    } else if d.len() == 18 {
        eighteen = Some(d.to_string());
    }
    if !left_ok(text, r.start) || !right_ok(text, end) {
        return None;
    }
    if let Some(s) = eighteen {
        // A 统一社会信用代码 identifies an organisation and is published on purpose; it wins over
        // every other reading of the same 18 characters.
        if is_uscc(&s) {
            return None;
        }
        if is_id_card(&s) {
            let masked = format!("{}********{}", &s[..6], &s[14..]);
            return Some(Finding { kind: PiiKind::IdCard, span: r.start..end, masked });
        }
        if s.ends_with('X') {
            // 17 digits glued to a letter: part of some identifier.
            return None;
        }
    }
    if is_mobile(d) {
        return Some(mobile(r.start..r.end, d));
    }
    if d.len() == 13 && d.starts_with("86") && is_mobile(&d[2..]) {
        // `+8613812345678`: without the plus, 13 digits are too ambiguous to call a phone number.
        if let Some(c @ ('+' | '＋')) = char_before(text, r.start) {
            let start = r.start - c.len_utf8();
            if left_ok(text, start) {
                return Some(mobile(start..r.end, &d[2..]));
            }
        }
        return None;
    }
    if is_bank_card(d) {
        return Some(bank_card(r.start..r.end, d));
    }
    None
}

fn mobile(span: Range<usize>, d: &str) -> Finding {
    Finding { kind: PiiKind::Mobile, span, masked: format!("{}****{}", &d[..3], &d[7..]) }
}

fn bank_card(span: Range<usize>, d: &str) -> Finding {
    let mut masked = d[..4].to_string();
    let mut hidden = d.len() - 8;
    while hidden > 0 {
        let n = hidden.min(4);
        masked.push(' ');
        masked.extend(std::iter::repeat_n('*', n));
        hidden -= n;
    }
    masked.push(' ');
    masked.push_str(&d[d.len() - 4..]);
    Finding { kind: PiiKind::BankCard, span, masked }
}

fn is_mobile(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// Province-level codes that start every ID number (GB/T 2260), including 71 台湾, 81 香港,
/// 82 澳门 and 83 for residence permits of Taiwan residents.
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
    "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
];

/// GB 11643-1999: region, birth date, sequence, ISO 7064 MOD 11-2 check character.
/// `s` is 18 ASCII characters, the last possibly an upper-case X.
fn is_id_card(s: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || !PROVINCES.contains(&&s[..2]) {
        return false;
    }
    let num = |r: Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    if !(1900..=2099).contains(&year) || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return false;
    }
    let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(&c, w)| u32::from(c - b'0') * w).sum();
    CHECK[(sum % 11) as usize] == b[17]
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// GB 32100-2015 统一社会信用代码: 17 characters and a MOD 31 check character.
fn is_uscc(s: &str) -> bool {
    const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let value = |c: u8| CHARSET.iter().position(|&x| x == c).map(|v| v as u32);
    let b = s.as_bytes();
    if b.len() != 18 {
        return false;
    }
    let mut sum = 0;
    for (&c, w) in b[..17].iter().zip(WEIGHTS) {
        let Some(v) = value(c) else { return false };
        sum += v * w;
    }
    CHARSET[((31 - sum % 31) % 31) as usize] == b[17]
}

/// 16-19 digits from a major card scheme (3 JCB/Amex, 4 Visa, 5 Mastercard, 6 UnionPay) with a
/// valid Luhn check digit.
fn is_bank_card(d: &str) -> bool {
    let b = d.as_bytes();
    (16..=19).contains(&b.len()) && (b'3'..=b'6').contains(&b[0]) && b.iter().all(u8::is_ascii_digit) && luhn(b)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ID check character, computed independently of the scanner: weight of position i is
    /// 2^(17-i) mod 11, check value is (12 - sum mod 11) mod 11 with 10 written as X.
    fn id_check(body17: &str) -> char {
        let sum: u64 =
            body17.bytes().enumerate().map(|(i, c)| u64::from(c - b'0') * (2u64.pow(17 - i as u32) % 11)).sum();
        let v = (12 - sum % 11) % 11;
        if v == 10 { 'X' } else { char::from(b'0' + v as u8) }
    }

    fn id(body17: &str) -> String {
        format!("{body17}{}", id_check(body17))
    }

    /// USCC check character: weight of position i is 3^i mod 31.
    fn uscc_check(body17: &str) -> char {
        let charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        let sum: u64 =
            body17.chars().enumerate().map(|(i, c)| charset.find(c).unwrap() as u64 * (3u64.pow(i as u32) % 31)).sum();
        charset.chars().nth(((31 - sum % 31) % 31) as usize).unwrap()
    }

    fn luhn_digit(body: &str) -> char {
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let d = u32::from(c - b'0');
                if i % 2 == 0 { (d * 2) / 10 + (d * 2) % 10 } else { d }
            })
            .sum();
        char::from(b'0' + ((10 - sum % 10) % 10) as u8)
    }

    fn card(body: &str) -> String {
        format!("{body}{}", luhn_digit(body))
    }

    fn kinds(text: &str) -> Vec<(PiiKind, &str)> {
        let found = find(text);
        for w in found.windows(2) {
            assert!(w[0].span.end <= w[1].span.start, "overlap or disorder in {found:?}");
        }
        found.iter().map(|f| (f.kind, &text[f.span.clone()])).collect()
    }

    #[test]
    fn helpers_agree_with_published_examples() {
        // Examples printed in GB 11643-1999 and a widely cited GB 32100-2015 example.
        assert_eq!(id("11010519491231002"), "11010519491231002X");
        assert_eq!(id("44052418800101001"), "440524188001010014");
        assert_eq!(uscc_check("91350100M000100Y4"), '3');
        assert_eq!(card("411111111111111"), "4111111111111111");
    }

    #[test]
    fn id_card_with_x_and_digit_checksums() {
        let x = id("11010519491231002");
        let t = format!("申请人身份证号：{x}，住址北京。");
        assert_eq!(kinds(&t), vec![(PiiKind::IdCard, x.as_str())]);
        assert_eq!(find(&t)[0].masked, "110105********002X");

        let lower = x.to_lowercase();
        assert_eq!(kinds(&format!("证号{lower}。")), vec![(PiiKind::IdCard, lower.as_str())]);

        let d = id("15220119900307123");
        assert!(d.ends_with(|c: char| c.is_ascii_digit()), "{d}");
        let t = d.clone();
        assert_eq!(kinds(&t), vec![(PiiKind::IdCard, d.as_str())]);
        assert_eq!(find(&t)[0].masked, format!("152201********{}", &d[14..]));
    }

    #[test]
    fn id_card_rejections() {
        let good = id("11010519491231002");
        let mut wrong = good[..17].to_string();
        wrong.push(if good.ends_with('0') { '1' } else { '0' });
        assert_eq!(kinds(&format!("身份证{wrong}号码")), vec![]);

        // 1990-02-30 does not exist; 1899 and 2100 are out of range.
        for body in ["11010519900230123", "11010518991231123", "11010521000101123", "11010519901301123"] {
            assert_eq!(kinds(&format!("号码{}。", id(body))), vec![], "{body}");
        }
        // Not delimited: glued to letters or inside a longer number.
        assert_eq!(kinds(&format!("ABC{good}")), vec![]);
        assert_eq!(kinds(&format!("{good}z")), vec![]);
        assert_eq!(kinds(&format!("1{good}")), vec![]);
        assert_eq!(kinds(&format!("user_{good}")), vec![]);
    }

    #[test]
    fn full_width_id_keeps_original_byte_span() {
        let plain = id("11010519491231002");
        let wide: String = plain
            .chars()
            .map(|c| if c == 'X' { 'Ｘ' } else { char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap() })
            .collect();
        let t = format!("证件：{wide}。");
        let found = find(&t);
        assert_eq!(found.len(), 1);
        assert_eq!(&t[found[0].span.clone()], wide);
        assert_eq!(found[0].masked, "110105********002X");
        // Mixed full-width and ASCII digits in one number still count as one run.
        let mixed = "电话１３８12345678。";
        assert_eq!(kinds(mixed), vec![(PiiKind::Mobile, "１３８12345678")]);
    }

    #[test]
    fn mobile_forms_in_sentences() {
        let cases = [
            ("请拨打13812345678联系。", "13812345678"),
            ("联系电话：+86 138 1234 5678。", "+86 138 1234 5678"),
            ("手机+86-13912345678，", "+86-13912345678"),
            ("手机 86 15012345678 （张）", "86 15012345678"),
            ("电话138-1234-5678或", "138-1234-5678"),
            ("电话 138 1234 5678 转", "138 1234 5678"),
            ("电话＋8619912345678。", "＋8619912345678"),
            ("tel:+86-138-1234-5678.", "+86-138-1234-5678"),
        ];
        for (text, want) in cases {
            let found = find(text);
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].kind, PiiKind::Mobile);
            assert_eq!(&text[found[0].span.clone()], want, "{text}");
        }
        assert_eq!(find("请拨打13812345678联系")[0].masked, "138****5678");
        assert_eq!(find("+86 138 1234 5678")[0].masked, "138****5678");
        let two = kinds("张三13800001111、李四 15900002222");
        assert_eq!(two, vec![(PiiKind::Mobile, "13800001111"), (PiiKind::Mobile, "15900002222")]);
    }

    #[test]
    fn not_mobiles() {
        for text in [
            "12345",
            "编号12345号",
            "电话0482-8261234",
            "服务热线400-810-8888",
            "热线4008108888",
            "电话010-12345678",
            "12812345678",
            "138123456789",
            "0.13812345678",
            "13812345678.5",
            "2019-13812345678",
            "13812345678-1",
            "预算13500000000元",
            "第13812345678号",
            "138 1234 5678 9012",
            "138 1234-5678",
            "ID13812345678",
        ] {
            assert_eq!(kinds(text), vec![], "{text}");
        }
    }

    #[test]
    fn bank_cards() {
        let c16 = card("622202123456789");
        let c19 = card("621700123456789012");
        assert_eq!(c19.len(), 19);
        for c in [&c16, &c19, &"4111111111111111".to_string()] {
            let t = format!("卡号{c}。");
            assert_eq!(kinds(&t), vec![(PiiKind::BankCard, c.as_str())]);
        }
        assert_eq!(find(&format!("卡号{c16}"))[0].masked, format!("6222 **** **** {}", &c16[12..]));
        assert_eq!(find(&c19)[0].masked, format!("6217 **** **** *** {}", &c19[15..]));

        let spaced = format!("{} {} {} {}", &c16[..4], &c16[4..8], &c16[8..12], &c16[12..]);
        let t = format!("账户：{spaced}，开户行");
        assert_eq!(kinds(&t), vec![(PiiKind::BankCard, spaced.as_str())]);
        assert_eq!(find(&t)[0].masked, format!("6222 **** **** {}", &c16[12..]));
        let dashed = format!("{}-{}-{}-{}-{}", &c19[..4], &c19[4..8], &c19[8..12], &c19[12..16], &c19[16..]);
        assert_eq!(kinds(&format!("卡{dashed}")), vec![(PiiKind::BankCard, dashed.as_str())]);

        // Luhn-invalid, wrong scheme, or ungrouped in odd groups.
        let bad = format!("{}{}", &c16[..15], (c16.as_bytes()[15] - b'0' + 1) % 10);
        assert_eq!(kinds(&format!("卡号{bad}")), vec![]);
        assert_eq!(kinds(&card("122202123456789")), vec![]);
        assert_eq!(kinds(&format!("{} {}", &c16[..8], &c16[8..])), vec![]);
    }

    #[test]
    fn id_that_is_also_luhn_valid_is_one_id_finding() {
        let both = (0..1000)
            .map(|n| id(&format!("44052419800101{n:03}")))
            .find(|s| luhn(s.as_bytes()) && !is_uscc(s))
            .expect("some ID passes Luhn");
        let found = find(&both);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, PiiKind::IdCard);
        assert_eq!(found[0].span, 0..18);
    }

    #[test]
    fn unified_social_credit_codes_are_not_personal() {
        let lettered = "91350100M000100Y43";
        assert_eq!(kinds(&format!("统一社会信用代码：{lettered}")), vec![]);
        let computed = format!("91110108MA01{}", "C2R3T");
        let code = format!("{computed}{}", uscc_check(&computed));
        assert_eq!(kinds(&format!("代码{code}。")), vec![]);

        // An all-digit code that also passes every ID card check must still not be flagged.
        let sneaky = (0..1000)
            .map(|n| id(&format!("11010519900307{n:03}")))
            .find(|s| s.bytes().all(|b| b.is_ascii_digit()) && uscc_check(&s[..17]) == s.chars().last().unwrap())
            .expect("some ID is also a valid USCC");
        assert!(is_id_card(&sneaky));
        assert_eq!(kinds(&format!("信用代码{sneaky}。")), vec![]);
        // Same for one whose digits would pass Luhn as a card.
        let digits_only = (0..100_000u32)
            .map(|n| format!("5{n:016}"))
            .map(|b| format!("{b}{}", uscc_check(&b)))
            .find(|s| s.bytes().all(|b| b.is_ascii_digit()) && luhn(s.as_bytes()))
            .expect("some USCC passes Luhn");
        assert_eq!(kinds(&digits_only), vec![]);
    }

    #[test]
    fn long_runs_and_urls() {
        let c = card("6222021234567890123");
        assert_eq!(c.len(), 20);
        assert_eq!(kinds(&format!("编号{c}")), vec![]);
        assert_eq!(kinds("12345678901234567890123456789"), vec![]);
        assert_eq!(kinds(&"6".repeat(10_000)), vec![]);

        let t = "见 https://www.gov.cn/zhengce/13812345678/content_6222021234567894.htm 或致电 13912345678";
        assert_eq!(kinds(t), vec![(PiiKind::Mobile, "13912345678")]);
        let t = "见HTTP://example.cn/u/13812345678。电话13912345678";
        assert_eq!(kinds(t), vec![(PiiKind::Mobile, "13912345678")]);
    }

    #[test]
    fn law_text_has_no_findings() {
        let text = "第十二条　本法自2019年1月1日起施行。国发〔2019〕5号 金额1000000元\n\
            第十三条　违反本法规定的，处十万元以上一百万元以下罚款（100000—1000000元）。\n\
            国务院办公厅 2019年12月31日 国办发〔2019〕55号 统一社会信用代码：11100000000013127X\n\
            全国统一咨询电话 12345，举报电话 0471-6945678，服务热线 400-600-8888。\n\
            项目编号：20190101000123456789012，预算金额：12500000000.00元，占比 13.5%。\n\
            京ICP备05070218号 京公网安备11010202000001号 https://www.gov.cn/zhengce/2019-01/18/content_5359102.htm";
        assert_eq!(find(text), vec![]);
    }

    #[test]
    fn spans_slice_back_and_edge_inputs_do_not_panic() {
        assert_eq!(find(""), vec![]);
        assert_eq!(find("０"), vec![]);
        assert_eq!(find("+"), vec![]);
        assert_eq!(find("86 "), vec![]);
        assert_eq!(find("-"), vec![]);
        let x = id("11010519491231002");
        let text = format!("中文{x}中文13812345678中文+86 138 1234 5678中文４１１１１１１１１１１１１１１１。");
        let found = kinds(&text);
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(found[3], (PiiKind::BankCard, "４１１１１１１１１１１１１１１１"));
        for len in 0..45 {
            for pattern in ["1", "6", "０", "1 ", "1-", "1.", "x", "86 ", "+"] {
                let s = format!("中{}文", pattern.repeat(len));
                for f in find(&s) {
                    assert!(s.is_char_boundary(f.span.start) && s.is_char_boundary(f.span.end));
                }
            }
        }
    }
}
