//! Property tests: no input makes the front-matter or 文号 parsers panic, and
//! every accepted 文号 normalises to a canonical form that parses back to
//! itself.

use proptest::prelude::*;
use zhiku::config::Config;
use zhiku::content::{doc_number, parse_document};

fn config() -> Config {
    Config::parse("base_url = \"https://x.gov.cn\"\ntitle = \"t\"\n").unwrap()
}

const FRONT_MATTER_PIECES: &[&str] = &[
    "+++\n",
    "title = \"标题\"\n",
    "doc_number = \"国发〔2019〕5号\"\n",
    "published = 2019-02-30\n",
    "written = 2019-01-01\n",
    "topics = [\"其他\"]\n",
    "issuers = [\"国务院\"]\n",
    "question = 1\n",
    "= \"x\"\n",
    "[[attachments]]\n",
    "attachments = [{ title = 1 }]\n",
    "tags = [\"a\", 2]\n",
    "\"\"\"\n",
    "[table\n",
    "genre = \"通知\"\n",
    "正文\n",
    "\u{feff}",
    "regions = \"152200\"\n",
    "policies = [\"国发[2019]5号\", \"policies/a.md\"]\n",
    "updated = \"2026-1-1\"\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn doc_number_parser_never_panics(input in "\\PC{0,24}") {
        let _ = doc_number::parse(&input);
    }

    #[test]
    fn canonical_doc_numbers_are_stable(
        agency in "[国办发函令内兴署]{1,4}",
        year in 1949u16..=2100,
        serial in 1u32..100_000,
        brackets in prop::sample::select(vec![("〔", "〕"), ("[", "]"), ("(", ")"), ("（", "）"), ("【", "】")]),
        di in any::<bool>(),
    ) {
        let input = format!("{agency}{}{year}{}{}{serial}号", brackets.0, brackets.1, if di { "第" } else { "" });
        let parsed = doc_number::parse(&input).unwrap();
        let canonical = parsed.number.to_string();
        prop_assert_eq!(&canonical, &format!("{agency}〔{year}〕{serial}号"));
        let again = doc_number::parse(&canonical).unwrap();
        prop_assert!(again.was_canonical);
    }

    #[test]
    fn front_matter_parser_never_panics(pieces in prop::collection::vec(prop::sample::select(FRONT_MATTER_PIECES), 0..14)) {
        let source: String = pieces.concat();
        let config = config();
        for path in ["policies/a.md", "qa/b.md", "interpretations/c.md", "_index.md", "page.md"] {
            let _ = parse_document(path, &source, &config);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(source in "\\PC{0,200}") {
        let config = config();
        let _ = parse_document("policies/a.md", &format!("+++\n{source}\n+++\n"), &config);
        let _ = parse_document("qa/a.md", &source, &config);
    }
}
