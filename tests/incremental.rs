//! `serve`'s incremental rebuilds give the site a full build gives: edits
//! to a Q&A and to a policy of the demo, applied one after the other to a
//! built site, against a fresh full build of the edited site.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{date, read_tree};
use zhiku::build::{BuildOptions, build_keeping};
use zhiku::rebuild::{Outcome, Session};
use zhiku::search::{Analyzer, Layers, OperatorIndex, SearchRequest};

fn demo_copy() -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut files = read_tree(&repo.join("content"))
        .into_iter()
        .map(|(path, bytes)| (format!("content/{path}"), bytes))
        .collect::<Vec<_>>();
    for name in ["dict.txt", "synonyms.txt", "pinyin_phrases.txt"] {
        files.push((format!("index/{name}"), std::fs::read(repo.join("index").join(name)).unwrap()));
    }
    files.push(("config.toml".into(), std::fs::read(repo.join("config.toml")).unwrap()));
    for (path, bytes) in files {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    dir
}

fn options(root: &Path, name: &str) -> BuildOptions {
    BuildOptions {
        output_dir: Some(root.join(format!("public-{name}"))),
        operator_index_dir: Some(root.join(format!("operator-{name}"))),
        ..BuildOptions::new(root, date("2026-11-26"))
    }
}

fn edit(root: &Path, path: &str, from: &str, to: &str) -> PathBuf {
    let file = root.join("content").join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{path} has no {from:?}");
    std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    file
}

fn applied(session: Session, paths: &[PathBuf]) -> Session {
    let (outcome, next) = session.apply(paths);
    match outcome {
        Outcome::Applied(applied) => assert!(applied.written > 0, "{applied:?}"),
        Outcome::Failed(diagnostics) => panic!("{}", diagnostics.to_plain()),
        Outcome::NeedsFullBuild => panic!("an edit of an existing file needs no full build"),
    }
    next.expect("the session survives a successful edit")
}

/// Term → documents of a posting shard, from its `[gap, weight, …]` lists
/// (weights left out: an incremental update keeps other terms' field
/// averages).
fn postings(bytes: &[u8]) -> BTreeMap<String, Vec<u32>> {
    let shard: BTreeMap<String, Vec<u32>> = serde_json::from_slice(bytes).unwrap();
    let docs =
        |list: Vec<u32>| list.iter().step_by(2).scan(0, |doc, gap| Some(*doc + gap).inspect(|d| *doc = *d)).collect();
    shard.into_iter().map(|(term, list)| (term, docs(list))).collect()
}

/// `stamp` of the static index among `files`.
fn stamp_of(files: &BTreeMap<String, Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice::<serde_json::Value>(&files["search/index/meta.json"]).unwrap()["stamp"].clone()
}

/// A `serve` session over a fresh build of the site at `root` into
/// `public-incremental`.
fn built_session(root: &Path) -> Session {
    let incremental = options(root, "incremental");
    let (report, kept) = build_keeping(&incremental);
    assert!(report.written, "{}", report.diagnostics.to_plain());
    Session::new(incremental, kept.unwrap())
}

/// Builds the site in full into `public-full`; returns the files of
/// `public-incremental` and of `public-full`.
fn beside_a_full_build(root: &Path) -> (BTreeMap<String, Vec<u8>>, BTreeMap<String, Vec<u8>>) {
    let report = zhiku::build::build(&options(root, "full"));
    assert!(report.written, "{}", report.diagnostics.to_plain());
    let files = |name: &str| read_tree(&root.join(name)).into_iter().collect();
    (files("public-incremental"), files("public-full"))
}

#[test]
fn edits_applied_in_place_match_a_full_build() {
    let site = demo_copy();
    let root = site.path();
    let mut session = built_session(root);
    let first_stamp = stamp_of(&read_tree(&root.join("public-incremental")).into_iter().collect());

    let qa = edit(
        root,
        "qa/shebao/card-apply.md",
        "首次申领社会保障卡有三种方式",
        "首次申领社会保障卡有三种方式（含增量校验词鹦鹉螺）",
    );
    session = applied(session, &[qa]);
    // A new date moves the Q&A in date-ordered lists and in the sitemap.
    let qa = edit(root, "qa/shebao/card-apply.md", "updated = 2026-03-02", "updated = 2026-03-05");
    session = applied(session, &[qa]);
    let policy = edit(
        root,
        "policies/laws/6fc498e8a735.md",
        "\n+++\n",
        "\n+++\n\n本文件另附增量校验说明：参保人可登录蒙速办查询。\n",
    );
    drop(applied(session, &[policy]));

    let (a, b) = beside_a_full_build(root);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    // Each patch kept the stamp of the static index true to its files, so
    // the browser asks for this build's files, not cached ones.
    for (name, files) in [("public-incremental", &a), ("public-full", &b)] {
        assert_eq!(stamp_of(files), zhiku::search::public_index::stamp_on_disk(&root.join(name)).unwrap(), "{name}");
    }
    assert_ne!(stamp_of(&a), first_stamp, "the edits changed the static index, and its stamp");
    let mut compared = 0;
    let mut differing = Vec::new();
    for (path, bytes) in &a {
        // The change log says what changed since the build before, which
        // differs by design; the vocabulary's costs and the summary of the
        // index (its unknown-word cost) are refreshed by full builds.
        if path == "feeds/changes.json" || path.starts_with("search/index/vocab/") || path == "search/index/meta.json" {
            continue;
        }
        if path.starts_with("search/index/postings-v2/") {
            assert_eq!(postings(bytes), postings(&b[path]), "{path}");
        } else if bytes != &b[path] {
            differing.push(path.as_str());
        }
        compared += 1;
    }
    assert!(differing.is_empty(), "these differ from a full build: {differing:?}");
    let sitemap = String::from_utf8_lossy(&a["sitemap.xml"]);
    assert!(sitemap.contains("/qa/shebao/card-apply/</loc><lastmod>2026-03-05</lastmod>"), "{sitemap}");
    assert!(compared > 1000, "{compared}");

    let index = OperatorIndex::open(&root.join("operator-incremental")).unwrap();
    let analyzer = Analyzer::load(&root.join("index"), Layers::ALL).unwrap();
    let found = index.search(&analyzer, &SearchRequest { q: "鹦鹉螺".into(), ..SearchRequest::default() }).unwrap();
    assert_eq!(found.results.first().map(|r| r.path.as_str()), Some("qa/shebao/card-apply.md"));
    assert_eq!(found.total, 1);
    // A bigram inside that word, which only the bigram index's edits hold.
    let found = index.search(&analyzer, &SearchRequest { q: "鹉螺".into(), ..SearchRequest::default() }).unwrap();
    assert_eq!(found.results.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["qa/shebao/card-apply.md"]);
}

#[test]
fn a_new_file_or_a_broken_edit_is_not_applied_in_place() {
    let site = demo_copy();
    let root = site.path();
    let options = options(root, "incremental");
    let (_, kept) = build_keeping(&options);
    let session = Session::new(options.clone(), kept.unwrap());

    let new_file = root.join("content/qa/shebao/new-question.md");
    std::fs::write(&new_file, "+++\nquestion = \"新问题？\"\n+++\n\n答复。\n").unwrap();
    let (outcome, session) = session.apply(std::slice::from_ref(&new_file));
    assert!(matches!(outcome, Outcome::NeedsFullBuild));
    std::fs::remove_file(new_file).unwrap();

    // Nothing was touched, so the session goes on.
    let session = session.expect("a refused change leaves the session as it was");
    let before = std::fs::read(root.join("public-incremental/qa/shebao/card-apply/index.html")).unwrap();
    let broken = edit(root, "qa/shebao/card-apply.md", "category = \"社会保障/社保卡\"", "category = 7");
    let (outcome, session) = session.apply(&[broken]);
    match outcome {
        Outcome::Failed(diagnostics) => {
            assert!(diagnostics.to_plain().contains("content/qa/shebao/card-apply.md"), "{}", diagnostics.to_plain())
        }
        _ => panic!("a broken edit must fail"),
    }
    assert!(session.is_some(), "errors in the edited file keep the session");
    let after = std::fs::read(root.join("public-incremental/qa/shebao/card-apply/index.html")).unwrap();
    assert!(before == after, "a failed edit writes nothing");
}

/// Two edits saved together, one taking the 文号 the other gives up: the
/// static index finds each number's document as a full build does, in
/// whichever order the edits are applied.
#[test]
fn a_doc_number_handed_over_in_one_batch_matches_a_full_build() {
    let site = demo_copy();
    let root = site.path();
    let session = built_session(root);
    let taker = edit(root, "policies/statecouncil/5347765.md", "国办发〔2018〕114号", "国办函〔2006〕69号");
    let giver = edit(root, "policies/statecouncil/5351590.md", "国办函〔2006〕69号", "国办函〔2006〕9999号");
    drop(applied(session, &[taker, giver]));

    let (a, b) = beside_a_full_build(root);
    let mut numbers = 0;
    for (path, bytes) in a.iter().filter(|(path, _)| path.starts_with("search/index/postings-v2/")) {
        let (incremental, full) = (postings(bytes), postings(&b[path]));
        let numbered = |shard: &BTreeMap<String, Vec<u32>>| -> BTreeMap<String, Vec<u32>> {
            shard.iter().filter(|(term, _)| term.starts_with("n:")).map(|(t, d)| (t.clone(), d.clone())).collect()
        };
        assert_eq!(numbered(&incremental), numbered(&full), "{path}");
        numbers += numbered(&full).len();
    }
    assert!(numbers > 10, "{numbers}");
}

/// An applied edit reports what a full build would warn about, which
/// `serve` prints with its summary.
#[test]
fn an_applied_edit_carries_its_warnings() {
    let site = demo_copy();
    let root = site.path();
    let session = built_session(root);
    let policy = edit(
        root,
        "policies/statecouncil/5351590.md",
        "doc_number = \"国办函〔2006〕69号\"",
        "doc_number = \"国办函(2006)69号\"",
    );
    let (outcome, _) = session.apply(&[policy]);
    let Outcome::Applied(applied) = outcome else { panic!("the edit was not applied in place") };
    let text = applied.warnings.to_plain();
    assert!(
        text.contains(
            "content/policies/statecouncil/5351590.md:3:14: 文号 \"国办函(2006)69号\" is not in the standard form; \
             read as \"国办函〔2006〕69号\""
        ),
        "{text}"
    );
}
