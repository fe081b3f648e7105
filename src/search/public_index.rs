//! The public site's search index: static files under `search/index/` that
//! the browser client (`zhiku-search.js`) reads, so any web server or CDN
//! can host search. Only public fields go in; 内部口径 never does.
//!
//! A query downloads the vocabulary buckets of its characters (to cut it
//! exactly as [`segment`](super::segment) does), the posting shards of its
//! terms, the facet blocks of the documents it matches, and the records of
//! the results it shows. Shards are chosen by an FNV-1a hash that the client
//! computes the same way.
//!
//! Ranking is BM25 (k1 = 1.2, b = 0.75) per field with the operator index's
//! field boosts, summed: each posting carries the term's boosted,
//! length-normalised frequency part for one document, and the client
//! multiplies by the term's idf.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde_json::json;

use super::segment::{Vocabulary, simplified_table};
use super::{Analyzer, SearchDoc};
use crate::content::doc_number::{self, DocNumber};
use crate::render::OutputFile;

pub const DIR: &str = "search/index";
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Posting weights are stored as integers in hundredths.
const WEIGHT_SCALE: f64 = 100.0;
/// Characters of body text kept per document for snippets.
const EXCERPT_CHARS: usize = 600;
/// A 文号 match outweighs any words, as in the operator index.
const DOC_NUMBER_BOOST: f64 = 50.0;
/// Target size of a posting shard.
const SHARD_BYTES: usize = 8 * 1024;
/// Documents per facet block.
pub const FACET_BLOCK: usize = 1024;

/// Word fields with the operator index's boosts (title > variants >
/// keywords > body), then the bigram fields.
const WORD_FIELDS: [(&str, f64); 4] = [("title", 4.0), ("variants", 3.0), ("keywords", 2.0), ("body", 1.0)];
const BIGRAM_FIELDS: [(&str, f64); 3] = [("title", 2.0), ("variants", 1.5), ("body", 0.5)];
/// Letter grams of the title's pinyin: full (`p:`) and initials (`i:`).
const PINYIN_FIELDS: [(&str, f64); 2] = [("p", 1.5), ("i", 1.0)];

/// The facets the search page counts, with their labels.
pub const FACETS: [(&str, &str); 7] = [
    ("kind", "类型"),
    ("status", "有效性"),
    ("topic", "主题分类"),
    ("issuer", "发文机关"),
    ("year", "年份"),
    ("category", "类目"),
    ("region", "地区"),
];

/// FNV-1a over UTF-8 bytes; the client has the same function.
pub fn bucket(key: &str, buckets: usize) -> usize {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in key.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash as usize % buckets.max(1)
}

fn field_text(doc: &SearchDoc, field: &str) -> String {
    match field {
        "title" => doc.title.clone(),
        "variants" => doc.variants.join("\n"),
        "keywords" => doc.keywords.join("\n"),
        _ => doc.body.clone(),
    }
}

/// The tokens of one document's public fields, computed once and shared by
/// the operator index and this one.
pub struct PublicTokens {
    /// Words of title, 相似问法, keywords and body.
    pub words: [Vec<String>; 4],
    /// Bigrams of title, 相似问法 and body.
    pub bigrams: [Vec<String>; 3],
    /// Letter grams of the title's full pinyin and of its initials.
    pub pinyin: [Vec<String>; 2],
}

impl PublicTokens {
    pub fn of(doc: &SearchDoc, analyzer: &Analyzer) -> PublicTokens {
        let (full, initials) = analyzer.index_pinyin(&doc.title);
        PublicTokens {
            words: WORD_FIELDS.map(|(field, _)| analyzer.index_words(&field_text(doc, field))),
            bigrams: BIGRAM_FIELDS.map(|(field, _)| analyzer.index_bigrams(&field_text(doc, field))),
            pinyin: [full, initials],
        }
    }
}

/// Term frequencies per field of one document.
pub struct Analysed {
    /// ((namespace-prefixed term, field index), count), sorted; a flat
    /// vector because tens of thousands of these are held at once.
    counts: Vec<((Box<str>, usize), u32)>,
    /// Length in terms of each field: words, bigrams, pinyin.
    lengths: Vec<u32>,
}

impl From<&PublicTokens> for Analysed {
    fn from(tokens: &PublicTokens) -> Analysed {
        let mut counts: BTreeMap<(String, usize), u32> = BTreeMap::new();
        let mut lengths = Vec::new();
        let fields = tokens
            .words
            .iter()
            .map(|t| ("w", t))
            .chain(tokens.bigrams.iter().map(|t| ("b", t)))
            .chain(tokens.pinyin.iter().zip(PINYIN_FIELDS).map(|(t, (prefix, _))| (prefix, t)));
        for (f, (prefix, terms)) in fields.enumerate() {
            lengths.push(terms.len() as u32);
            for term in terms {
                *counts.entry((format!("{prefix}:{term}"), f)).or_default() += 1;
            }
        }
        let counts = counts.into_iter().map(|((term, f), n): ((String, usize), u32)| ((term.into(), f), n)).collect();
        Analysed { counts, lengths }
    }
}

/// The term a 文号 is indexed under: `n:国发|2019|5`, whatever brackets
/// were used; the client derives the same from a query.
pub fn doc_number_term(number: &DocNumber) -> String {
    format!("n:{}|{}|{}", number.agency, number.year.map_or(String::new(), |y| y.to_string()), number.serial)
}

/// Analyses documents on their own, when no operator index is built
/// alongside (evaluation, tests).
pub fn analyse_all(docs: &[SearchDoc], analyzer: &Analyzer) -> Vec<Analysed> {
    docs.par_iter().map(|d| Analysed::from(&PublicTokens::of(d, analyzer))).collect()
}

/// Facet values of a document, as the operator index files them (first
/// level of hierarchical facets).
fn facet_values(doc: &SearchDoc, facet: &str) -> Vec<String> {
    let mut values: Vec<String> = doc
        .facets
        .iter()
        .filter(|path| path.first().map(String::as_str) == Some(facet) && path.len() > 1)
        .map(|path| path[1].clone())
        .collect();
    values.dedup();
    values
}

/// Occurrences of every indexed word over all documents.
fn word_counts(analysed: &[Analysed]) -> BTreeMap<String, u64> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for a in analysed {
        for ((term, _), count) in &a.counts {
            if let Some(word) = term.strip_prefix("w:") {
                *counts.entry(word.to_string()).or_default() += u64::from(*count);
            }
        }
    }
    counts
}

/// The public search's vocabulary: the words of the public fields (title,
/// 相似问法, keywords, body; never 内部口径), each with its cost. What a
/// browser may cut a query into.
pub fn vocabulary(docs: &[SearchDoc], analyzer: &Analyzer) -> Vocabulary {
    Vocabulary::from_counts(&word_counts(&analyse_all(docs, analyzer)))
}

/// The weighted terms the browser client looks up for a query (without
/// 文号 terms, which `docNumberTerms` adds): its words, their synonyms at a
/// lower weight, its bigrams, and pinyin letter grams of Latin tokens. The
/// Rust twin of `terms()` in zhiku-search.js, for the parity vectors.
pub fn query_terms(query: &str, vocabulary: &Vocabulary, analyzer: &Analyzer) -> Vec<(String, f32)> {
    use super::analyzer::{FULL_PINYIN_GRAM, INITIALS_GRAM, SYNONYM_WEIGHT};
    use super::pinyin::{letter_grams, looks_like_pinyin};
    let normalised = super::text::normalise(query);
    let mut out: Vec<(String, f32)> = Vec::new();
    let mut push = |term: String, weight: f32| match out.iter_mut().find(|(t, _)| *t == term) {
        Some(existing) => existing.1 = existing.1.max(weight),
        None => out.push((term, weight)),
    };
    for word in vocabulary.segment(query) {
        push(format!("w:{word}"), 1.0);
        for other in analyzer.synonyms_of(&word) {
            push(format!("w:{other}"), SYNONYM_WEIGHT);
        }
    }
    for gram in super::text::bigrams(&normalised) {
        push(format!("b:{gram}"), 1.0);
    }
    for token in normalised.split(|c: char| !c.is_ascii_alphabetic()) {
        if looks_like_pinyin(token) {
            for gram in letter_grams(token, FULL_PINYIN_GRAM) {
                push(format!("p:{gram}"), 1.0);
            }
            for gram in letter_grams(token, INITIALS_GRAM) {
                push(format!("i:{gram}"), 1.0);
            }
        }
    }
    out
}

/// What the static index holds, for the build summary and benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct PublicIndexStats {
    pub documents: usize,
    pub terms: usize,
    pub files: usize,
    pub bytes: usize,
}

/// Builds every file of the public search index from the public documents
/// (pages, policies, interpretations and Q&A without 内部口径).
/// `analysed` holds each document's terms, in the order of `docs`;
/// `region_names` (GB/T 2260 code → name) label the 地区 facet.
pub fn build(
    docs: &[SearchDoc],
    analysed: Vec<Analysed>,
    analyzer: &Analyzer,
    region_names: &BTreeMap<String, String>,
) -> (Vec<OutputFile>, PublicIndexStats) {
    let fields = WORD_FIELDS.len() + BIGRAM_FIELDS.len() + PINYIN_FIELDS.len();
    let n = docs.len().max(1) as f64;
    let average: Vec<f64> =
        (0..fields).map(|f| (analysed.iter().map(|a| f64::from(a.lengths[f])).sum::<f64>() / n).max(1.0)).collect();
    let boosts: Vec<f64> =
        WORD_FIELDS.iter().chain(&BIGRAM_FIELDS).chain(&PINYIN_FIELDS).map(|(_, boost)| *boost).collect();
    let boost = |f: usize| boosts[f];

    let vocabulary = Vocabulary::from_counts(&word_counts(&analysed));
    // About 8 KB of postings per shard, so a query fetches little more
    // than the postings of its own terms; estimated from the term counts.
    let posting_bytes: usize = analysed.iter().map(|a| a.counts.len() * 10).sum();
    let term_shards = (posting_bytes / SHARD_BYTES).clamp(16, 1 << 16);
    let vocab_shards = (vocabulary.len() / 400).clamp(16, 1024);

    // Per document, in parallel: (shard, term, weight) with the BM25
    // frequency part of every field summed.
    let weighted: Vec<Vec<(u32, Box<str>, u32)>> = analysed
        .into_par_iter()
        .map(|a| {
            let mut per_term: BTreeMap<Box<str>, f64> = BTreeMap::new();
            for ((term, f), tf) in a.counts {
                let tf = f64::from(tf);
                let norm = K1 * (1.0 - B + B * f64::from(a.lengths[f]) / average[f]);
                *per_term.entry(term).or_default() += boost(f) * tf * (K1 + 1.0) / (tf + norm);
            }
            per_term
                .into_iter()
                .map(|(term, weight)| {
                    let weight = (weight * WEIGHT_SCALE).round().max(1.0) as u32;
                    (bucket(&term, term_shards) as u32, term, weight)
                })
                .collect()
        })
        .collect();
    let doc_number_postings: Vec<(String, u32, u32)> = docs
        .iter()
        .enumerate()
        .filter_map(|(id, doc)| {
            let number = doc_number::parse(doc.doc_number.as_deref()?).ok()?;
            Some((doc_number_term(&number.number), id as u32, (DOC_NUMBER_BOOST * WEIGHT_SCALE) as u32))
        })
        .collect();

    // Posting lists grouped by shard, one group of shards per thread; each
    // thread reads every document's terms in document order and keeps its
    // own, so lists come out sorted by document without locks.
    let parts = rayon::current_num_threads().max(1);
    let shards: Vec<BTreeMap<String, Vec<u32>>> = (0..parts)
        .into_par_iter()
        .map(|part| {
            let mut lists: HashMap<String, Vec<u32>> = HashMap::new();
            let mut add = |term: &str, doc: u32, weight: u32| match lists.get_mut(term) {
                Some(list) => list.extend([doc, weight]),
                None => {
                    lists.insert(term.to_string(), vec![doc, weight]);
                }
            };
            for (term, doc, weight) in &doc_number_postings {
                if bucket(term, term_shards) % parts == part {
                    add(term, *doc, *weight);
                }
            }
            for (doc, terms) in weighted.iter().enumerate() {
                for (shard, term, weight) in terms {
                    if *shard as usize % parts == part {
                        add(term, doc as u32, *weight);
                    }
                }
            }
            let mut by_shard: BTreeMap<usize, BTreeMap<String, Vec<u32>>> = BTreeMap::new();
            for (term, list) in lists {
                by_shard.entry(bucket(&term, term_shards)).or_default().insert(term, list);
            }
            by_shard
        })
        .reduce(BTreeMap::new, |mut a, b| {
            a.extend(b);
            a
        })
        .into_values()
        .collect();
    let terms = shards.iter().map(BTreeMap::len).sum();
    let mut files: Vec<OutputFile> = Vec::new();
    let file = |path: String, bytes: Vec<u8>| OutputFile { path: format!("{DIR}/{path}"), bytes };
    files.par_extend(shards.par_iter().map(|shard| {
        let k = shard.keys().next().map_or(0, |t| bucket(t, term_shards));
        file(format!("terms/{k}.json"), serde_json::to_vec(shard).unwrap_or_default())
    }));
    // Shards no term fell into are still written, so every fetch succeeds.
    let present: std::collections::HashSet<usize> =
        shards.iter().filter_map(|s| s.keys().next().map(|t| bucket(t, term_shards))).collect();
    for k in (0..term_shards).filter(|k| !present.contains(k)) {
        files.push(file(format!("terms/{k}.json"), b"{}".to_vec()));
    }

    let mut vocab_buckets: Vec<String> = vec![String::new(); vocab_shards];
    for (word, cost) in vocabulary.words() {
        let first = word.chars().next().map(String::from).unwrap_or_default();
        let b = &mut vocab_buckets[bucket(&first, vocab_shards)];
        b.push_str(word);
        b.push('\t');
        b.push_str(&cost.to_string());
        b.push('\n');
    }
    for (k, text) in vocab_buckets.into_iter().enumerate() {
        files.push(file(format!("vocab/{k}.txt"), text.into_bytes()));
    }
    files.push(file("simplified.txt".into(), simplified_table().into_bytes()));
    files.push(file("synonyms.txt".into(), analyzer.synonym_lines().into_bytes()));

    // Facet value dictionaries, then per-document value ids in blocks.
    let mut dictionaries: Vec<Vec<String>> = vec![Vec::new(); FACETS.len()];
    let mut doc_facets: Vec<Vec<Vec<usize>>> = Vec::with_capacity(docs.len());
    for doc in docs {
        let mut ids = Vec::with_capacity(FACETS.len());
        for (f, (facet, _)) in FACETS.iter().enumerate() {
            let values = facet_values(doc, facet);
            ids.push(
                values
                    .into_iter()
                    .map(|v| match dictionaries[f].iter().position(|x| *x == v) {
                        Some(i) => i,
                        None => {
                            dictionaries[f].push(v);
                            dictionaries[f].len() - 1
                        }
                    })
                    .collect(),
            );
        }
        doc_facets.push(ids);
    }
    for (k, block) in doc_facets.chunks(FACET_BLOCK).enumerate() {
        files.push(file(format!("facets/{k}.json"), serde_json::to_vec(block).unwrap_or_default()));
    }

    for (id, doc) in docs.iter().enumerate() {
        let record = json!({
            "url": doc.url,
            "title": doc.title,
            "kind": doc.kind,
            "status": doc.status,
            "doc_number": doc.doc_number,
            "date": doc.date,
            "excerpt": crate::markdown::truncate_chars(&doc.body, EXCERPT_CHARS),
        });
        files.push(file(format!("docs/{id}.json"), record.to_string().into_bytes()));
    }

    let meta = json!({
        "version": 1,
        "documents": docs.len(),
        "term_shards": term_shards,
        "vocab_shards": vocab_shards,
        "unknown_cost": vocabulary.unknown_cost(),
        "facet_block": FACET_BLOCK,
        "weight_scale": WEIGHT_SCALE,
        "facets": FACETS.iter().zip(&dictionaries).map(|((key, label), values)| {
            let labels: Vec<&str> = values
                .iter()
                .map(|v| if *key == "region" { region_names.get(v).map_or(v.as_str(), String::as_str) } else { v.as_str() })
                .collect();
            json!({ "key": key, "label": label, "values": values, "labels": labels })
        }).collect::<Vec<_>>(),
    });
    files.push(file("meta.json".into(), meta.to_string().into_bytes()));

    let stats = PublicIndexStats {
        documents: docs.len(),
        terms,
        files: files.len(),
        bytes: files.iter().map(|f| f.bytes.len()).sum(),
    };
    (files, stats)
}

/// The public documents of the library: everything the operator index has
/// except 内部口径.
pub fn public_documents(mut docs: Vec<SearchDoc>) -> Vec<SearchDoc> {
    for doc in &mut docs {
        doc.internal = None;
        doc.detail = None;
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_fnv1a() {
        // FNV-1a 32 of "a" is 0xe40c292c.
        assert_eq!(bucket("a", usize::MAX), 0xe40c_292c);
        assert!(bucket("医保", 16) < 16);
    }
}
