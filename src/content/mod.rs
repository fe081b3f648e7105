//! Loading and validating `content/`: every Markdown file becomes a
//! [`Document`] whose kind follows from its folder, with typed metadata and
//! the position of every value, or a list of diagnostics explaining what is
//! wrong with it.

pub mod doc_number;
pub mod front_matter;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::civil::Date;
use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Diagnostic, Diagnostics, Location, did_you_mean};
use crate::profile::{Audience, DIMENSIONS, Dimensions};
use front_matter::{FieldReader, Located, split};

pub const CONTENT_DIR: &str = "content";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Policy,
    Interpretation,
    Qa,
    Page,
    Section,
}

impl Kind {
    /// The English name used in JSON and the search index (`policy`, `qa` …).
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Interpretation => "interpretation",
            Kind::Qa => "qa",
            Kind::Page => "page",
            Kind::Section => "section",
        }
    }

    /// The Chinese name shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Policy => "政策文件",
            Kind::Interpretation => "政策解读",
            Kind::Qa => "问答",
            Kind::Page => "页面",
            Kind::Section => "栏目",
        }
    }

    fn of_path(path: &str) -> Kind {
        let is_index = path.rsplit('/').next() == Some("_index.md");
        let top = path.split('/').next().unwrap_or("");
        match (is_index, top) {
            (true, _) => Kind::Section,
            (false, "policies") => Kind::Policy,
            (false, "interpretations") => Kind::Interpretation,
            (false, "qa") => Kind::Qa,
            _ => Kind::Page,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone)]
pub struct PolicyMeta {
    /// Canonical 文号.
    pub doc_number: Option<Located<String>>,
    pub index_number: String,
    pub issuers: Vec<String>,
    pub written: Date,
    pub published: Date,
    pub effective: Option<Date>,
    pub expires: Option<Date>,
    pub repealed: Option<Date>,
    pub superseded_by: Option<Located<String>>,
    pub amended_by: Vec<Located<String>>,
    pub topics: Vec<String>,
    pub genre: String,
    pub tags: Vec<String>,
    pub keywords: Vec<String>,
    pub source: Option<String>,
    pub source_url: Option<String>,
    pub region: Option<String>,
    pub attachments: Vec<Attachment>,
    pub related: Vec<Located<String>>,
    /// `[audience]`: who the policy applies to (政策找人).
    pub audience: Audience,
    /// `[apply]`: the 申兑指南.
    pub apply: Option<Apply>,
}

/// 申兑指南: how to obtain what a policy grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Apply {
    /// 申报截止
    pub deadline: Option<Date>,
    /// 免申即享: granted without an application.
    pub no_application: bool,
    /// 申报条件
    pub conditions: Vec<String>,
    /// 咨询方式
    pub contact: Option<String>,
    /// 办理渠道 (`where` in front matter)
    pub channel: Option<String>,
    /// 在线办理
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct InterpretationMeta {
    pub interprets: Option<Located<String>>,
    pub published: Date,
    pub issuers: Vec<String>,
    pub source: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct QaMeta {
    pub variants: Vec<String>,
    /// "一级/二级"
    pub category: String,
    pub department: String,
    pub regions: Vec<String>,
    pub policies: Vec<Located<String>>,
    pub keywords: Vec<String>,
    pub updated: Date,
    pub review_by: Option<Date>,
    /// 内部口径: operator-only. Never rendered into public output.
    pub internal: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SectionMeta {
    pub keywords: Vec<String>,
    pub column_type: Option<String>,
    pub paginate_by: Option<usize>,
    pub sort_by: SortBy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    #[default]
    Date,
    Weight,
    Title,
}

#[derive(Debug, Clone)]
pub enum Meta {
    Policy(Box<PolicyMeta>),
    Interpretation(InterpretationMeta),
    Qa(QaMeta),
    Page,
    Section(SectionMeta),
}

#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to `content/`, with `/` separators: `qa/shebao/x.md`.
    pub path: String,
    /// Path relative to the site root, for diagnostics: `content/qa/shebao/x.md`.
    pub file: String,
    pub kind: Kind,
    /// Site-relative URL with slashes at both ends: `/qa/shebao/x/`.
    pub url: String,
    pub title: String,
    pub description: Option<String>,
    pub draft: bool,
    pub weight: Option<i64>,
    pub template: Option<String>,
    /// Markdown body.
    pub body: String,
    /// 1-based line the body starts on, so body diagnostics can be located.
    pub body_line: usize,
    pub meta: Meta,
}

impl Document {
    pub fn policy(&self) -> Option<&PolicyMeta> {
        match &self.meta {
            Meta::Policy(p) => Some(p),
            _ => None,
        }
    }

    pub fn qa(&self) -> Option<&QaMeta> {
        match &self.meta {
            Meta::Qa(q) => Some(q),
            _ => None,
        }
    }

    pub fn interpretation(&self) -> Option<&InterpretationMeta> {
        match &self.meta {
            Meta::Interpretation(i) => Some(i),
            _ => None,
        }
    }

    pub fn section(&self) -> Option<&SectionMeta> {
        match &self.meta {
            Meta::Section(s) => Some(s),
            _ => None,
        }
    }

    /// The date lists sort by: 发布日期 for policies and interpretations,
    /// 更新时间 for Q&A.
    pub fn date(&self) -> Option<Date> {
        match &self.meta {
            Meta::Policy(p) => Some(p.published),
            Meta::Interpretation(i) => Some(i.published),
            Meta::Qa(q) => Some(q.updated),
            _ => None,
        }
    }

    /// The folder this document lists under: `qa/shebao` for
    /// `qa/shebao/x.md`, and the parent folder for a section's `_index.md`.
    pub fn parent_dir(&self) -> &str {
        let dir = self.path.rsplit_once('/').map_or("", |(d, _)| d);
        if self.kind == Kind::Section { dir.rsplit_once('/').map_or("", |(d, _)| d) } else { dir }
    }
}

/// Everything found under `content/`: documents sorted by path, other files
/// (images, PDF attachments) to copy as they are, and every problem found.
pub struct Loaded {
    pub documents: Vec<Document>,
    pub assets: Vec<PathBuf>,
    pub diagnostics: Diagnostics,
    /// Time spent parsing and, apart, inspecting the files, summed over
    /// the threads: the two overlap with reading, so the phase's wall time
    /// cannot be split between them.
    pub parse_time: Duration,
    pub inspect_time: Duration,
}

/// Reads and validates every file under `root/content`, in parallel.
pub fn load(root: &Path, config: &Config, include_drafts: bool) -> Loaded {
    load_inspecting(root, config, include_drafts, &|_, _| Vec::new())
}

/// Threads that read content files, and files per chunk they read ahead
/// of parsing (see `load_inspecting`).
const READ_THREADS: usize = 16;
const READ_CHUNK: usize = 256;

/// [`load`], also running `inspect` on each document kept and its file's
/// text while the text is at hand (the build's personal-data gate), so no
/// file is read twice.
pub fn load_inspecting(
    root: &Path,
    config: &Config,
    include_drafts: bool,
    inspect: &(dyn Fn(&Document, &str) -> Vec<Diagnostic> + Sync),
) -> Loaded {
    let content_dir = root.join(CONTENT_DIR);
    let mut markdown = Vec::new();
    let mut assets = Vec::new();
    let mut diagnostics = Diagnostics::new();
    let walker = walkdir::WalkDir::new(&content_dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let relative = relative_path(&content_dir, entry.path());
                if relative.ends_with(".md") {
                    markdown.push(relative);
                } else {
                    assets.push(PathBuf::from(relative));
                }
            }
            Ok(_) => {}
            Err(e) => {
                diagnostics.push(Diagnostic::error(CONTENT_DIR, None, format!("cannot read the content folder: {e}")))
            }
        }
    }

    let parse = |relative: &String, source: std::io::Result<String>| match source {
        Ok(source) => {
            let start = Instant::now();
            let (document, mut problems) = parse_document(relative, &source, config);
            let parsed = Instant::now();
            if let Some(document) = document.as_ref().filter(|d| include_drafts || !d.draft) {
                problems.extend(inspect(document, &source));
            }
            (document, problems, parsed - start, parsed.elapsed())
        }
        Err(e) => (
            None,
            vec![
                Diagnostic::error(format!("{CONTENT_DIR}/{relative}"), None, format!("cannot read the file: {e}"))
                    .with_hint("content files must be UTF-8 text"),
            ],
            Duration::ZERO,
            Duration::ZERO,
        ),
    };
    // On a cold page cache every read waits for the disk, and one reader
    // per core keeps only two requests in flight. A reader thread reads
    // each chunk with READ_THREADS threads while the cores parse the chunk
    // before it. Only reading happens on those threads: documents made on
    // short-lived threads stay scattered over their allocator pages (peak
    // RSS 170 MB higher at 60k documents when those threads also parsed).
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<std::io::Result<String>>>(1);
    let results = std::thread::scope(|scope| {
        let (markdown, content_dir) = (&markdown, &content_dir);
        scope.spawn(move || {
            let read = |relative: &String| std::fs::read_to_string(content_dir.join(relative));
            let pool = rayon::ThreadPoolBuilder::new().num_threads(READ_THREADS).build();
            for chunk in markdown.chunks(READ_CHUNK) {
                let sources: Vec<_> = match &pool {
                    Ok(pool) => pool.install(|| chunk.par_iter().map(read).collect()),
                    Err(_) => chunk.iter().map(read).collect(),
                };
                if sender.send(sources).is_err() {
                    break;
                }
            }
        });
        let mut results = Vec::with_capacity(markdown.len());
        for (chunk, sources) in markdown.chunks(READ_CHUNK).zip(receiver) {
            results.par_extend(chunk.par_iter().zip(sources).map(|(relative, source)| parse(relative, source)));
        }
        results
    });

    let mut documents = Vec::with_capacity(results.len());
    let (mut parse_time, mut inspect_time) = (Duration::ZERO, Duration::ZERO);
    for (document, problems, parsing, inspecting) in results {
        parse_time += parsing;
        inspect_time += inspecting;
        diagnostics.extend(problems);
        if let Some(document) = document
            && (include_drafts || !document.draft)
        {
            documents.push(document);
        }
    }
    Loaded { documents, assets, diagnostics, parse_time, inspect_time }
}

fn relative_path(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// `qa/shebao/x.md` → `/qa/shebao/x/`; `qa/_index.md` → `/qa/`.
pub fn url_of(path: &str) -> String {
    let without_ext = path.strip_suffix(".md").unwrap_or(path);
    let trimmed = match without_ext.rsplit_once('/') {
        Some((dir, "_index")) => dir,
        None if without_ext == "_index" => "",
        _ => without_ext,
    };
    if trimmed.is_empty() { "/".to_string() } else { format!("/{trimmed}/") }
}

fn is_valid_path_segment(segment: &str) -> bool {
    !segment.is_empty() && segment.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Parses and validates one content file. Returns the document even when it
/// has errors (with defaults filled in) so that later stages can still report
/// their own problems with it in the same run.
pub fn parse_document(path: &str, source: &str, config: &Config) -> (Option<Document>, Vec<Diagnostic>) {
    let file = format!("{CONTENT_DIR}/{path}");
    let mut diagnostics = Vec::new();
    let stem = path.strip_suffix(".md").unwrap_or(path);
    if let Some(bad) = stem.split('/').find(|s| !is_valid_path_segment(s) && *s != "_index") {
        diagnostics.push(
            Diagnostic::error(&file, None, format!("`{bad}` cannot be used in a URL"))
                .with_hint("name files and folders with lowercase ASCII letters, digits, `-` and `_` only"),
        );
    }
    let parts = match split(source) {
        Ok(parts) => parts,
        Err((location, message, hint)) => {
            diagnostics.push(Diagnostic::error(&file, Some(location), message).with_hint(hint));
            return (None, diagnostics);
        }
    };
    let kind = Kind::of_path(path);
    let mut r = FieldReader::new(&file, source, &parts);

    let title = r.string("title");
    let description = r.string("description").map(|d| d.value);
    let draft = r.bool("draft").unwrap_or(false);
    let weight = r.integer("weight");
    let template = r.string("template").map(|t| t.value);

    let (meta, title) = match kind {
        Kind::Policy => {
            let title = r.require_text("title", title, "\"…\"");
            (Meta::Policy(Box::new(read_policy(&mut r, config))), title.map(|t| t.value))
        }
        Kind::Interpretation => {
            let title = r.require_text("title", title, "\"…\"");
            (Meta::Interpretation(read_interpretation(&mut r)), title.map(|t| t.value))
        }
        Kind::Qa => {
            let question = r.string("question");
            let question = r.require_text("question", question, "\"…？\"");
            if let Some(t) = &title {
                r.error(
                    Some(t.location.clone()),
                    "a Q&A entry takes `question`, not `title`",
                    "remove `title`: the 标准问题 is the title",
                );
            }
            (Meta::Qa(read_qa(&mut r, config)), question.map(|q| q.value))
        }
        Kind::Section => (Meta::Section(read_section(&mut r)), title.map(|t| t.value)),
        Kind::Page => {
            let title = r.require_text("title", title, "\"…\"");
            (Meta::Page, title.map(|t| t.value))
        }
    };
    diagnostics.extend(r.finish());

    let body_offset = source.len() - parts.body.len();
    let document = Document {
        path: path.to_string(),
        file,
        kind,
        url: url_of(path),
        title: title.unwrap_or_default(),
        description,
        draft,
        weight,
        template,
        body: parts.body.to_string(),
        body_line: Location::of(source, body_offset..body_offset).line,
        meta,
    };
    (Some(document), diagnostics)
}

fn read_policy(r: &mut FieldReader<'_>, config: &Config) -> PolicyMeta {
    let doc_number = r.string("doc_number").and_then(|n| normalise_doc_number(r, n));
    let index_number = r.string("index_number");
    let index_number = r.require_text("index_number", index_number, "\"000014349/2019-00007\"");
    let issuers = r.strings("issuers");
    if issuers.is_empty() {
        r.require::<()>("issuers", None, "[\"国务院办公厅\"]");
    }
    let written = r.date("written");
    let written = r.require("written", written, "2024-01-31");
    let published = r.date("published");
    let published = r.require("published", published, "2024-02-05");
    let effective = r.date("effective");
    let expires = r.date("expires");
    let repealed = r.date("repealed");
    let superseded_by = r.string("superseded_by");
    let amended_by = r.strings("amended_by");
    let topics = r.strings("topics");
    if topics.is_empty() {
        r.require::<()>("topics", None, "[\"综合政务\\\\政务公开\"]");
    }
    let topic_values = config.topic_values();
    for topic in &topics {
        if !config.is_known_topic(&topic.value) {
            let hint = match did_you_mean(&topic.value, topic_values.iter().map(String::as_str)) {
                Some(s) => format!("did you mean \"{}\"? (write the backslash as \\\\ in TOML)", s.replace('\\', "\\\\")),
                None => "use a 主题分类 of the State Council scheme, \"一级\\\\二级\", or add it under [taxonomies.extra_topics] in config.toml".into(),
            };
            r.error(Some(topic.location.clone()), format!("unknown 主题分类 \"{}\"", topic.value), hint);
        }
    }
    let genre = r.string("genre");
    let genre = r.require_text("genre", genre, "\"通知\"");
    if let Some(g) = &genre {
        let genres = config.genre_values();
        if !genres.contains(&g.value) {
            let hint = match did_you_mean(&g.value, genres.iter().map(String::as_str)) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => format!("use one of {} or add it to taxonomies.extra_genres in config.toml", genres.join(" ")),
            };
            r.error(Some(g.location.clone()), format!("unknown 公文种类 \"{}\"", g.value), hint);
        }
    }
    let region = r.string("region");
    if let Some(code) = &region {
        check_region(r, config, code);
    }
    if let (Some(w), Some(p)) = (&written, &published)
        && p.value < w.value
    {
        r.error(
            Some(p.location.clone()),
            format!("发布日期 {} is before 成文日期 {}", p.value, w.value),
            "a document is published on or after the day it was written; check both dates",
        );
    }
    let attachments = r
        .string_tables("attachments", &["title", "url"])
        .into_iter()
        .filter_map(|(location, values)| match values.as_slice() {
            [Some(_), Some(url)] if !crate::markdown::is_safe_url(url) => {
                r.error(
                    Some(location),
                    format!("attachment URL \"{url}\" is not allowed"),
                    "use a relative path or an http(s) URL",
                );
                None
            }
            [Some(title), Some(url)] => Some(Attachment { title: title.clone(), url: url.clone() }),
            _ => {
                r.error(
                    Some(location),
                    "an attachment needs both `title` and `url`",
                    "write { title = \"附件1\", url = \"files/a.pdf\" }",
                );
                None
            }
        })
        .collect();
    let audience = match r.table("audience") {
        Some(mut t) => {
            let audience = read_audience(&mut t, config);
            r.absorb(t);
            audience
        }
        None => Audience::default(),
    };
    let apply = r.table("apply").map(|mut t| {
        let apply = read_apply(&mut t);
        r.absorb(t);
        apply
    });
    PolicyMeta {
        doc_number,
        index_number: index_number.map(|v| v.value).unwrap_or_default(),
        issuers: issuers.into_iter().map(|v| v.value).collect(),
        written: written.map_or(Date::MIN, |v| v.value),
        published: published.map_or(Date::MIN, |v| v.value),
        effective: effective.map(|v| v.value),
        expires: expires.map(|v| v.value),
        repealed: repealed.map(|v| v.value),
        superseded_by,
        amended_by,
        topics: topics.into_iter().map(|v| v.value).collect(),
        genre: genre.map(|v| v.value).unwrap_or_default(),
        tags: r.strings("tags").into_iter().map(|v| v.value).collect(),
        keywords: r.strings("keywords").into_iter().map(|v| v.value).collect(),
        source: r.string("source").map(|v| v.value),
        source_url: r.string("source_url").and_then(|v| {
            if crate::markdown::is_safe_url(&v.value) {
                Some(v.value)
            } else {
                r.error(Some(v.location), format!("source_url \"{}\" is not allowed", v.value), "use an http(s) URL");
                None
            }
        }),
        region: region.map(|v| v.value),
        attachments,
        related: r.strings("related"),
        audience,
        apply,
    }
}

fn read_audience(t: &mut FieldReader<'_>, config: &Config) -> Audience {
    let dimensions = Dimensions::from_config(config);
    let mut audience = Audience::default();
    for d in 0..DIMENSIONS {
        let dimension = &dimensions.list[d];
        for value in t.strings(dimension.field) {
            match dimensions.lookup(d, &value.value) {
                Some(v) if audience.0[d].contains(&v) => {}
                Some(v) => audience.0[d].push(v),
                None => {
                    let names = dimension.values.iter().flat_map(|v| [v.label.as_str(), v.code.as_str()]);
                    let hint = match did_you_mean(&value.value, names) {
                        Some(s) => format!("did you mean \"{s}\"?"),
                        None => {
                            let known: Vec<String> =
                                dimension.values.iter().map(|v| format!("{} ({})", v.label, v.code)).collect();
                            format!("use one of: {}; or add it under [profiles] in config.toml", known.join(", "))
                        }
                    };
                    t.error(
                        Some(value.location),
                        format!("unknown {} \"{}\" in [audience]", dimension.label, value.value),
                        hint,
                    );
                }
            }
        }
        audience.0[d].sort_unstable();
    }
    audience
}

fn read_apply(t: &mut FieldReader<'_>) -> Apply {
    let url = t.string("url").and_then(|v| {
        if crate::markdown::is_safe_url(&v.value) {
            Some(v.value)
        } else {
            t.error(Some(v.location), format!("url \"{}\" is not allowed", v.value), "use an http(s) URL");
            None
        }
    });
    Apply {
        deadline: t.date("deadline").map(|v| v.value),
        no_application: t.bool("no_application").unwrap_or(false),
        conditions: t.strings("conditions").into_iter().map(|v| v.value).collect(),
        contact: t.string("contact").map(|v| v.value).filter(|s| !s.is_empty()),
        channel: t.string("where").map(|v| v.value).filter(|s| !s.is_empty()),
        url,
    }
}

/// Validates a 文号 and returns it in canonical form; lenient spellings are
/// accepted with a warning.
fn normalise_doc_number(r: &mut FieldReader<'_>, number: Located<String>) -> Option<Located<String>> {
    match doc_number::parse(&number.value) {
        Ok(parsed) => {
            let canonical = parsed.number.to_string();
            if !parsed.was_canonical {
                r.warning(
                    Some(number.location.clone()),
                    format!("文号 \"{}\" is not in the standard form; read as \"{canonical}\"", number.value),
                    format!("write doc_number = \"{canonical}\" (机关代字〔年份〕序号号)"),
                );
            }
            Some(Located { value: canonical, location: number.location })
        }
        Err(e) => {
            r.error(
                Some(number.location),
                format!("\"{}\" is not a valid 文号: {}", number.value, e.0),
                "write it as 机关代字〔年份〕序号号, e.g. doc_number = \"国发〔2019〕5号\", or 国令第707号 for orders",
            );
            None
        }
    }
}

fn check_region(r: &mut FieldReader<'_>, config: &Config, code: &Located<String>) {
    if !config.regions.contains_key(&code.value) {
        let known: Vec<String> = config.regions.iter().map(|(k, v)| format!("{k} {v}")).collect();
        r.error(
            Some(code.location.clone()),
            format!("unknown region code \"{}\"", code.value),
            format!("use a GB/T 2260 code from [regions] in config.toml: {}", known.join(", ")),
        );
    }
}

fn read_interpretation(r: &mut FieldReader<'_>) -> InterpretationMeta {
    let interprets = r.string("interprets");
    let interprets = r.require_text("interprets", interprets, "\"国发〔2019〕5号\"");
    let published = r.date("published");
    let published = r.require("published", published, "2024-02-05");
    InterpretationMeta {
        interprets,
        published: published.map_or(Date::MIN, |v| v.value),
        issuers: r.strings("issuers").into_iter().map(|v| v.value).collect(),
        source: r.string("source").map(|v| v.value),
        tags: r.strings("tags").into_iter().map(|v| v.value).collect(),
    }
}

fn read_qa(r: &mut FieldReader<'_>, config: &Config) -> QaMeta {
    let category = r.string("category");
    let category = r.require_text("category", category, "\"社会保障/社保卡\"");
    if let Some(c) = &category {
        let parts: Vec<&str> = c.value.split('/').collect();
        if parts.len() > 2 || parts.iter().any(|p| p.trim().is_empty()) {
            r.error(
                Some(c.location.clone()),
                format!("类目 \"{}\" is not in 一级/二级 form", c.value),
                "write category = \"社会保障/社保卡\" (or just \"社会保障\")",
            );
        }
    }
    let department = r.string("department");
    let department = r.require_text("department", department, "\"兴安盟医疗保障局\"");
    let regions = r.strings("regions");
    for code in &regions {
        check_region(r, config, code);
    }
    let updated = r.date("updated");
    let updated = r.require("updated", updated, "2026-03-01");
    QaMeta {
        variants: r.strings("variants").into_iter().map(|v| v.value).collect(),
        category: category.map(|v| v.value).unwrap_or_default(),
        department: department.map(|v| v.value).unwrap_or_default(),
        regions: regions.into_iter().map(|v| v.value).collect(),
        policies: r.strings("policies"),
        keywords: r.strings("keywords").into_iter().map(|v| v.value).collect(),
        updated: updated.map_or(Date::MIN, |v| v.value),
        review_by: r.date("review_by").map(|v| v.value),
        internal: r.string("internal").map(|v| v.value).filter(|s| !s.is_empty()),
    }
}

fn read_section(r: &mut FieldReader<'_>) -> SectionMeta {
    let sort_by = match r.string("sort_by") {
        None => SortBy::Date,
        Some(s) => match s.value.as_str() {
            "date" => SortBy::Date,
            "weight" => SortBy::Weight,
            "title" => SortBy::Title,
            other => {
                r.error(
                    Some(s.location),
                    format!("unknown sort_by \"{other}\""),
                    "use \"date\", \"weight\" or \"title\"",
                );
                SortBy::Date
            }
        },
    };
    let paginate_by = r.integer("paginate_by").and_then(|n| usize::try_from(n).ok()).filter(|n| *n > 0);
    SectionMeta {
        keywords: r.strings("keywords").into_iter().map(|v| v.value).collect(),
        column_type: r.string("column_type").map(|v| v.value),
        paginate_by,
        sort_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_paths() {
        assert_eq!(url_of("qa/shebao/x.md"), "/qa/shebao/x/");
        assert_eq!(url_of("qa/_index.md"), "/qa/");
        assert_eq!(url_of("_index.md"), "/");
        assert_eq!(url_of("about.md"), "/about/");
        assert_eq!(url_of("about_index.md"), "/about_index/");
    }

    /// Files are read in chunks on other threads: every file must come back,
    /// in path order, and one that cannot be read must be named.
    #[test]
    fn load_keeps_every_file_in_order_and_names_unreadable_ones() {
        let site = tempfile::tempdir().unwrap();
        let pages = site.path().join(CONTENT_DIR).join("pages");
        std::fs::create_dir_all(&pages).unwrap();
        let count = READ_CHUNK * 2 + 7;
        for i in 0..count {
            std::fs::write(pages.join(format!("p{i:04}.md")), format!("+++\ntitle = \"第{i}页\"\n+++\n正文{i}\n"))
                .unwrap();
        }
        std::fs::write(pages.join("p0100.md"), b"+++\ntitle = \"\xff\"\n+++\n").unwrap();
        let config = Config::parse("base_url = \"https://x.gov.cn\"\ntitle = \"t\"\n").unwrap();
        let loaded = load(site.path(), &config, false);
        let titles: Vec<&str> = loaded.documents.iter().map(|d| d.title.as_str()).collect();
        let expected: Vec<String> = (0..count).filter(|i| *i != 100).map(|i| format!("第{i}页")).collect();
        assert_eq!(titles, expected);
        let messages: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(
            messages[0].contains("content/pages/p0100.md") && messages[0].contains("cannot read the file"),
            "{messages:?}"
        );
    }

    #[test]
    fn blank_required_values_are_errors() {
        let config = Config::parse("base_url = \"https://x.gov.cn\"\ntitle = \"t\"\n").unwrap();
        let source = "+++\nquestion = \"\"\ncategory = \"社会保障\"\ndepartment = \" \"\nregions = [\"\"]\nupdated = 2026-01-01\n+++\n答。\n";
        let (_, problems) = parse_document("qa/a.md", source, &config);
        let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(messages.iter().any(|m| m.contains("2:12: `question` is empty")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`department` is empty")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("`regions` has an empty item")), "{messages:?}");
    }

    #[test]
    fn audience_values_are_checked_with_hints() {
        let config = Config::parse("base_url = \"https://x.gov.cn\"\ntitle = \"t\"\n").unwrap();
        let source = "+++\ntitle = \"t\"\nindex_number = \"1\"\nissuers = [\"国务院\"]\nwritten = 2024-01-01\n\
                      published = 2024-01-02\ntopics = [\"其他\"]\ngenre = \"通知\"\n\n[audience]\n\
                      groups = [\"高校毕业\", \"graduate\", \"退役军人\"]\nregions = [\"152201\"]\ngroup = [\"x\"]\n\n\
                      [apply]\ndeadline = 2024-02-30\nno_application = true\n+++\n正文\n";
        let (doc, problems) = parse_document("policies/a.md", source, &config);
        let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            messages.iter().any(|m| m.contains("11:11: unknown 人群 \"高校毕业\" in [audience]")
                && m.contains("did you mean \"高校毕业生\"?")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("13:1: unknown key `group`") && m.contains("`groups`")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("16:12: invalid TOML: invalid date")), "{messages:?}");
        assert_eq!(messages.len(), 3, "{messages:?}");
        let policy = doc.unwrap();
        let policy = policy.policy().unwrap();
        // Code and name of the same group count once.
        assert_eq!(policy.audience.0[crate::profile::GROUP].len(), 2);
        assert!(policy.apply.as_ref().is_some_and(|a| a.no_application && a.deadline.is_none()));
    }

    #[test]
    fn kinds_follow_folders() {
        assert_eq!(Kind::of_path("policies/laws/a.md"), Kind::Policy);
        assert_eq!(Kind::of_path("policies/_index.md"), Kind::Section);
        assert_eq!(Kind::of_path("qa/a/b.md"), Kind::Qa);
        assert_eq!(Kind::of_path("about.md"), Kind::Page);
    }
}
