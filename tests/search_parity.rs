//! The public search's query analysis is the same in the browser as in
//! Rust — normalisation, segmentation over the site's vocabulary, bigrams,
//! synonyms, pinyin grams and 文号 — shown by test vectors from corpus
//! sentences (the demo's policies and laws), written by Rust and checked by
//! tests/browser/tokenize_vectors.mjs.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::date;
use zhiku::build::{BuildOptions, BuildReport, render_site};
use zhiku::search::segment::simplified_table;
use zhiku::search::text::{bigrams, normalise};
use zhiku::search::{self, Analyzer, Layers};

/// Sentences of the demo's documents, cut at sentence ends, 4 to 80
/// characters, each once, in document order.
fn corpus_sentences(docs: &[search::SearchDoc], limit: usize) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for doc in docs.iter().filter(|d| d.kind == "policy") {
        for sentence in doc.body.split(['。', '！', '？', '；', '\n']) {
            let sentence = sentence.trim();
            let chars = sentence.chars().count();
            if (4..=80).contains(&chars) && seen.insert(sentence.to_string()) {
                out.push(sentence.to_string());
                if out.len() == limit {
                    return out;
                }
            }
        }
    }
    out
}

#[test]
fn browser_and_rust_cut_queries_the_same_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut report = BuildReport::default();
    let rendered = render_site(&BuildOptions::new(root, date("2026-11-26")), &mut report).expect("demo renders");
    let docs = search::public_index::public_documents(search::documents(&rendered.library));
    let analyzer = Analyzer::load(&search::index_dir(root), Layers::ALL).unwrap();
    let vocabulary = search::public_index::vocabulary(&docs, &analyzer).unwrap();
    assert!(vocabulary.len() > 5_000, "{}", vocabulary.len());

    let mut sentences = corpus_sentences(&docs, 1500);
    assert!(sentences.len() >= 1000, "{}", sentences.len());
    // Forms a caller types: traditional characters, full-width letters and
    // digits, 文号 brackets, Latin words, spaces.
    sentences.extend(
        [
            "個人所得稅怎麼申報",
            "ＡＢＣ１２３ 社保卡",
            "国发〔2019〕5号",
            "12345热线 投诉",
            "醫療保險報銷",
            "Wi-Fi 和 5G 基站",
            // Characters fast2s converts by their neighbours.
            "乾隆年间的答覆，看著办",
        ]
        .map(String::from),
    );
    let vectors: Vec<serde_json::Value> = sentences
        .iter()
        .map(|s| {
            serde_json::json!({
                "text": s,
                "normalised": normalise(s),
                "words": vocabulary.segment(s),
                "bigrams": bigrams(&normalise(s)),
                "terms": search::public_index::query_terms(s, &vocabulary, &analyzer),
            })
        })
        .collect();

    // Every 文号 of the demo, written the ways callers write it, must give
    // the browser the term the index has it under.
    let numbers: Vec<serde_json::Value> = docs
        .iter()
        .filter_map(|d| d.doc_number.as_deref())
        .filter_map(|n| zhiku::content::doc_number::parse(n).ok())
        .flat_map(|p| {
            let n = p.number;
            let term = search::public_index::doc_number_term(&n);
            let forms = match n.year {
                Some(y) => vec![
                    n.to_string(),
                    format!("{}[{y}]{}号", n.agency, n.serial),
                    format!("{}（{y}）{}号", n.agency, n.serial),
                    format!("{}{y}年{}号", n.agency, n.serial),
                    format!("关于{}〔{y}〕第{}号文件", n.agency, n.serial),
                ],
                None => vec![n.to_string(), format!("{}{}号", n.agency, n.serial)],
            };
            forms.into_iter().map(move |text| serde_json::json!({ "text": text, "term": term }))
        })
        .collect();
    assert!(numbers.len() > 100, "{}", numbers.len());

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("numbers.json"), serde_json::to_vec(&numbers).unwrap()).unwrap();
    std::fs::write(dir.path().join("vocabulary.txt"), vocabulary.to_lines()).unwrap();
    std::fs::write(dir.path().join("simplified.txt"), simplified_table()).unwrap();
    std::fs::write(dir.path().join("synonyms.txt"), analyzer.synonym_lines()).unwrap();
    std::fs::write(dir.path().join("vectors.json"), serde_json::to_vec(&vectors).unwrap()).unwrap();
    let output = Command::new("node")
        .arg(root.join("tests/browser/tokenize_vectors.mjs"))
        .arg(root.join("themes/default/static/zhiku-tokenize.js"))
        .arg(root.join("themes/default/static/zhiku-search.js"))
        .arg(dir.path())
        .output()
        .expect("node is needed: apt-get install -y nodejs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{} sentences agree", vectors.len())), "{stdout}");
    println!("{}", stdout.trim());
}
