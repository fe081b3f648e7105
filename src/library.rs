//! The frozen, linked collection of documents that every later stage reads.
//!
//! Linking resolves every reference (文号 or path) to a document id, computes
//! each policy's 有效性 as of the build date, builds the reverse relations
//! (replaced → replacement, policy → interpretations, policy → citing Q&A)
//! and the taxonomies. Documents live in one flat vector sorted by path; all
//! relations are ids into it, so nothing is an object graph and the whole
//! library can be shared read-only across render threads.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use rayon::prelude::*;
use serde::Serialize;

use crate::content::front_matter::Located;
use crate::content::{Document, Kind, Meta, doc_number};
use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};

pub type DocId = usize;

/// 有效性
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    NotYetEffective,
    InForce,
    Amended,
    Repealed,
    Expired,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::InForce, Status::Amended, Status::NotYetEffective, Status::Repealed, Status::Expired];

    pub fn label(self) -> &'static str {
        match self {
            Status::NotYetEffective => "尚未生效",
            Status::InForce => "现行有效",
            Status::Amended => "已修改",
            Status::Repealed => "已废止",
            Status::Expired => "已失效",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Status::NotYetEffective => "not-yet-effective",
            Status::InForce => "in-force",
            Status::Amended => "amended",
            Status::Repealed => "repealed",
            Status::Expired => "expired",
        }
    }
}

/// Resolved relations of one document, as ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    pub superseded_by: Option<DocId>,
    pub supersedes: Vec<DocId>,
    pub amended_by: Vec<DocId>,
    pub amends: Vec<DocId>,
    pub interprets: Option<DocId>,
    pub interpretations: Vec<DocId>,
    /// Q&A → 依据政策
    pub cites: Vec<DocId>,
    /// policy → Q&A citing it
    pub cited_by: Vec<DocId>,
    /// Declared plus computed related policies.
    pub related: Vec<DocId>,
}

/// One classification scheme and its terms, e.g. 主题分类.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// URL segment: `topics`.
    pub slug: &'static str,
    /// Chinese name: 主题分类.
    pub label: &'static str,
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// Full value, e.g. `科技、教育\教育`.
    pub value: String,
    /// Last level only, e.g. `教育`.
    pub label: String,
    /// Site URL of the term page, percent-encoded.
    pub url: String,
    /// Output path of the term page, relative to the output root.
    pub dir: String,
    pub depth: usize,
    /// Newest first.
    pub docs: Vec<DocId>,
    /// Indexes (in the taxonomy's `terms`) of the next level's terms.
    pub children: Vec<usize>,
}

/// What linking computed, without the documents.
pub struct Linked {
    pub links: Vec<Links>,
    pub status: Vec<Option<Status>>,
    pub taxonomies: Vec<Taxonomy>,
}

pub struct Library {
    pub as_of: Date,
    /// Sorted by path.
    pub docs: Vec<Document>,
    pub links: Vec<Links>,
    /// `Some` for policies.
    pub status: Vec<Option<Status>>,
    pub taxonomies: Vec<Taxonomy>,
    by_path: HashMap<String, DocId>,
    by_number: HashMap<String, DocId>,
}

/// Segment of a taxonomy URL: the value with URL-hostile characters removed.
pub fn term_slug(value: &str) -> String {
    let slug: String = value
        .trim()
        .chars()
        .map(|c| if c.is_whitespace() || "/\\?#%&\"'<>|:*.".contains(c) { '-' } else { c.to_ascii_lowercase() })
        .collect();
    let slug = slug.trim_matches('-').to_string();
    if slug.is_empty() { "-".into() } else { slug }
}

/// The level separator of hierarchical taxonomies: `一级\二级` for 主题分类,
/// `一级/二级` for 问答类目.
fn level_separator(taxonomy: &str) -> Option<char> {
    match taxonomy {
        "topics" => Some('\\'),
        "categories" => Some('/'),
        _ => None,
    }
}

fn term_levels<'v>(taxonomy: &str, value: &'v str) -> Vec<&'v str> {
    match level_separator(taxonomy) {
        Some(sep) => value.split(sep).collect(),
        None => vec![value],
    }
}

/// Output folder of a term page, relative to the output root:
/// `topics/科技、教育/教育`.
pub fn term_dir(taxonomy: &str, value: &str) -> String {
    std::iter::once(taxonomy.to_string())
        .chain(term_levels(taxonomy, value).into_iter().map(term_slug))
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encoded URL of a term page.
pub fn term_url(taxonomy: &str, value: &str) -> String {
    encode_url_path(&format!("/{}/", term_dir(taxonomy, value)))
}

/// Percent-encodes a site path for use in an href or sitemap.
pub fn encode_url_path(path: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const PATH: &AsciiSet =
        &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}').add(b'%');
    utf8_percent_encode(path, PATH).to_string()
}

/// Ids in first-seen order, each once.
fn unique(ids: impl Iterator<Item = DocId>) -> Vec<DocId> {
    let mut out: Vec<DocId> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

impl Library {
    /// Links the loaded documents. Problems are added to `diagnostics`; the
    /// library is built in any case so that every problem is found in one run.
    pub fn link(mut docs: Vec<Document>, as_of: Date, diagnostics: &mut Diagnostics) -> Library {
        // Loading sorts already; an incremental rebuild passes them sorted.
        if !docs.is_sorted_by(|a, b| a.path <= b.path) {
            docs.sort_by(|a, b| a.path.cmp(&b.path));
        }
        let by_path: HashMap<String, DocId> = docs.iter().enumerate().map(|(i, d)| (d.path.clone(), i)).collect();
        let mut by_number: HashMap<String, DocId> = HashMap::new();
        for (id, doc) in docs.iter().enumerate() {
            if let Some(number) = doc.policy().and_then(|p| p.doc_number.as_ref()) {
                if let Some(&first) = by_number.get(&number.value) {
                    diagnostics.push(
                        Diagnostic::error(
                            &doc.file,
                            Some(number.location.clone()),
                            format!("duplicate 文号 \"{}\"", number.value),
                        )
                        .with_hint(format!("{} already has this 文号; each document needs its own", docs[first].file)),
                    );
                } else {
                    by_number.insert(number.value.clone(), id);
                }
            }
        }
        let mut library = Library {
            as_of,
            links: vec![Links::default(); docs.len()],
            status: vec![None; docs.len()],
            taxonomies: Vec::new(),
            docs,
            by_path,
            by_number,
        };
        library.resolve_links(diagnostics);
        library.compute_status();
        library.build_taxonomies();
        library.compute_related();
        library
    }

    /// Takes the library apart for an incremental rebuild: its documents, to
    /// edit and link again, and what linking computed from them, to compare.
    pub fn into_parts(self) -> (Vec<Document>, Linked) {
        (self.docs, Linked { links: self.links, status: self.status, taxonomies: self.taxonomies })
    }

    pub fn by_path(&self, path: &str) -> Option<DocId> {
        self.by_path.get(path).copied()
    }

    /// Every canonical 文号 in the library with its document, for autolinking.
    pub fn doc_numbers(&self) -> impl Iterator<Item = (&str, DocId)> {
        self.by_number.iter().map(|(k, &v)| (k.as_str(), v))
    }

    /// Resolves a reference: a content path (`policies/x.md`) or a 文号 in
    /// any common form.
    pub fn resolve(&self, reference: &str) -> Option<DocId> {
        let reference = reference.trim();
        if reference.ends_with(".md") || reference.contains('/') {
            let path = reference.trim_start_matches('/').trim_start_matches("content/");
            return self.by_path.get(path).copied();
        }
        let number = doc_number::parse(reference).ok()?.number.to_string();
        self.by_number.get(&number).copied()
    }

    fn resolve_policy(
        &self,
        from: DocId,
        reference: &Located<String>,
        field: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<DocId> {
        let file = &self.docs[from].file;
        match self.resolve(&reference.value) {
            Some(target) if self.docs[target].kind == Kind::Policy => Some(target),
            Some(target) => {
                diagnostics.push(
                    Diagnostic::error(
                        file,
                        Some(reference.location.clone()),
                        format!(
                            "`{field}` must name a policy, but \"{}\" is {}",
                            reference.value,
                            self.docs[target].kind.label()
                        ),
                    )
                    .with_hint("refer to a document under content/policies/"),
                );
                None
            }
            None => {
                let numbers = self.by_number.keys().map(String::as_str);
                let paths = self.by_path.keys().map(String::as_str);
                let hint = match did_you_mean(&reference.value, numbers.chain(paths)) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => "write the 文号 of a policy in this site (国发〔2019〕5号) or its path (policies/…/x.md)"
                        .to_string(),
                };
                diagnostics.push(
                    Diagnostic::error(
                        file,
                        Some(reference.location.clone()),
                        format!("`{field}` reference \"{}\" resolves to nothing", reference.value),
                    )
                    .with_hint(hint),
                );
                None
            }
        }
    }

    fn resolve_links(&mut self, diagnostics: &mut Diagnostics) {
        let mut problems = Vec::new();
        let mut links = vec![Links::default(); self.docs.len()];
        for (id, doc) in self.docs.iter().enumerate() {
            match &doc.meta {
                Meta::Policy(p) => {
                    if let Some(r) = &p.superseded_by {
                        links[id].superseded_by = self.resolve_policy(id, r, "superseded_by", &mut problems);
                        if links[id].superseded_by == Some(id) {
                            problems.push(
                                Diagnostic::error(
                                    &doc.file,
                                    Some(r.location.clone()),
                                    "a document cannot supersede itself",
                                )
                                .with_hint("name the document that replaces this one"),
                            );
                            links[id].superseded_by = None;
                        }
                    }
                    links[id].amended_by = unique(
                        p.amended_by.iter().filter_map(|r| self.resolve_policy(id, r, "amended_by", &mut problems)),
                    );
                    links[id].related =
                        unique(p.related.iter().filter_map(|r| self.resolve_policy(id, r, "related", &mut problems)));
                }
                Meta::Interpretation(i) => {
                    if let Some(r) = &i.interprets {
                        links[id].interprets = self.resolve_policy(id, r, "interprets", &mut problems);
                    }
                }
                Meta::Qa(q) => {
                    links[id].cites =
                        unique(q.policies.iter().filter_map(|r| self.resolve_policy(id, r, "policies", &mut problems)));
                }
                Meta::Page | Meta::Section(_) => {}
            }
        }
        for id in 0..links.len() {
            if let Some(target) = links[id].superseded_by {
                links[target].supersedes.push(id);
            }
            for target in links[id].amended_by.clone() {
                links[target].amends.push(id);
            }
            if let Some(target) = links[id].interprets {
                links[target].interpretations.push(id);
            }
            for target in links[id].cites.clone() {
                links[target].cited_by.push(id);
            }
        }
        self.links = links;
        diagnostics.extend(problems);
    }

    fn start_date(&self, id: DocId) -> Option<Date> {
        self.docs[id].policy().map(|p| p.effective.unwrap_or(p.published))
    }

    fn compute_status(&mut self) {
        let as_of = self.as_of;
        let status: Vec<Option<Status>> = (0..self.docs.len())
            .map(|id| {
                let p = self.docs[id].policy()?;
                let links = &self.links[id];
                let replaced = links.superseded_by.and_then(|t| self.start_date(t)).is_some_and(|d| d <= as_of);
                let status = if p.repealed.is_some_and(|d| d <= as_of) || replaced {
                    Status::Repealed
                } else if p.expires.is_some_and(|d| d < as_of) {
                    Status::Expired
                } else if self.start_date(id).is_some_and(|d| d > as_of) {
                    Status::NotYetEffective
                } else if links
                    .amended_by
                    .iter()
                    .any(|&a| self.docs[a].policy().is_some_and(|ap| ap.published <= as_of))
                {
                    Status::Amended
                } else {
                    Status::InForce
                };
                Some(status)
            })
            .collect();
        self.status = status;
    }

    /// Newest first, then by path, so every list is deterministic.
    pub fn sort_newest_first(&self, ids: &mut [DocId]) {
        ids.sort_by(|&a, &b| {
            self.docs[b].date().cmp(&self.docs[a].date()).then_with(|| self.docs[a].path.cmp(&self.docs[b].path))
        });
    }

    fn build_taxonomies(&mut self) {
        type Values = fn(&Library, DocId) -> Vec<String>;
        let specs: [(&'static str, &'static str, Values); 9] = [
            ("topics", "主题分类", |l, id| l.docs[id].policy().map(|p| p.topics.clone()).unwrap_or_default()),
            ("issuers", "发文机关", |l, id| l.docs[id].policy().map(|p| p.issuers.clone()).unwrap_or_default()),
            ("years", "年份", |l, id| {
                l.docs[id].policy().map(|p| vec![p.published.year().to_string()]).unwrap_or_default()
            }),
            ("genres", "公文种类", |l, id| l.docs[id].policy().map(|p| vec![p.genre.clone()]).unwrap_or_default()),
            ("status", "有效性", |l, id| l.status[id].map(|s| vec![s.label().to_string()]).unwrap_or_default()),
            ("tags", "标签", |l, id| match &l.docs[id].meta {
                Meta::Policy(p) => p.tags.clone(),
                Meta::Interpretation(i) => i.tags.clone(),
                _ => Vec::new(),
            }),
            ("categories", "问答类目", |l, id| {
                l.docs[id].qa().map(|q| vec![q.category.clone()]).unwrap_or_default()
            }),
            ("departments", "责任部门", |l, id| {
                l.docs[id].qa().map(|q| vec![q.department.clone()]).unwrap_or_default()
            }),
            ("regions", "适用地区", |l, id| match &l.docs[id].meta {
                Meta::Qa(q) => q.regions.clone(),
                Meta::Policy(p) => p.region.iter().cloned().collect(),
                _ => Vec::new(),
            }),
        ];
        let taxonomies = specs
            .par_iter()
            .map(|&(slug, label, values)| {
                // value → (depth, docs); BTreeMap keeps terms in a stable order.
                let mut terms: BTreeMap<String, Vec<DocId>> = BTreeMap::new();
                for id in 0..self.docs.len() {
                    let mut seen = Vec::new();
                    for value in values(self, id) {
                        if value.is_empty() {
                            continue;
                        }
                        // A 二级 term also files the document under its 一级.
                        let mut prefixes = vec![value.clone()];
                        if let Some(sep) = level_separator(slug)
                            && let Some((first, _)) = value.split_once(sep)
                        {
                            prefixes.push(first.to_string());
                        }
                        for v in prefixes {
                            if !seen.contains(&v) {
                                terms.entry(v.clone()).or_default().push(id);
                                seen.push(v);
                            }
                        }
                    }
                }
                let mut terms: Vec<Term> = terms
                    .into_iter()
                    .map(|(value, mut docs)| {
                        self.sort_newest_first(&mut docs);
                        let levels = term_levels(slug, &value);
                        let label = levels.last().unwrap_or(&"").to_string();
                        let depth = levels.len();
                        Term {
                            url: term_url(slug, &value),
                            dir: term_dir(slug, &value),
                            label,
                            depth,
                            value,
                            docs,
                            children: Vec::new(),
                        }
                    })
                    .collect();
                if let Some(sep) = level_separator(slug) {
                    let index: HashMap<String, usize> =
                        terms.iter().enumerate().map(|(i, t)| (t.value.clone(), i)).collect();
                    for i in 0..terms.len() {
                        if let Some((parent, _)) = terms[i].value.rsplit_once(sep)
                            && let Some(&p) = index.get(parent)
                        {
                            terms[p].children.push(i);
                        }
                    }
                }
                Taxonomy { slug, label, terms }
            })
            .collect();
        self.taxonomies = taxonomies;
    }

    pub fn taxonomy(&self, slug: &str) -> Option<&Taxonomy> {
        self.taxonomies.iter().find(|t| t.slug == slug)
    }

    /// Adds up to five computed related policies: those sharing the most
    /// 主题分类 and tags, newest first. Candidates come from the same topic
    /// terms only, so this stays near-linear on large sites.
    fn compute_related(&mut self) {
        const LIMIT: usize = 5;
        const CANDIDATES_PER_TERM: usize = 50;
        let Some(topics) = self.taxonomy("topics") else { return };
        let term_of: HashMap<&str, &Term> = topics.terms.iter().map(|t| (t.value.as_str(), t)).collect();
        let computed: Vec<Vec<DocId>> = (0..self.docs.len())
            .into_par_iter()
            .map(|id| {
                let Some(p) = self.docs[id].policy() else { return Vec::new() };
                let mut scores: BTreeMap<DocId, usize> = BTreeMap::new();
                for topic in &p.topics {
                    let Some(term) = term_of.get(topic.as_str()) else { continue };
                    for &other in term.docs.iter().take(CANDIDATES_PER_TERM) {
                        if other == id {
                            continue;
                        }
                        let op = self.docs[other].policy();
                        let shared_tags = op.map_or(0, |op| op.tags.iter().filter(|t| p.tags.contains(t)).count());
                        *scores.entry(other).or_default() += 2 + shared_tags;
                    }
                }
                let mut ranked: Vec<(DocId, usize)> = scores.into_iter().collect();
                ranked.sort_by(|a, b| {
                    b.1.cmp(&a.1).then_with(|| self.docs[b.0].date().cmp(&self.docs[a.0].date())).then(a.0.cmp(&b.0))
                });
                ranked.into_iter().map(|(d, _)| d).take(LIMIT).collect()
            })
            .collect();
        for (id, extra) in computed.into_iter().enumerate() {
            for d in extra {
                if self.links[id].related.len() >= LIMIT {
                    break;
                }
                if !self.links[id].related.contains(&d) && self.links[id].superseded_by != Some(d) {
                    self.links[id].related.push(d);
                }
            }
        }
    }

    /// Ids of every document of `kind`, newest first.
    pub fn of_kind(&self, kind: Kind) -> Vec<DocId> {
        let mut ids: Vec<DocId> = (0..self.docs.len()).filter(|&i| self.docs[i].kind == kind).collect();
        self.sort_newest_first(&mut ids);
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_chinese_and_drop_separators() {
        assert_eq!(term_slug("科技、教育"), "科技、教育");
        assert_eq!(term_slug("a/b c"), "a-b-c");
        assert_eq!(term_slug(".."), "-");
        assert_eq!(term_slug("v1.0"), "v1-0");
        assert_eq!(encode_url_path("/topics/教育/"), "/topics/%E6%95%99%E8%82%B2/");
    }
}
