//! The operator index: tantivy over every document, internal guidance
//! (内部口径) included, for `zhiku search` and the `serve` API. It lives in
//! `index/operator/`, never under `public/`.
//!
//! Text is segmented by [`Analyzer`] and stored as space-separated tokens,
//! so tantivy only splits on spaces and every language decision stays in
//! one place. The bigrams of the fields cut plainly (bodies, 内部口径) are
//! most of the tokens and are kept beside tantivy, in a [`BigramIndex`]
//! that [`BigramQuery`] scores as tantivy would. Queries are built as
//! boolean queries of term queries with field boosts: tantivy's QueryParser
//! would turn multi-token Chinese words into phrase queries that miss.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use rayon::prelude::*;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Explanation, Occur, Query, Scorer, TermQuery, Weight};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DocSet, Index, IndexReader, ReloadPolicy, Score, Searcher, TERMINATED, TantivyDocument, Term};

use super::analyzer::{AnalysedQuery, Analyzer, Cut};
use super::bigram_index::{self, BigramIndex, DocGrams, DocGramsBuilder};
use super::snippet;
use super::text::find_doc_numbers;
use super::{SearchDoc, SearchError};

/// Field weights: 标准问题/标题 > 相似问法 > 关键词 > body.
const WORD_FIELDS: &[(&str, f32)] =
    &[("title", 4.0), ("variants", 3.0), ("keywords", 2.0), ("body", 1.0), ("internal", 1.0)];
const BIGRAM_FIELDS: &[(&str, f32)] =
    &[("title_bg", 2.0), ("variants_bg", 1.5), ("body_bg", 0.5), ("internal_bg", 0.5)];
const PINYIN_FIELDS: &[(&str, f32)] = &[("title_py", 1.5), ("title_pyi", 1.0)];
/// The word fields cut with [`Cut::Plain`], with their bigram fields: a
/// bigram that is a word of two CJK characters is only in the word field
/// (see [`Analyzer::index_field`]). Their bigram fields are not in tantivy
/// but in the [`BigramIndex`] beside it, numbered in this order.
pub(crate) const PLAIN_WORD_FIELDS: &[(&str, &str)] = &[("body", "body_bg"), ("internal", "internal_bg")];
const _: () = assert!(PLAIN_WORD_FIELDS.len() == bigram_index::GRAM_FIELDS);

/// The number of a bigram field in the [`BigramIndex`], if it is kept there.
pub(crate) fn gram_field(name: &str) -> Option<usize> {
    PLAIN_WORD_FIELDS.iter().position(|(_, bigrams)| *bigrams == name)
}
const DOC_NUMBER_BOOST: f32 = 50.0;
pub(crate) const ORD_FIELD: &str = "ord";
/// Written into every commit and checked on open, so an index built by
/// another version of zhiku (another schema, or tantivy features it was
/// built with) is refused with a clear message instead of failing mid-query.
/// Bump it whenever `schema()`, the tantivy features or what a field holds
/// change (4: bigrams that are two-character words left to the word field).
/// (5: the bigrams of bodies and 内部口径 in [`bigram_index::FILE`]).
const FORMAT: &str = "zhiku-operator-5";
/// Share of the documents above which a query term counts as common (see
/// `OperatorIndex::text_query`). Of 10, 5, 2 and 1 %, 2 % had the lowest
/// p99 at 100k documents, and on the evaluation sets (measured without the
/// floor below) it did not lower MRR@10, where 1 % did.
const COMMON_SHARE: f64 = 0.02;
/// Shorter posting lists are cheap whatever the share, so on small sites
/// every term can bring in documents.
const COMMON_MIN_DOCS: u64 = 1000;
/// Hits collected beyond the limit, to order ties by build order.
const TIE_MARGIN: usize = 20;

/// The boost of a word, bigram or pinyin field.
pub(crate) fn field_boost(name: &str) -> f32 {
    WORD_FIELDS.iter().chain(BIGRAM_FIELDS).chain(PINYIN_FIELDS).find(|(n, _)| *n == name).map_or(1.0, |(_, b)| *b)
}

/// The facets counted for every query, in display order.
pub const FACETS: &[&str] = &["kind", "status", "topic", "issuer", "year", "category", "department", "region"];

fn schema() -> Schema {
    let mut builder = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer("whitespace").set_index_option(IndexRecordOption::WithFreqs),
    );
    for (name, _) in WORD_FIELDS.iter().chain(BIGRAM_FIELDS).chain(PINYIN_FIELDS) {
        if gram_field(name).is_none() {
            builder.add_text_field(name, words.clone());
        }
    }
    // `path` is a raw term like STRING, through a tokenizer that counts the
    // documents tantivy has taken (see `wait_until_taken`).
    let path = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(TAKEN_TOKENIZER))
        .set_stored();
    builder.add_text_field("path", path);
    builder.add_text_field("doc_number", STRING | STORED);
    for name in ["kind", "url", "title_text", "status", "date", "body_text", "internal_text", "detail"] {
        builder.add_text_field(name, STORED);
    }
    builder.add_facet_field("facets", FacetOptions::default());
    // The document's position in the build's list, which is its number in
    // the public index derived from this one (see `public_index`).
    builder.add_u64_field(ORD_FIELD, FAST);
    builder.build()
}

struct Fields {
    path: Field,
    kind: Field,
    url: Field,
    title_text: Field,
    doc_number: Field,
    status: Field,
    date: Field,
    body_text: Field,
    internal_text: Field,
    detail: Field,
    facets: Field,
}

impl Fields {
    fn of(schema: &Schema) -> Fields {
        let f = |name: &str| schema.get_field(name).expect("field defined in schema()");
        Fields {
            path: f("path"),
            kind: f("kind"),
            url: f("url"),
            title_text: f("title_text"),
            doc_number: f("doc_number"),
            status: f("status"),
            date: f("date"),
            body_text: f("body_text"),
            internal_text: f("internal_text"),
            detail: f("detail"),
            facets: f("facets"),
        }
    }
}

/// The settings of every index of [`schema`]: tantivy's defaults, except
/// that each indexing thread compresses its own document store blocks. By
/// default a thread per segment does it, and every block, about as large as
/// the bodies it holds, is copied to that thread and freed there: the 6k
/// build took 1 to 3 % longer, and the 100k build about 2 % (BENCHMARKS.md).
/// Serialised in `meta.json`, so `update` in `serve` does the same.
/// (tantivy hides this field from its docs; a tantivy that drops it fails
/// to compile here, not at run time.)
fn settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings { docstore_compress_dedicated_thread: false, ..Default::default() }
}

/// An operator index as built or opened: tantivy's part and the bigrams
/// kept beside it (see [`bigram_index`]).
pub struct Built {
    pub index: Index,
    pub bigrams: Arc<BigramIndex>,
}

impl Built {
    /// The index in `dir`, as `zhiku build` left it and `serve` edited it.
    pub fn open(dir: &Path) -> tantivy::Result<Built> {
        let index = Index::open_in_dir(dir)?;
        check_format(&index)?;
        let bigrams = BigramIndex::open(dir)?;
        Ok(Built { index, bigrams: Arc::new(bigrams) })
    }
}

/// A new index in `dir`, written without a sync of each file as tantivy
/// finishes it (see `build_dir`): sync it with `build_dir::sync_all`
/// before relying on it surviving a crash.
fn create_in_dir(dir: &Path) -> tantivy::Result<Index> {
    std::fs::create_dir_all(dir)?;
    Index::create(super::build_dir::BuildDirectory::open(dir)?, schema(), settings())
}

/// The bigram index made beside `index`, written into `dir` (unsynced, as
/// tantivy's files; see [`create_in_dir`]) and read from there, or kept in
/// memory when there is no `dir`.
fn finish(index: Index, grams: bigram_index::Builder, dir: Option<&Path>) -> tantivy::Result<Built> {
    let bigrams = match dir {
        Some(dir) => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(bigram_index::FILE))?);
            grams.finish(&mut file)?;
            drop(file);
            BigramIndex::open(dir)?
        }
        None => BigramIndex::from_builder(grams)?,
    };
    Ok(Built { index, bigrams: Arc::new(bigrams) })
}

/// Builds a fresh index of `docs` in `dir` (which must be empty or absent),
/// not yet synced to disk (see [`create_in_dir`]).
pub fn build(dir: &Path, docs: &[SearchDoc], analyzer: &Analyzer) -> tantivy::Result<Built> {
    let index = create_in_dir(dir)?;
    let (_, grams) = fill(&index, docs.len(), &|i| &docs[i], &|_| (), analyzer)?;
    finish(index, grams, Some(dir))
}

/// [`build`] for documents made [`STEP`] at a time by `doc(ord)`, so only
/// one batch of them ([`BATCH_BYTES`]) is ever in memory; returns
/// `keep(doc)` for each.
pub fn build_streaming<T: Send>(
    dir: &Path,
    count: usize,
    doc: &(dyn Fn(usize) -> SearchDoc + Sync),
    keep: &(dyn Fn(SearchDoc) -> T + Sync),
    analyzer: &Analyzer,
) -> tantivy::Result<(Built, Vec<T>)> {
    let index = create_in_dir(dir)?;
    let (kept, grams) = fill(&index, count, doc, keep, analyzer)?;
    Ok((finish(index, grams, Some(dir))?, kept))
}

/// The same in memory, for evaluation and tests.
pub fn build_in_ram(docs: &[SearchDoc], analyzer: &Analyzer) -> tantivy::Result<Built> {
    let index = Index::builder().schema(schema()).settings(settings()).create_in_ram()?;
    let (_, grams) = fill(&index, docs.len(), &|i| &docs[i], &|_| (), analyzer)?;
    finish(index, grams, None)
}

/// The index document of `d`, the `ord`-th document of the build, the
/// bigrams of its fields cut plainly, and the bytes of text it holds.
fn document(schema: &Schema, analyzer: &Analyzer, ord: usize, d: &SearchDoc) -> (TantivyDocument, DocGrams, usize) {
    let fields = Fields::of(schema);
    let field = |name: &str| schema.get_field(name).expect("field defined in schema()");
    let internal = d.internal.as_deref().unwrap_or_default();
    let texts = d.public_texts().into_iter().chain([("internal", Cut::Plain, internal.into())]);
    let mut analysed: Vec<(Field, String)> = Vec::with_capacity(16);
    let mut grams = DocGramsBuilder::default();
    for (words_field, cut, text) in texts {
        let own = PLAIN_WORD_FIELDS.iter().position(|(words, _)| *words == words_field);
        let words = match own {
            Some(gram_field) => analyzer.index_field_with(&text, cut, |g| grams.add(gram_field, g)),
            None => {
                let (words, bigrams) = analyzer.index_field(&text, cut);
                let bigram_field = BIGRAM_FIELDS.iter().find(|(name, _)| name.strip_suffix("_bg") == Some(words_field));
                if let Some((bigram_field, _)) = bigram_field {
                    analysed.push((field(bigram_field), bigrams));
                }
                words
            }
        };
        analysed.push((field(words_field), words));
    }
    let grams = grams.finish();
    let segmented: usize =
        analysed.iter().map(|(_, text)| text.len()).sum::<usize>() + std::mem::size_of_val(grams.keys.as_slice());
    let (full, initials) = analyzer.index_pinyin(&d.title);
    analysed.push((field("title_py"), full.join(" ")));
    analysed.push((field("title_pyi"), initials.join(" ")));
    let detail = d.detail.as_ref().map(|detail| detail.to_string());
    let detail_len = detail.as_ref().map_or(0, String::len);
    let analysed_len: usize = analysed.iter().map(|(_, text)| text.len()).sum();
    let bytes = d.body.len() + internal.len() + segmented + detail_len;
    // Sized for everything added below, so the document is not copied as it
    // grows (it starts at 1 KB; a body's words are tens of KB).
    let stored = d.path.len() + d.kind.len() + d.url.len() + d.title.len() + d.body.len() + internal.len();
    let mut doc = TantivyDocument::with_capacity(analysed_len + stored + detail_len + 512);
    for (field, text) in &analysed {
        doc.add_text(*field, text);
    }
    doc.add_u64(field(ORD_FIELD), ord as u64);
    doc.add_text(fields.path, &d.path);
    doc.add_text(fields.kind, &d.kind);
    doc.add_text(fields.url, &d.url);
    doc.add_text(fields.title_text, &d.title);
    if let Some(n) = &d.doc_number {
        doc.add_text(fields.doc_number, n);
    }
    doc.add_text(fields.status, d.status.as_deref().unwrap_or(""));
    doc.add_text(fields.date, d.date.as_deref().unwrap_or(""));
    doc.add_text(fields.body_text, &d.body);
    doc.add_text(fields.internal_text, internal);
    if let Some(detail) = detail {
        doc.add_text(fields.detail, detail);
    }
    for facet in &d.facets {
        doc.add_facet(fields.facets, Facet::from_path(facet.iter()));
    }
    (doc, grams, bytes)
}

/// Replaces documents in place, for `serve`: each `(ord, doc)` takes the
/// place of the document with the same path, in tantivy and in the bigram
/// index's edits. Returns the index as it now is.
pub fn update(dir: &Path, analyzer: &Analyzer, docs: &[(usize, &SearchDoc)]) -> tantivy::Result<Built> {
    let Built { index, bigrams } = Built::open(dir)?;
    let schema = index.schema();
    prepare_writing(&index);
    let path = schema.get_field("path")?;
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 50_000_000)?;
    let mut edited = Vec::with_capacity(docs.len());
    for (ord, doc) in docs {
        writer.delete_term(Term::from_field_text(path, &doc.path));
        let (indexed, grams, _) = document(&schema, analyzer, *ord, doc);
        writer.add_document(indexed)?;
        edited.push((*ord as u32, grams));
    }
    // The edits first: should the commit fail, the index still reads the
    // old documents' words beside their new bigrams, which the next full
    // build replaces; the other order would lose the bigrams of saved text.
    let (bigrams, edits) = Arc::unwrap_or_clone(bigrams).with_edits(edited);
    let edits = crate::render::OutputFile { path: bigram_index::EDITS_FILE.into(), bytes: edits };
    crate::output::write_changed(dir, &[edits])?;
    commit(&mut writer)?;
    Ok(Built { index, bigrams: Arc::new(bigrams) })
}

/// Name of the tokenizer of `path`, which [`prepare_writing`] registers.
const TAKEN_TOKENIZER: &str = "zhiku_path";
/// Bytes of segmented text (words, bigram counts and stored text) analysed before
/// tantivy indexes them, about 1,300 documents of the bench sites. Analysing
/// and indexing take turns instead of running at once: jieba's dictionary
/// and tantivy's term tables each want the processor caches, and on 2 cores
/// the operator index phase took about 5 % less time this way (BENCHMARKS.md).
/// The batch also bounds memory: tantivy would queue up to 10,000 documents,
/// each about 40 kB as [`document`] counts them.
const BATCH_BYTES: usize = 48 << 20;
/// Documents segmented in one parallel step of a batch; a batch ends after
/// the step that reaches [`BATCH_BYTES`], so it may exceed it by one step.
const STEP: usize = 256;
/// How long [`wait_until_taken`] waits for tantivy to take a document.
const STALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// tantivy's raw tokenizer (one term for the whole text), counting each
/// text it is given: an indexing thread tokenizes every document's `path`
/// exactly once.
#[derive(Clone, Default)]
struct CountingRaw {
    inner: tantivy::tokenizer::RawTokenizer,
    taken: Arc<AtomicUsize>,
}

impl tantivy::tokenizer::Tokenizer for CountingRaw {
    type TokenStream<'a> = <tantivy::tokenizer::RawTokenizer as tantivy::tokenizer::Tokenizer>::TokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.taken.fetch_add(1, Ordering::Relaxed);
        self.inner.token_stream(text)
    }
}

/// Registers the tokenizer of `path` on `index`, which every index that is
/// written to needs; returns the count of documents taken.
fn prepare_writing(index: &Index) -> Arc<AtomicUsize> {
    let counting = CountingRaw::default();
    let taken = counting.taken.clone();
    index.tokenizers().register(TAKEN_TOKENIZER, tantivy::tokenizer::TextAnalyzer::from(counting));
    taken
}

/// Waits until tantivy has taken all `added` documents (the last few are
/// still being indexed). Should the count ever stall (it would if tantivy
/// stopped tokenizing `path`), it stops waiting rather than hang the build.
fn wait_until_taken(taken: &AtomicUsize, added: usize) {
    let mut last = taken.load(Ordering::Relaxed);
    let mut progressed = std::time::Instant::now();
    while last < added && progressed.elapsed() < STALL_TIMEOUT {
        std::thread::sleep(std::time::Duration::from_micros(200));
        let now = taken.load(Ordering::Relaxed);
        if now != last {
            progressed = std::time::Instant::now();
        }
        last = now;
    }
}

/// Commits with [`FORMAT`] as the payload, which [`OperatorIndex::from_index`] checks.
fn commit(writer: &mut tantivy::IndexWriter) -> tantivy::Result<()> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(FORMAT);
    prepared.commit()?;
    Ok(())
}

/// Indexes `count` documents into `index`, and their bigrams of fields
/// cut plainly into the returned builder.
fn fill<D: std::borrow::Borrow<SearchDoc> + Send, T: Send>(
    index: &Index,
    count: usize,
    doc: &(dyn Fn(usize) -> D + Sync),
    keep: &(dyn Fn(D) -> T + Sync),
    analyzer: &Analyzer,
) -> tantivy::Result<(Vec<T>, bigram_index::Builder)> {
    let schema = index.schema();
    let taken = prepare_writing(index);
    // Two indexing threads: tantivy's own work is half of the phase. Ties
    // are broken by `ord` at query time, so segment layout does not matter.
    let mut writer = index.writer_with_num_threads(2, 400_000_000)?;
    let mut kept = Vec::with_capacity(count);
    let mut grams = bigram_index::Builder::default();
    let mut batch: Vec<TantivyDocument> = Vec::new();
    let mut batch_bytes = 0;
    for start in (0..count).step_by(STEP) {
        // Segmenting is the expensive part: do it on every core.
        let segmented: Vec<(TantivyDocument, DocGrams, usize, T)> = (start..count.min(start + STEP))
            .into_par_iter()
            .map(|ord| {
                let source = doc(ord);
                let (indexed, doc_grams, bytes) = document(&schema, analyzer, ord, source.borrow());
                (indexed, doc_grams, bytes, keep(source))
            })
            .collect();
        for (indexed, doc_grams, bytes, k) in segmented {
            batch.push(indexed);
            batch_bytes += bytes;
            grams.add(doc_grams);
            kept.push(k);
        }
        let last = kept.len() == count;
        if batch_bytes >= BATCH_BYTES || last {
            for indexed in batch.drain(..) {
                writer.add_document(indexed)?;
            }
            batch_bytes = 0;
            // While tantivy indexes the batch: its bigrams become a run.
            grams.flush();
            // The commit below waits for the last batch.
            if !last {
                wait_until_taken(&taken, kept.len());
            }
        }
    }
    commit(&mut writer)?;
    writer.wait_merging_threads()?;
    Ok((kept, grams))
}

/// What to search for; every filter is optional. The same struct is the
/// query string of `/api/search` (serde) and the flags of `zhiku search`
/// (clap), so the two cannot drift apart; see docs/search-json.md.
#[derive(Debug, Clone, Default, serde::Deserialize, clap::Args)]
pub struct SearchRequest {
    /// Words, a question or a 文号
    #[arg(value_name = "QUERY")]
    pub q: String,
    /// Only this kind: policy, qa, interpretation or page
    #[arg(long)]
    pub kind: Option<String>,
    /// Only documents that apply in this GB/T 2260 region code
    #[arg(long)]
    pub region: Option<String>,
    /// 有效性 of policies (default: 现行有效 policies and every other kind; `all` for any)
    #[arg(long)]
    pub status: Option<String>,
    /// 问答类目, `一级` or `一级/二级`
    #[arg(long)]
    pub category: Option<String>,
    /// 责任部门
    #[arg(long)]
    pub department: Option<String>,
    /// 主题分类, `一级` or `一级\二级`
    #[arg(long)]
    pub topic: Option<String>,
    /// 发文机关
    #[arg(long)]
    pub issuer: Option<String>,
    /// 发布年份
    #[arg(long)]
    pub year: Option<String>,
    /// Number of results, 1–100 (default 10)
    #[arg(short = 'n', long)]
    pub limit: Option<usize>,
    /// Count facets (kind, status, topic …) over all matches
    #[arg(long)]
    #[serde(default)]
    pub facets: bool,
    /// Add each Q&A's answer details (责任部门, dates, cited policies and
    /// their status) under `detail`, as the operator console shows them
    #[arg(long)]
    #[serde(default)]
    pub detail: bool,
}

pub const MAX_QUERY_CHARS: usize = 200;
pub const MAX_LIMIT: usize = 100;
pub const DEFAULT_LIMIT: usize = 10;

/// One result. The field set is the documented `--json` and API schema.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    pub kind: String,
    pub title: String,
    pub url: String,
    pub path: String,
    pub doc_number: Option<String>,
    pub status: Option<String>,
    pub date: Option<String>,
    pub score: f32,
    /// HTML: escaped text with matches in `<mark>`, measured in characters.
    pub snippet: String,
    /// 内部口径, for operators only.
    pub internal: Option<String>,
    /// Only when the request asked for it, and only for Q&A.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub query: String,
    /// Matching documents in all (before `limit`).
    pub total: usize,
    /// In rank order.
    pub results: Vec<Hit>,
    /// facet → value → count, over all matching documents; empty unless
    /// the request asked for facets.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Refuses an index another version of zhiku built.
fn check_format(index: &Index) -> tantivy::Result<()> {
    let found = index.load_metas()?.payload;
    if found.as_deref() != Some(FORMAT) {
        return Err(tantivy::TantivyError::InvalidArgument(format!(
            "该索引由其他版本的 zhiku 生成（格式 {}，需要 {FORMAT}），请重新运行 zhiku build",
            found.as_deref().unwrap_or("未知")
        )));
    }
    Ok(())
}

pub struct OperatorIndex {
    reader: IndexReader,
    schema: Schema,
    fields: Fields,
    /// Where the index is on disk, to read `serve`'s bigram edits again on
    /// [`OperatorIndex::reload`].
    dir: Option<PathBuf>,
    bigrams: RwLock<Arc<BigramIndex>>,
    /// Where each document is in the segments of one searcher generation.
    places: Mutex<Option<Arc<Places>>>,
}

/// Where each document of the build (by `ord`) is among the segments of one
/// searcher: the bigram index numbers documents by `ord`, tantivy by
/// segment and id.
struct Places {
    generation: u64,
    /// (segment, document id), or `u32::MAX` for an `ord` no live
    /// document has.
    of: Vec<(u32, tantivy::DocId)>,
    /// Whether a segment's live documents are in build order, as a segment
    /// that one indexing thread wrote is: its bigram postings can then be
    /// read as they are needed (see [`BigramScorer`]).
    in_order: Vec<bool>,
}

impl OperatorIndex {
    pub fn open(dir: &Path) -> tantivy::Result<OperatorIndex> {
        let mut index = OperatorIndex::from_index(&Built::open(dir)?)?;
        index.dir = Some(dir.to_path_buf());
        Ok(index)
    }

    /// Sees the latest commit and bigram edits (after [`update`]).
    /// The bigrams are read first and swapped with tantivy's searcher under
    /// one lock, so that a search sees both old or both new, also when
    /// reading fails.
    pub fn reload(&self) -> tantivy::Result<()> {
        let bigrams = match &self.dir {
            Some(dir) => Some(Arc::new(BigramIndex::open(dir)?)),
            None => None,
        };
        let mut current = self.bigrams.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.reader.reload()?;
        if let Some(bigrams) = bigrams {
            *current = bigrams;
        }
        Ok(())
    }

    pub fn from_index(built: &Built) -> tantivy::Result<OperatorIndex> {
        check_format(&built.index)?;
        let schema = built.index.schema();
        let reader = built.index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(OperatorIndex {
            fields: Fields::of(&schema),
            reader,
            schema,
            dir: None,
            bigrams: RwLock::new(built.bigrams.clone()),
            places: Mutex::new(None),
        })
    }

    /// The places of the documents in `searcher`, worked out once per
    /// searcher generation.
    fn places(&self, searcher: &Searcher) -> tantivy::Result<Arc<Places>> {
        let generation = searcher.generation().generation_id();
        let mut cached = self.places.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(places) = cached.as_ref().filter(|p| p.generation == generation) {
            return Ok(places.clone());
        }
        let mut of: Vec<(u32, tantivy::DocId)> = Vec::new();
        let mut in_order = Vec::new();
        for (s, segment) in searcher.segment_readers().iter().enumerate() {
            let ords = segment.fast_fields().u64(ORD_FIELD)?;
            let mut previous = None;
            let mut ordered = true;
            for doc in 0..segment.max_doc() {
                let alive = segment.alive_bitset().is_none_or(|a| a.is_alive(doc));
                if let Some(ord) = ords.first(doc).filter(|_| alive).map(|o| o as usize) {
                    if ord >= of.len() {
                        of.resize(ord + 1, (u32::MAX, 0));
                    }
                    of[ord] = (s as u32, doc);
                    ordered &= previous.is_none_or(|p| p < ord);
                    previous = Some(ord);
                }
            }
            in_order.push(ordered);
        }
        let places = Arc::new(Places { generation, of, in_order });
        *cached = Some(places.clone());
        Ok(places)
    }

    /// Cleans and bounds the query text, or says why it cannot be searched.
    pub fn validate(request: &SearchRequest) -> Result<(String, usize), SearchError> {
        let cleaned: String = request.q.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
        let length = cleaned.chars().count();
        if length > MAX_QUERY_CHARS {
            return Err(SearchError::BadRequest(format!(
                "查询过长：{length} 个字符，最多 {MAX_QUERY_CHARS} 个。请只输入关键词或问题本身。"
            )));
        }
        if !cleaned.chars().any(char::is_alphanumeric) {
            return Err(SearchError::BadRequest("请输入要查询的词语或问题（查询中没有文字）。".into()));
        }
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(SearchError::BadRequest(format!("limit 应在 1 到 {MAX_LIMIT} 之间。")));
        }
        Ok((cleaned, limit))
    }

    pub fn search(&self, analyzer: &Analyzer, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let (q, limit) = Self::validate(request)?;
        let analysed = analyzer.query(&q);
        let (searcher, bigrams) = {
            let bigrams = self.bigrams.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            (self.reader.searcher(), bigrams.clone())
        };
        let places = self.places(&searcher).map_err(SearchError::Index)?;
        let text_query = self.text_query(&searcher, analyzer, &q, &analysed, (&bigrams, &places))?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        clauses.extend(self.filters(request).into_iter().map(|f| (Occur::Must, f)));
        let query = BooleanQuery::new(clauses);

        // Equal scores rank by the document's place in the build, whatever
        // segment the indexing threads put it in: a few more than asked for
        // are collected by score (tantivy's fastest path; a custom sort key
        // costs 8 ms at p99 on 100k documents), then ordered by (score,
        // place). Only a tie running past the extra ones could still order
        // differently between two builds.
        let top_docs = TopDocs::with_limit(limit + TIE_MARGIN).order_by_score();
        let (top, total, facet_counts) = if request.facets {
            let mut facet_collector = FacetCollector::for_field("facets");
            for facet in FACETS {
                facet_collector.add_facet(Facet::from_path([*facet]));
            }
            let (top, total, counts) =
                searcher.search(&query, &(top_docs, Count, facet_collector)).map_err(SearchError::Index)?;
            (top, total, Some(counts))
        } else {
            let (top, total) = searcher.search(&query, &(top_docs, Count)).map_err(SearchError::Index)?;
            (top, total, None)
        };

        let snippet_terms: Vec<String> =
            analysed.words.iter().map(|(w, _)| w.clone()).chain(analysed.bigrams.clone()).collect();
        let highlighter = snippet::Highlighter::new(&snippet_terms);
        let mut results = Vec::with_capacity(top.len());
        let mut top: Vec<(Score, u64, tantivy::DocAddress)> = top
            .into_iter()
            .map(|(score, address)| {
                let segment = searcher.segment_reader(address.segment_ord);
                let ord = segment.fast_fields().u64(ORD_FIELD).ok().and_then(|o| o.first(address.doc_id));
                (score, ord.unwrap_or(u64::MAX), address)
            })
            .collect();
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        top.truncate(limit);
        for (score, _, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(SearchError::Index)?;
            let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let optional = |field: Field| Some(text(field)).filter(|s| !s.is_empty());
            let body = text(self.fields.body_text);
            let internal = optional(self.fields.internal_text);
            let mut snippet = highlighter.highlight(&body, snippet::SNIPPET_CHARS);
            if !snippet.contains("<mark>")
                && let Some(internal) = &internal
            {
                let internal_snippet = highlighter.highlight(internal, snippet::SNIPPET_CHARS);
                if internal_snippet.contains("<mark>") {
                    snippet = internal_snippet;
                }
            }
            results.push(Hit {
                kind: text(self.fields.kind),
                title: text(self.fields.title_text),
                url: text(self.fields.url),
                path: text(self.fields.path),
                doc_number: optional(self.fields.doc_number),
                status: optional(self.fields.status),
                date: optional(self.fields.date),
                score,
                snippet,
                internal,
                detail: if request.detail {
                    optional(self.fields.detail).and_then(|d| serde_json::from_str(&d).ok())
                } else {
                    None
                },
            });
        }
        let mut facets = BTreeMap::new();
        for facet in FACETS.iter().filter(|_| facet_counts.is_some()) {
            let Some(facet_counts) = &facet_counts else { break };
            let counts: BTreeMap<String, u64> = facet_counts
                .get(Facet::from_path([*facet]))
                .map(|(f, count)| (f.to_path().get(1..).map(|p| p.join("/")).unwrap_or_default(), count))
                .collect();
            if !counts.is_empty() {
                facets.insert(facet.to_string(), counts);
            }
        }
        Ok(SearchResponse { query: q, total, results, facets })
    }

    fn field(&self, name: &str) -> Field {
        self.schema.get_field(name).expect("field defined in schema()")
    }

    /// Should-clauses over every word and bigram field, plus exact 文号,
    /// split by how common each term is.
    ///
    /// Terms in more than [`COMMON_SHARE`] of the documents (的, 办理, 疫情 on
    /// a COVID corpus) add little to a score but have the longest posting
    /// lists, so, as in Lucene's common-terms query, they only score
    /// documents that match a rarer term and never bring in a document on
    /// their own. A query made only of common terms searches them all.
    fn text_query(
        &self,
        searcher: &Searcher,
        analyzer: &Analyzer,
        q: &str,
        analysed: &AnalysedQuery,
        (bigrams, places): (&Arc<BigramIndex>, &Arc<Places>),
    ) -> Result<Box<dyn Query>, SearchError> {
        let mut terms: Vec<(Clause, f32)> = Vec::new();
        // A term met twice (a bigram that is also a query word, looked up in
        // a body's word field) is one clause with the boosts added: BM25 is
        // linear in the boost, and its postings are walked once. A 200-
        // character query makes well over a thousand terms, hence the map.
        let mut seen: HashMap<Clause, usize> = HashMap::new();
        let mut add = |clause: Clause, boost: f32| match seen.get(&clause) {
            Some(&place) => terms[place].1 += boost,
            None => {
                seen.insert(clause.clone(), terms.len());
                terms.push((clause, boost));
            }
        };
        let term = |name: &str, text: &str| Clause::Term(Term::from_field_text(self.field(name), text));
        for (word, weight) in &analysed.words {
            for (name, boost) in WORD_FIELDS {
                add(term(name, word), boost * weight);
            }
        }
        for gram in &analysed.bigrams {
            for (name, boost) in BIGRAM_FIELDS {
                add(gram_field(name).map_or_else(|| term(name, gram), |f| Clause::Bigram(f, gram.clone())), *boost);
                let word_twin = PLAIN_WORD_FIELDS.iter().find(|(_, bigrams)| bigrams == name).map(|(words, _)| words);
                if let Some(words) = word_twin.filter(|_| analyzer.bigram_in_word_field(gram, Cut::Plain)) {
                    add(term(words, gram), *boost);
                }
            }
        }
        for (grams, (name, boost)) in [&analysed.pinyin_full, &analysed.pinyin_initials].into_iter().zip(PINYIN_FIELDS)
        {
            for gram in grams {
                terms.push((term(name, gram), *boost));
            }
        }
        for number in find_doc_numbers(q) {
            terms.push((Clause::Term(Term::from_field_text(self.fields.doc_number, &number)), DOC_NUMBER_BOOST));
        }
        let cutoff = ((searcher.num_docs() as f64 * COMMON_SHARE) as u64).max(COMMON_MIN_DOCS);
        // [rare, common] × [tantivy's terms, bigrams]: tantivy unions term
        // queries alone without dynamic dispatch, so the bigram queries
        // are a union of their own beside them.
        let mut groups: [[Vec<Box<dyn Query>>; 2]; 2] = Default::default();
        for (clause, boost) in terms {
            let (doc_freq, query, kind): (u64, Box<dyn Query>, usize) = match clause {
                Clause::Term(term) => (
                    searcher.doc_freq(&term).map_err(SearchError::Index)?,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    0,
                ),
                Clause::Bigram(field, gram) => (
                    bigrams.doc_freq(field, &gram),
                    Box::new(BigramQuery { field, gram, bigrams: bigrams.clone(), places: places.clone() }),
                    1,
                ),
            };
            if doc_freq == 0 {
                continue;
            }
            groups[usize::from(doc_freq > cutoff)][kind].push(Box::new(BoostQuery::new(query, boost)));
        }
        let any = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Should, q)).collect()))
        };
        let [rare, common] = groups.map(|[terms, grams]| match (terms.is_empty(), grams.is_empty()) {
            (_, true) => terms,
            (true, false) => grams,
            (false, false) => vec![any(terms), any(grams)],
        });
        Ok(if rare.is_empty() {
            any(common)
        } else if common.is_empty() {
            any(rare)
        } else {
            Box::new(BooleanQuery::new(vec![(Occur::Must, any(rare)), (Occur::Should, any(common))]))
        })
    }

    fn facet_term(&self, path: &[&str]) -> Box<dyn Query> {
        let term = Term::from_facet(self.fields.facets, &Facet::from_path(path.iter().copied()));
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    }

    fn any_of(&self, paths: &[Vec<&str>]) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(paths.iter().map(|p| (Occur::Should, self.facet_term(p))).collect()))
    }

    fn filters(&self, r: &SearchRequest) -> Vec<Box<dyn Query>> {
        let mut filters = Vec::new();
        let split = |value: &str, sep: char| value.split(sep).map(str::to_string).collect::<Vec<String>>();
        let simple: [(&str, &Option<String>, Option<char>); 6] = [
            ("kind", &r.kind, None),
            ("category", &r.category, Some('/')),
            ("department", &r.department, None),
            ("topic", &r.topic, Some('\\')),
            ("issuer", &r.issuer, None),
            ("year", &r.year, None),
        ];
        for (facet, value, sep) in simple {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                let parts = match sep {
                    Some(sep) => split(value, sep),
                    None => vec![value.to_string()],
                };
                let path: Vec<&str> = std::iter::once(facet).chain(parts.iter().map(String::as_str)).collect();
                filters.push(self.facet_term(&path));
            }
        }
        if let Some(code) = r.region.as_deref().filter(|v| !v.is_empty()) {
            // A 盟-level code (xxxx00) covers its 旗县市; documents without a
            // region apply everywhere.
            let league = format!("{}00", code.chars().take(4).collect::<String>());
            filters.push(self.any_of(&[vec!["region", code], vec!["region", &league], vec![super::NO_REGION]]));
        }
        match r.status.as_deref() {
            Some("all") => {}
            Some(status) if !status.is_empty() => filters.push(self.facet_term(&["status", status])),
            _ => filters.push(self.facet_term(&[super::CURRENT])),
        }
        filters
    }
}

/// One clause of a text query: a tantivy term, or a bigram of a field kept
/// in the [`BigramIndex`].
#[derive(Clone, PartialEq, Eq, Hash)]
enum Clause {
    Term(Term),
    Bigram(usize, String),
}

/// A bigram of a field kept in the [`BigramIndex`], scored as tantivy's
/// `TermQuery` scores a term: BM25 with the same statistics and the same
/// length codes, so ranking is what it was when tantivy held these fields.
#[derive(Clone)]
struct BigramQuery {
    field: usize,
    gram: String,
    bigrams: Arc<BigramIndex>,
    places: Arc<Places>,
}

impl std::fmt::Debug for BigramQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BigramQuery({}, {:?})", PLAIN_WORD_FIELDS[self.field].1, self.gram)
    }
}

impl Query for BigramQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let Some(searcher) = scoring.searcher() else {
            return Err(tantivy::TantivyError::InvalidArgument("a bigram query needs a searcher".into()));
        };
        if searcher.generation().generation_id() != self.places.generation {
            return Err(tantivy::TantivyError::InvalidArgument("a bigram query of another searcher".into()));
        }
        // tantivy's statistics: documents counted with the deleted ones.
        let docs: u64 = searcher.segment_readers().iter().map(|s| u64::from(s.max_doc())).sum();
        let average = self.bigrams.total_tokens(self.field) as Score / docs.max(1) as Score;
        let doc_freq = self.bigrams.doc_freq(self.field, &self.gram).min(docs);
        let bm25 = scoring
            .is_scoring_enabled()
            .then(|| tantivy::query::Bm25Weight::for_one_term_without_explain(doc_freq, docs, average));
        let segments = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
        Ok(Box::new(BigramWeight { query: self.clone(), bm25, segments }))
    }
}

struct BigramWeight {
    query: BigramQuery,
    /// `None` when scoring is off.
    bm25: Option<tantivy::query::Bm25Weight>,
    /// Of the searcher, in its order.
    segments: Vec<tantivy::index::SegmentId>,
}

impl Weight for BigramWeight {
    fn scorer(&self, reader: &tantivy::SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let BigramQuery { field, gram, bigrams, places } = &self.query;
        let segment = self.segments.iter().position(|id| *id == reader.segment_id()).unwrap_or(usize::MAX);
        let postings = if places.in_order.get(segment) == Some(&true) && !bigrams.has_edits() {
            // Build order is document order here: read as the query goes.
            Postings::Cursor(bigrams.cursor(*field, gram))
        } else {
            let mut list: Vec<(tantivy::DocId, u32, u32)> = Vec::new();
            bigrams.visit_postings(*field, gram, &mut |ord, count| {
                if let Some(&(_, doc)) = places.of.get(ord as usize).filter(|(s, _)| *s as usize == segment) {
                    list.push((doc, ord, count));
                }
            });
            // A damaged file could repeat a document; a DocSet must not.
            list.sort_unstable_by_key(|posting| posting.0);
            list.dedup_by_key(|posting| posting.0);
            Postings::List(list.into_iter())
        };
        let mut scorer = BigramScorer {
            postings,
            segment: segment as u32,
            doc: 0,
            ord: 0,
            count: 0,
            // Boosted before scoring, as tantivy's term scorer is, so that
            // scores come out to the same bits.
            bm25: self.bm25.as_ref().map(|w| w.boost_by(boost)),
            boost,
            query: self.query.clone(),
        };
        scorer.advance();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &tantivy::SegmentReader, doc: tantivy::DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("BM25 of a bigram", scorer.score()))
    }
}

/// Where a [`BigramScorer`] reads its postings.
enum Postings {
    /// The term's postings in the file, of every segment: those of other
    /// segments are passed over. Nothing is read before it is needed, so a
    /// common bigram costs what the query's rarer terms make it read.
    Cursor(bigram_index::PostingCursor),
    /// (document id, ord, count) of this segment, sorted: for a segment not
    /// in build order, or an index with edits.
    List(std::vec::IntoIter<(tantivy::DocId, u32, u32)>),
}

/// The documents of one segment that hold a bigram, in order, each scored
/// when it is reached.
struct BigramScorer {
    postings: Postings,
    segment: u32,
    doc: tantivy::DocId,
    ord: u32,
    count: u32,
    bm25: Option<tantivy::query::Bm25Weight>,
    /// The score of every document when scoring is off.
    boost: Score,
    query: BigramQuery,
}

impl DocSet for BigramScorer {
    fn advance(&mut self) -> tantivy::DocId {
        self.doc = TERMINATED;
        match &mut self.postings {
            Postings::Cursor(cursor) => {
                while let Some((ord, count)) = cursor.next(&self.query.bigrams) {
                    if let Some(&(s, doc)) = self.query.places.of.get(ord as usize)
                        && s == self.segment
                    {
                        (self.doc, self.ord, self.count) = (doc, ord, count);
                        break;
                    }
                }
            }
            Postings::List(list) => {
                if let Some((doc, ord, count)) = list.next() {
                    (self.doc, self.ord, self.count) = (doc, ord, count);
                }
            }
        }
        self.doc
    }

    fn doc(&self) -> tantivy::DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        match &self.postings {
            Postings::Cursor(cursor) => cursor.remaining(),
            Postings::List(list) => list.len() as u32,
        }
    }
}

impl Scorer for BigramScorer {
    fn score(&mut self) -> Score {
        match &self.bm25 {
            _ if self.doc == TERMINATED => 0.0,
            Some(bm25) => bm25.score(self.query.bigrams.fieldnorm_id(self.query.field, self.ord), self.count),
            None => self.boost,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `update` (in `serve`) opens the index from disk: its writer must
    /// compress on the indexing thread too.
    #[test]
    fn store_settings_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        create_in_dir(dir.path()).unwrap();
        let reopened = Index::open_in_dir(dir.path()).unwrap();
        assert!(!reopened.settings().docstore_compress_dedicated_thread);
    }

    /// Queries look a bigram up in the word fields of [`PLAIN_WORD_FIELDS`]
    /// only, so every field cut plainly must be among them.
    #[test]
    fn every_plainly_cut_field_is_listed() {
        for (name, cut, _) in SearchDoc::default().public_texts() {
            assert_eq!(cut == Cut::Plain, PLAIN_WORD_FIELDS.iter().any(|(words, _)| *words == name), "{name}");
        }
    }
}
