//! The operator search over the demo site: a floor of demo queries that must
//! not regress, 文号 in every common form, internal guidance found by
//! operators (and only by them), and bad input answered with a message.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::build_into;
use zhiku::search::{
    self, Analyzer, CURRENT, Layers, NO_REGION, OperatorIndex, SearchDoc, SearchError, SearchRequest, SearchResponse,
    index_dir,
};

struct Demo {
    _dir: tempfile::TempDir,
    analyzer: Analyzer,
    index: OperatorIndex,
}

/// The demo site, built once for all tests of this file.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let report = build_into(root, &out, "2026-11-26");
        assert!(report.written, "{}", report.diagnostics.to_plain());
        let analyzer = Analyzer::load(&index_dir(root), Layers::ALL).unwrap();
        let index = OperatorIndex::open(&dir.path().join("operator")).unwrap();
        Demo { _dir: dir, analyzer, index }
    })
}

fn search(q: &str) -> SearchResponse {
    let d = demo();
    d.index.search(&d.analyzer, &SearchRequest { q: q.into(), ..SearchRequest::default() }).unwrap()
}

fn rank_of(q: &str, path: &str) -> Option<usize> {
    search(q).results.iter().position(|h| h.path == path)
}

/// Everyday questions and the document that answers them: each must come
/// within `top`. This is a floor: raise it, never lower it.
const DEMO_QUERIES: &[(&str, &str, usize)] = &[
    ("社保卡丢了怎么办", "qa/shebao/card-loss.md", 1),
    ("社会保障卡丢失", "qa/shebao/card-loss.md", 1),
    ("异地就医备案", "qa/yibao/offsite-filing.md", 1),
    ("低保怎么申请", "qa/jiuzhu/dibao-apply.md", 1),
    ("最低生活保障申请", "qa/jiuzhu/dibao-apply.md", 1),
    ("12345热线管哪些事", "qa/zhengwu/hotline-scope.md", 1),
    ("残疾人补贴", "qa/fuli/disability-subsidies.md", 1),
    ("个税专项附加扣除", "qa/shuiwu/special-deductions.md", 2),
    ("個人所得稅專項附加扣除", "qa/shuiwu/special-deductions.md", 2),
    ("失业保险金怎么领", "qa/jiuye/unemployment-benefit.md", 2),
    ("创业担保贷款", "qa/jiuye/startup-loan.md", 1),
    ("营业执照 个体户", "qa/shichang/individual-business.md", 1),
    ("简易注销", "qa/shichang/simple-deregistration.md", 1),
    ("高龄津贴", "qa/fuli/elderly-allowance.md", 2),
    ("无废城市", "policies/statecouncil/5359620.md", 1),
    ("专利代理条例", "policies/statecouncil/5341736.md", 1),
];

#[test]
fn demo_queries_find_their_answers() {
    let mut failures = Vec::new();
    for (query, path, top) in DEMO_QUERIES {
        match rank_of(query, path) {
            Some(rank) if rank < *top => {}
            other => failures.push(format!("{query}: {path} at {other:?}, wanted within {top}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn doc_numbers_in_any_form_come_first() {
    for q in ["国发〔2019〕5号", "国发[2019]5号", "国发（2019）5号", "国发(2019)5号", "国发2019年5号", "国发 2019 5号"]
    {
        assert_eq!(rank_of(q, "policies/statecouncil/5365945.md"), Some(0), "{q}");
    }
    assert_eq!(rank_of("国令第707号", "policies/statecouncil/5351177.md"), Some(0));
}

#[test]
fn internal_guidance_is_searchable_by_operators() {
    // A phrase that appears only in the 内部口径 of the card-loss entry.
    let response = search("代为办理挂失");
    let hit = response.results.iter().find(|h| h.path == "qa/shebao/card-loss.md").expect("found via internal text");
    assert!(hit.internal.as_deref().unwrap_or("").contains("不能代为办理挂失"));
}

#[test]
fn filters_and_facets() {
    let d = demo();
    let request =
        |kind: &str| SearchRequest { q: "社保卡".into(), kind: Some(kind.into()), ..SearchRequest::default() };
    let qa = d.index.search(&d.analyzer, &request("qa")).unwrap();
    assert!(!qa.results.is_empty() && qa.results.iter().all(|h| h.kind == "qa"));
    let all = d
        .index
        .search(&d.analyzer, &SearchRequest { q: "社保卡".into(), facets: true, ..SearchRequest::default() })
        .unwrap();
    assert_eq!(all.facets["kind"]["qa"] as usize, qa.total);
    assert!(all.facets["category"].contains_key("社会保障"), "{:?}", all.facets);
    assert!(search("社保卡").facets.is_empty(), "facets only on request");
    // Repealed policies only on request.
    let repealed = "中华人民共和国公司登记管理条例";
    assert!(!search(repealed).results.iter().any(|h| h.path == "policies/laws/22036146af3b.md"));
    let any = d
        .index
        .search(
            &d.analyzer,
            &SearchRequest { q: repealed.into(), status: Some("all".into()), ..SearchRequest::default() },
        )
        .unwrap();
    let hit = any.results.iter().find(|h| h.path == "policies/laws/22036146af3b.md").expect("found with status=all");
    assert_eq!(hit.status.as_deref(), Some("已废止"));
    // A 旗县市 sees the entries of the whole 盟 and its own, not another's.
    let region = |code: &str| SearchRequest {
        q: "高龄津贴 资格认证".into(),
        region: Some(code.into()),
        ..SearchRequest::default()
    };
    let tuquan = d.index.search(&d.analyzer, &region("152224")).unwrap();
    assert!(tuquan.results.iter().any(|h| h.path == "qa/fuli/tqx-allowance-certification.md"));
    let arxan = d.index.search(&d.analyzer, &region("152202")).unwrap();
    assert!(!arxan.results.iter().any(|h| h.path == "qa/fuli/tqx-allowance-certification.md"));
}

#[test]
fn snippets_are_highlighted_and_escaped() {
    let hit = &search("社保卡丢了怎么办").results[0];
    assert!(hit.snippet.contains("<mark>"), "{}", hit.snippet);
    assert!(!hit.snippet.replace("<mark>", "").replace("</mark>", "").contains('<'));
}

#[test]
fn bad_input_gets_a_message_not_a_panic() {
    let d = demo();
    let long = "社保".repeat(5000);
    for q in ["", "   ", "？？！！。", "\u{0}\u{7}\u{1b}", long.as_str()] {
        match d.index.search(&d.analyzer, &SearchRequest { q: q.into(), ..SearchRequest::default() }) {
            Err(SearchError::BadRequest(message)) => assert!(!message.is_empty()),
            other => panic!("{q:?}: expected a bad-request message, got {other:?}"),
        }
    }
    let limit = SearchRequest { q: "社保".into(), limit: Some(0), ..SearchRequest::default() };
    assert!(matches!(d.index.search(&d.analyzer, &limit), Err(SearchError::BadRequest(_))));
    // Control characters inside an otherwise good query are dropped.
    assert!(!search("社保卡\u{0}丢了").results.is_empty());
}

#[test]
fn json_schema_is_stable() {
    let value = serde_json::to_value(search("社保卡")).unwrap();
    let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["facets", "query", "results", "total"]);
    let hit: Vec<&str> = value["results"][0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(hit, ["date", "doc_number", "internal", "kind", "path", "score", "snippet", "status", "title", "url"]);
}

#[test]
fn typed_pinyin_finds_chinese_titles() {
    for q in ["wufeichengshi", "wfcs"] {
        assert_eq!(rank_of(q, "policies/statecouncil/5359620.md"), Some(0), "{q}");
    }
    assert!(rank_of("shebaoka", "qa/shebao/e-card.md").is_some_and(|r| r < 3));
    assert!(rank_of("yidijiuyi", "qa/yibao/offsite-filing.md").is_some_and(|r| r < 3));
}

#[test]
fn odd_region_codes_do_not_panic() {
    let d = demo();
    for region in ["兴安", "1", "", "15220１"] {
        let request = SearchRequest { q: "社保卡".into(), region: Some(region.into()), ..SearchRequest::default() };
        assert!(d.index.search(&d.analyzer, &request).is_ok(), "{region}");
    }
}

fn plain_doc(path: &str, body: &str) -> SearchDoc {
    SearchDoc {
        path: path.into(),
        url: format!("/{path}/"),
        kind: "qa".into(),
        title: String::new(),
        body: body.into(),
        facets: vec![vec!["kind".into(), "qa".into()], vec![NO_REGION.into()], vec![CURRENT.into()]],
        ..SearchDoc::default()
    }
}

#[test]
fn common_terms_only_score_documents_that_match_a_rarer_one() {
    let analyzer = &demo().analyzer;
    let mut docs: Vec<SearchDoc> =
        (0..1200).map(|i| plain_doc(&format!("d{i}"), &format!("第{i}号 窗口 办理 业务"))).collect();
    docs.push(plain_doc("card", "社保卡 挂失 办理"));
    let index = OperatorIndex::from_index(&search::operator::build_in_ram(&docs, analyzer).unwrap()).unwrap();
    let total = |q: &str| index.search(analyzer, &SearchRequest { q: q.into(), ..SearchRequest::default() }).unwrap();
    // 办理 is in every document, past the 1,000-document floor of a common
    // term: with 社保卡 it only adds to the score of documents that have
    // 社保卡, so one match instead of 1,201.
    let both = total("社保卡 办理");
    assert_eq!(both.total, 1);
    assert_eq!(both.results[0].path, "card");
    // Alone, a common term is still searched.
    assert_eq!(total("办理").total, 1201);
}

#[test]
fn an_index_from_another_version_is_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let mut schema = tantivy::schema::Schema::builder();
    schema.add_text_field("path", tantivy::schema::STRING);
    let index = tantivy::Index::create_in_dir(dir.path(), schema.build()).unwrap();
    index.writer_with_num_threads(1, 15_000_000).map(|mut w: tantivy::IndexWriter| w.commit()).unwrap().unwrap();
    let error = OperatorIndex::open(dir.path()).err().expect("refused").to_string();
    assert!(error.contains("请重新运行 zhiku build"), "{error}");
}

/// The bigrams of bodies are kept beside tantivy's files: an index without
/// them is refused with the same advice, not read as if bodies had none.
#[test]
fn an_index_without_its_bigrams_is_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let docs =
        vec![zhiku::search::SearchDoc { path: "a.md".into(), body: "医保报销".into(), ..Default::default() }];
    let analyzer = &demo().analyzer;
    drop(zhiku::search::operator::build(dir.path(), &docs, analyzer).unwrap());
    assert!(OperatorIndex::open(dir.path()).is_ok());
    std::fs::remove_file(dir.path().join(zhiku::search::bigram_index::FILE)).unwrap();
    let error = OperatorIndex::open(dir.path()).err().expect("refused").to_string();
    assert!(error.contains("缺少 bigrams.bin，请重新运行 zhiku build"), "{error}");
}

/// A two-character word of a body is only in the body's word field (its
/// bigram field leaves it out), so a query that has it as a bigram, but not
/// as a word, must still find the body, in both indexes.
#[test]
fn a_bigram_is_found_where_a_body_has_it_as_a_word() {
    let analyzer = &demo().analyzer;
    let body = "请到窗口办理医保业务";
    let (words, grams) = analyzer.index_field(body, search::Cut::Plain);
    assert!(words.split(' ').any(|w| w == "医保") && !grams.split(' ').any(|g| g == "医保"), "{words} | {grams}");
    let query = "医保卡";
    let analysed = analyzer.query(query);
    assert!(
        analysed.bigrams.contains(&"医保".into()) && !analysed.words.iter().any(|(w, _)| w == "医保"),
        "{analysed:?}"
    );

    let docs = vec![plain_doc("other", "窗口业务"), plain_doc("yibao", body)];
    let tantivy_index = search::operator::build_in_ram(&docs, analyzer).unwrap();
    let index = OperatorIndex::from_index(&tantivy_index).unwrap();
    let found = index.search(analyzer, &SearchRequest { q: query.into(), ..SearchRequest::default() }).unwrap();
    assert_eq!(found.results.iter().map(|h| h.path.as_str()).collect::<Vec<_>>(), ["yibao"]);

    let files = std::sync::Mutex::new(Vec::new());
    search::public_index::build(&tantivy_index, &docs, analyzer, &Default::default(), &|made| {
        files.lock().unwrap().extend(made);
        Ok(())
    })
    .unwrap();
    let postings: Vec<serde_json::Value> = files
        .into_inner()
        .unwrap()
        .iter()
        .filter(|f| f.path.contains("/postings-v2/"))
        .filter_map(|f| serde_json::from_slice::<serde_json::Value>(&f.bytes).unwrap().get("b:医保").cloned())
        .collect();
    // `[gap, weight]`: the second document (a first gap is the number
    // itself), with the weight of a bigram.
    assert_eq!(postings.len(), 1, "{postings:?}");
    assert_eq!(postings[0][0], 1, "{postings:?}");
}
