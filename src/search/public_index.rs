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

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::json;

use tantivy::postings::{BlockSegmentPostings, TermInfo};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{InvertedIndexReader, Searcher};

use super::bigram_index::{BigramIndex, TermEntry};
use super::operator::Built;
use super::segment::{Vocabulary, simplified_table};
use super::text::is_bigram_word;
use super::{Analyzer, SearchDoc};
use crate::content::doc_number::{self, DocNumber};
use crate::render::OutputFile;

pub const DIR: &str = "search/index";
/// `version` in `meta.json`, which the client checks, so that a client from
/// another build (a cached script) refuses the index instead of misreading
/// it. Bump it whenever a file's format changes (2: gap-coded postings).
pub const FORMAT_VERSION: u32 = 2;
/// The folder of the posting shards, named after [`FORMAT_VERSION`]: a
/// client that predates the version check (a cached script, or a theme's
/// own copy) asks for `terms/`, finds nothing and ranks nothing, rather
/// than reading gaps as document numbers.
fn postings_dir() -> String {
    format!("postings-v{FORMAT_VERSION}")
}
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Posting weights are stored as integers in hundredths.
const WEIGHT_SCALE: f64 = 100.0;
/// Characters of body text kept per document for snippets.
const EXCERPT_CHARS: usize = 600;
/// A 文号 match outweighs any words, as in the operator index.
const DOC_NUMBER_BOOST: f64 = 50.0;
/// The `stamp` of `meta.json`: the wrapping sum of [`fingerprint`] over
/// every other file of the index. The client reads `meta.json` past any
/// cache and asks for the other files with the stamp in their query, so a
/// browser or CDN never hands it a file of an earlier build beside this
/// build's (Pagefind fetches its entry file the same way). A sum, so that
/// files emitted from several threads in any order, and `serve`'s patches
/// of a few of them, come to what a full build gives.
#[derive(Default)]
struct Stamp(std::sync::atomic::AtomicU64);

impl Stamp {
    fn add(&self, files: &[OutputFile]) {
        let sum = files.iter().map(|f| fingerprint(&f.path, &f.bytes)).fold(0, u64::wrapping_add);
        self.0.fetch_add(sum, std::sync::atomic::Ordering::Relaxed);
    }

    fn hex(&self) -> String {
        format!("{:x}", self.0.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// The stamp the static index in `out_dir` should carry, from its files as
/// they are on disk: what tests hold the build and `serve`'s patches to.
pub fn stamp_on_disk(out_dir: &std::path::Path) -> std::io::Result<String> {
    let stamp = Stamp::default();
    for entry in walkdir::WalkDir::new(out_dir.join(DIR)) {
        let entry = entry?;
        let relative = entry.path().strip_prefix(out_dir).unwrap_or(entry.path());
        let path = relative.to_string_lossy().replace('\\', "/");
        if entry.file_type().is_file() && path != format!("{DIR}/meta.json") {
            stamp.add(&[OutputFile { bytes: std::fs::read(entry.path())?, path }]);
        }
    }
    Ok(stamp.hex())
}

fn fingerprint(path: &str, bytes: &[u8]) -> u64 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(path.as_bytes());
    hasher.update(&[0]);
    hasher.update(bytes);
    u64::from(hasher.finalize())
}

/// Target size of a posting shard.
const SHARD_BYTES: usize = 8 * 1024;
/// Documents per facet block.
pub const FACET_BLOCK: usize = 1024;

/// The operator index's public fields, with the prefix their terms carry
/// here: words `w:`, bigrams `b:`, and letter grams of the title's full
/// pinyin `p:` and of its initials `i:`. `internal` and `internal_bg` are
/// not among them, which is what keeps 内部口径 out. `body_bg` is read from
/// the [`BigramIndex`] beside tantivy's fields. The two-character
/// words of plainly cut word fields (`body`) are also their bigrams, under
/// `b:` (see [`Analyzer::index_field`]).
const PUBLIC_FIELDS: [(&str, &str); 9] = [
    ("title", "w"),
    ("variants", "w"),
    ("keywords", "w"),
    ("body", "w"),
    ("title_bg", "b"),
    ("variants_bg", "b"),
    ("body_bg", "b"),
    ("title_py", "p"),
    ("title_pyi", "i"),
];
/// Postings held in memory by one pass over the index; passes run on every
/// core, so this bounds the phase's memory whatever the size of the site.
/// (What every pass shares is smaller: one entry per term and segment, from
/// a single walk over the term dictionaries; a walk per pass was about a
/// fifth of the phase at 100k documents.)
const POSTINGS_PER_PASS: u64 = 6_000_000;
/// Document records emitted together.
const RECORD_BATCH: usize = 1024;
/// The fewest passes per core (see [`build`]). With 4, the pass that
/// finished last left the other core idle for about 60 ms at 6k.
const PASSES_PER_CORE: u64 = 8;

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
    fnv1a(&[key.as_bytes()]) as usize % buckets.max(1)
}

/// The bucket of `prefix:term`, without building the string.
fn term_bucket(prefix: &str, term: &[u8], buckets: usize) -> usize {
    fnv1a(&[prefix.as_bytes(), b":", term]) as usize % buckets.max(1)
}

fn fnv1a(parts: &[&[u8]]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in parts.iter().flat_map(|part| part.iter()) {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The term a 文号 is indexed under: `n:国发|2019|5`, whatever brackets
/// were used; the client derives the same from a query.
pub fn doc_number_term(number: &DocNumber) -> String {
    format!("n:{}|{}|{}", number.agency, number.year.map_or(String::new(), |y| y.to_string()), number.serial)
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

/// The public search's vocabulary: the words of the public fields (title,
/// 相似问法, keywords, body; never 内部口径), each with its cost. What a
/// browser may cut a query into. Indexes `docs` in memory to find it.
pub fn vocabulary(docs: &[SearchDoc], analyzer: &Analyzer) -> tantivy::Result<Vocabulary> {
    let built = super::operator::build_in_ram(docs, analyzer)?;
    let searcher = built.index.reader()?.searcher();
    let source = Source::of(&searcher, &built, analyzer)?;
    let (walks, _) = source.terms(&searcher)?;
    let (_, counts, _) = source.pass(&searcher, &by_shard(&walks, 1), 0..1, &BTreeMap::new(), &|_| Ok(()))?;
    Ok(Vocabulary::from_counts(&counts))
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

/// Where a pass hands the files it made; they are written at once, so a
/// large index is never held in memory whole.
pub type Emit<'a> = &'a (dyn Fn(Vec<OutputFile>) -> std::io::Result<()> + Sync);

/// The public fields of an operator index, with what BM25 needs of them.
struct Source {
    fields: Vec<SourceField>,
    /// BM25's length normalisation of each public field, by fieldnorm id:
    /// tantivy keeps a field's length as one of 256 ids.
    length_norm: Vec<[f64; 256]>,
    bigrams: std::sync::Arc<BigramIndex>,
}

/// Where a public field's postings are.
#[derive(Clone, Copy, PartialEq)]
enum Origin {
    Tantivy(Field),
    /// A field of the [`BigramIndex`], by number.
    Grams(usize),
}

/// The `segment` of a term of the [`BigramIndex`], which has none.
const GRAMS: u32 = u32::MAX;

/// One public field as the static index reads it.
struct SourceField {
    origin: Origin,
    /// Of its terms in the static index.
    prefix: &'static str,
    boost: f64,
    /// Only its words of two CJK characters, as the bigrams that its bigram
    /// field leaves to it (see [`Analyzer::index_field`]).
    pairs_only: bool,
}

struct SegmentContext {
    /// The build position of each document: read once, not per posting.
    ords: Vec<u32>,
    /// Of each public field held by tantivy.
    norms: Vec<Option<tantivy::fieldnorm::FieldNormReader>>,
    alive: Option<tantivy::fastfield::AliveBitSet>,
}

impl Source {
    fn of(searcher: &Searcher, built: &Built, analyzer: &Analyzer) -> tantivy::Result<Source> {
        use super::operator::{PLAIN_WORD_FIELDS, field_boost, gram_field};
        let schema = searcher.schema();
        let docs = searcher.num_docs().max(1) as f64;
        // (field, prefix, the field whose boost applies, pairs only)
        let mut read: Vec<(&str, &str, &str, bool)> =
            PUBLIC_FIELDS.iter().map(|&(name, prefix)| (name, prefix, name, false)).collect();
        for &(words, bigrams) in PLAIN_WORD_FIELDS {
            if analyzer.pairs_in_words() && PUBLIC_FIELDS.iter().any(|(name, _)| *name == words) {
                read.push((words, "b", bigrams, true));
            }
        }
        let mut fields = Vec::new();
        let mut length_norm = Vec::new();
        for (name, prefix, boost_of, pairs_only) in read {
            let (origin, tokens) = match gram_field(name) {
                Some(g) => (Origin::Grams(g), built.bigrams.total_tokens(g)),
                None => {
                    let field = schema.get_field(name)?;
                    let mut tokens = 0;
                    for segment in searcher.segment_readers() {
                        tokens += segment.inverted_index(field)?.total_num_tokens();
                    }
                    (Origin::Tantivy(field), tokens)
                }
            };
            fields.push(SourceField { origin, prefix, boost: f64::from(field_boost(boost_of)), pairs_only });
            let average = (tokens as f64 / docs).max(1.0);
            length_norm.push(std::array::from_fn(|id| {
                let length = f64::from(tantivy::fieldnorm::FieldNormReader::id_to_fieldnorm(id as u8));
                K1 * (1.0 - B + B * length / average)
            }));
        }
        Ok(Source { fields, length_norm, bigrams: built.bigrams.clone() })
    }

    /// What one posting of field `f` adds to a document's score, before the
    /// term's idf: BM25's saturated, length-normalised count, boosted.
    fn weigh(&self, f: usize, count: u32, norm_id: u8) -> f32 {
        let tf = f64::from(count);
        let norm = self.length_norm[f][usize::from(norm_id)];
        (self.fields[f].boost * tf * (K1 + 1.0) / (tf + norm)) as f32
    }

    /// Whether `term` of field `f` belongs in the static index.
    fn keeps(&self, f: usize, term: &str) -> bool {
        !self.fields[f].pairs_only || is_bigram_word(term)
    }

    /// Every term of every public field and segment that the static index
    /// keeps, in the order of one walk over the term dictionaries (each
    /// read once, also for its pairs-only entry), and their postings in all.
    fn terms(&self, searcher: &Searcher) -> tantivy::Result<(Vec<Walk>, u64)> {
        // One walk per segment and field, on every core: walked one after
        // another they kept a core idle for a tenth of the phase at 6k.
        let tantivy_fields = || self.fields.iter().enumerate().filter(|(_, f)| matches!(f.origin, Origin::Tantivy(_)));
        let mut walks: Vec<(u32, usize)> = (0..searcher.segment_readers().len() as u32)
            .flat_map(|s| tantivy_fields().filter(|(_, f)| !f.pairs_only).map(move |(f, _)| (s, f)))
            .collect();
        // The bigram index's walk first: it is the longest.
        let grams = self.fields.iter().enumerate().filter(|(_, f)| matches!(f.origin, Origin::Grams(_)));
        walks.splice(0..0, grams.map(|(f, _)| (GRAMS, f)));
        let walked = walks
            .into_par_iter()
            .map(|(s, f)| if s == GRAMS { Ok(self.walk_grams(f)) } else { self.walk(searcher, s as usize, f) })
            .collect::<tantivy::Result<Vec<_>>>()?;
        let postings = walked.iter().map(|(_, postings)| postings).sum();
        Ok((walked.into_iter().map(|(walk, _)| walk).collect(), postings))
    }

    /// The terms of public field `f` in segment `s`, with those of the
    /// pairs-only entries of the same field, and their postings in all.
    fn walk(&self, searcher: &Searcher, s: usize, f: usize) -> tantivy::Result<(Walk, u64)> {
        let also: Vec<usize> = (0..self.fields.len())
            .filter(|&g| self.fields[g].pairs_only && self.fields[g].origin == self.fields[f].origin)
            .collect();
        let Origin::Tantivy(field) = self.fields[f].origin else { return Ok(self.walk_grams(f)) };
        let inverted = searcher.segment_reader(s as u32).inverted_index(field)?;
        // Sized from the dictionary: grown by doubling, the largest walk
        // (a segment's body bigrams, tens of MB) was copied a few times and
        // touched twice its size in fresh pages, on one core at the end.
        // Texts are mostly two CJK characters (6 bytes).
        let count = inverted.terms().num_terms();
        let mut walk = Walk { terms: Vec::with_capacity(count), texts: String::with_capacity(count * 6) };
        let mut postings = 0u64;
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let Ok(text) = std::str::from_utf8(terms.key()) else { continue };
            let info = terms.value();
            let start = walk.texts.len() as u32;
            walk.texts.push_str(text);
            for field in std::iter::once(f).chain(also.iter().copied().filter(|&g| self.keeps(g, text))) {
                postings += u64::from(info.doc_freq);
                walk.terms.push(TermAt {
                    hash: fnv1a(&[self.fields[field].prefix.as_bytes(), b":", terms.key()]),
                    segment: s as u32,
                    field: field as u32,
                    info: info.clone(),
                    text: start..start + text.len() as u32,
                });
            }
        }
        Ok((walk, postings))
    }

    /// The terms of public field `f` of the [`BigramIndex`], and their
    /// postings in all.
    fn walk_grams(&self, f: usize) -> (Walk, u64) {
        let Origin::Grams(g) = self.fields[f].origin else {
            return (Walk { terms: Vec::new(), texts: String::new() }, 0);
        };
        let entries: Vec<TermEntry> =
            self.bigrams.terms().into_iter().filter(|e| super::bigram_index::field_of(e.key) == g).collect();
        let mut walk =
            Walk { terms: Vec::with_capacity(entries.len()), texts: String::with_capacity(entries.len() * 6) };
        let mut postings = 0u64;
        for entry in entries {
            let start = walk.texts.len() as u32;
            self.bigrams.push_text(entry.key, &mut walk.texts);
            let text = &walk.texts[start as usize..];
            postings += u64::from(entry.doc_freq);
            walk.terms.push(TermAt {
                hash: fnv1a(&[self.fields[f].prefix.as_bytes(), b":", text.as_bytes()]),
                segment: GRAMS,
                field: f as u32,
                info: TermInfo { doc_freq: entry.doc_freq, postings_range: entry.postings, positions_range: 0..0 },
                text: start..walk.texts.len() as u32,
            });
        }
        (walk, postings)
    }

    /// Appends the weighted postings of a term of the bigram index's field
    /// `f` to `list`; returns its occurrences.
    fn read_grams(&self, f: usize, info: &TermInfo, list: &mut Vec<(u32, f32)>) -> u64 {
        let Origin::Grams(g) = self.fields[f].origin else { return 0 };
        list.reserve(info.doc_freq as usize);
        let mut occurrences = 0;
        self.bigrams.read(info.doc_freq, info.postings_range.clone(), &mut |ord, count| {
            occurrences += u64::from(count);
            list.push((ord, self.weigh(f, count, self.bigrams.fieldnorm_id(g, ord))));
        });
        occurrences
    }

    /// What reading postings needs of each segment.
    fn segments(&self, searcher: &Searcher) -> tantivy::Result<Vec<SegmentContext>> {
        searcher
            .segment_readers()
            .iter()
            .map(|segment| {
                let ords = segment.fast_fields().u64(super::operator::ORD_FIELD)?;
                Ok(SegmentContext {
                    ords: (0..segment.max_doc()).map(|doc| ords.first(doc).unwrap_or_default() as u32).collect(),
                    norms: self
                        .fields
                        .iter()
                        .map(|source| match source.origin {
                            Origin::Tantivy(field) => segment.get_fieldnorms_reader(field).map(Some),
                            Origin::Grams(_) => Ok(None),
                        })
                        .collect::<tantivy::Result<_>>()?,
                    alive: segment.alive_bitset().cloned(),
                })
            })
            .collect()
    }

    /// Appends the weighted postings of one term of public field `f` in
    /// one segment to `list`; returns the term's occurrences there.
    /// `block` is the reader of an earlier term of the same field and
    /// segment, if any, which is reused: a fresh one fills two 128-document
    /// buffers, and moving it around cost a tenth of this phase.
    fn read(
        &self,
        segment: &SegmentContext,
        f: usize,
        info: &TermInfo,
        inverted: &InvertedIndexReader,
        block: &mut Option<BlockSegmentPostings>,
        list: &mut Vec<(u32, f32)>,
    ) -> tantivy::Result<u64> {
        let postings = match block {
            Some(postings) => {
                inverted.reset_block_postings_from_terminfo(info, postings)?;
                postings
            }
            None => block.insert(inverted.read_block_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?),
        };
        list.reserve(info.doc_freq as usize);
        let mut occurrences = 0u64;
        loop {
            let docs = postings.docs();
            if docs.is_empty() {
                break;
            }
            for (&doc, &freq) in docs.iter().zip(postings.freqs()) {
                if segment.alive.as_ref().is_none_or(|a| a.is_alive(doc)) {
                    occurrences += u64::from(freq);
                    let norm_id = segment.norms[f].as_ref().map_or(0, |norms| norms.fieldnorm_id(doc));
                    list.push((segment.ords[doc as usize], self.weigh(f, freq, norm_id)));
                }
            }
            postings.advance();
        }
        Ok(occurrences)
    }

    /// Reads the postings of the terms of consecutive shards `shards`, adds
    /// the 文号 postings that fall there, and emits the shard files. Returns
    /// the number of terms, the occurrences of the words met (for the
    /// vocabulary) and the bytes written.
    fn pass(
        &self,
        searcher: &Searcher,
        terms: &ByShard,
        shards: std::ops::Range<usize>,
        doc_number_postings: &BTreeMap<usize, Vec<(String, u32)>>,
        emit: Emit,
    ) -> tantivy::Result<(usize, BTreeMap<String, u64>, usize)> {
        let segments = self.segments(searcher)?;
        let inverted: Vec<Vec<Option<std::sync::Arc<InvertedIndexReader>>>> = searcher
            .segment_readers()
            .iter()
            .map(|segment| {
                self.fields
                    .iter()
                    .map(|source| match source.origin {
                        Origin::Tantivy(field) => segment.inverted_index(field).map(Some),
                        Origin::Grams(_) => Ok(None),
                    })
                    .collect()
            })
            .collect::<tantivy::Result<_>>()?;
        let mut blocks: Vec<Vec<Option<BlockSegmentPostings>>> =
            inverted.iter().map(|fields| fields.iter().map(|_| None).collect()).collect();
        let mut words: BTreeMap<String, u64> = BTreeMap::new();
        let mut term_count = 0;
        let mut key = String::new();
        let mut files = Vec::with_capacity(shards.len());
        for shard in shards {
            let mut lists: BTreeMap<String, Vec<(u32, f32)>> = BTreeMap::new();
            for term in &terms.terms[terms.ranges[shard].clone()] {
                let text = &terms.texts[term.text.start as usize..term.text.end as usize];
                let field = term.field as usize;
                let prefix = self.fields[field].prefix;
                key.clear();
                key.push_str(prefix);
                key.push(':');
                key.push_str(text);
                let list = match lists.get_mut(key.as_str()) {
                    Some(list) => list,
                    None => lists.entry(key.clone()).or_default(),
                };
                let segment = term.segment as usize;
                let occurrences = match inverted.get(segment).and_then(|fields| fields[field].as_ref()) {
                    Some(inverted) => {
                        self.read(&segments[segment], field, &term.info(), inverted, &mut blocks[segment][field], list)?
                    }
                    None => self.read_grams(field, &term.info(), list),
                };
                if prefix == "w" && occurrences > 0 {
                    *words.entry(text.to_string()).or_default() += occurrences;
                }
            }
            for (term, doc) in doc_number_postings.get(&shard).into_iter().flatten() {
                lists.entry(term.clone()).or_default().push((*doc, DOC_NUMBER_BOOST as f32));
            }
            term_count += lists.len();
            // Shards no term fell into are still written, so every fetch
            // succeeds. `lists` is in term order already: serialised as it goes.
            // 8 bytes a posting (`12,345,`; a document's fields are still
            // apart here), so the buffer is not grown by doubling from
            // nothing for every shard: at 6k, 37 % above the written size
            // in all and short for none of the 12,087 shards (7 was short
            // for 91).
            let estimate: usize = lists.iter().map(|(term, postings)| term.len() + 6 + postings.len() * 8).sum();
            let mut bytes = Vec::with_capacity(estimate + 2);
            let merged = lists.into_iter().map(|(term, postings)| (term, merge_postings(postings)));
            serde::Serializer::collect_map(&mut serde_json::Serializer::new(&mut bytes), merged)
                .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
            files.push(OutputFile { path: format!("{DIR}/{}/{shard}.json", postings_dir()), bytes });
        }
        let bytes = files.iter().map(|f| f.bytes.len()).sum();
        emit(files)?;
        Ok((term_count, words, bytes))
    }
}

/// The terms of one walk over a term dictionary, and their texts one after
/// another (a text of its own per term was half a million allocations at
/// 6k, all freed at the end of the phase on one core).
struct Walk {
    terms: Vec<TermAt>,
    texts: String,
}

/// A term of one public field in one segment, as its dictionary gave it.
struct TermAt {
    /// FNV-1a of `prefix:text`, which picks its shard.
    hash: u32,
    segment: u32,
    /// Of [`Source::fields`].
    field: u32,
    info: TermInfo,
    /// Of its walk's texts.
    text: std::ops::Range<u32>,
}

/// Every term of the walks in shard order, each shard's in walk order, and
/// their texts in the same order, so that a pass reads both front to back.
/// Reached from the passes through a list of places, each term cost a few
/// cache misses: 15 % of this phase at 6k.
struct ByShard {
    terms: Vec<ShardTerm>,
    texts: String,
    /// Of `terms`, for each shard.
    ranges: Vec<std::ops::Range<usize>>,
}

/// What a pass reads of a term.
#[derive(Default, Clone)]
struct ShardTerm {
    postings: std::ops::Range<usize>,
    doc_freq: u32,
    segment: u32,
    /// Of [`Source::fields`].
    field: u32,
    /// Of [`ByShard::texts`].
    text: std::ops::Range<u32>,
}

impl ShardTerm {
    fn info(&self) -> TermInfo {
        TermInfo { doc_freq: self.doc_freq, postings_range: self.postings.clone(), positions_range: 0..0 }
    }
}

/// The terms of the public fields in shard order, and how the passes
/// share them out.
struct Sharded {
    terms: ByShard,
    term_shards: usize,
    /// The shards of each pass.
    groups: Vec<std::ops::Range<usize>>,
    /// 文号 terms by shard, with their documents.
    doc_number_postings: BTreeMap<usize, Vec<(String, u32)>>,
}

/// Consecutive shards forming passes of about equal numbers of postings,
/// several per core, so that the last ones do not leave a core idle:
/// three passes at 10k documents kept one of two cores waiting for a
/// third of the phase.
fn pass_groups(terms: &ByShard, total_postings: u64) -> Vec<std::ops::Range<usize>> {
    let passes = total_postings.div_ceil(POSTINGS_PER_PASS).max(PASSES_PER_CORE * rayon::current_num_threads() as u64);
    let per_pass = total_postings.div_ceil(passes.max(1));
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut in_group = 0u64;
    for (shard, range) in terms.ranges.iter().enumerate() {
        let count: u64 = terms.terms[range.clone()].iter().map(|t| u64::from(t.doc_freq)).sum();
        match groups.last_mut() {
            Some(group) if in_group == 0 || in_group + count <= per_pass => group.end = shard + 1,
            _ => {
                groups.push(shard..shard + 1);
                in_group = 0;
            }
        }
        in_group += count;
    }
    groups
}

/// The 文号 term of each document that has one, by shard.
fn doc_number_postings(docs: &[SearchDoc], term_shards: usize) -> BTreeMap<usize, Vec<(String, u32)>> {
    let mut postings: BTreeMap<usize, Vec<(String, u32)>> = BTreeMap::new();
    for (id, doc) in docs.iter().enumerate() {
        if let Some(term) = doc_number_term_of(doc) {
            postings.entry(bucket(&term, term_shards)).or_default().push((term, id as u32));
        }
    }
    postings
}

/// The `n:` term of `doc`'s 文号, if it has one that parses.
fn doc_number_term_of(doc: &SearchDoc) -> Option<String> {
    doc.doc_number.as_deref().and_then(|n| doc_number::parse(n).ok()).map(|n| doc_number_term(&n.number))
}

/// The terms of `walks` sorted into `shards` shards by a counting sort,
/// their texts with them.
fn by_shard(walks: &[Walk], shards: usize) -> ByShard {
    let shards = shards.max(1);
    let shard_of = |t: &TermAt| t.hash as usize % shards;
    let text_len = |t: &TermAt| (t.text.end - t.text.start) as usize;
    let mut counts = vec![(0usize, 0usize); shards];
    for term in walks.iter().flat_map(|walk| &walk.terms) {
        let count = &mut counts[shard_of(term)];
        count.0 += 1;
        count.1 += text_len(term);
    }
    let mut ranges = Vec::with_capacity(shards);
    let mut next: Vec<(usize, usize)> = Vec::with_capacity(shards);
    let (mut term_at, mut text_at) = (0, 0);
    for (terms, bytes) in counts {
        ranges.push(term_at..term_at + terms);
        next.push((term_at, text_at));
        term_at += terms;
        text_at += bytes;
    }
    let mut terms = vec![ShardTerm::default(); term_at];
    let mut texts = vec![0u8; text_at];
    for walk in walks {
        for term in &walk.terms {
            let (slot, text_slot) = &mut next[shard_of(term)];
            let text = &walk.texts.as_bytes()[term.text.start as usize..term.text.end as usize];
            texts[*text_slot..*text_slot + text.len()].copy_from_slice(text);
            terms[*slot] = ShardTerm {
                postings: term.info.postings_range.clone(),
                doc_freq: term.info.doc_freq,
                segment: term.segment,
                field: term.field,
                text: *text_slot as u32..(*text_slot + text.len()) as u32,
            };
            *slot += 1;
            *text_slot += text.len();
        }
    }
    // Whole texts copied whole: still UTF-8.
    let texts = String::from_utf8(texts).unwrap_or_default();
    ByShard { terms, texts, ranges }
}

/// A posting list as the client reads it: `[gap, weight, gap, weight …]`
/// in document order, where a gap is the document's number less the one
/// before it (the first is the number itself), a document's fields summed,
/// weights in hundredths. Gaps are shorter than numbers: at 6k documents
/// the shards came to 61.1 MB instead of 80.5 MB, and a first query
/// downloads up to 28 % less gzipped (BENCHMARKS.md).
fn merge_postings(mut postings: Vec<(u32, f32)>) -> Vec<u32> {
    // Stable, so a document's fields are summed in the same order on every
    // build (the bigram index's walk first, then tantivy's fields in order).
    postings.sort_by_key(|(doc, _)| *doc);
    let mut out: Vec<u32> = Vec::with_capacity(postings.len() * 2);
    let (mut i, mut previous) = (0, 0);
    while i < postings.len() {
        let doc = postings[i].0;
        let mut weight = 0f64;
        while i < postings.len() && postings[i].0 == doc {
            weight += f64::from(postings[i].1);
            i += 1;
        }
        out.extend([doc - previous, (weight * WEIGHT_SCALE).round().max(1.0) as u32]);
        previous = doc;
    }
    out
}

/// What the per-document files of the static index came to (records and
/// facet blocks), and the facet value dictionaries they number into.
struct DocumentFiles {
    files: usize,
    bytes: usize,
    dictionaries: Vec<Vec<String>>,
}

/// Builds every file of the public search index from the operator index of
/// the same documents (pages, policies, interpretations and Q&A; only its
/// public fields are read) and hands them to `emit`. Posting lists are
/// made in passes over groups of shards, in parallel, each holding at most
/// [`POSTINGS_PER_PASS`] postings; `region_names` (GB/T 2260 code → name)
/// label the 地区 facet.
pub fn build(
    built: &Built,
    docs: &[SearchDoc],
    analyzer: &Analyzer,
    region_names: &BTreeMap<String, String>,
    emit: Emit,
) -> tantivy::Result<PublicIndexStats> {
    let unstamped = emit;
    let stamp = Stamp::default();
    let stamped = |files: Vec<OutputFile>| {
        stamp.add(&files);
        unstamped(files)
    };
    let emit: Emit = &stamped;
    // Its walk reads the file alone, without `serve`'s edits: a full build
    // makes the index it reads.
    if built.bigrams.has_edits() {
        return Err(tantivy::TantivyError::InvalidArgument(
            "the static index is built from a freshly built operator index, not an edited one".into(),
        ));
    }
    let searcher = built.index.reader()?.searcher();
    let source = Source::of(&searcher, built, analyzer)?;
    // The records and facets need only the documents: they are made and
    // emitted beside the walks over the term dictionaries, and take the
    // core the walks leave idle once only the largest is left.
    let (walked, by_document) = rayon::join(
        || -> tantivy::Result<Sharded> {
            let (walks, total_postings) = source.terms(&searcher)?;
            // A shard per 8 KB of postings at 10 bytes a posting, so a query
            // fetches little more than the postings of its own terms. Since
            // the postings are gap-coded, about 6.4 bytes each at 6k, shards
            // average about 5 KB.
            let term_shards = (total_postings as usize * 10 / SHARD_BYTES).clamp(16, 1 << 16);
            // Sorted here rather than after the join, while the records
            // keep the other core busy: 20-25 ms at 6k.
            let terms = by_shard(&walks, term_shards);
            drop(walks);
            Ok(Sharded {
                groups: pass_groups(&terms, total_postings),
                doc_number_postings: doc_number_postings(docs, term_shards),
                terms,
                term_shards,
            })
        },
        || -> std::io::Result<DocumentFiles> {
            let records = docs
                .par_chunks(RECORD_BATCH)
                .enumerate()
                .map(|(k, chunk)| {
                    let files: Vec<OutputFile> =
                        chunk.iter().enumerate().map(|(i, doc)| record(k * RECORD_BATCH + i, doc)).collect();
                    let counted = (files.len(), files.iter().map(|f| f.bytes.len()).sum::<usize>());
                    emit(files)?;
                    Ok::<_, std::io::Error>(counted)
                })
                .try_reduce(|| (0, 0), |a, b| Ok((a.0 + b.0, a.1 + b.1)))?;
            // Facet value dictionaries, then per-document value ids in blocks.
            let mut dictionaries: Vec<Vec<String>> = vec![Vec::new(); FACETS.len()];
            let mut doc_facets: Vec<Vec<Vec<usize>>> = Vec::with_capacity(docs.len());
            for doc in docs {
                doc_facets.push(facet_ids(doc, &mut dictionaries, true).unwrap_or_default());
            }
            let blocks: Vec<OutputFile> = doc_facets
                .chunks(FACET_BLOCK)
                .enumerate()
                .map(|(k, block)| OutputFile {
                    path: format!("{DIR}/facets/{k}.json"),
                    bytes: serde_json::to_vec(block).unwrap_or_default(),
                })
                .collect();
            let made = DocumentFiles {
                files: records.0 + blocks.len(),
                bytes: records.1 + blocks.iter().map(|f| f.bytes.len()).sum::<usize>(),
                dictionaries,
            };
            emit(blocks)?;
            Ok(made)
        },
    );
    let Sharded { terms, term_shards, groups, doc_number_postings } = walked?;
    let DocumentFiles { files: document_files, bytes: document_bytes, dictionaries } = by_document?;
    let passes = groups
        .into_par_iter()
        .map(|shards| source.pass(&searcher, &terms, shards, &doc_number_postings, emit))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut terms = 0;
    let mut bytes = 0;
    let mut word_counts: BTreeMap<String, u64> = BTreeMap::new();
    for (pass_terms, pass_words, pass_bytes) in passes {
        terms += pass_terms;
        bytes += pass_bytes;
        for (word, count) in pass_words {
            *word_counts.entry(word).or_default() += count;
        }
    }
    let vocabulary = Vocabulary::from_counts(&word_counts);
    let vocab_shards = (vocabulary.len() / 400).clamp(16, 1024);
    let mut files: Vec<OutputFile> = Vec::new();
    let file = |path: String, bytes: Vec<u8>| OutputFile { path: format!("{DIR}/{path}"), bytes };

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

    stamp.add(&files);
    let meta = json!({
        "version": FORMAT_VERSION,
        "stamp": stamp.hex(),
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
        files: term_shards + document_files + files.len(),
        bytes: bytes + document_bytes + files.iter().map(|f| f.bytes.len()).sum::<usize>(),
    };
    // Counted in the stamp above, with meta.json left out.
    unstamped(files)?;
    Ok(stats)
}

/// The record the results list shows for document `id`.
fn record(id: usize, doc: &SearchDoc) -> OutputFile {
    let record = json!({
        "url": doc.url,
        "title": doc.title,
        "kind": doc.kind,
        "status": doc.status,
        "doc_number": doc.doc_number,
        "date": doc.date,
        "excerpt": crate::markdown::truncate_chars(&doc.body, EXCERPT_CHARS),
    });
    OutputFile { path: format!("{DIR}/docs/{id}.json"), bytes: record.to_string().into_bytes() }
}

/// A document's facet values as ids in `dictionaries`. New values are
/// added when `grow`, else they make the answer `None`.
fn facet_ids(doc: &SearchDoc, dictionaries: &mut [Vec<String>], grow: bool) -> Option<Vec<Vec<usize>>> {
    let mut ids = Vec::with_capacity(FACETS.len());
    for (f, (facet, _)) in FACETS.iter().enumerate() {
        let mut values = Vec::new();
        for v in facet_values(doc, facet) {
            values.push(match dictionaries[f].iter().position(|x| *x == v) {
                Some(i) => i,
                None if grow => {
                    dictionaries[f].push(v);
                    dictionaries[f].len() - 1
                }
                None => return None,
            });
        }
        ids.push(values);
    }
    Some(ids)
}

/// Every `prefix:term` a document puts in the public index.
fn terms_of(doc: &SearchDoc, analyzer: &Analyzer) -> std::collections::BTreeSet<String> {
    let mut terms = std::collections::BTreeSet::new();
    for (_, cut, text) in doc.public_texts() {
        let (words, grams) = analyzer.index_field(&text, cut);
        terms.extend(words.split(' ').filter(|w| !w.is_empty()).map(|w| format!("w:{w}")));
        for word in words.split(' ').filter(|w| analyzer.bigram_in_word_field(w, cut)) {
            terms.insert(format!("b:{word}"));
        }
        terms.extend(grams.split(' ').filter(|g| !g.is_empty()).map(|g| format!("b:{g}")));
    }
    let (full, initials) = analyzer.index_pinyin(&doc.title);
    terms.extend(full.iter().map(|g| format!("p:{g}")));
    terms.extend(initials.iter().map(|g| format!("i:{g}")));
    terms
}

/// Brings the static index in `out_dir` up to date after documents were
/// replaced in the operator index `built` ([`super::operator::update`]),
/// for `serve`: rewrites the posting lists of every term the old or new
/// version has, their records and facet blocks. Only public fields of the
/// documents are read (never `internal` or `detail`). Weights of other terms keep
/// the old field averages, and the vocabulary its old word costs, until the
/// next full build. `Ok(None)` when a facet value is new: build in full.
pub fn patch(
    out_dir: &std::path::Path,
    built: &Built,
    analyzer: &Analyzer,
    changed: &[(usize, &SearchDoc, &SearchDoc)],
) -> Result<Option<Vec<OutputFile>>, String> {
    let dir = out_dir.join(DIR);
    let read_json = |path: &str| -> Result<serde_json::Value, String> {
        let text = std::fs::read(dir.join(path)).map_err(|e| format!("{DIR}/{path}: {e}"))?;
        serde_json::from_slice(&text).map_err(|e| format!("{DIR}/{path}: {e}"))
    };
    let mut meta = read_json("meta.json")?;
    // An index from before stamps: build in full.
    let Some(stamp) = meta["stamp"].as_str().and_then(|hex| u64::from_str_radix(hex, 16).ok()) else {
        return Ok(None);
    };
    let shards = meta["term_shards"].as_u64().unwrap_or(1) as usize;
    let block = meta["facet_block"].as_u64().unwrap_or(FACET_BLOCK as u64) as usize;
    let mut dictionaries: Vec<Vec<String>> = FACETS
        .iter()
        .enumerate()
        .map(|(f, _)| serde_json::from_value(meta["facets"][f]["values"].clone()).unwrap_or_default())
        .collect();
    let mut terms = std::collections::BTreeSet::new();
    let mut numbers: BTreeMap<String, Vec<(u32, f32)>> = BTreeMap::new();
    let mut files = Vec::new();
    let mut blocks: BTreeMap<usize, Vec<serde_json::Value>> = BTreeMap::new();
    // A 文号 belongs to one document (the library refuses duplicates), so
    // its list is rewritten whole: emptied for every old number first, then
    // filled for the new ones, so that an edit taking over a number another
    // edit of the same batch gave up keeps it, whatever their order.
    for &(_, old, _) in changed {
        numbers.extend(doc_number_term_of(old).map(|term| (term, Vec::new())));
    }
    for &(ord, _, new) in changed {
        numbers.extend(doc_number_term_of(new).map(|term| (term, vec![(ord as u32, DOC_NUMBER_BOOST as f32)])));
    }
    for &(ord, old, new) in changed {
        terms.extend(terms_of(old, analyzer));
        terms.extend(terms_of(new, analyzer));
        files.push(record(ord, new));
        let Some(ids) = facet_ids(new, &mut dictionaries, false) else { return Ok(None) };
        let k = ord / block.max(1);
        if let std::collections::btree_map::Entry::Vacant(e) = blocks.entry(k) {
            let value = read_json(&format!("facets/{k}.json"))?;
            e.insert(value.as_array().cloned().unwrap_or_default());
        }
        if let Some(slot) = blocks.get_mut(&k).and_then(|b| b.get_mut(ord % block.max(1))) {
            *slot = json!(ids);
        }
    }
    for (k, values) in blocks {
        files
            .push(OutputFile { path: format!("{DIR}/facets/{k}.json"), bytes: json!(values).to_string().into_bytes() });
    }
    let searcher = built.index.reader().map_err(|e| e.to_string())?.searcher();
    let source = Source::of(&searcher, built, analyzer).map_err(|e| e.to_string())?;
    let segments = source.segments(&searcher).map_err(|e| e.to_string())?;
    let mut by_shard: BTreeMap<usize, BTreeMap<String, Vec<(u32, f32)>>> = BTreeMap::new();
    for term in terms {
        let (prefix, text) = term.split_once(':').unwrap_or(("w", &term));
        let mut list = Vec::new();
        for (f, field) in source.fields.iter().enumerate() {
            if let (Origin::Grams(g), true) = (field.origin, field.prefix == prefix) {
                for (ord, count) in source.bigrams.postings(g, text) {
                    list.push((ord, source.weigh(f, count, source.bigrams.fieldnorm_id(g, ord))));
                }
            }
        }
        for (s, segment) in searcher.segment_readers().iter().enumerate() {
            for (f, field) in source.fields.iter().enumerate() {
                let Origin::Tantivy(tantivy_field) = field.origin else { continue };
                if field.prefix != prefix || !source.keeps(f, text) {
                    continue;
                }
                let inverted = segment.inverted_index(tantivy_field).map_err(|e| e.to_string())?;
                let key = tantivy::Term::from_field_text(tantivy_field, text);
                if let Some(info) = inverted.get_term_info(&key).map_err(|e| e.to_string())? {
                    source.read(&segments[s], f, &info, &inverted, &mut None, &mut list).map_err(|e| e.to_string())?;
                }
            }
        }
        by_shard.entry(term_bucket(prefix, text.as_bytes(), shards)).or_default().insert(term.clone(), list);
    }
    for (term, list) in numbers {
        by_shard.entry(bucket(&term, shards)).or_default().insert(term, list);
    }
    for (shard, lists) in by_shard {
        let path = format!("{}/{shard}.json", postings_dir());
        let text = std::fs::read(dir.join(&path)).map_err(|e| format!("{DIR}/{path}: {e}"))?;
        let mut current: BTreeMap<String, Vec<u32>> =
            serde_json::from_slice(&text).map_err(|e| format!("{DIR}/{path}: {e}"))?;
        for (term, list) in lists {
            if list.is_empty() {
                current.remove(&term);
            } else {
                current.insert(term, merge_postings(list));
            }
        }
        files.push(OutputFile {
            path: format!("{DIR}/{path}"),
            bytes: serde_json::to_vec(&current).map_err(|e| e.to_string())?,
        });
    }
    // Each rewritten file trades its old fingerprint for its new one; a
    // path met twice counts once, with its last version, as written.
    let last: BTreeMap<&str, &[u8]> = files.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())).collect();
    let mut stamp = stamp;
    for (path, bytes) in last {
        if let Ok(old) = std::fs::read(out_dir.join(path)) {
            stamp = stamp.wrapping_sub(fingerprint(path, &old));
        }
        stamp = stamp.wrapping_add(fingerprint(path, bytes));
    }
    meta["stamp"] = json!(format!("{stamp:x}"));
    files.push(OutputFile { path: format!("{DIR}/meta.json"), bytes: meta.to_string().into_bytes() });
    Ok(Some(files))
}

/// What the public index needs of a document: no 内部口径 or console
/// details, and only the start of the body, for the excerpt.
pub fn public_summary(mut doc: SearchDoc) -> SearchDoc {
    doc.internal = None;
    doc.detail = None;
    // One character more than the excerpt, so it still ends with "…".
    if let Some((cut, _)) = doc.body.char_indices().nth(EXCERPT_CHARS + 1) {
        doc.body.truncate(cut);
        // Kept for every document until the end of the build: without this
        // each would hold on to its whole body's allocation.
        doc.body.shrink_to_fit();
    }
    doc
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
    fn postings_are_gaps_with_summed_weights() {
        // Document 5 twice (two fields), out of order, as passes collect them.
        let merged = merge_postings(vec![(5, 1.0), (2, 0.25), (5, 0.5), (9, 2.0)]);
        assert_eq!(merged, [2, 25, 3, 150, 4, 200]);
    }

    #[test]
    fn buckets_are_fnv1a() {
        // FNV-1a 32 of "a" is 0xe40c292c.
        assert_eq!(bucket("a", usize::MAX), 0xe40c_292c);
        assert!(bucket("医保", 16) < 16);
    }
}
