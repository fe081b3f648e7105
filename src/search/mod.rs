//! Chinese full-text search: the language layer ([`analyzer`], [`text`],
//! [`pinyin`]),
//! the operator index with internal guidance ([`operator`], with the bigrams
//! of bodies in [`bigram_index`]) and snippets.
//!
//! Search resources live in the site's `index/` folder: `dict.txt` (jieba
//! user dictionary) and `synonyms.txt` are sources kept in git; the built
//! operator index goes to `index/operator/`.

pub mod analyzer;
pub mod bigram_index;
mod build_dir;
pub mod operator;
pub mod pinyin;
pub mod public_index;
pub mod segment;
pub mod snippet;
pub mod text;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::content::{Kind, Meta};
use crate::library::{DocId, Library};
use crate::markdown;

pub use analyzer::{Analyzer, Cut, Layers};
pub use operator::{Hit, OperatorIndex, SearchRequest, SearchResponse};

pub const INDEX_DIR: &str = "index";
pub const OPERATOR_DIR: &str = "operator";
/// Facet of documents that apply in every region.
pub const NO_REGION: &str = "anywhere";
/// Facet of what a search shows by default: everything but policies that
/// are not 现行有效. A posting list of its own keeps that filter cheap.
pub const CURRENT: &str = "current";

#[derive(Debug)]
pub enum SearchError {
    /// The request itself is unusable; the message says why, in Chinese.
    BadRequest(String),
    Index(tantivy::TantivyError),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::BadRequest(message) => f.write_str(message),
            SearchError::Index(e) => write!(f, "index error: {e}"),
        }
    }
}

/// What the operator index holds about one document.
#[derive(Debug, Clone, Default)]
pub struct SearchDoc {
    pub path: String,
    pub url: String,
    /// `policy`, `interpretation`, `qa` or `page`.
    pub kind: String,
    pub title: String,
    pub variants: Vec<String>,
    pub keywords: Vec<String>,
    /// Plain text of the body.
    pub body: String,
    /// 内部口径 (operator index only).
    pub internal: Option<String>,
    pub doc_number: Option<String>,
    pub status: Option<String>,
    pub date: Option<String>,
    /// Facet paths, e.g. `["topic", "科技、教育", "教育"]`.
    pub facets: Vec<Vec<String>>,
    /// What the operator console shows besides the hit (Q&A only): JSON
    /// with 责任部门, 类目, dates and the cited policies with their status.
    pub detail: Option<serde_json::Value>,
}

impl SearchDoc {
    /// The public text fields, each under the name of its word field and
    /// with how it is cut: what both indexes segment.
    pub(crate) fn public_texts(&self) -> [(&'static str, Cut, Cow<'_, str>); 4] {
        [
            ("title", Cut::Fine, Cow::Borrowed(&self.title)),
            ("variants", Cut::Fine, Cow::Owned(self.variants.join("\n"))),
            ("keywords", Cut::Fine, Cow::Owned(self.keywords.join("\n"))),
            ("body", Cut::Plain, Cow::Borrowed(&self.body)),
        ]
    }
}

/// Every searchable document of the library (sections are lists, not
/// content, and are left out).
pub fn documents(library: &Library) -> Vec<SearchDoc> {
    use rayon::prelude::*;
    (0..library.docs.len()).into_par_iter().filter_map(|id| document(library, id)).collect()
}

/// Where document `id` of the library is in [`documents`].
pub fn ord_of(library: &Library, id: DocId) -> usize {
    library.docs[..id].iter().filter(|d| d.kind != Kind::Section).count()
}

/// What the operator index holds of document `id`; `None` for sections.
pub fn document(library: &Library, id: DocId) -> Option<SearchDoc> {
    let doc = &library.docs[id];
    if doc.kind == Kind::Section {
        return None;
    }
    let kind = doc.kind.slug();
    let mut facets = vec![vec!["kind".to_string(), kind.to_string()]];
    let facet = |root: &str, parts: &[&str]| {
        std::iter::once(root).chain(parts.iter().copied()).map(str::to_string).collect::<Vec<String>>()
    };
    let mut search = SearchDoc {
        path: doc.path.clone(),
        url: doc.url.clone(),
        kind: kind.to_string(),
        title: doc.title.clone(),
        body: markdown::plain_text(&doc.body),
        date: doc.date().map(|d| d.to_string()),
        ..SearchDoc::default()
    };
    let mut regions: Vec<&str> = Vec::new();
    match &doc.meta {
        Meta::Policy(p) => {
            search.doc_number = p.doc_number.as_ref().map(|n| n.value.clone());
            search.keywords = p.keywords.iter().chain(&p.tags).cloned().collect();
            let status = library.status[id].map(|s| s.label()).unwrap_or_default();
            search.status = Some(status.to_string());
            if library.status[id] == Some(crate::library::Status::InForce) {
                facets.push(vec![CURRENT.to_string()]);
            }
            facets.push(facet("status", &[status]));
            for topic in &p.topics {
                facets.push(facet("topic", &topic.split('\\').collect::<Vec<_>>()));
            }
            for issuer in &p.issuers {
                facets.push(facet("issuer", &[issuer]));
            }
            facets.push(facet("year", &[&p.published.year().to_string()]));
            regions.extend(p.region.as_deref());
        }
        Meta::Interpretation(i) => {
            search.keywords = i.tags.clone();
            facets.push(vec![CURRENT.to_string()]);
        }
        Meta::Qa(q) => {
            search.variants = q.variants.clone();
            search.keywords = q.keywords.clone();
            search.internal = q.internal.clone();
            facets.push(facet("category", &q.category.split('/').collect::<Vec<_>>()));
            facets.push(facet("department", &[&q.department]));
            regions.extend(q.regions.iter().map(String::as_str));
            facets.push(vec![CURRENT.to_string()]);
            let policies: Vec<serde_json::Value> = library.links[id]
                .cites
                .iter()
                .map(|&p| {
                    let cited = &library.docs[p];
                    let status = library.status[p];
                    serde_json::json!({
                        "title": cited.title,
                        "url": cited.url,
                        "doc_number": cited.policy().and_then(|m| m.doc_number.as_ref()).map(|n| n.value.clone()),
                        "status": status.map(|s| s.slug()),
                        "status_label": status.map(|s| s.label()),
                    })
                })
                .collect();
            search.detail = Some(serde_json::json!({
                "answer": search.body,
                "category": q.category,
                "department": q.department,
                "regions": q.regions,
                "updated": q.updated.to_string(),
                "review_by": q.review_by.map(|d| d.to_string()),
                "policies": policies,
            }));
        }
        Meta::Page | Meta::Section(_) => facets.push(vec![CURRENT.to_string()]),
    }
    if regions.is_empty() {
        facets.push(vec![NO_REGION.to_string()]);
    }
    for region in regions {
        facets.push(facet("region", &[region]));
    }
    search.facets = facets;
    Some(search)
}

pub fn index_dir(root: &Path) -> PathBuf {
    root.join(INDEX_DIR)
}

/// A complete operator index waiting beside its final place.
pub struct StagedIndex {
    staging: PathBuf,
    target: PathBuf,
    /// Syncing the index to disk, which [`StagedIndex::wait_synced`] waits for.
    syncing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

/// Builds the operator index of the library's documents next to `target`;
/// nothing replaces the previous index until [`StagedIndex::commit`]. Also
/// returns the open index, from which the public search index is derived,
/// and the public documents, bodies cut to what the public index shows.
pub fn stage_operator_index(
    target: &Path,
    library: &Library,
    analyzer: &Analyzer,
) -> Result<(StagedIndex, operator::Built, Vec<SearchDoc>), String> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target.file_name().map_or("operator".into(), |n| n.to_string_lossy().into_owned());
    let staging = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ids: Vec<DocId> = (0..library.docs.len()).filter(|&id| library.docs[id].kind != Kind::Section).collect();
    let made = operator::build_streaming(
        &staging,
        ids.len(),
        &|ord| document(library, ids[ord]).unwrap_or_default(),
        &public_index::public_summary,
        analyzer,
    );
    let (index, public) = made.map_err(|e| {
        let _ = std::fs::remove_dir_all(&staging);
        format!("cannot build the operator index: {e}")
    })?;
    // The index was written without syncs (see `build_dir`): they run here
    // while the static index is made from it.
    let syncing = std::thread::spawn({
        let staging = staging.clone();
        move || build_dir::sync_all(&staging)
    });
    Ok((StagedIndex { staging, target: target.to_path_buf(), syncing: Some(syncing) }, index, public))
}

impl StagedIndex {
    /// Waits until the new index is on disk. The build calls it before it
    /// swaps the new site in, so that a failure here leaves both the old
    /// site and the old index.
    pub fn wait_synced(&mut self) -> Result<(), String> {
        let Some(syncing) = self.syncing.take() else { return Ok(()) };
        let synced = syncing.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        synced.map_err(|e| format!("cannot write the new index to disk in {}: {e}", self.staging.display()))
    }

    /// Swaps the new index in once it is on disk; on failure the previous
    /// one is put back, or stays.
    pub fn commit(mut self) -> Result<(), String> {
        if let Err(e) = self.wait_synced() {
            let _ = std::fs::remove_dir_all(&self.staging);
            return Err(e);
        }
        crate::output::swap_in(&self.staging, &self.target)
            .map_err(|e| format!("cannot move the new index into {}: {e}", self.target.display()))
    }

    /// Drops the staged index (the build failed later).
    pub fn discard(mut self) {
        let _ = self.wait_synced();
        let _ = std::fs::remove_dir_all(&self.staging);
    }
}

/// Loads the site's analyzer and operator index and answers one request:
/// what `zhiku search` does.
pub fn search_site(root: &Path, request: &SearchRequest) -> Result<SearchResponse, String> {
    OperatorIndex::validate(request).map_err(|e| e.to_string())?;
    let index_path = index_dir(root).join(OPERATOR_DIR);
    if !index_path.is_dir() {
        return Err(format!("no operator index at {}; run `zhiku build` first", index_path.display()));
    }
    let analyzer = Analyzer::load(&index_dir(root), Layers::ALL)
        .map_err(|problems| problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))?;
    let index = OperatorIndex::open(&index_path).map_err(|e| format!("cannot open {}: {e}", index_path.display()))?;
    index.search(&analyzer, request).map_err(|e| e.to_string())
}

/// Display width in terminal columns: CJK and full-width characters take two.
fn columns(c: char) -> usize {
    let wide = matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// Cuts `text` to at most `width` columns, marking the cut with `…`.
fn fit(text: &str, width: usize) -> String {
    let total: usize = text.chars().map(columns).sum();
    if total <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + columns(c) > width.saturating_sub(1) {
            break;
        }
        used += columns(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// Snippet HTML to terminal text: marks become 【】, entities are decoded.
fn snippet_text(html: &str) -> String {
    crate::html::unescape(&html.replace("<mark>", "【").replace("</mark>", "】")).into_owned()
}

/// Results for an 80-column terminal: rank and title, then status, 文号 and
/// path, then the snippet and any internal guidance.
pub fn format_human(response: &SearchResponse, width: usize) -> String {
    let mut out = String::new();
    if response.results.is_empty() {
        out.push_str(&format!("没有找到与“{}”相关的结果。\n", response.query));
        return out;
    }
    out.push_str(&format!("“{}”共 {} 条结果：\n", response.query, response.total));
    for (i, hit) in response.results.iter().enumerate() {
        let kind = match hit.kind.as_str() {
            "policy" => "政策",
            "interpretation" => "解读",
            "qa" => "问答",
            _ => "页面",
        };
        out.push('\n');
        out.push_str(&fit(&format!("{:>2}. [{kind}] {}", i + 1, hit.title), width));
        out.push('\n');
        let meta: Vec<&str> =
            [hit.status.as_deref(), hit.doc_number.as_deref(), Some(hit.path.as_str())].into_iter().flatten().collect();
        out.push_str(&fit(&format!("    {}", meta.join(" · ")), width));
        out.push('\n');
        out.push_str(&fit(&format!("    {}", snippet_text(&hit.snippet)), width));
        out.push('\n');
        if let Some(internal) = &hit.internal {
            out.push_str(&fit(
                &format!("    内部口径：{}", internal.split_whitespace().collect::<Vec<_>>().join(" ")),
                width,
            ));
            out.push('\n');
        }
    }
    out
}
