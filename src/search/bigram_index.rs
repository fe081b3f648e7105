//! The character bigrams of the fields cut plainly (bodies and 内部口径),
//! inverted outside tantivy and kept beside the operator index in one file.
//!
//! These bigrams are most of what the operator index holds: at 6k documents
//! 10.6 million tokens, 5.1 million (bigram, document) pairs. tantivy met
//! each pair in a hash table far larger than the processor caches, about
//! 2.3 of the build's 8 core-seconds (BENCHMARKS.md). Here each document's
//! bigrams are counted on the core that segmented it, and a batch of
//! documents is sorted into one run of postings; the runs are merged once
//! at the end. Ranking is unchanged: the operator query scores these
//! postings with tantivy's own BM25 and field-length codes (see
//! `operator::BigramQuery`), and the static index reads them as it reads
//! tantivy's.
//!
//! Documents are numbered by their place in the build (`ord`), as in the
//! static index. `serve` replaces edited documents without rewriting the
//! file: their new bigrams go to a small file of edits read over it.

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::directory::{Directory, MmapDirectory, OwnedBytes};
use tantivy::fieldnorm::FieldNormReader;

/// The file of a built index, in the operator index's folder.
pub const FILE: &str = "bigrams.bin";
/// The documents `serve` replaced since the last full build.
pub const EDITS_FILE: &str = "bigrams-edits.json";
/// Fields kept here, numbered as in `operator::PLAIN_WORD_FIELDS`.
pub const GRAM_FIELDS: usize = 2;
/// The first bytes of [`FILE`]; a change of layout changes it.
const MAGIC: &[u8; 8] = b"zkbigr02";
/// Bytes of the header: magic, documents, terms, then the offsets of the
/// norms, the postings, the term table, the long-token table and the end,
/// then each field's token count. The sections follow in that order.
const HEADER: usize = 8 + 4 + 4 + 5 * 8 + GRAM_FIELDS * 8;
/// Bytes of one term table entry: key, document frequency, postings offset.
const TERM_ENTRY: usize = 8 + 4 + 8;
/// Keys of tokens longer than 7 bytes (Latin or digit runs) are a hash of
/// their text, marked by this bit; their texts are kept in a table.
const HASHED: u64 = 1 << 62;
const FIELD_SHIFT: u32 = 63;

/// The key of `token` in field `field`: the field in the top bit, then
/// either the token's length (up to 7 bytes) and its bytes, or [`HASHED`]
/// and 62 bits of its FNV-1a hash. A CJK bigram is 6 bytes, so every bigram
/// proper keeps its text. Two long tokens share a key only if their hashes
/// do, which among the 10^5 distinct long tokens of a large site has a
/// chance of about 10^-9. (A bigram of two characters beyond the Basic
/// Multilingual Plane is 8 bytes, and hashed as well.)
pub fn key(field: usize, token: &str) -> u64 {
    let bytes = token.as_bytes();
    let top = (field as u64) << FIELD_SHIFT;
    if bytes.len() <= 7 {
        // First byte highest, so that keys sort about as their texts do and
        // neighbours in a run differ in their low bytes (short gaps).
        let packed = bytes.iter().enumerate().fold(0u64, |k, (i, b)| k | u64::from(*b) << (8 * (6 - i)));
        top | (bytes.len() as u64) << 56 | packed
    } else {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        top | HASHED | (hash & (HASHED - 1))
    }
}

fn is_hashed(key: u64) -> bool {
    key & HASHED != 0
}

/// The field a key belongs to.
pub fn field_of(key: u64) -> usize {
    (key >> FIELD_SHIFT) as usize
}

/// Appends the text of `key` to `out`.
fn push_packed_text(key: u64, out: &mut String) {
    let len = ((key >> 56) & 0x7) as usize;
    let bytes: [u8; 7] = std::array::from_fn(|i| (key >> (8 * (6 - i))) as u8);
    if let Ok(text) = std::str::from_utf8(&bytes[..len]) {
        out.push_str(text);
    }
}

/// The bigrams of one document: each key once with its count, sorted, the
/// texts of its hashed keys, and the token count of each field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DocGrams {
    pub keys: Vec<(u64, u32)>,
    pub long: Vec<(u64, String)>,
    pub lengths: [u32; GRAM_FIELDS],
}

/// Collects one document's bigrams; [`DocGramsBuilder::finish`] counts them.
#[derive(Default)]
pub struct DocGramsBuilder {
    keys: Vec<u64>,
    long: Vec<(u64, String)>,
    lengths: [u32; GRAM_FIELDS],
}

impl DocGramsBuilder {
    pub fn add(&mut self, field: usize, token: &str) {
        // As tantivy, which these fields were in, leaves longer tokens out
        // (a run of letters or digits; never a CJK bigram).
        if token.len() > tantivy::tokenizer::MAX_TOKEN_LEN {
            return;
        }
        let key = key(field, token);
        if is_hashed(key) && !self.long.iter().any(|(k, _)| *k == key) {
            self.long.push((key, token.to_string()));
        }
        self.keys.push(key);
        self.lengths[field] += 1;
    }

    pub fn finish(mut self) -> DocGrams {
        // Sorting a document's few thousand keys stays in the core's cache,
        // unlike a table of the whole site's.
        self.keys.sort_unstable();
        let mut keys: Vec<(u64, u32)> = Vec::with_capacity(self.keys.len() / 2);
        for key in self.keys {
            match keys.last_mut() {
                Some((last, count)) if *last == key => *count += 1,
                _ => keys.push((key, 1)),
            }
        }
        self.long.sort_unstable();
        DocGrams { keys, long: self.long, lengths: self.lengths }
    }
}

fn put_varint(out: &mut Vec<u8>, value: u32) {
    put_varint64(out, u64::from(value));
}

fn put_varint64(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> u32 {
    get_varint64(bytes, at) as u32
}

fn get_varint64(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    while let Some(&byte) = bytes.get(*at) {
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift.min(63);
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    value
}

/// The postings of a batch of consecutive documents, by key, as one stream:
/// per term the gap from the key before, its documents, its last document,
/// the length of its postings, then the postings (the first document, then
/// gaps, each followed by its count). A table of fixed-size entries was
/// larger than the postings themselves.
///
/// Held in memory mapped for it alone, so that the merge hands it back to
/// the system: the allocator keeps what is freed to it (see `main.rs`), and
/// the runs of a 60k-document site, about 150 MB, would stay resident
/// through the static index.
struct Run(RunBytes);

enum RunBytes {
    Mapped(memmap2::Mmap),
    Heap(Vec<u8>),
}

impl Run {
    fn of(docs: &[(u32, DocGrams)]) -> Run {
        let pairs: usize = docs.iter().map(|(_, d)| d.keys.len()).sum();
        let mut triples: Vec<(u64, u32, u32)> = Vec::with_capacity(pairs);
        for (ord, doc) in docs {
            triples.extend(doc.keys.iter().map(|&(key, count)| (key, *ord, count)));
        }
        // Each (key, document) once: the order is total, so unstable is
        // deterministic.
        triples.par_sort_unstable();
        let mut bytes = Vec::with_capacity(pairs * 4);
        let mut postings = Vec::new();
        let mut previous_key = 0;
        let mut i = 0;
        while i < triples.len() {
            let key = triples[i].0;
            let mut previous = 0;
            let mut documents = 0;
            postings.clear();
            while let Some(&(_, ord, count)) = triples.get(i).filter(|t| t.0 == key) {
                put_varint(&mut postings, ord - previous);
                put_varint(&mut postings, count);
                previous = ord;
                documents += 1;
                i += 1;
            }
            put_varint64(&mut bytes, key - previous_key);
            put_varint(&mut bytes, documents);
            put_varint(&mut bytes, previous);
            put_varint(&mut bytes, postings.len() as u32);
            bytes.extend_from_slice(&postings);
            previous_key = key;
        }
        let mapped = memmap2::MmapMut::map_anon(bytes.len().max(1)).and_then(|mut map| {
            map[..bytes.len()].copy_from_slice(&bytes);
            map.make_read_only()
        });
        Run(match mapped {
            Ok(map) => RunBytes::Mapped(map),
            Err(_) => RunBytes::Heap(bytes),
        })
    }

    fn bytes(&self) -> &[u8] {
        match &self.0 {
            RunBytes::Mapped(map) => map,
            RunBytes::Heap(bytes) => bytes,
        }
    }
}

/// Where the merge is in one run.
struct RunCursor<'a> {
    bytes: &'a [u8],
    at: usize,
    key: u64,
    documents: u32,
    last: u32,
    postings: std::ops::Range<usize>,
}

impl<'a> RunCursor<'a> {
    fn new(run: &'a Run) -> RunCursor<'a> {
        RunCursor { bytes: run.bytes(), at: 0, key: 0, documents: 0, last: 0, postings: 0..0 }
    }

    /// Reads the next term's header; false at the end of the run.
    fn advance(&mut self) -> bool {
        // An empty run is mapped as one zero byte: a term has documents.
        if self.at >= self.bytes.len() {
            return false;
        }
        let gap = get_varint64(self.bytes, &mut self.at);
        self.documents = get_varint(self.bytes, &mut self.at);
        if self.documents == 0 {
            self.at = self.bytes.len();
            return false;
        }
        self.key += gap;
        self.last = get_varint(self.bytes, &mut self.at);
        let length = get_varint(self.bytes, &mut self.at) as usize;
        let end = (self.at + length).min(self.bytes.len());
        self.postings = self.at..end;
        self.at = end;
        true
    }
}

/// Builds the index of documents given in build order.
#[derive(Default)]
pub struct Builder {
    pending: Vec<(u32, DocGrams)>,
    runs: Vec<Run>,
    norms: [Vec<u8>; GRAM_FIELDS],
    tokens: [u64; GRAM_FIELDS],
    long: BTreeMap<u64, String>,
}

impl Builder {
    /// Adds the next document of the build.
    pub fn add(&mut self, doc: DocGrams) {
        let ord = self.norms[0].len();
        for field in 0..GRAM_FIELDS {
            self.norms[field].push(FieldNormReader::fieldnorm_to_id(doc.lengths[field]));
            self.tokens[field] += u64::from(doc.lengths[field]);
        }
        for (key, text) in &doc.long {
            self.long.entry(*key).or_insert_with(|| text.clone());
        }
        self.pending.push((ord as u32, doc));
    }

    /// Sorts the documents added since the last run into a run.
    pub fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.runs.push(Run::of(&self.pending));
            self.pending.clear();
        }
    }

    /// Writes [`FILE`] to `out`, from its start. The postings are merged
    /// from the runs straight into it, so the file is never in memory whole.
    pub fn finish(mut self, out: &mut (impl std::io::Write + std::io::Seek)) -> std::io::Result<()> {
        self.flush();
        let docs = self.norms[0].len();
        out.write_all(&[0; HEADER])?;
        for norms in &self.norms {
            out.write_all(norms)?;
        }
        let postings_at = HEADER + GRAM_FIELDS * docs;
        // Every run's terms in key order, a run's documents after those of
        // the runs before it: the heap yields equal keys by run.
        let mut cursors: Vec<RunCursor> = self.runs.iter().map(RunCursor::new).collect();
        let mut heap: BinaryHeap<std::cmp::Reverse<(u64, usize)>> = BinaryHeap::with_capacity(cursors.len());
        for (r, cursor) in cursors.iter_mut().enumerate() {
            if cursor.advance() {
                heap.push(std::cmp::Reverse((cursor.key, r)));
            }
        }
        // (key, documents, start of its postings) of each term.
        let mut table: Vec<(u64, u32, u64)> = Vec::new();
        let mut last_document = 0;
        let mut buffer: Vec<u8> = Vec::with_capacity(1 << 16);
        let mut postings_length = 0usize;
        while let Some(std::cmp::Reverse((key, r))) = heap.pop() {
            let cursor = &mut cursors[r];
            let bytes = &cursor.bytes[cursor.postings.clone()];
            let (documents, last) = (cursor.documents, cursor.last);
            // The first document of a run is absolute; after another run's
            // postings of the same key it becomes a gap.
            let mut at = 0;
            let first = get_varint(bytes, &mut at);
            match table.last_mut() {
                Some(term) if term.0 == key => {
                    put_varint(&mut buffer, first - last_document);
                    term.1 += documents;
                }
                _ => {
                    table.push((key, documents, (postings_length + buffer.len()) as u64));
                    put_varint(&mut buffer, first);
                }
            }
            buffer.extend_from_slice(&bytes[at..]);
            last_document = last;
            if cursor.advance() {
                heap.push(std::cmp::Reverse((cursor.key, r)));
            }
            if buffer.len() >= 1 << 16 {
                postings_length += buffer.len();
                out.write_all(&buffer)?;
                buffer.clear();
            }
        }
        postings_length += buffer.len();
        out.write_all(&buffer)?;
        drop(cursors);
        drop(self.runs);
        let table_at = postings_at + postings_length;
        let mut tail: Vec<u8> = Vec::with_capacity(table.len() * TERM_ENTRY);
        for (key, documents, start) in &table {
            tail.extend_from_slice(&key.to_le_bytes());
            tail.extend_from_slice(&documents.to_le_bytes());
            tail.extend_from_slice(&start.to_le_bytes());
        }
        let long_at = table_at + tail.len();
        for (key, text) in &self.long {
            tail.extend_from_slice(&key.to_le_bytes());
            tail.extend_from_slice(&(text.len() as u32).to_le_bytes());
            tail.extend_from_slice(text.as_bytes());
        }
        out.write_all(&tail)?;
        let end = table_at + tail.len();
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&(docs as u32).to_le_bytes());
        header.extend_from_slice(&(table.len() as u32).to_le_bytes());
        for offset in [HEADER, postings_at, table_at, long_at, end] {
            header.extend_from_slice(&(offset as u64).to_le_bytes());
        }
        for tokens in self.tokens {
            header.extend_from_slice(&tokens.to_le_bytes());
        }
        out.seek(std::io::SeekFrom::Start(0))?;
        out.write_all(&header)?;
        out.flush()
    }
}

/// Reads one term's postings in the file one at a time, in document order,
/// so that a query can stop where it no longer needs them.
#[derive(Debug, Clone)]
pub struct PostingCursor {
    at: usize,
    end: usize,
    remaining: u32,
    ord: u32,
}

impl PostingCursor {
    /// The next (document, count), or `None` after the last.
    pub fn next(&mut self, index: &BigramIndex) -> Option<(u32, u32)> {
        if self.remaining == 0 || self.at >= self.end {
            return None;
        }
        self.remaining -= 1;
        let bytes = &index.data()[..self.end];
        self.ord = self.ord.wrapping_add(get_varint(bytes, &mut self.at));
        Some((self.ord, get_varint(bytes, &mut self.at)))
    }

    /// Postings left to read.
    pub fn remaining(&self) -> u32 {
        self.remaining
    }
}

/// A term of the index: its key, its documents and where its postings are.
#[derive(Debug, Clone)]
pub struct TermEntry {
    pub key: u64,
    pub doc_freq: u32,
    pub postings: std::ops::Range<usize>,
}

/// A built index, with `serve`'s edits over it.
#[derive(Clone)]
pub struct BigramIndex {
    bytes: OwnedBytes,
    docs: u32,
    terms: usize,
    norms_at: usize,
    table_at: usize,
    postings_at: usize,
    /// Where the postings end: the term table follows.
    postings_end: usize,
    tokens: [u64; GRAM_FIELDS],
    long: HashMap<u64, String>,
    /// Replaced documents by ord; their postings in `bytes` are ignored.
    edits: BTreeMap<u32, DocGrams>,
}

fn corrupt(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("索引已损坏：{what}，请重新运行 zhiku build"))
}

impl BigramIndex {
    /// Reads the index in `dir` (mapped, not copied) and its edits.
    pub fn open(dir: &Path) -> std::io::Result<BigramIndex> {
        let directory = MmapDirectory::open(dir).map_err(|e| std::io::Error::other(e.to_string()))?;
        let slice = directory.open_read(Path::new(FILE)).map_err(|e| match e {
            tantivy::directory::error::OpenReadError::FileDoesNotExist(_) => std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("索引不完整：缺少 {FILE}，请重新运行 zhiku build"),
            ),
            other => std::io::Error::other(other.to_string()),
        })?;
        let mut index = BigramIndex::from_bytes(slice.read_bytes()?)?;
        index.edits = read_edits(dir)?;
        Ok(index)
    }

    pub fn from_bytes(bytes: OwnedBytes) -> std::io::Result<BigramIndex> {
        let data = bytes.as_slice();
        if data.len() < HEADER || &data[..8] != MAGIC {
            return Err(corrupt(&format!("{FILE} 不是本版本 zhiku 的二元索引")));
        }
        let u32_at = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().unwrap_or_default());
        let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or_default());
        let docs = u32_at(8);
        let terms = u32_at(12) as usize;
        let [norms_at, postings_at, table_at, long_at, end] = std::array::from_fn(|i| u64_at(16 + 8 * i) as usize);
        let tokens = std::array::from_fn(|f| u64_at(56 + 8 * f));
        // Checked, so that a damaged header cannot wrap round to offsets
        // that pass.
        let table_end = terms.checked_mul(TERM_ENTRY).and_then(|bytes| bytes.checked_add(table_at));
        let consistent = norms_at == HEADER
            && Some(postings_at) == (docs as usize).checked_mul(GRAM_FIELDS).and_then(|n| n.checked_add(norms_at))
            && postings_at <= table_at
            && table_end == Some(long_at)
            && long_at <= end
            && end == data.len();
        if !consistent {
            return Err(corrupt(&format!("{FILE} 不完整或已损坏")));
        }
        let mut long = HashMap::new();
        let mut at = long_at;
        while at + 12 <= end {
            let key = u64_at(at);
            let len = u32_at(at + 8) as usize;
            let text = data
                .get(at + 12..(at + 12 + len).min(end))
                .ok_or_else(|| corrupt(&format!("{FILE} 的长词表已损坏")))?;
            long.insert(key, String::from_utf8_lossy(text).into_owned());
            at += 12 + len;
        }
        Ok(BigramIndex {
            docs,
            terms,
            norms_at,
            table_at,
            postings_at,
            postings_end: table_at,
            tokens,
            long,
            edits: BTreeMap::new(),
            bytes,
        })
    }

    /// Built in memory, for tests and evaluation.
    pub fn from_builder(builder: Builder) -> std::io::Result<BigramIndex> {
        let mut bytes = std::io::Cursor::new(Vec::new());
        builder.finish(&mut bytes)?;
        BigramIndex::from_bytes(OwnedBytes::new(bytes.into_inner()))
    }

    fn data(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    fn entry(&self, i: usize) -> TermEntry {
        let data = self.data();
        let at = self.table_at + i * TERM_ENTRY;
        let key = u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or_default());
        let doc_freq = u32::from_le_bytes(data[at + 8..at + 12].try_into().unwrap_or_default());
        let start = u64::from_le_bytes(data[at + 12..at + 20].try_into().unwrap_or_default()) as usize;
        let length = self.postings_end - self.postings_at;
        let end = if i + 1 < self.terms {
            let next = at + TERM_ENTRY + 12;
            u64::from_le_bytes(data[next..next + 8].try_into().unwrap_or_default()) as usize
        } else {
            length
        };
        // Bounded, so that a damaged table reads as short postings rather
        // than out of the file.
        let end = end.min(length);
        let start = start.min(end);
        // Each posting takes two bytes at least.
        let doc_freq = doc_freq.min(self.docs).min(((end - start) / 2) as u32);
        TermEntry { key, doc_freq, postings: self.postings_at + start..self.postings_at + end }
    }

    fn find(&self, key: u64) -> Option<TermEntry> {
        let (mut low, mut high) = (0, self.terms);
        while low < high {
            let middle = (low + high) / 2;
            let entry = self.entry(middle);
            match entry.key.cmp(&key) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(entry),
            }
        }
        None
    }

    /// The length code of field `field` of document `ord` in the file.
    fn base_norm(&self, field: usize, ord: u32) -> Option<u8> {
        (ord < self.docs).then(|| self.data()[self.norms_at + field * self.docs as usize + ord as usize])
    }

    /// Tokens of field `field` over all documents; an edited document counts
    /// its new length, less its old one as its length code gives it.
    pub fn total_tokens(&self, field: usize) -> u64 {
        let mut tokens = self.tokens[field];
        for (&ord, doc) in &self.edits {
            tokens += u64::from(doc.lengths[field]);
            if let Some(base) = self.base_norm(field, ord) {
                tokens = tokens.saturating_sub(u64::from(FieldNormReader::id_to_fieldnorm(base)));
            }
        }
        tokens
    }

    /// tantivy's length code of field `field` of document `ord`.
    pub fn fieldnorm_id(&self, field: usize, ord: u32) -> u8 {
        match self.edits.get(&ord) {
            Some(doc) => FieldNormReader::fieldnorm_to_id(doc.lengths[field]),
            None => self.base_norm(field, ord).unwrap_or(0),
        }
    }

    /// Documents holding `token` in `field`, as the last full build counted
    /// them, plus edited documents that hold it.
    pub fn doc_freq(&self, field: usize, token: &str) -> u64 {
        let key = key(field, token);
        let base = self.find(key).map_or(0, |e| u64::from(e.doc_freq));
        base + self.edits.values().filter(|doc| doc.keys.binary_search_by_key(&key, |k| k.0).is_ok()).count() as u64
    }

    /// (document, count) of `token` in `field`, in document order.
    pub fn postings(&self, field: usize, token: &str) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        self.visit_postings(field, token, &mut |ord, count| out.push((ord, count)));
        if !self.edits.is_empty() {
            out.sort_unstable();
        }
        out
    }

    /// Calls `visit(document, count)` for each posting of `token` in
    /// `field`: in document order, except that edited documents come last.
    pub fn visit_postings(&self, field: usize, token: &str, visit: &mut dyn FnMut(u32, u32)) {
        let key = key(field, token);
        if let Some(entry) = self.find(key) {
            self.read(entry.doc_freq, entry.postings, visit);
        }
        for (&ord, doc) in &self.edits {
            if let Ok(i) = doc.keys.binary_search_by_key(&key, |k| k.0) {
                visit(ord, doc.keys[i].1);
            }
        }
    }

    /// Where the postings of `token` in `field` start in the file, for a
    /// [`PostingCursor`]; the edits are not in it.
    pub fn cursor(&self, field: usize, token: &str) -> PostingCursor {
        let entry = self.find(key(field, token));
        entry.map_or(PostingCursor { at: 0, end: 0, remaining: 0, ord: 0 }, |e| PostingCursor {
            at: e.postings.start,
            end: e.postings.end,
            remaining: e.doc_freq,
            ord: 0,
        })
    }

    /// Whether `serve` replaced documents since the last full build.
    pub fn has_edits(&self) -> bool {
        !self.edits.is_empty()
    }

    /// Calls `visit(document, count)` for the `doc_freq` postings of a term
    /// of [`BigramIndex::terms`] at `postings` in the file, skipping edited
    /// documents (see [`BigramIndex::visit_postings`]).
    pub fn read(&self, doc_freq: u32, postings: std::ops::Range<usize>, visit: &mut dyn FnMut(u32, u32)) {
        let bytes = &self.data()[postings];
        let mut at = 0;
        let mut ord = 0u32;
        // Bounded by the bytes too: a damaged count must not run on.
        for _ in 0..doc_freq {
            if at >= bytes.len() {
                break;
            }
            ord = ord.wrapping_add(get_varint(bytes, &mut at));
            let count = get_varint(bytes, &mut at);
            if self.edits.is_empty() || !self.edits.contains_key(&ord) {
                visit(ord, count);
            }
        }
    }

    /// Every term of the file and of the edits; an edited document's term
    /// that the file lacks comes with an empty range.
    pub fn terms(&self) -> Vec<TermEntry> {
        let mut entries: Vec<TermEntry> = (0..self.terms).map(|i| self.entry(i)).collect();
        let mut extra: Vec<u64> = self
            .edits
            .values()
            .flat_map(|doc| doc.keys.iter().map(|k| k.0))
            .filter(|&key| self.find(key).is_none())
            .collect();
        extra.sort_unstable();
        extra.dedup();
        entries.extend(extra.into_iter().map(|key| TermEntry { key, doc_freq: 0, postings: 0..0 }));
        entries
    }

    /// Appends the token of `key` to `out`.
    pub fn push_text(&self, key: u64, out: &mut String) {
        if is_hashed(key) {
            let edited = || self.edits.values().flat_map(|d| &d.long).find(|(k, _)| *k == key).map(|(_, t)| t);
            if let Some(text) = self.long.get(&key).or_else(edited) {
                out.push_str(text);
            }
        } else {
            push_packed_text(key, out);
        }
    }

    /// This index with `edited` documents replacing theirs, and the file of
    /// edits to write for it.
    pub fn with_edits(mut self, edited: Vec<(u32, DocGrams)>) -> (BigramIndex, Vec<u8>) {
        self.edits.extend(edited);
        let bytes = serde_json::to_vec(&self.edits).unwrap_or_default();
        (self, bytes)
    }
}

fn read_edits(dir: &Path) -> std::io::Result<BTreeMap<u32, DocGrams>> {
    match std::fs::read(dir.join(EDITS_FILE)) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| corrupt(&format!("{EDITS_FILE}（{e}）"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(tokens: &[(usize, &str)]) -> DocGrams {
        let mut builder = DocGramsBuilder::default();
        for (field, token) in tokens {
            builder.add(*field, token);
        }
        builder.finish()
    }

    fn built(docs: Vec<DocGrams>, run_every: usize) -> BigramIndex {
        let mut builder = Builder::default();
        for (ord, d) in docs.into_iter().enumerate() {
            builder.add(d);
            if (ord + 1) % run_every == 0 {
                builder.flush();
            }
        }
        BigramIndex::from_builder(builder).unwrap()
    }

    #[test]
    fn keys_keep_short_tokens_and_fields_apart() {
        assert_ne!(key(0, "医保"), key(1, "医保"));
        assert_eq!(field_of(key(1, "医保")), 1);
        let mut text = String::new();
        push_packed_text(key(0, "医保"), &mut text);
        assert_eq!(text, "医保");
        assert!(is_hashed(key(0, "zhengcezhaoren")));
        assert!(!is_hashed(key(0, "2019")));
    }

    /// The same postings whether the documents were sorted in one run or
    /// in many that the merge joins.
    #[test]
    fn runs_merge_into_the_postings_of_one() {
        let docs: Vec<DocGrams> = (0..40)
            .map(|i| {
                let mut tokens = vec![(0, "医保"), (0, "报销")];
                if i % 3 == 0 {
                    tokens.push((0, "医保"));
                    tokens.push((1, "口径"));
                }
                if i % 7 == 0 {
                    tokens.push((0, "zhengcezhaoren"));
                }
                doc(&tokens)
            })
            .collect();
        let one = built(docs.clone(), usize::MAX);
        let many = built(docs, 3);
        for (field, token) in [(0, "医保"), (0, "报销"), (1, "口径"), (0, "zhengcezhaoren"), (0, "没有")] {
            assert_eq!(one.postings(field, token), many.postings(field, token), "{token}");
        }
        assert_eq!(many.postings(0, "医保")[..2], [(0, 2), (1, 1)]);
        assert_eq!(many.postings(1, "口径").len(), 14);
        assert_eq!(many.doc_freq(0, "zhengcezhaoren"), 6);
        assert_eq!(many.total_tokens(0), 40 * 2 + 14 + 6);
        assert_eq!(many.fieldnorm_id(1, 3), FieldNormReader::fieldnorm_to_id(1));
        let mut texts: Vec<String> = many
            .terms()
            .iter()
            .map(|t| {
                let mut text = String::new();
                many.push_text(t.key, &mut text);
                text
            })
            .collect();
        texts.sort();
        assert_eq!(texts, ["zhengcezhaoren", "医保", "口径", "报销"]);
    }

    #[test]
    fn edits_replace_a_document() {
        let index = built(vec![doc(&[(0, "医保")]), doc(&[(0, "医保"), (0, "报销")])], 1);
        let (edited, bytes) = index.with_edits(vec![(1, doc(&[(0, "社保"), (0, "社保")]))]);
        assert_eq!(edited.postings(0, "医保"), [(0, 1)]);
        assert_eq!(edited.postings(0, "报销"), []);
        assert_eq!(edited.postings(0, "社保"), [(1, 2)]);
        assert_eq!(edited.total_tokens(0), 3);
        assert!(edited.terms().iter().any(|t| t.key == key(0, "社保")));
        let reread: BTreeMap<u32, DocGrams> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(reread.len(), 1);
    }

    #[test]
    fn damaged_files_are_refused() {
        let mut bytes = built(vec![doc(&[(0, "医保")])], 1).bytes.as_slice().to_vec();
        bytes.truncate(bytes.len() - 1);
        assert!(BigramIndex::from_bytes(OwnedBytes::new(bytes)).is_err());
        assert!(BigramIndex::from_bytes(OwnedBytes::new(b"nonsense".to_vec())).is_err());
    }

    /// Offsets that would wrap round, and a count of documents far beyond
    /// its postings: refused, or read as far as the bytes go.
    #[test]
    fn damaged_offsets_and_counts_stay_in_the_file() {
        let good = built(vec![doc(&[(0, "医保")]), doc(&[(0, "医保")])], 1).bytes.as_slice().to_vec();
        let mut wrapped = good.clone();
        wrapped[32..40].copy_from_slice(&(u64::MAX - 10).to_le_bytes());
        wrapped[40..48].copy_from_slice(&10u64.to_le_bytes());
        assert!(BigramIndex::from_bytes(OwnedBytes::new(wrapped)).is_err());
        let table_at = u64::from_le_bytes(good[32..40].try_into().unwrap()) as usize;
        let mut counted = good;
        counted[table_at + 8..table_at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let index = BigramIndex::from_bytes(OwnedBytes::new(counted)).unwrap();
        assert!(index.postings(0, "医保").len() <= 2);
    }
}
