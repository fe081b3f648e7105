//! `zhiku check`: knowledge-base quality checks beyond what a build needs.
//! A stale answer citing a repealed policy is worse than no answer, and
//! personal data on a government site is a legal incident, so both are
//! looked for on every run, each reported with file:line and a fix.
//!
//! [`gate_document`] holds the checks `zhiku build` also runs and refuses to publish
//! on: personal information and internal text in public fields.

pub mod pii;
pub mod similar;

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use pulldown_cmark::{Event, Parser, Tag};
use rayon::prelude::*;

use crate::config::{CONFIG_FILE, Config};
use crate::content::{self, Document, Kind, front_matter};
use crate::diagnostics::{Diagnostic, Diagnostics, Location};
use crate::library::{DocId, Library, Status};
use crate::search::{self, Analyzer, Layers};

/// Questions at least this similar (Jaccard over jieba words) are reported
/// as near-duplicates.
pub const DUPLICATE_THRESHOLD: f64 = 0.8;

/// Internal sentences shorter than this (in characters, punctuation and
/// spaces left out) are too generic to call a leak (办理时间为工作日).
const LEAK_MIN_CHARS: usize = 12;

pub struct CheckOptions {
    pub root: PathBuf,
    pub as_of: Date,
}

/// Runs every check; the diagnostics are sorted by file and position.
pub fn run(options: &CheckOptions) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let config = match Config::load(&options.root) {
        Ok(config) => config,
        Err(problem) => {
            diagnostics.push(problem);
            return diagnostics;
        }
    };
    diagnostics.extend(site_identity(&config));
    let loaded = content::load(&options.root, &config, false);
    diagnostics.extend(loaded.diagnostics);
    let library = Library::link(loaded.documents, options.as_of, &mut diagnostics);
    let sources = sources(&options.root, &library);
    diagnostics.extend(public_text(&library, &sources));
    diagnostics.extend(citations(&library, &sources));
    diagnostics.extend(links(&library, &sources, &loaded.assets));
    diagnostics.extend(freshness(&library));
    match Analyzer::load(&search::index_dir(&options.root), Layers::ALL) {
        Ok(analyzer) => diagnostics.extend(duplicates(&library, &sources, &analyzer)),
        Err(problems) => diagnostics.extend(problems),
    }
    diagnostics.sort();
    diagnostics
}

/// The text of each document's file, read again once: documents keep their
/// body but not their front matter, and locations need the whole file. An
/// unreadable file gives an empty text (loading already reported it).
fn sources(root: &Path, library: &Library) -> Vec<String> {
    library.docs.par_iter().map(|d| std::fs::read_to_string(root.join(&d.file)).unwrap_or_default()).collect()
}

/// Byte range of the `internal` value in a file's front matter, which is
/// operator-only and so exempt from the public-text checks.
fn internal_span(source: &str) -> Option<Range<usize>> {
    let parts = front_matter::split(source).ok()?;
    let (table, _) = toml::de::DeTable::parse_recoverable(parts.front_matter);
    let table = table.into_inner();
    let (_, value) = table.iter().find(|(k, _)| k.get_ref().as_ref() == "internal")?;
    let span = value.span();
    Some(span.start + parts.front_matter_offset..span.end + parts.front_matter_offset)
}

/// Personal information and 内部口径 in the public text of one document
/// (`source` is its file): the checks `zhiku build` refuses to publish on.
pub fn gate_document(doc: &Document, source: &str) -> Vec<Diagnostic> {
    let internal = internal_span(source);
    let mut problems = personal_information(doc, source, internal.as_ref());
    problems.extend(internal_leaks(doc, source));
    problems
}

fn public_text(library: &Library, sources: &[String]) -> Vec<Diagnostic> {
    library.docs.par_iter().zip(sources.par_iter()).flat_map_iter(|(doc, source)| gate_document(doc, source)).collect()
}

fn personal_information(doc: &Document, source: &str, internal: Option<&Range<usize>>) -> Vec<Diagnostic> {
    pii::find(source)
        .into_iter()
        .filter(|f| internal.is_none_or(|i| f.span.end <= i.start || f.span.start >= i.end))
        .map(|f| {
            Diagnostic::error(
                &doc.file,
                Some(Location::of(source, f.span.clone())),
                format!("personal information in public text: {} {}", f.kind.label(), f.masked),
            )
            .with_hint(format!(
                "remove it or write it masked as {}; personal data must not be published (《个人信息保护法》)",
                f.masked
            ))
        })
        .collect()
}

/// Characters that count for comparing sentences: no spaces, no punctuation.
fn comparable(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn internal_leaks(doc: &Document, source: &str) -> Vec<Diagnostic> {
    let Some(q) = doc.qa() else { return Vec::new() };
    let Some(internal) = &q.internal else { return Vec::new() };
    let body_offset = source.len() - doc.body.len();
    let public: Vec<(&str, usize)> = std::iter::once((doc.body.as_str(), body_offset))
        .chain(std::iter::once((doc.title.as_str(), 0)))
        .chain(q.variants.iter().map(|v| (v.as_str(), 0)))
        .chain(doc.description.iter().map(|d| (d.as_str(), 0)))
        .collect();
    let mut problems = Vec::new();
    let mut reported = BTreeSet::new();
    // A colon ends a label (内部口径：…), which the public text would not repeat.
    for sentence in internal.split(['。', '！', '？', '；', '：', '!', '?', ';', ':', '\n']) {
        let key = comparable(sentence);
        if key.chars().count() < LEAK_MIN_CHARS || !reported.insert(key.clone()) {
            continue;
        }
        let Some((text, offset)) = public.iter().find(|(text, _)| comparable(text).contains(&key)) else { continue };
        // Point at the repeated sentence where it can be found verbatim,
        // else at the start of the public field.
        let at = text.find(sentence.trim()).map_or(*offset, |i| offset + i);
        let at = if *offset == 0 { source.find(sentence.trim()).unwrap_or(0) } else { at };
        problems.push(
            Diagnostic::error(
                &doc.file,
                Some(Location::of(source, at..at + sentence.trim().len())),
                format!("内部口径 repeated in public text: \"{}\"", crate::markdown::truncate_chars(sentence.trim(), 40)),
            )
            .with_hint("internal guidance must never be published: reword the public answer or drop the sentence from `internal`"),
        );
    }
    problems
}

/// Where `key = …` is written in a file's front matter.
fn key_location(source: &str, key: &str) -> Option<Location> {
    let needle = format!("\n{key}");
    let at = source.find(&needle)? + 1;
    Some(Location::of(source, at..at + key.len()))
}

/// A Q&A citing a policy that no longer holds, and answers due for review.
fn citations(library: &Library, sources: &[String]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (doc, source) in library.docs.iter().zip(sources) {
        let Some(q) = doc.qa() else { continue };
        for reference in &q.policies {
            let Some(target) = library.resolve(&reference.value) else { continue };
            let status = library.status[target];
            let title = &library.docs[target].title;
            let location = Some(reference.location.clone());
            match status {
                Some(s @ (Status::Repealed | Status::Expired)) => problems.push(
                    Diagnostic::error(&doc.file, location, format!("cites 《{title}》, which is {}", s.label()))
                        .with_hint(replacement_hint(library, target)),
                ),
                Some(Status::Amended) => problems.push(
                    Diagnostic::warning(
                        &doc.file,
                        location,
                        format!("cites 《{title}》, which has been amended (已修改)"),
                    )
                    .with_hint("check the answer against the amended text and cite the amending document too"),
                ),
                _ => {}
            }
        }
        if let Some(review_by) = q.review_by
            && review_by < library.as_of
        {
            problems.push(
                Diagnostic::warning(
                    &doc.file,
                    key_location(source, "review_by"),
                    format!("answer was due for review on {review_by}"),
                )
                .with_hint("check the answer with the 责任部门, then set `updated` and a new `review_by`"),
            );
        }
    }
    problems
}

fn replacement_hint(library: &Library, target: DocId) -> String {
    match library.links[target].superseded_by {
        Some(next) => format!(
            "cite its replacement 《{}》{} and check the answer against it",
            library.docs[next].title,
            library.docs[next]
                .policy()
                .and_then(|p| p.doc_number.as_ref())
                .map_or(String::new(), |n| format!("（{}）", n.value))
        ),
        None => "cite the policy in force instead, and check the answer against it".to_string(),
    }
}

/// Internal links and anchors in Markdown bodies that lead nowhere.
fn links(library: &Library, sources: &[String], assets: &[PathBuf]) -> Vec<Diagnostic> {
    let pages: HashMap<String, DocId> = library.docs.iter().enumerate().map(|(i, d)| (d.url.clone(), i)).collect();
    let mut others: BTreeSet<String> =
        ["/", "/policies/", "/qa/", "/interpretations/", "/search/", "/feeds/"].into_iter().map(String::from).collect();
    for taxonomy in &library.taxonomies {
        others.insert(format!("/{}/", taxonomy.slug));
        for term in &taxonomy.terms {
            others.insert(format!("/{}/", term.dir));
        }
    }
    for asset in assets {
        others.insert(format!("/{}", asset.to_string_lossy().replace('\\', "/")));
    }
    let mut anchors: HashMap<DocId, BTreeSet<String>> = HashMap::new();
    let mut problems = Vec::new();
    for (doc, source) in library.docs.iter().zip(sources) {
        let destinations: Vec<String> = Parser::new(&doc.body)
            .filter_map(|event| match event {
                Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.to_string()),
                _ => None,
            })
            .collect();
        if destinations.is_empty() {
            continue;
        }
        let body_offset = source.len().saturating_sub(doc.body.len());
        for dest in destinations {
            if dest.contains("://") || dest.starts_with("mailto:") || dest.starts_with("tel:") || dest.starts_with("//")
            {
                continue;
            }
            let (path, fragment) = match dest.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (dest.as_str(), None),
            };
            let path = path.split('?').next().unwrap_or("");
            let resolved = if path.is_empty() { doc.url.clone() } else { resolve_path(&doc.url, path) };
            let decoded = percent_encoding::percent_decode_str(&resolved).decode_utf8_lossy().into_owned();
            let with_slash =
                if decoded.ends_with('/') || decoded.contains('.') { decoded.clone() } else { format!("{decoded}/") };
            let at = source[body_offset..].find(&dest).map_or(body_offset, |i| body_offset + i);
            let location = Some(Location::of(source, at..at + dest.len()));
            let target = pages.get(&with_slash).copied();
            if target.is_none() && !others.contains(&with_slash) && !with_slash.starts_with("/feeds/") {
                problems.push(
                    Diagnostic::error(&doc.file, location, format!("link to \"{dest}\" leads to no page"))
                        .with_hint("link to a page of this site by its URL, e.g. /policies/laws/abc/, or fix the typo"),
                );
                continue;
            }
            if let (Some(target), Some(fragment)) = (target, fragment.filter(|f| !f.is_empty())) {
                let ids = anchors.entry(target).or_insert_with(|| heading_ids(&library.docs[target]));
                let fragment = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
                if !ids.contains(fragment.as_ref()) {
                    let known: Vec<&str> = ids.iter().map(String::as_str).take(8).collect();
                    problems.push(
                        Diagnostic::error(
                            &doc.file,
                            location,
                            format!("anchor \"#{fragment}\" does not exist on {}", library.docs[target].url),
                        )
                        .with_hint(if known.is_empty() {
                            "that page has no headings to link to".to_string()
                        } else {
                            format!("headings there: {}", known.join(", "))
                        }),
                    );
                }
            }
        }
    }
    problems
}

/// Joins a relative link to the URL of the page it is on.
fn resolve_path(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let trailing = if path.ends_with('/') { "/" } else { "" };
    format!("/{}{trailing}", parts.join("/"))
}

/// The ids headings get on a document's page.
fn heading_ids(doc: &Document) -> BTreeSet<String> {
    let html = crate::markdown::to_html(&doc.body);
    let mut ids = BTreeSet::new();
    let mut rest = html.as_str();
    while let Some(i) = rest.find(" id=\"") {
        rest = &rest[i + 5..];
        if let Some(end) = rest.find('"') {
            ids.insert(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    ids
}

/// 网站标识码 and the other identity every government site must show (国办发〔2017〕47号).
fn site_identity(config: &Config) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let code = config.site_id_code.trim();
    if code.is_empty() {
        problems.push(
            Diagnostic::error(CONFIG_FILE, None, "网站标识码 (site_id_code) is missing")
                .with_hint("add site_id_code = \"1522000001\", the 10-digit code issued by the State Council office"),
        );
    } else if code.len() != 10 || !code.chars().all(|c| c.is_ascii_digit()) {
        problems.push(
            Diagnostic::error(CONFIG_FILE, None, format!("网站标识码 \"{code}\" is not 10 digits"))
                .with_hint("copy the code exactly as issued, e.g. site_id_code = \"1522000001\""),
        );
    }
    if config.footer.host.trim().is_empty() {
        problems.push(
            Diagnostic::error(CONFIG_FILE, None, "主办单位 ([footer] host) is missing")
                .with_hint("every page must name the body running the site: [footer] host = \"兴安盟行政公署办公室\""),
        );
    }
    for (value, name, example) in [
        (&config.footer.icp, "ICP备案号 ([footer] icp)", "蒙ICP备…号"),
        (&config.footer.police, "公安备案号 ([footer] police)", "蒙公网安备…号"),
    ] {
        if value.trim().is_empty() {
            problems.push(
                Diagnostic::warning(CONFIG_FILE, None, format!("{name} is missing"))
                    .with_hint(format!("add it to [footer] as shown on the filing certificate, e.g. \"{example}\"")),
            );
        }
    }
    problems
}

/// Days a column may go without an update, by 《政府网站与政务新媒体检查指标》
/// (国办秘函〔2019〕19号): 动态、要闻 2 weeks; 通知公告、政策文件 6 months;
/// 人事、规划计划 and the rest one year.
fn allowed_days(name: &str, column_type: &str) -> i64 {
    let text = format!("{name}{column_type}");
    if ["动态", "要闻", "新闻"].iter().any(|w| text.contains(w)) {
        14
    } else if ["通知", "公告", "政策", "文件", "信息公开", "解读"].iter().any(|w| text.contains(w)) {
        183
    } else {
        365
    }
}

/// Columns without an update for longer than the inspection rules allow.
fn freshness(library: &Library) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for top in ["policies", "interpretations", "qa"] {
        let newest = library
            .docs
            .iter()
            .filter(|d| d.path.starts_with(&format!("{top}/")) && d.kind != Kind::Section)
            .filter_map(Document::date)
            .filter(|d| *d <= library.as_of)
            .max();
        let Some(newest) = newest else { continue };
        let section = library.by_path(&format!("{top}/_index.md")).map(|id| &library.docs[id]);
        let default_name = match top {
            "policies" => "政策文件库",
            "interpretations" => "政策解读",
            _ => "问答知识库",
        };
        let name = section.map_or(default_name, |s| s.title.as_str());
        let column_type = section.and_then(|s| s.section()).and_then(|s| s.column_type.as_deref()).unwrap_or("");
        let allowed = allowed_days(name, column_type);
        let days = i64::from((library.as_of - newest).get_days());
        if days > allowed {
            let file = section.map_or(format!("{}/{top}", content::CONTENT_DIR), |s| s.file.clone());
            problems.push(
                Diagnostic::warning(file, None, format!("column 《{name}》 has not been updated for {days} days (newest: {newest})"))
                    .with_hint(format!(
                        "国办秘函〔2019〕19号 allows {allowed} days for this kind of column; publish an update or close the column"
                    )),
            );
        }
    }
    problems
}

/// Pairs of Q&A whose questions say the same thing.
fn duplicates(library: &Library, sources: &[String], analyzer: &Analyzer) -> Vec<Diagnostic> {
    let ids: Vec<DocId> = (0..library.docs.len()).filter(|&i| library.docs[i].kind == Kind::Qa).collect();
    let tokens: Vec<Vec<String>> = ids.par_iter().map(|&i| analyzer.index_words(&library.docs[i].title)).collect();
    similar::near_duplicates(&tokens, DUPLICATE_THRESHOLD)
        .into_iter()
        .map(|pair| {
            let (a, b) = (&library.docs[ids[pair.a]], &library.docs[ids[pair.b]]);
            Diagnostic::warning(
                &b.file,
                key_location(&sources[ids[pair.b]], "question"),
                format!(
                    "question \"{}\" is a near-duplicate of {} (similarity {:.2})",
                    b.title, a.file, pair.similarity
                ),
            )
            .with_hint(format!("merge the two entries, or add \"{}\" to the other's `variants`", b.title))
        })
        .collect()
}
