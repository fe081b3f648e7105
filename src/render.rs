//! Rendering the library into pages with Tera 2.
//!
//! Each document is converted to a template value once (its summary, used by
//! every list that shows it, and its page value, used by its own page), then
//! all pages render in parallel from those cached values. Per-page templates
//! receive only what they show; no template loops over the whole collection.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use include_dir::{Dir, include_dir};
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera, Value};

use crate::assets;
use crate::config::Config;
use crate::content::{Document, Kind, Meta, SortBy};
use crate::diagnostics::Diagnostic;
use crate::html::{ContentPass, escape_attr, finish_page};
use crate::library::{DocId, Library, Linked, Status, Taxonomy, Term, encode_url_path, term_url};
use crate::markdown;

static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// A file to write, relative to the output root.
#[derive(Debug, Clone)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

#[cfg(test)]
impl OutputFile {
    /// A file of `text`, for tests.
    pub(crate) fn text(path: &str, text: &str) -> OutputFile {
        OutputFile { path: path.into(), bytes: text.as_bytes().to_vec() }
    }
}

/// Loaded templates plus the theme's static files.
pub struct Theme {
    pub tera: Tera,
    pub static_files: Vec<OutputFile>,
    /// What the build should tell about the theme without failing.
    pub warnings: Vec<Diagnostic>,
}

impl Theme {
    /// Loads `themes/<name>/` from the site if present, else the built-in
    /// default theme; templates in the site's `templates/` override the
    /// theme's by name.
    pub fn load(root: &Path, config: &Config) -> Result<Theme, Vec<Diagnostic>> {
        let mut templates: BTreeMap<String, (String, String)> = BTreeMap::new();
        let mut static_files = Vec::new();
        // Where each static file that is not built in comes from.
        let mut static_origins: BTreeMap<String, String> = BTreeMap::new();
        let theme_dir = root.join("themes").join(&config.theme);
        let mut problems = Vec::new();
        if theme_dir.is_dir() {
            read_tree(
                &theme_dir.join("templates"),
                &format!("themes/{}/templates", config.theme),
                &mut |name, origin, bytes| {
                    templates.insert(name, (origin, String::from_utf8_lossy(&bytes).into_owned()));
                },
            );
            read_tree(
                &theme_dir.join("static"),
                &format!("themes/{}/static", config.theme),
                &mut |name, origin, bytes| {
                    static_origins.insert(name.clone(), origin);
                    static_files.push(OutputFile { path: name, bytes })
                },
            );
        } else if config.theme == "default" {
            for file in walk_embedded(&DEFAULT_THEME) {
                let path = file.path().to_string_lossy().replace('\\', "/");
                if let Some(name) = path.strip_prefix("templates/") {
                    let origin = format!("themes/default/{path} (built in)");
                    templates.insert(name.to_string(), (origin, String::from_utf8_lossy(file.contents()).into_owned()));
                } else if let Some(name) = path.strip_prefix("static/") {
                    static_files.push(OutputFile { path: name.to_string(), bytes: file.contents().to_vec() });
                }
            }
        } else {
            problems.push(
                Diagnostic::error("config.toml", None, format!("theme \"{}\" not found", config.theme))
                    .with_hint(format!("create {} or set theme = \"default\"", theme_dir.display())),
            );
            return Err(problems);
        }
        read_tree(&root.join("templates"), "templates", &mut |name, origin, bytes| {
            templates.insert(name, (origin, String::from_utf8_lossy(&bytes).into_owned()));
        });
        read_tree(&root.join("static"), "static", &mut |name, origin, bytes| {
            static_origins.insert(name.clone(), origin);
            static_files.push(OutputFile { path: name, bytes })
        });
        // A site's own static file replaces the theme's of the same name.
        let static_files: Vec<OutputFile> =
            static_files.into_iter().map(|f| (f.path.clone(), f)).collect::<BTreeMap<_, _>>().into_values().collect();
        let warnings = static_files
            .iter()
            .filter(|f| f.path == SEARCH_CLIENT)
            .filter_map(|f| static_origins.get(&f.path).and_then(|origin| search_client_warning(origin, &f.bytes)))
            .collect();
        let fingerprints = assets::Fingerprints::of(&static_files);

        let mut tera = Tera::new();
        tera.autoescape_on([".html", ".xml"]);
        tera.register_function("asset_url", assets::AssetUrl(fingerprints.clone()));
        tera.register_function("import_map", assets::ImportMap(fingerprints));
        if let Err(combined) =
            tera.add_raw_templates(templates.iter().map(|(name, (_, source))| (name.as_str(), source.as_str())))
        {
            // Tera stops at the first broken template; check each on its own
            // so that every syntax error is reported in this run.
            for (name, (origin, source)) in &templates {
                let mut alone = Tera::new();
                if let Err(e) = alone.add_raw_template(name, source)
                    && !is_missing_template(&e)
                {
                    problems.push(template_error(origin, &e));
                }
            }
            if problems.is_empty() {
                problems.push(template_error("templates", &combined));
            }
        }
        if problems.is_empty() { Ok(Theme { tera, static_files, warnings }) } else { Err(problems) }
    }
}

/// The static search client, which a theme or site may replace.
const SEARCH_CLIENT: &str = "zhiku-search.js";

/// A theme's or site's own copy of the search client that reads another
/// version of the static index than the build writes: search on the site
/// would find nothing, which the client of before version 2 does silently.
fn search_client_warning(origin: &str, script: &[u8]) -> Option<Diagnostic> {
    let text = String::from_utf8_lossy(script);
    let name = "FORMAT_VERSION";
    // `FORMAT_VERSION = 2`, spaced or minified; the name alone (in a
    // comment) declares nothing.
    let declaration = text.match_indices(name).find_map(|(at, _)| {
        let rest = text[at + name.len()..].trim_start().strip_prefix('=')?.trim_start();
        let version = rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())].parse::<u32>().ok()?;
        Some((at, version))
    });
    let writes = crate::search::public_index::FORMAT_VERSION;
    let reads = match declaration {
        Some((_, version)) if version == writes => return None,
        Some((_, version)) => format!("version {version} of the search index"),
        None => "a search index from before version 2".to_string(),
    };
    Some(
        Diagnostic::warning(
            origin,
            declaration.map(|(at, _)| crate::diagnostics::Location::of(&text, at..at + name.len())),
            format!("this search client reads {reads}, but this zhiku writes version {writes}: the site's search will find nothing"),
        )
        .with_hint(format!(
            "delete it to use the built-in client, or start again from themes/default/static/{SEARCH_CLIENT} of this zhiku"
        )),
    )
}

/// `d` in nanoseconds, for sums that may go below zero.
fn signed_nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Errors a template only has when checked without the others.
fn is_missing_template(error: &tera::Error) -> bool {
    let text = error_chain(error);
    text.contains("doesn't exist or isn't loaded") || text.contains("Unknown template")
}

fn template_error(origin: &str, error: &tera::Error) -> Diagnostic {
    Diagnostic::error(origin, None, format!("template error: {}", error_chain(error)))
        .with_hint("fix the template syntax; see the Tera 2 documentation")
}

thread_local! {
    /// Each render thread's page buffer, kept between pages.
    static PAGE_SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Renders `template` into the thread's scratch buffer and returns a copy
/// of exactly the page's size. Rendered into a new buffer, each page grew
/// it by doubling from nothing, a dozen copies and reallocations a page,
/// and then was often copied once more to drop the unused half.
fn render_into_scratch(tera: &Tera, template: &str, context: &Context) -> Result<Vec<u8>, tera::Error> {
    PAGE_SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            tera.render_to(template, context, &mut *buffer)?;
            Ok(buffer.to_vec())
        }
        // Only if a template render were ever nested in another.
        Err(_) => {
            let mut html = Vec::new();
            tera.render_to(template, context, &mut html)?;
            Ok(html)
        }
    })
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn walk_embedded<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<&include_dir::File> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(walk_embedded(sub));
    }
    files.sort_by_key(|f| f.path());
    files
}

/// Calls `f(relative name, origin for diagnostics, bytes)` for each file
/// under `dir`, in a stable order. A missing folder is simply empty.
fn read_tree(dir: &Path, origin_prefix: &str, f: &mut dyn FnMut(String, String, Vec<u8>)) {
    if !dir.is_dir() {
        return;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name().into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if let Ok(bytes) = std::fs::read(entry.path()) {
            f(name.clone(), format!("{origin_prefix}/{name}"), bytes);
        }
    }
}

#[derive(Serialize, Clone)]
struct Link {
    label: String,
    url: String,
}

#[derive(Serialize, Clone)]
struct StatusValue {
    label: &'static str,
    slug: &'static str,
}

impl From<Status> for StatusValue {
    fn from(s: Status) -> Self {
        StatusValue { label: s.label(), slug: s.slug() }
    }
}

/// What every list shows about a document.
#[derive(Serialize)]
struct Summary<'a> {
    title: &'a str,
    url: String,
    kind: Kind,
    kind_label: &'static str,
    date: Option<String>,
    doc_number: Option<&'a str>,
    status: Option<StatusValue>,
    issuers: &'a [String],
    description: String,
    category: Option<&'a str>,
    department: Option<&'a str>,
}

#[derive(Serialize, Clone)]
struct ColumnMeta {
    name: String,
    description: String,
    keywords: String,
    column_type: String,
}

#[derive(Serialize)]
struct ArticleMeta {
    title: String,
    pub_date: String,
    source: String,
    keywords: String,
    description: String,
    url: String,
}

#[derive(Serialize, Default)]
struct PageMeta {
    column: Option<ColumnMeta>,
    article: Option<ArticleMeta>,
}

#[derive(Serialize)]
struct Paginator {
    current: usize,
    total_pages: usize,
    total_items: usize,
    prev: Option<String>,
    next: Option<String>,
    pages: Vec<PageLink>,
}

#[derive(Serialize)]
struct PageLink {
    number: usize,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct Facet {
    slug: &'static str,
    label: &'static str,
    url: String,
    terms: Vec<FacetTerm>,
    more: bool,
}

#[derive(Serialize)]
struct FacetTerm {
    label: String,
    url: String,
    count: usize,
    children: Vec<FacetTerm>,
}

/// Everything rendering needs, computed once and shared by all threads.
struct Site<'a> {
    library: &'a Library,
    config: &'a Config,
    tera: &'a Tera,
    summaries: Vec<Value>,
    /// Description per document: front matter or first paragraph.
    descriptions: Vec<String>,
    dimensions: crate::profile::Dimensions,
    /// 文号 autolinks and other passes over rendered bodies.
    content_pass: ContentPass,
    /// Nanoseconds spent in [`finish_page`], summed over the threads.
    post_processing: AtomicU64,
    /// Nanoseconds to add to the jobs' summed times for the listings'
    /// pages, rendered on every core inside their job (see `paginate`).
    listing_correction: AtomicI64,
}

/// One restricted `[audience]` dimension, as the policy page shows it.
#[derive(Serialize)]
struct AudienceRow {
    label: &'static str,
    values: Vec<Link>,
}

const SUMMARY_CHARS: usize = 120;

/// Each document's description: its front matter's, or the start of its
/// first paragraph. Kept by `serve` so an edit recomputes only its own.
pub fn describe(library: &Library) -> Vec<String> {
    library.docs.par_iter().map(describe_one).collect()
}

pub fn describe_one(doc: &Document) -> String {
    doc.description.clone().unwrap_or_else(|| markdown::summary(&doc.body, SUMMARY_CHARS))
}

pub fn render_site(library: &Library, config: &Config, theme: &Theme) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    render_site_with(library, config, theme, describe(library))
}

/// [`render_site`] with the descriptions computed already.
pub fn render_site_with(
    library: &Library,
    config: &Config,
    theme: &Theme,
    descriptions: Vec<String>,
) -> (Vec<OutputFile>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let rendered = render_site_into(library, config, theme, descriptions, &mut |batch| {
        files.extend(batch);
        Ok(())
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, rendered.map(|rendering| rendering.problems).unwrap_or_default())
}

/// Pages rendered per batch handed to `emit`: bounds the memory rendering
/// holds, whatever the size of the site.
const RENDER_BATCH: usize = 1024;

/// Renders every page of the site and hands them to `emit` in batches as
/// they are made (see [`render_site`]). Returns what else it found, or the
/// first error `emit` reported.
pub fn render_site_into(
    library: &Library,
    config: &Config,
    theme: &Theme,
    descriptions: Vec<String>,
    emit: &mut dyn FnMut(Vec<OutputFile>) -> std::io::Result<()>,
) -> std::io::Result<SiteRendering> {
    let mut jobs: Vec<Job> = Vec::new();
    for (id, doc) in library.docs.iter().enumerate() {
        jobs.push(document_job(id, doc));
    }
    for root in ["policies", "qa", "interpretations"] {
        if library.by_path(&format!("{root}/_index.md")).is_none() {
            jobs.push(Job::Root(root));
        }
    }
    if library.by_path("_index.md").is_none() {
        jobs.push(Job::Home);
    }
    for (t, taxonomy) in library.taxonomies.iter().enumerate() {
        if taxonomy.terms.is_empty() {
            continue;
        }
        jobs.push(Job::TaxonomyIndex(t));
        for term in 0..taxonomy.terms.len() {
            jobs.push(Job::Term(t, term));
        }
    }
    jobs.push(Job::Search);
    jobs.push(Job::Feeds);
    jobs.push(Job::NotFound);

    let tera = site_tera(library, config, theme);
    let site = Site::new(library, config, &tera, descriptions);
    let mut paths: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    let mut busy = Duration::ZERO;
    for batch in jobs.chunks(RENDER_BATCH) {
        let (files, batch_problems, batch_busy) = site.render_jobs(batch);
        busy += batch_busy;
        problems.extend(batch_problems);
        paths.extend(files.iter().map(|f| f.path.clone()));
        emit(files)?;
    }
    let pages = sitemap_pages(&paths);
    let mut last = sitemaps(library, config, &pages);
    last.push(OutputFile {
        path: "robots.txt".into(),
        bytes: format!("User-agent: *\nAllow: /\n\nSitemap: {}/sitemap.xml\n", config.base_url).into_bytes(),
    });
    last.extend(theme.static_files.iter().cloned());
    paths.extend(last.iter().map(|f| f.path.clone()));
    emit(last)?;
    paths.sort();
    problems.extend(collisions(library, &paths));
    let post_process_time = site.post_processing_time();
    Ok(SiteRendering {
        problems,
        sitemap_pages: pages,
        render_time: site.corrected(busy).saturating_sub(post_process_time),
        post_process_time,
    })
}

/// What [`render_site_into`] found besides the pages it handed over.
pub struct SiteRendering {
    pub problems: Vec<Diagnostic>,
    /// The pages `sitemap.xml` lists, for [`sitemaps`] after an edit.
    pub sitemap_pages: Vec<String>,
    /// Time in templates and Markdown, and apart in the lol_html passes
    /// ([`finish_page`]), each summed over the threads: pages go through
    /// both on every core at once, so the phase's wall time has no split.
    pub render_time: Duration,
    pub post_process_time: Duration,
}

fn document_job(id: DocId, doc: &Document) -> Job {
    if doc.kind == Kind::Section { Job::Section(id) } else { Job::Document(id) }
}

/// Re-renders only the pages that show one of the `changed` documents of
/// `library` (the same documents as `old`, some edited): their own pages,
/// pages of documents whose relations or status moved, the lists and terms
/// they appear in, and the home, search and 政策找人 pages. `None` when the
/// taxonomies gained or lost a term, which moves every term page: render
/// everything then. Sitemaps are left as they are.
pub fn render_changed(
    old: &Linked,
    library: &Library,
    changed: &[DocId],
    config: &Config,
    theme: &Theme,
    descriptions: Vec<String>,
) -> Option<(Vec<OutputFile>, Vec<Diagnostic>)> {
    let same_terms = old.taxonomies.len() == library.taxonomies.len()
        && old.taxonomies.iter().zip(&library.taxonomies).all(|(a, b)| {
            a.terms.len() == b.terms.len() && a.terms.iter().zip(&b.terms).all(|(x, y)| x.value == y.value)
        });
    if !same_terms || old.status.len() != library.docs.len() {
        return None;
    }
    let n = library.docs.len();
    let mut touched: std::collections::BTreeSet<DocId> = changed.iter().copied().collect();
    touched.extend((0..n).filter(|&id| old.status[id] != library.status[id]));
    let mut pages = touched.clone();
    for id in 0..n {
        let links = &library.links[id];
        let mentions = |ids: &[DocId]| ids.iter().any(|x| touched.contains(x));
        let linked = links.superseded_by.iter().chain(&links.interprets).copied().collect::<Vec<_>>();
        if old.links[id] != *links
            || mentions(&linked)
            || [&links.supersedes, &links.amended_by, &links.amends, &links.interpretations]
                .into_iter()
                .chain([&links.cites, &links.cited_by, &links.related])
                .any(|ids| mentions(ids))
        {
            pages.insert(id);
        }
    }
    let mut jobs: Vec<Job> = pages.iter().map(|&id| document_job(id, &library.docs[id])).collect();
    // Lists: the sections above a touched document, and the roots without
    // an _index.md it falls under.
    for (id, doc) in library.docs.iter().enumerate() {
        if doc.kind == Kind::Section
            && !pages.contains(&id)
            && touched.iter().any(|&t| library.docs[t].path.starts_with(doc.parent_dir()))
        {
            jobs.push(Job::Section(id));
        }
    }
    for root in ["policies", "qa", "interpretations"] {
        if library.by_path(&format!("{root}/_index.md")).is_none()
            && touched.iter().any(|&t| library.docs[t].path.starts_with(&format!("{root}/")))
        {
            jobs.push(Job::Root(root));
        }
    }
    if library.by_path("_index.md").is_none() {
        jobs.push(Job::Home);
    }
    for (t, taxonomy) in library.taxonomies.iter().enumerate() {
        let mut any = false;
        for (term, value) in taxonomy.terms.iter().enumerate() {
            let before = &old.taxonomies[t].terms[term].docs;
            if value.docs != *before || value.docs.iter().any(|d| touched.contains(d)) {
                jobs.push(Job::Term(t, term));
                any = true;
            }
        }
        if any {
            jobs.push(Job::TaxonomyIndex(t));
        }
    }
    jobs.push(Job::Search);
    jobs.push(Job::Feeds);
    let tera = site_tera(library, config, theme);
    let (files, problems, _) = Site::new(library, config, &tera, descriptions).render_jobs(&jobs);
    Some((files, problems))
}

/// The theme's templates with the site's global values.
fn site_tera(library: &Library, config: &Config, theme: &Theme) -> Tera {
    let mut tera = theme.tera.clone();
    tera.global_context().insert("site", &site_value(library, config));
    tera
}

impl<'a> Site<'a> {
    fn new(library: &'a Library, config: &'a Config, tera: &'a Tera, descriptions: Vec<String>) -> Site<'a> {
        let summaries: Vec<Value> = (0..library.docs.len())
            .into_par_iter()
            .map(|id| Value::from_serializable(&summary(library, id, &descriptions[id])))
            .collect();
        let dimensions = crate::profile::Dimensions::from_config(config);
        let numbers: Vec<(String, String)> =
            library.doc_numbers().map(|(n, id)| (n.to_string(), library.docs[id].url.clone())).collect();
        let content_pass = ContentPass::new(numbers);
        Site {
            library,
            config,
            tera,
            summaries,
            descriptions,
            dimensions,
            content_pass,
            post_processing: AtomicU64::new(0),
            listing_correction: AtomicI64::new(0),
        }
    }

    /// Renders `jobs` on every core; also returns the time they took,
    /// summed over the threads.
    fn render_jobs(&self, jobs: &[Job]) -> (Vec<OutputFile>, Vec<Diagnostic>, Duration) {
        let results: Vec<(Result<Vec<OutputFile>, Diagnostic>, Duration)> = jobs
            .par_iter()
            .map(|job| {
                let start = Instant::now();
                (self.render_job(job, &self.content_pass), start.elapsed())
            })
            .collect();
        let mut files = Vec::new();
        let mut problems = Vec::new();
        let mut busy = Duration::ZERO;
        for (result, took) in results {
            busy += took;
            match result {
                Ok(mut out) => files.append(&mut out),
                Err(problem) => problems.push(problem),
            }
        }
        (files, problems, busy)
    }

    /// `busy`, the jobs' times summed, with each listing counted as the
    /// time its pages took rather than its job's wall time.
    fn corrected(&self, busy: Duration) -> Duration {
        let nanos = signed_nanos(busy).saturating_add(self.listing_correction.load(Ordering::Relaxed));
        Duration::from_nanos(nanos.max(0) as u64)
    }

    /// Time spent in [`finish_page`] so far, summed over the threads.
    fn post_processing_time(&self) -> Duration {
        Duration::from_nanos(self.post_processing.load(Ordering::Relaxed))
    }
}

#[derive(Serialize)]
struct SiteValue<'a> {
    title: &'a str,
    description: &'a str,
    keywords: String,
    base_url: &'a str,
    domain: &'a str,
    site_id_code: &'a str,
    footer: &'a crate::config::Footer,
    as_of: String,
    nav: Vec<Link>,
    counts: BTreeMap<&'static str, usize>,
}

fn site_value<'a>(library: &Library, config: &'a Config) -> SiteValue<'a> {
    let mut counts = BTreeMap::new();
    for (kind, name) in [(Kind::Policy, "policies"), (Kind::Qa, "qa"), (Kind::Interpretation, "interpretations")] {
        counts.insert(name, library.docs.iter().filter(|d| d.kind == kind).count());
    }
    let nav = [
        ("首页", "/"),
        ("政策文件库", "/policies/"),
        ("政策解读", "/interpretations/"),
        ("问答知识库", "/qa/"),
        ("政策找人", "/feeds/"),
        ("搜索", "/search/"),
    ]
    .into_iter()
    .map(|(label, url)| Link { label: label.into(), url: url.into() })
    .collect();
    SiteValue {
        title: &config.title,
        description: &config.description,
        keywords: config.keywords.join(","),
        base_url: &config.base_url,
        domain: config.domain(),
        site_id_code: &config.site_id_code,
        footer: &config.footer,
        as_of: library.as_of.to_string(),
        nav,
        counts,
    }
}

fn summary<'a>(library: &'a Library, id: DocId, description: &str) -> Summary<'a> {
    let doc = &library.docs[id];
    let policy = doc.policy();
    let issuers: &[String] = match &doc.meta {
        Meta::Policy(p) => &p.issuers,
        Meta::Interpretation(i) => &i.issuers,
        _ => &[],
    };
    Summary {
        title: &doc.title,
        url: doc.url.clone(),
        kind: doc.kind,
        kind_label: doc.kind.label(),
        date: doc.date().map(|d| d.to_string()),
        doc_number: policy.and_then(|p| p.doc_number.as_ref()).map(|n| n.value.as_str()),
        status: library.status[id].map(StatusValue::from),
        issuers,
        description: description.to_string(),
        category: doc.qa().map(|q| q.category.as_str()),
        department: doc.qa().map(|q| q.department.as_str()),
    }
}

enum Job {
    /// The 政策找人 page at `/feeds/`.
    Feeds,
    Document(DocId),
    Section(DocId),
    /// A top-level list without an `_index.md`.
    Root(&'static str),
    Home,
    TaxonomyIndex(usize),
    Term(usize, usize),
    Search,
    NotFound,
}

/// `/a/b/` → `a/b/index.html`.
fn output_path(url: &str) -> String {
    let trimmed = url.trim_matches('/');
    if trimmed.is_empty() { "index.html".into() } else { format!("{trimmed}/index.html") }
}

/// Links to term pages; hierarchical values read `一级 / 二级`.
fn term_links(taxonomy: &str, values: &[String]) -> Vec<Link> {
    values.iter().map(|v| Link { label: v.replace('\\', " / "), url: term_url(taxonomy, v) }).collect()
}

impl Site<'_> {
    fn render_job(&self, job: &Job, content_pass: &ContentPass) -> Result<Vec<OutputFile>, Diagnostic> {
        match *job {
            Job::Document(id) => self.render_document(id, content_pass).map(|f| vec![f]),
            Job::Section(id) => self.render_section(id, content_pass),
            Job::Root(root) => self.render_root(root, None, content_pass),
            Job::Home => self.render_home(None, content_pass).map(|f| vec![f]),
            Job::TaxonomyIndex(t) => self.render_taxonomy_index(t).map(|f| vec![f]),
            Job::Term(t, term) => self.render_term(t, term),
            Job::Search => self.render_search().map(|f| vec![f]),
            Job::Feeds => self.render_feeds().map(|f| vec![f]),
            Job::NotFound => {
                let mut context = self.base_context("页面未找到", PageMeta::default(), Vec::new());
                context.insert("page_kind", "404");
                self.render("404.html", &context, "404.html", None)
                    .map(|html| vec![OutputFile { path: "404.html".into(), bytes: html }])
            }
        }
    }

    fn render(
        &self,
        template: &str,
        context: &Context,
        what: &str,
        doc: Option<&Document>,
    ) -> Result<Vec<u8>, Diagnostic> {
        let file = || doc.map_or_else(|| what.to_string(), |d| d.file.clone());
        // Bytes, never checked for UTF-8 again: tera writes only strings.
        match render_into_scratch(self.tera, template, context) {
            Ok(html) => {
                let start = Instant::now();
                let finished = finish_page(html, self.config.domain());
                self.post_processing.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
                let mut html = finished.map_err(|reason| {
                    Diagnostic::error(
                        file(),
                        None,
                        format!(
                            "template `{template}` made HTML that cannot be read to give its external links \
                             `rel=\"noopener noreferrer\"`: {reason}"
                        ),
                    )
                    .with_hint("look in the template for malformed markup, such as `=` with no value (`<script a=>`)")
                })?;
                // Pages wait in memory for the writer, and a rewritten page's
                // buffer can be up to half unused. Shrinking in place keeps
                // the block under mimalloc, so it is copied instead.
                if html.capacity() > html.len() + html.len() / 4 {
                    html = html.as_slice().to_vec();
                }
                Ok(html)
            }
            Err(e) => Err(Diagnostic::error(
                file(),
                None,
                format!("rendering with template `{template}` failed: {}", error_chain(&e)),
            )
            .with_hint("check the template for fields this page does not have")),
        }
    }

    fn base_context(&self, title: &str, meta: PageMeta, breadcrumbs: Vec<Link>) -> Context {
        let mut context = Context::new();
        context.insert("page_title", title);
        context.insert("meta", &meta);
        context.insert("breadcrumbs", &breadcrumbs);
        context
    }

    fn column_of(&self, doc: &Document) -> ColumnMeta {
        let top = doc.path.split('/').next().unwrap_or("");
        let section = self.library.by_path(&format!("{top}/_index.md")).map(|id| &self.library.docs[id]);
        let (default_name, default_type) = root_column(top);
        ColumnMeta {
            name: section.map_or(default_name.to_string(), |s| s.title.clone()),
            description: section.and_then(|s| s.description.clone()).unwrap_or_default(),
            keywords: section.and_then(|s| s.section()).map(|s| s.keywords.join(",")).unwrap_or_default(),
            column_type: section
                .and_then(|s| s.section())
                .and_then(|s| s.column_type.clone())
                .unwrap_or(default_type.to_string()),
        }
    }

    fn summaries(&self, ids: &[DocId]) -> Vec<Value> {
        ids.iter().map(|&id| self.summaries[id].clone()).collect()
    }

    fn render_document(&self, id: DocId, content_pass: &ContentPass) -> Result<OutputFile, Diagnostic> {
        let library = self.library;
        let doc = &library.docs[id];
        let links = &library.links[id];
        let content = content_pass.render(&doc.body, &doc.url);
        let mut context = Context::new();
        let keywords: Vec<String> = match &doc.meta {
            Meta::Policy(p) => p.keywords.iter().chain(&p.tags).cloned().collect(),
            Meta::Qa(q) => q.keywords.clone(),
            Meta::Interpretation(i) => i.tags.clone(),
            _ => Vec::new(),
        };
        let source = match &doc.meta {
            Meta::Policy(p) => p.source.clone().unwrap_or_else(|| p.issuers.join("、")),
            Meta::Interpretation(i) => i.source.clone().unwrap_or_else(|| i.issuers.join("、")),
            Meta::Qa(q) => q.department.clone(),
            _ => self.config.footer.host.clone(),
        };
        let column = self.column_of(doc);
        let mut breadcrumbs = home_crumbs();
        if doc.kind != Kind::Page {
            breadcrumbs.push(Link {
                label: column.name.clone(),
                url: format!("/{}/", doc.path.split('/').next().unwrap_or("")),
            });
        }
        let meta = PageMeta {
            article: Some(ArticleMeta {
                title: doc.title.clone(),
                pub_date: doc.date().map(|d| d.to_string()).unwrap_or_default(),
                source,
                keywords: keywords.join(","),
                description: self.descriptions[id].clone(),
                url: format!("{}{}", self.config.base_url, doc.url),
            }),
            column: Some(column),
        };
        context.insert("page_title", &doc.title);
        context.insert("meta", &meta);
        context.insert("breadcrumbs", &breadcrumbs);
        context.insert_value("doc", self.summaries[id].clone());
        context.insert("content", &content);
        context.insert("page_kind", &doc.kind);

        let template = match doc.kind {
            Kind::Policy => {
                let p = doc.policy().expect("policy kind has policy meta");
                context.insert(
                    "policy",
                    &PolicyView {
                        index_number: &p.index_number,
                        topics: term_links("topics", &p.topics),
                        issuers: term_links("issuers", &p.issuers),
                        written: p.written.to_string(),
                        published: p.published.to_string(),
                        effective: p.effective.map(|d| d.to_string()),
                        expires: p.expires.map(|d| d.to_string()),
                        repealed: p.repealed.map(|d| d.to_string()),
                        genre: Link { label: p.genre.clone(), url: term_url("genres", &p.genre) },
                        year: Link {
                            label: p.published.year().to_string(),
                            url: term_url("years", &p.published.year().to_string()),
                        },
                        tags: term_links("tags", &p.tags),
                        keywords: &p.keywords,
                        source: p.source.as_deref(),
                        source_url: p.source_url.as_deref(),
                        region: p.region.as_ref().map(|r| self.region_link(r)),
                        attachments: p
                            .attachments
                            .iter()
                            .map(|a| Link { label: a.title.clone(), url: a.url.clone() })
                            .collect(),
                    },
                );
                context.insert_value(
                    "superseded_by",
                    links.superseded_by.map_or(Value::none(), |t| self.summaries[t].clone()),
                );
                context.insert("supersedes", &self.summaries(&links.supersedes));
                context.insert("amended_by", &self.summaries(&links.amended_by));
                context.insert("amends", &self.summaries(&links.amends));
                context.insert("interpretations", &self.summaries(&links.interpretations));
                context.insert("related", &self.summaries(&links.related));
                context.insert("cited_by", &self.summaries(&links.cited_by));
                let audience: Vec<AudienceRow> = p
                    .audience
                    .0
                    .iter()
                    .enumerate()
                    .filter(|(_, values)| !values.is_empty())
                    .map(|(d, values)| {
                        let dimension = &self.dimensions.list[d];
                        let values = values
                            .iter()
                            .map(|&v| Link {
                                label: dimension.values[v].label.clone(),
                                url: format!("/feeds/{}-{}.atom", dimension.prefix, dimension.values[v].code),
                            })
                            .collect();
                        AudienceRow { label: dimension.label, values }
                    })
                    .collect();
                context.insert("audience", &audience);
                context.insert_value(
                    "apply",
                    p.apply.as_ref().map_or(Value::none(), |a| Value::from_serializable(&crate::feeds::apply_json(a))),
                );
                "policy.html"
            }
            Kind::Interpretation => {
                let i = doc.interpretation().expect("interpretation kind has interpretation meta");
                context
                    .insert_value("interprets", links.interprets.map_or(Value::none(), |t| self.summaries[t].clone()));
                context.insert("issuers", &i.issuers);
                context.insert("tags", &term_links("tags", &i.tags));
                "interpretation.html"
            }
            Kind::Qa => {
                let q = doc.qa().expect("qa kind has qa meta");
                let mut categories = Vec::new();
                if let Some((first, _)) = q.category.split_once('/') {
                    categories.push(Link { label: first.to_string(), url: term_url("categories", first) });
                }
                categories.push(Link {
                    label: q.category.rsplit('/').next().unwrap_or(&q.category).to_string(),
                    url: term_url("categories", &q.category),
                });
                // 内部口径 (q.internal) is deliberately not passed to templates.
                context.insert(
                    "qa",
                    &QaView {
                        variants: &q.variants,
                        categories,
                        department: Link { label: q.department.clone(), url: term_url("departments", &q.department) },
                        regions: q.regions.iter().map(|r| self.region_link(r)).collect(),
                        keywords: &q.keywords,
                        updated: q.updated.to_string(),
                        review_by: q.review_by.map(|d| d.to_string()),
                    },
                );
                context.insert("policies", &self.summaries(&links.cites));
                "qa.html"
            }
            Kind::Page | Kind::Section => "page.html",
        };
        let template = doc.template.as_deref().unwrap_or(template);
        let html = self.render(template, &context, &doc.url, Some(doc))?;
        Ok(OutputFile { path: output_path(&doc.url), bytes: html })
    }

    fn region_link(&self, code: &str) -> Link {
        let name = self.config.regions.get(code).cloned().unwrap_or_else(|| code.to_string());
        Link { label: name, url: term_url("regions", code) }
    }

    fn render_section(&self, id: DocId, content_pass: &ContentPass) -> Result<Vec<OutputFile>, Diagnostic> {
        let doc = &self.library.docs[id];
        if doc.path == "_index.md" {
            return self.render_home(Some(id), content_pass).map(|f| vec![f]);
        }
        let dir = doc.path.trim_end_matches("_index.md").trim_end_matches('/');
        if matches!(dir, "policies" | "qa" | "interpretations") {
            let root: &'static str = match dir {
                "policies" => "policies",
                "qa" => "qa",
                _ => "interpretations",
            };
            return self.render_root(root, Some(id), content_pass);
        }
        let prefix = format!("{dir}/");
        let mut ids: Vec<DocId> = (0..self.library.docs.len())
            .filter(|&i| {
                let d = &self.library.docs[i];
                d.kind != Kind::Section && d.path.starts_with(&prefix)
            })
            .collect();
        let sort_by = doc.section().map(|s| s.sort_by).unwrap_or_default();
        self.sort(&mut ids, sort_by);
        let subsections = self.subsections(dir);
        let column = self.section_column(doc, root_column(dir.split('/').next().unwrap_or("")).1);
        let content = content_pass.render(&doc.body, &doc.url);
        let per_page = doc.section().and_then(|s| s.paginate_by).unwrap_or(self.config.paginate_by);
        let breadcrumbs = home_crumbs();
        self.paginate(&doc.url, &ids, per_page, |context| {
            context.insert("page_title", &doc.title);
            context.insert(
                "meta",
                &PageMeta { column: Some(self.section_column(doc, &column.column_type)), article: None },
            );
            context.insert("breadcrumbs", &breadcrumbs);
            context.insert("content", &content);
            context.insert("subsections", &subsections);
            context.insert("page_kind", "section");
            doc.template.as_deref().unwrap_or("section.html")
        })
    }

    /// Sections directly inside folder `dir`.
    fn subsections(&self, dir: &str) -> Vec<Value> {
        (0..self.library.docs.len())
            .filter(|&i| {
                let d = &self.library.docs[i];
                d.kind == Kind::Section && d.parent_dir() == dir
            })
            .map(|i| self.summaries[i].clone())
            .collect()
    }

    fn section_column(&self, doc: &Document, default_type: &str) -> ColumnMeta {
        let section = doc.section();
        ColumnMeta {
            name: doc.title.clone(),
            description: doc.description.clone().unwrap_or_else(|| markdown::summary(&doc.body, SUMMARY_CHARS)),
            keywords: section.map(|s| s.keywords.join(",")).unwrap_or_default(),
            column_type: section.and_then(|s| s.column_type.clone()).unwrap_or(default_type.to_string()),
        }
    }

    fn sort(&self, ids: &mut [DocId], sort_by: SortBy) {
        let docs = &self.library.docs;
        match sort_by {
            SortBy::Date => self.library.sort_newest_first(ids),
            SortBy::Weight => ids.sort_by(|&a, &b| {
                (docs[a].weight.unwrap_or(i64::MAX), &docs[a].path)
                    .cmp(&(docs[b].weight.unwrap_or(i64::MAX), &docs[b].path))
            }),
            SortBy::Title => {
                ids.sort_by(|&a, &b| (&docs[a].title, &docs[a].path).cmp(&(&docs[b].title, &docs[b].path)))
            }
        }
    }

    /// The policy library, the Q&A knowledge base and the interpretation list.
    fn render_root(
        &self,
        root: &'static str,
        section: Option<DocId>,
        content_pass: &ContentPass,
    ) -> Result<Vec<OutputFile>, Diagnostic> {
        let kind = match root {
            "policies" => Kind::Policy,
            "qa" => Kind::Qa,
            _ => Kind::Interpretation,
        };
        let section_doc = section.map(|id| &self.library.docs[id]);
        let (default_name, default_type) = root_column(root);
        let title = section_doc.map_or(default_name.to_string(), |d| d.title.clone());
        let column = match section_doc {
            Some(d) => self.section_column(d, default_type),
            None => ColumnMeta {
                name: title.clone(),
                description: String::new(),
                keywords: String::new(),
                column_type: default_type.into(),
            },
        };
        let content = section_doc.map(|d| content_pass.render(&d.body, &d.url)).unwrap_or_default();
        let mut ids = self.library.of_kind(kind);
        if kind == Kind::Qa {
            self.sort(&mut ids, SortBy::Weight);
        }
        let per_page =
            section_doc.and_then(|d| d.section()).and_then(|s| s.paginate_by).unwrap_or(self.config.paginate_by);
        let facets = match kind {
            Kind::Policy => self.policy_facets(),
            Kind::Qa => self.facets(&[("categories", 0), ("departments", 12), ("regions", 0)]),
            _ => Vec::new(),
        };
        let template = section_doc.and_then(|d| d.template.as_deref()).unwrap_or(match kind {
            Kind::Policy => "policy_list.html",
            Kind::Qa => "qa_index.html",
            _ => "section.html",
        });
        let breadcrumbs = home_crumbs();
        let subsections = self.subsections(root);
        self.paginate(&format!("/{root}/"), &ids, per_page, |context| {
            context.insert("page_title", &title);
            context.insert("meta", &PageMeta { column: Some(column.clone()), article: None });
            context.insert("breadcrumbs", &breadcrumbs);
            context.insert("content", &content);
            context.insert("facets", &facets);
            context.insert("subsections", &subsections);
            context.insert("page_kind", root);
            template
        })
    }

    /// 主题分类, 发文机关, 年份, 公文种类, 有效性 with counts.
    fn policy_facets(&self) -> Vec<Facet> {
        self.facets(&[("topics", 0), ("issuers", 12), ("years", 12), ("genres", 0), ("status", 0)])
    }

    /// Facets of the given taxonomies; `limit` 0 shows every top-level term.
    fn facets(&self, specs: &[(&str, usize)]) -> Vec<Facet> {
        let mut facets = Vec::new();
        for &(slug, limit) in specs {
            let Some(taxonomy) = self.library.taxonomy(slug) else { continue };
            let mut top: Vec<&Term> = taxonomy.terms.iter().filter(|t| t.depth == 1).collect();
            match slug {
                "years" => top.sort_by(|a, b| b.value.cmp(&a.value)),
                "status" => top.sort_by_key(|t| Status::ALL.iter().position(|s| s.label() == t.value)),
                _ => top.sort_by(|a, b| b.docs.len().cmp(&a.docs.len()).then_with(|| a.value.cmp(&b.value))),
            }
            let more = limit > 0 && top.len() > limit;
            if limit > 0 {
                top.truncate(limit);
            }
            let terms = top
                .into_iter()
                .map(|t| FacetTerm {
                    label: self.term_label(slug, t),
                    url: t.url.clone(),
                    count: t.docs.len(),
                    children: child_terms(taxonomy, t),
                })
                .collect();
            facets.push(Facet {
                slug: taxonomy.slug,
                label: taxonomy.label,
                url: encode_url_path(&format!("/{slug}/")),
                terms,
                more,
            });
        }
        facets
    }

    fn term_label(&self, taxonomy: &str, term: &Term) -> String {
        if taxonomy == "regions" {
            self.config.regions.get(&term.value).cloned().unwrap_or_else(|| term.value.clone())
        } else {
            term.label.clone()
        }
    }

    /// Renders `ids` in pages of `per_page` at `url`, `url/page/2/`, …
    /// `fill` adds the page-specific context and returns the template name.
    /// The pages render on every core: the largest listings (every policy,
    /// 现行有效) are hundreds of pages, and page by page in their one job
    /// they left one core rendering alone at the end of the phase, about
    /// 0.1 s at 6k documents.
    fn paginate<'t>(
        &self,
        url: &str,
        ids: &[DocId],
        per_page: usize,
        fill: impl Fn(&mut Context) -> &'t str + Sync,
    ) -> Result<Vec<OutputFile>, Diagnostic> {
        let per_page = per_page.max(1);
        let total_pages = ids.len().div_ceil(per_page).max(1);
        let page_url = |n: usize| if n == 1 { url.to_string() } else { format!("{url}page/{n}/") };
        let start = Instant::now();
        let pages: Vec<(Result<OutputFile, Diagnostic>, Duration)> = (1..=total_pages)
            .into_par_iter()
            .map(|n| {
                let page_start = Instant::now();
                (self.render_listing_page(ids, per_page, n, total_pages, &page_url, &fill), page_start.elapsed())
            })
            .collect();
        // The job's wall time also covers what this thread did while it
        // waited for the other cores: replace it by the pages' own times.
        let pages_time: Duration = pages.iter().map(|(_, took)| *took).sum();
        self.listing_correction.fetch_add(signed_nanos(pages_time) - signed_nanos(start.elapsed()), Ordering::Relaxed);
        // The first failure in page order, whichever core met it first.
        pages.into_iter().map(|(page, _)| page).collect()
    }

    /// Page `n` of `total_pages` of a listing of `ids`.
    fn render_listing_page<'t>(
        &self,
        ids: &[DocId],
        per_page: usize,
        n: usize,
        total_pages: usize,
        page_url: &impl Fn(usize) -> String,
        fill: &impl Fn(&mut Context) -> &'t str,
    ) -> Result<OutputFile, Diagnostic> {
        let chunk = ids.iter().skip((n - 1) * per_page).take(per_page).copied().collect::<Vec<_>>();
        let window = n.saturating_sub(3).max(1)..=(n + 3).min(total_pages);
        let mut numbers: Vec<usize> = window.collect();
        if !numbers.contains(&1) {
            numbers.insert(0, 1);
        }
        if !numbers.contains(&total_pages) {
            numbers.push(total_pages);
        }
        let paginator = Paginator {
            current: n,
            total_pages,
            total_items: ids.len(),
            prev: (n > 1).then(|| page_url(n - 1)),
            next: (n < total_pages).then(|| page_url(n + 1)),
            pages: numbers.into_iter().map(|p| PageLink { number: p, url: page_url(p), current: p == n }).collect(),
        };
        let mut context = Context::new();
        context.insert("items", &self.summaries(&chunk));
        context.insert("paginator", &paginator);
        let template = fill(&mut context);
        let path = output_path(&page_url(n));
        let html = self.render(template, &context, &path, None)?;
        Ok(OutputFile { path, bytes: html })
    }

    fn render_home(&self, section: Option<DocId>, content_pass: &ContentPass) -> Result<OutputFile, Diagnostic> {
        let library = self.library;
        let doc = section.map(|id| &library.docs[id]);
        let mut context = Context::new();
        let title = doc.map_or(self.config.title.clone(), |d| d.title.clone());
        context.insert("page_title", &title);
        context.insert(
            "meta",
            &PageMeta {
                column: Some(ColumnMeta {
                    name: "首页".into(),
                    description: doc
                        .and_then(|d| d.description.clone())
                        .unwrap_or_else(|| self.config.description.clone()),
                    keywords: self.config.keywords.join(","),
                    column_type: "首页".into(),
                }),
                article: None,
            },
        );
        context.insert("breadcrumbs", &Vec::<Link>::new());
        context.insert("content", &doc.map(|d| content_pass.render(&d.body, &d.url)).unwrap_or_default());
        let policies = library.of_kind(Kind::Policy);
        let mut in_force: Vec<DocId> =
            policies.iter().copied().filter(|&id| library.status[id] == Some(Status::InForce)).collect();
        in_force.truncate(8);
        let mut qa = library.of_kind(Kind::Qa);
        self.sort(&mut qa, SortBy::Weight);
        qa.truncate(10);
        let mut interpretations = library.of_kind(Kind::Interpretation);
        interpretations.truncate(5);
        context.insert("latest_policies", &self.summaries(&in_force));
        context.insert("faq", &self.summaries(&qa));
        context.insert("interpretations", &self.summaries(&interpretations));
        context.insert("facets", &self.facets(&[("topics", 0), ("categories", 0)]));
        context.insert("page_kind", "home");
        let template = doc.and_then(|d| d.template.as_deref()).unwrap_or("index.html");
        let html = self.render(template, &context, "index.html", doc)?;
        Ok(OutputFile { path: "index.html".into(), bytes: html })
    }

    fn render_taxonomy_index(&self, t: usize) -> Result<OutputFile, Diagnostic> {
        let taxonomy = &self.library.taxonomies[t];
        let facet = self.facets(&[(taxonomy.slug, 0)]).pop();
        let url = format!("/{}/", taxonomy.slug);
        let mut context = self.base_context(taxonomy.label, self.taxonomy_meta(taxonomy.label, ""), home_crumbs());
        context.insert("taxonomy", &facet);
        context.insert("page_kind", "taxonomy");
        let html = self.render("taxonomy.html", &context, &url, None)?;
        Ok(OutputFile { path: output_path(&url), bytes: html })
    }

    fn taxonomy_meta(&self, name: &str, description: &str) -> PageMeta {
        PageMeta {
            column: Some(ColumnMeta {
                name: name.to_string(),
                description: description.to_string(),
                keywords: name.to_string(),
                column_type: "分类导航".into(),
            }),
            article: None,
        }
    }

    fn render_term(&self, t: usize, term_index: usize) -> Result<Vec<OutputFile>, Diagnostic> {
        let taxonomy = &self.library.taxonomies[t];
        let term = &taxonomy.terms[term_index];
        let label = self.term_label(taxonomy.slug, term);
        let title = format!("{}：{}", taxonomy.label, label);
        let mut crumbs = home_crumbs();
        crumbs.push(Link { label: taxonomy.label.to_string(), url: format!("/{}/", taxonomy.slug) });
        let description = format!("{}为“{}”的文件和问答，共{}条。", taxonomy.label, label, term.docs.len());
        let children = child_terms(taxonomy, term);
        let term_value = Link { label: label.clone(), url: term.url.clone() };
        self.paginate(&format!("/{}/", term.dir), &term.docs, self.config.paginate_by, |context| {
            context.insert("page_title", &title);
            context.insert("meta", &self.taxonomy_meta(&title, &description));
            context.insert("breadcrumbs", &crumbs);
            context.insert("taxonomy_label", taxonomy.label);
            context.insert("term", &term_value);
            context.insert("children", &children);
            context.insert("page_kind", "term");
            "term.html"
        })
    }

    fn render_feeds(&self) -> Result<OutputFile, Diagnostic> {
        let mut context = self.base_context(
            "政策找人",
            self.taxonomy_meta(
                "政策找人",
                "选择您的身份、地区、行业或人群，查看适用于您的政策，并订阅 Atom、RSS 或 JSON Feed。",
            ),
            home_crumbs(),
        );
        let dimensions = &self.dimensions;
        // Embedded for the script; `</` is escaped so the JSON cannot close
        // the <script> element it sits in.
        let json = serde_json::to_string(dimensions).unwrap_or_default().replace("</", "<\\/");
        context.insert("dimensions", dimensions);
        context.insert("dimensions_json", &json);
        context.insert("page_kind", "feeds");
        let html = self.render("feeds.html", &context, "/feeds/", None)?;
        Ok(OutputFile { path: "feeds/index.html".into(), bytes: html })
    }

    fn render_search(&self) -> Result<OutputFile, Diagnostic> {
        let mut context = self.base_context(
            "搜索",
            self.taxonomy_meta(
                "搜索",
                "全文搜索政策文件、政策解读和问答，或按主题分类、发文机关、年份、公文种类和有效性浏览。",
            ),
            home_crumbs(),
        );
        context.insert(
            "facets",
            &self.facets(&[
                ("topics", 0),
                ("issuers", 0),
                ("years", 0),
                ("genres", 0),
                ("status", 0),
                ("categories", 0),
                ("departments", 0),
                ("regions", 0),
            ]),
        );
        context.insert("page_kind", "search");
        let html = self.render("search.html", &context, "/search/", None)?;
        Ok(OutputFile { path: "search/index.html".into(), bytes: html })
    }
}

/// The next level of a hierarchical term, with counts.
fn child_terms(taxonomy: &Taxonomy, term: &Term) -> Vec<FacetTerm> {
    term.children
        .iter()
        .map(|&c| &taxonomy.terms[c])
        .map(|c| FacetTerm { label: c.label.clone(), url: c.url.clone(), count: c.docs.len(), children: Vec::new() })
        .collect()
}

fn home_crumbs() -> Vec<Link> {
    vec![Link { label: "首页".into(), url: "/".into() }]
}

/// Default column name and 47号 ColumnType of a top-level folder.
fn root_column(top: &str) -> (&'static str, &'static str) {
    match top {
        "policies" => ("政策文件库", "信息公开"),
        "interpretations" => ("政策解读", "信息公开"),
        "qa" => ("问答知识库", "互动交流"),
        _ => ("", "其他"),
    }
}

#[derive(Serialize)]
struct PolicyView<'a> {
    index_number: &'a str,
    topics: Vec<Link>,
    issuers: Vec<Link>,
    written: String,
    published: String,
    effective: Option<String>,
    expires: Option<String>,
    repealed: Option<String>,
    genre: Link,
    year: Link,
    tags: Vec<Link>,
    keywords: &'a [String],
    source: Option<&'a str>,
    source_url: Option<&'a str>,
    region: Option<Link>,
    attachments: Vec<Link>,
}

#[derive(Serialize)]
struct QaView<'a> {
    variants: &'a [String],
    categories: Vec<Link>,
    department: Link,
    regions: Vec<Link>,
    keywords: &'a [String],
    updated: String,
    review_by: Option<String>,
}

/// Two outputs with the same path would overwrite each other in an order
/// that depends on thread timing; each such path is an error. `files` is
/// sorted by path.
/// Pages written twice; `paths` is sorted.
fn collisions(library: &Library, paths: &[String]) -> Vec<Diagnostic> {
    let owner: BTreeMap<String, &str> = library.docs.iter().map(|d| (output_path(&d.url), d.file.as_str())).collect();
    paths
        .windows(2)
        .filter(|pair| pair[0] == pair[1])
        .map(|pair| {
            let path = &pair[0];
            let file = owner.get(path).copied().unwrap_or("content");
            Diagnostic::error(file, None, format!("two pages would be written to {path}"))
                .with_hint("rename the document, or the term that differs only in letter case or punctuation, so every page has its own URL")
        })
        .collect()
}

const SITEMAP_LIMIT: usize = 50_000;

/// The output paths a sitemap lists, sorted: every page but the further
/// pages of paginated lists.
fn sitemap_pages(paths: &[String]) -> Vec<String> {
    let mut pages: Vec<String> =
        paths.iter().filter(|p| p.ends_with("index.html") && !p.contains("/page/")).cloned().collect();
    pages.sort();
    pages
}

/// `sitemap.xml` for `pages` (from [`sitemap_pages`]), split into numbered
/// files plus an index past 50,000 URLs.
pub fn sitemaps(library: &Library, config: &Config, pages: &[String]) -> Vec<OutputFile> {
    let lastmod: BTreeMap<String, String> =
        library.docs.iter().filter_map(|d| d.date().map(|date| (output_path(&d.url), date.to_string()))).collect();
    let entries: Vec<String> = pages
        .iter()
        .map(|path| {
            let url = format!("/{}", path.trim_end_matches("index.html"));
            let loc = format!("{}{}", config.base_url, encode_url_path(&url));
            match lastmod.get(path.as_str()) {
                Some(date) => format!("  <url><loc>{}</loc><lastmod>{date}</lastmod></url>\n", escape_attr(&loc)),
                None => format!("  <url><loc>{}</loc></url>\n", escape_attr(&loc)),
            }
        })
        .collect();
    split_sitemap(&config.base_url, &entries)
}

/// One `sitemap.xml`, or past [`SITEMAP_LIMIT`] URLs numbered files and a
/// `sitemap.xml` index pointing at them.
fn split_sitemap(base_url: &str, entries: &[String]) -> Vec<OutputFile> {
    let urlset = |chunk: &[String]| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{}</urlset>\n",
            chunk.concat()
        )
    };
    if entries.len() <= SITEMAP_LIMIT {
        return vec![OutputFile { path: "sitemap.xml".into(), bytes: urlset(entries).into_bytes() }];
    }
    let mut out = Vec::new();
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (i, chunk) in entries.chunks(SITEMAP_LIMIT).enumerate() {
        let name = format!("sitemap-{}.xml", i + 1);
        index.push_str(&format!("  <sitemap><loc>{}/{name}</loc></sitemap>\n", escape_attr(base_url)));
        out.push(OutputFile { path: name, bytes: urlset(chunk).into_bytes() });
    }
    index.push_str("</sitemapindex>\n");
    out.push(OutputFile { path: "sitemap.xml".into(), bytes: index.into_bytes() });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sitemap_splits_past_the_limit() {
        let entries: Vec<String> =
            (0..SITEMAP_LIMIT + 1).map(|i| format!("  <url><loc>https://x.cn/{i}/</loc></url>\n")).collect();
        let files = split_sitemap("https://x.cn", &entries);
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["sitemap-1.xml", "sitemap-2.xml", "sitemap.xml"]);
        let index = String::from_utf8_lossy(&files[2].bytes);
        assert!(index.contains("<sitemapindex") && index.contains("<loc>https://x.cn/sitemap-2.xml</loc>"));
        let second = String::from_utf8_lossy(&files[1].bytes);
        assert_eq!(second.matches("<url>").count(), 1);
        assert_eq!(split_sitemap("https://x.cn", &entries[..10]).len(), 1);
    }

    #[test]
    fn output_paths() {
        assert_eq!(output_path("/"), "index.html");
        assert_eq!(output_path("/qa/a/"), "qa/a/index.html");
    }
}
