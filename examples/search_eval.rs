//! Search-quality harness: MRR@10 and Recall@1/5/10 of the operator search
//! on the two evaluation sets of `../shared/corpus/README.md`, for each
//! language layer, against a plain character-bigram BM25 baseline built and
//! queried in the same run.
//!
//! ```sh
//! cargo run --release --example search_eval -- --corpus ../shared/corpus [--ncp-sample 1000] [--seed 7] [--layers TEXT] [--show-misses] [--overlap]
//! ```
//!
//! - NCP: one document per `docid`, made of that docid's answers; queries
//!   are the questions (a fixed sample, shuffled with `--seed`); the
//!   relevant document is the question's docid.
//! - Citizen messages: documents are the replies (答复意见) only; queries are
//!   the subjects (留言主题), one per distinct subject; relevant documents
//!   are the replies to the messages with that subject.
//!
//! `--overlap` splits each set's queries by what they share with their
//! relevant document (no character bigram at all; only bigrams found in
//! more than 2 % of the documents; a rarer one) and gives the shipped
//! search's MRR@10 in each class: how much of a set words can reach.
//!
//! `--static` instead measures the public site's search: it writes each
//! set's static index (as `zhiku build` does) to a temporary folder and
//! runs the real browser client, `zhiku-search.js`, under Node over it
//! (bench/static_eval.mjs), reading files instead of fetching them.
//!
//! `--pagefind-pages DIR` writes the same documents as plain HTML pages for
//! Pagefind (see bench/pagefind_eval.mjs).
//!
//! The evaluation data never enters `content/` or any published output.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

use zhiku::search::operator::{self, OperatorIndex, SearchRequest};
use zhiku::search::{Analyzer, Layers, SearchDoc};

struct EvalSet {
    name: &'static str,
    docs: Vec<SearchDoc>,
    /// (query, relevant document paths)
    queries: Vec<(String, HashSet<String>)>,
}

fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    reader.lines().map(|l| serde_json::from_str(&l.expect("readable line")).expect("valid JSON line")).collect()
}

fn field(row: &serde_json::Value, key: &str) -> String {
    row.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string()
}

fn eval_doc(path: String, body: String) -> SearchDoc {
    SearchDoc {
        url: format!("/{path}/"),
        path,
        kind: "qa".into(),
        body,
        facets: vec![
            vec!["kind".into(), "qa".into()],
            vec![zhiku::search::NO_REGION.into()],
            vec![zhiku::search::CURRENT.into()],
        ],
        ..SearchDoc::default()
    }
}

/// A small deterministic shuffle (xorshift), so the sample is the same on
/// every machine.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

fn ncp(corpus: &Path, sample: usize, seed: u64) -> EvalSet {
    let rows = read_jsonl(&corpus.join("ncp_qa.jsonl"));
    let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &rows {
        answers.entry(field(row, "docid")).or_default().push(field(row, "answer"));
    }
    let docs = answers.into_iter().map(|(docid, parts)| eval_doc(docid, parts.join("\n"))).collect();
    let mut queries: Vec<(String, HashSet<String>)> =
        rows.iter().map(|r| (field(r, "question"), HashSet::from([field(r, "docid")]))).collect();
    shuffle(&mut queries, seed);
    queries.truncate(sample);
    EvalSet { name: "NCP", docs, queries }
}

fn citizen(corpus: &Path) -> EvalSet {
    let rows = read_jsonl(&corpus.join("citizen_messages.jsonl.gz"));
    let mut docs = Vec::new();
    let mut by_subject: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for row in &rows {
        let id = field(row, "留言编号");
        docs.push(eval_doc(id.clone(), field(row, "答复意见")));
        by_subject.entry(field(row, "留言主题").trim().to_string()).or_default().insert(id);
    }
    let queries = by_subject.into_iter().filter(|(s, _)| !s.is_empty()).collect();
    EvalSet { name: "citizen", docs, queries }
}

#[derive(Default)]
struct Scores {
    /// Reciprocal rank of each query (0 when not in the top 10), in order.
    reciprocal: Vec<f64>,
    recall: [f64; 3],
    latencies_us: Vec<u128>,
    rejected: usize,
}

fn evaluate(set: &EvalSet, index_root: &Path, layers: Layers, label: &str, show_misses: bool) -> Scores {
    let analyzer = Analyzer::load(Path::new("index"), layers).expect("the repo's index/ resources load");
    let dir = index_root.join(label.replace([' ', '+', ','], "_")).join(set.name);
    let _ = std::fs::remove_dir_all(&dir);
    operator::build(&dir, &set.docs, &analyzer).expect("eval index builds");
    let index = OperatorIndex::open(&dir).expect("eval index opens");
    let mut scores = Scores::default();
    for (query, relevant) in &set.queries {
        let request =
            SearchRequest { q: query.clone(), limit: Some(10), status: Some("all".into()), ..SearchRequest::default() };
        let start = Instant::now();
        let response = match index.search(&analyzer, &request) {
            Ok(r) => r,
            Err(_) => {
                scores.rejected += 1;
                scores.reciprocal.push(0.0);
                continue;
            }
        };
        scores.latencies_us.push(start.elapsed().as_micros());
        if show_misses && !response.results.iter().take(10).any(|h| relevant.contains(&h.path)) {
            let body = |path: &str| {
                set.docs
                    .iter()
                    .find(|d| d.path == path)
                    .map(|d| d.body.chars().take(90).collect::<String>())
                    .unwrap_or_default()
            };
            eprintln!(
                "MISS {query}\n  want: {}\n  got:  {}",
                body(relevant.iter().next().unwrap()),
                response.results.first().map(|h| body(&h.path)).unwrap_or_default()
            );
        }
        let rank = response.results.iter().position(|h| relevant.contains(&h.path));
        scores.reciprocal.push(rank.map_or(0.0, |r| 1.0 / (r as f64 + 1.0)));
        if let Some(rank) = rank {
            for (k, cutoff) in [1, 5, 10].into_iter().enumerate() {
                if rank < cutoff {
                    scores.recall[k] += 1.0;
                }
            }
        }
    }
    let n = set.queries.len() as f64;
    scores.recall.iter_mut().for_each(|r| *r /= n);
    scores
}

impl Scores {
    fn mrr10(&self) -> f64 {
        mean(&self.reciprocal)
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

fn percentile(sorted: &[u128], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let corpus = PathBuf::from(arg("--corpus").unwrap_or_else(|| "../shared/corpus".into()));
    let sample: usize = arg("--ncp-sample").and_then(|s| s.parse().ok()).unwrap_or(1000);
    let seed: u64 = arg("--seed").and_then(|s| s.parse().ok()).unwrap_or(7);
    // --layers TEXT runs only the configurations whose label contains TEXT;
    // --show-misses prints queries whose relevant document is not in the top 10.
    let only: Option<String> = arg("--layers");
    let show_misses = args.iter().any(|a| a == "--show-misses");
    let work = tempfile_dir();

    let sets = [ncp(&corpus, sample, seed), citizen(&corpus)];
    if let Some(dir) = arg("--pagefind-pages") {
        write_pagefind_pages(&sets, Path::new(&dir));
        return;
    }
    if args.iter().any(|a| a == "--static") {
        evaluate_static(&sets, &work);
        let _ = std::fs::remove_dir_all(&work);
        return;
    }
    if args.iter().any(|a| a == "--overlap") {
        print_overlap(&sets, &work);
        let _ = std::fs::remove_dir_all(&work);
        return;
    }
    let configs: [(&str, Layers); 6] = [
        ("bigram BM25 baseline", Layers::BIGRAMS_ONLY),
        ("jieba words", Layers::WORDS_ONLY),
        ("+ bigrams", Layers::WORDS_BIGRAMS),
        ("+ normalise, synonyms", Layers { pinyin: false, ..Layers::ALL }),
        ("+ pinyin (shipped)", Layers::ALL),
        ("shipped + jieba HMM", Layers { hmm: true, ..Layers::ALL }),
    ];
    println!("| layers | set | queries | MRR@10 | R@1 | R@5 | R@10 | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (label, layers) in configs {
        if only.as_deref().is_some_and(|o| !label.contains(o)) {
            continue;
        }
        for set in &sets {
            let mut s = evaluate(set, &work, layers, label, show_misses);
            s.latencies_us.sort_unstable();
            println!(
                "| {label} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} | {:.2} |{}",
                set.name,
                set.queries.len(),
                s.mrr10(),
                s.recall[0],
                s.recall[1],
                s.recall[2],
                percentile(&s.latencies_us, 0.5),
                percentile(&s.latencies_us, 0.99),
                if s.rejected > 0 { format!(" ({} queries rejected)", s.rejected) } else { String::new() }
            );
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// A bigram counts as common when more than this share of a set's
/// documents hold it (您好, 问题, 规定 …).
const COMMON_BIGRAM_SHARE: f64 = 0.02;

/// What a query shares with its relevant documents, as the bigram field
/// holds text: character bigrams of normalised text, a lone character or a
/// Latin or digit run standing for itself.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Overlap {
    Nothing,
    OnlyCommon,
    Rare,
}

impl Overlap {
    fn label(self) -> &'static str {
        match self {
            Overlap::Nothing => "no bigram in common",
            Overlap::OnlyCommon => "only common bigrams (in > 2 % of documents)",
            Overlap::Rare => "a rarer bigram in common",
        }
    }
}

fn overlap_classes(set: &EvalSet) -> Vec<Overlap> {
    use zhiku::search::text::{bigrams, normalise};
    let grams_of = |text: &str| bigrams(&normalise(text)).into_iter().collect::<HashSet<String>>();
    let doc_grams: BTreeMap<&str, HashSet<String>> =
        set.docs.iter().map(|d| (d.path.as_str(), grams_of(&d.body))).collect();
    let mut doc_freq: BTreeMap<&str, usize> = BTreeMap::new();
    for grams in doc_grams.values() {
        for g in grams {
            *doc_freq.entry(g.as_str()).or_default() += 1;
        }
    }
    let common = (set.docs.len() as f64 * COMMON_BIGRAM_SHARE) as usize;
    set.queries
        .iter()
        .map(|(query, relevant)| {
            let shared: Vec<String> = grams_of(query)
                .into_iter()
                .filter(|g| relevant.iter().any(|p| doc_grams.get(p.as_str()).is_some_and(|d| d.contains(g))))
                .collect();
            if shared.is_empty() {
                Overlap::Nothing
            } else if shared.iter().all(|g| doc_freq.get(g.as_str()).copied().unwrap_or(0) > common) {
                Overlap::OnlyCommon
            } else {
                Overlap::Rare
            }
        })
        .collect()
}

/// The shipped search's MRR@10 within each overlap class.
fn print_overlap(sets: &[EvalSet], work: &Path) {
    println!("| set | queries that share with their document | queries | share | shipped MRR@10 in the class |");
    println!("|---|---|---|---|---|");
    for set in sets {
        let scores = evaluate(set, work, Layers::ALL, "overlap", false);
        let classes = overlap_classes(set);
        for class in [Overlap::Nothing, Overlap::OnlyCommon, Overlap::Rare] {
            let ranks: Vec<f64> =
                classes.iter().zip(&scores.reciprocal).filter(|(c, _)| **c == class).map(|(_, r)| *r).collect();
            let mrr = mean(&ranks);
            println!(
                "| {} | {} | {} | {:.1} % | {:.3} |",
                set.name,
                class.label(),
                ranks.len(),
                100.0 * ranks.len() as f64 / set.queries.len() as f64,
                mrr
            );
        }
        println!("| {} | all | {} | 100 % | {:.3} |", set.name, set.queries.len(), scores.mrr10());
    }
}

/// Writes each set's public index and queries, then lets the browser client
/// answer them under Node.
fn evaluate_static(sets: &[EvalSet], work: &Path) {
    let analyzer = Analyzer::load(Path::new("index"), Layers::ALL).expect("the repo's index/ resources load");
    println!("| search | set | queries | MRR@10 | R@1 | R@5 | R@10 | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for set in sets {
        let root = work.join(format!("static-{}", set.name));
        let _ = std::fs::remove_dir_all(&root);
        let index = operator::build_in_ram(&set.docs, &analyzer).expect("eval index builds");
        let write = |files: Vec<zhiku::render::OutputFile>| {
            for file in &files {
                let path = root.join(&file.path);
                std::fs::create_dir_all(path.parent().expect("index files are in folders"))?;
                std::fs::write(path, &file.bytes)?;
            }
            Ok(())
        };
        zhiku::search::public_index::build(&index, &set.docs, &analyzer, &BTreeMap::new(), &write)
            .expect("public index builds");
        let ids: BTreeMap<&str, usize> = set.docs.iter().enumerate().map(|(i, d)| (d.path.as_str(), i)).collect();
        let queries: Vec<serde_json::Value> = set
            .queries
            .iter()
            .map(|(q, relevant)| {
                let mut ids: Vec<usize> = relevant.iter().filter_map(|p| ids.get(p.as_str()).copied()).collect();
                ids.sort_unstable();
                serde_json::json!({ "q": q, "relevant": ids })
            })
            .collect();
        std::fs::write(root.join("queries.json"), serde_json::to_vec(&queries).expect("json")).expect("temp file");
        let output = std::process::Command::new("node")
            .arg("bench/static_eval.mjs")
            .arg("themes/default/static/zhiku-search.js")
            .arg(&root)
            .arg(set.name)
            .output()
            .expect("node runs the browser client");
        print!("{}", String::from_utf8_lossy(&output.stdout));
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
    }
}

/// For the Pagefind comparison: one HTML page per document of each set
/// under `dir/<set>/`, and `queries.json` with the relevant page URLs.
/// bench/pagefind_eval.mjs then runs Pagefind's own client over them.
fn write_pagefind_pages(sets: &[EvalSet], dir: &Path) {
    for set in sets {
        let root = dir.join(set.name);
        let _ = std::fs::remove_dir_all(&root);
        for (id, doc) in set.docs.iter().enumerate() {
            let page = root.join(id.to_string());
            std::fs::create_dir_all(&page).expect("page folder");
            let body = zhiku::html::escape_attr(&doc.body);
            let html = format!(
                "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{id}</title></head>\
                 <body><main data-pagefind-body><p>{body}</p></main></body></html>"
            );
            std::fs::write(page.join("index.html"), html).expect("page");
        }
        let urls: BTreeMap<&str, String> =
            set.docs.iter().enumerate().map(|(i, d)| (d.path.as_str(), format!("/{i}/"))).collect();
        let queries: Vec<serde_json::Value> = set
            .queries
            .iter()
            .map(|(q, relevant)| {
                let relevant: Vec<&String> = relevant.iter().filter_map(|p| urls.get(p.as_str())).collect();
                serde_json::json!({ "q": q, "relevant": relevant })
            })
            .collect();
        std::fs::write(root.join("queries.json"), serde_json::to_vec(&queries).expect("json")).expect("queries");
        println!("{}: {} pages, {} queries in {}", set.name, set.docs.len(), queries.len(), root.display());
    }
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zhiku-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
