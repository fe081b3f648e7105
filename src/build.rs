//! The whole pipeline: load → validate → link → render → post-process →
//! operator index beside the feeds → static index → write, with per-phase
//! timings. Nothing is written unless every stage before it finished
//! without errors.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use jiff::civil::Date;

use crate::config::Config;
use crate::content::{self, Kind};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::feeds;
use crate::library::Library;
use crate::output::{CopiedFile, Staging};
use crate::render::{self, OutputFile, Theme};
use crate::search::{self, Analyzer, Layers};

#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Site root: the folder holding `config.toml` and `content/`.
    pub root: PathBuf,
    /// Output folder; `public/` under the root by default.
    pub output_dir: Option<PathBuf>,
    /// Date that 有效性 is computed for.
    pub as_of: Date,
    /// Overrides `base_url` from the configuration.
    pub base_url: Option<String>,
    pub include_drafts: bool,
    /// Show a spinner with the current phase (for terminals).
    pub progress: bool,
    /// Where the operator index goes; `index/operator/` under the root by
    /// default.
    pub operator_index_dir: Option<PathBuf>,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>, as_of: Date) -> Self {
        BuildOptions {
            root: root.into(),
            output_dir: None,
            as_of,
            base_url: None,
            include_drafts: false,
            progress: false,
            operator_index_dir: None,
        }
    }

    pub fn output_dir(&self) -> PathBuf {
        self.output_dir.clone().unwrap_or_else(|| self.root.join("public"))
    }

    pub fn operator_index_dir(&self) -> PathBuf {
        self.operator_index_dir.clone().unwrap_or_else(|| search::index_dir(&self.root).join(search::OPERATOR_DIR))
    }
}

/// What a build did, for the summary line and benchmarks.
#[derive(Debug, Default)]
pub struct BuildReport {
    pub diagnostics: Diagnostics,
    pub documents: usize,
    pub policies: usize,
    pub qa: usize,
    pub interpretations: usize,
    /// HTML pages written.
    pub pages: usize,
    /// All files written.
    pub files: usize,
    pub phases: Vec<(&'static str, Duration)>,
    /// Steps that share a phase with others, on every core at once: their
    /// time summed over the threads, except the feeds' (their wall time
    /// beside the operator index; see [`BuildReport::timings`]).
    pub thread_time: Vec<(&'static str, Duration)>,
    pub feeds: feeds::FeedStats,
    pub public_index: search::public_index::PublicIndexStats,
    pub elapsed: Duration,
    /// Whether output was written.
    pub written: bool,
}

impl BuildReport {
    /// Per-phase timings, one `phase: seconds` line each, then the steps
    /// inside the phases that run them together (load and validate, render
    /// and post-process), in time summed over the threads, and the feeds,
    /// made beside the operator index, in wall time.
    pub fn timings(&self) -> String {
        let mut out: String =
            self.phases.iter().map(|(name, d)| format!("  {name:<22} {:>8.3} s\n", d.as_secs_f64())).collect();
        if !self.thread_time.is_empty() {
            out.push_str("  (inside those phases, summed over the threads; the feeds in wall time:)\n");
            out.extend(self.thread_time.iter().map(|(name, d)| format!("    {name:<20} {:>8.3} s\n", d.as_secs_f64())));
        }
        out
    }

    /// The one-line summary printed at the end of a build.
    pub fn summary_line(&self) -> String {
        let status = if self.written { "构建完成" } else { "构建失败" };
        format!(
            "{status}：{} 个页面（政策文件 {}，问答 {}，解读 {}），{} 组订阅源，{} 个错误，{} 个警告，用时 {:.2} 秒",
            self.pages,
            self.policies,
            self.qa,
            self.interpretations,
            self.feeds.feeds,
            self.diagnostics.error_count(),
            self.diagnostics.warning_count(),
            self.elapsed.as_secs_f64()
        )
    }
}

/// The rendered site in memory, before writing.
pub struct Rendered {
    pub library: Library,
    pub analyzer: Analyzer,
    pub config: Config,
    pub theme: Theme,
    /// Each document's description, as rendering computed it.
    pub descriptions: Vec<String>,
    pub files: Vec<OutputFile>,
    pub copies: Vec<CopiedFile>,
}

/// What a build leaves for `serve`'s incremental rebuilds.
pub struct Kept {
    pub library: Library,
    pub analyzer: Analyzer,
    pub config: Config,
    pub theme: Theme,
    pub descriptions: Vec<String>,
    /// The pages `sitemap.xml` lists. Edits to existing files never add or
    /// remove pages, so `serve` rewrites the sitemap from this list when an
    /// edit changes a date.
    pub sitemap_pages: Vec<String>,
}

/// Phase timings, and the spinner that names the phase in progress.
struct Phases {
    last: Instant,
    list: Vec<(&'static str, Duration)>,
    spinner: ProgressBar,
}

impl Phases {
    fn new(progress: bool) -> Phases {
        let spinner = if progress { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
        spinner.enable_steady_tick(Duration::from_millis(120));
        Phases { last: Instant::now(), list: Vec::new(), spinner }
    }

    /// Ends phase `name` and announces the next one.
    fn mark(&mut self, name: &'static str, next: &'static str) {
        let now = Instant::now();
        self.list.push((name, now - self.last));
        self.last = now;
        self.spinner.set_message(next);
    }
}

impl Drop for Phases {
    fn drop(&mut self) {
        self.spinner.finish_and_clear();
    }
}

/// Runs every stage up to rendering, and renders every page into memory.
/// Returns `None` if any stage reported an error; all diagnostics found so
/// far are in the report either way.
pub fn render_site(options: &BuildOptions, report: &mut BuildReport) -> Option<Rendered> {
    let mut rendered = prepare(options, report)?;
    let start = Instant::now();
    let (files, problems) =
        render::render_site_with(&rendered.library, &rendered.config, &rendered.theme, rendered.descriptions.clone());
    report.phases.push(("render+post-process", start.elapsed()));
    report.diagnostics.extend(problems);
    if report.diagnostics.has_errors() {
        return None;
    }
    rendered.files = files;
    Some(rendered)
}

/// Loads, validates and links the site, and loads its theme and analyzer:
/// everything before rendering (`files` is left empty).
fn prepare(options: &BuildOptions, report: &mut BuildReport) -> Option<Rendered> {
    let mut phases = Phases::new(options.progress);
    phases.spinner.set_message("读取并校验内容…");
    let config = match Config::load(&options.root) {
        Ok(mut config) => {
            if let Some(base_url) = &options.base_url {
                config.base_url = base_url.trim_end_matches('/').to_string();
            }
            config
        }
        Err(problem) => {
            report.diagnostics.push(problem);
            return None;
        }
    };
    let (theme, analyzer, loaded) = std::thread::scope(|scope| {
        // The templates and jieba's dictionary load on one core while the
        // content is read, which waits on the disk: the dictionary alone
        // took a tenth of a second before anything else began.
        let resources = scope.spawn(|| {
            (Theme::load(&options.root, &config), Analyzer::load(&search::index_dir(&options.root), Layers::ALL))
        });
        // Personal information and internal text must never be published:
        // the gate runs on each file as it is read.
        let loaded =
            content::load_inspecting(&options.root, &config, options.include_drafts, &crate::check::gate_document);
        let (theme, analyzer) = resources.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (theme, analyzer, loaded)
    });
    phases.mark("load+validate", "关联文件、计算有效性…");
    report.thread_time.push(("parse+schema", loaded.parse_time));
    report.thread_time.push(("privacy gate", loaded.inspect_time));
    report.diagnostics.extend(loaded.diagnostics);
    let library = Library::link(loaded.documents, options.as_of, &mut report.diagnostics);
    phases.mark("link", "渲染页面…");
    report.documents = library.docs.len();
    let count = |kind| library.docs.iter().filter(|d| d.kind == kind).count();
    report.policies = count(Kind::Policy);
    report.qa = count(Kind::Qa);
    report.interpretations = count(Kind::Interpretation);
    let theme = match theme {
        Ok(mut theme) => {
            report.diagnostics.extend(std::mem::take(&mut theme.warnings));
            Some(theme)
        }
        Err(problems) => {
            report.diagnostics.extend(problems);
            None
        }
    };
    let analyzer = match analyzer {
        Ok(analyzer) => Some(analyzer),
        Err(problems) => {
            report.diagnostics.extend(problems);
            None
        }
    };
    if report.diagnostics.has_errors() {
        report.phases = std::mem::take(&mut phases.list);
        return None;
    }
    let (theme, analyzer) = (theme?, analyzer?);
    let descriptions = render::describe(&library);
    phases.mark("describe", "渲染页面…");
    report.phases = std::mem::take(&mut phases.list);
    let content_dir = options.root.join(content::CONTENT_DIR);
    let copies = loaded
        .assets
        .iter()
        .map(|relative| CopiedFile {
            source: content_dir.join(relative),
            dest: relative.to_string_lossy().replace('\\', "/"),
        })
        .collect();
    Some(Rendered { library, analyzer, config, theme, descriptions, files: Vec::new(), copies })
}

/// Builds the site into its output folder.
pub fn build(options: &BuildOptions) -> BuildReport {
    build_keeping(options).0
}

/// [`build`], also returning what was built when the build was written.
pub fn build_keeping(options: &BuildOptions) -> (BuildReport, Option<Kept>) {
    let start = Instant::now();
    let mut report = BuildReport::default();
    let mut kept = None;
    if let Some(rendered) = prepare(options, &mut report) {
        let out_dir = options.output_dir();
        match Staging::begin(&out_dir) {
            Ok(staging) => kept = write_staged(options, rendered, staging, &mut report),
            Err(e) => report.diagnostics.push(
                Diagnostic::error(out_dir.display().to_string(), None, format!("cannot write the site: {e}"))
                    .with_hint("the previous output and operator index were kept"),
            ),
        }
    }
    report.diagnostics.sort();
    report.elapsed = start.elapsed();
    (report, kept)
}

/// Writes pages, feeds and both indexes, each as soon as it is made, then
/// swaps the new site and index in. On any error both are discarded and the
/// previous ones stay.
fn write_staged(
    options: &BuildOptions,
    mut rendered: Rendered,
    staging: Staging,
    report: &mut BuildReport,
) -> Option<Kept> {
    let out_dir = options.output_dir();
    let mut phase_start = Instant::now();
    let mut phase = |report: &mut BuildReport, name: &'static str| {
        report.phases.push((name, phase_start.elapsed()));
        phase_start = Instant::now();
    };
    let failed = |report: &mut BuildReport, e: String, hint: &str| {
        report.diagnostics.push(Diagnostic::error(out_dir.display().to_string(), None, e).with_hint(hint));
    };
    const KEPT: &str = "the previous output and operator index were kept";
    let rendering = render::render_site_into(
        &rendered.library,
        &rendered.config,
        &rendered.theme,
        rendered.descriptions.clone(),
        &mut |files| staging.write(files),
    );
    phase(report, "render+post-process");
    let sitemap_pages = match rendering {
        Ok(rendering) => {
            report.diagnostics.extend(rendering.problems);
            report.thread_time.push(("render", rendering.render_time));
            report.thread_time.push(("post-process", rendering.post_process_time));
            rendering.sitemap_pages
        }
        Err(e) => {
            staging.discard();
            failed(report, format!("cannot write the site: {e}"), KEPT);
            return None;
        }
    };
    if report.diagnostics.has_errors() {
        staging.discard();
        return None;
    }
    let previous = feeds::read_previous(&out_dir);
    // The feeds are more than half of the site's bytes, and making them
    // mostly waits for the writer threads to copy them out, so they are
    // made beside the operator index, which takes whatever CPU they leave.
    // (Making everything at once, rendering included, was measured: slower.)
    let (feeds, staged) = std::thread::scope(|scope| {
        let feeds = scope.spawn(|| {
            let start = Instant::now();
            let written = feeds::generate_into(&rendered.library, &rendered.config, previous.as_ref(), &mut |files| {
                staging.write(files)
            });
            (written, start.elapsed())
        });
        // The operator index is built first and swapped in last, so an
        // error in either leaves both the old site and the old index.
        let staged = search::stage_operator_index(&options.operator_index_dir(), &rendered.library, &rendered.analyzer);
        (feeds.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), staged)
    });
    phase(report, "operator index+feeds");
    let (feeds, feeds_time) = feeds;
    report.thread_time.push(("feeds (wall)", feeds_time));
    match feeds {
        Ok(stats) => report.feeds = stats,
        Err(e) => {
            if let Ok((staged, ..)) = staged {
                staged.discard();
            }
            staging.discard();
            failed(report, format!("cannot write the feeds: {e}"), KEPT);
            return None;
        }
    }
    let (mut staged, index, public_docs) = match staged {
        Ok(staged) => staged,
        Err(e) => {
            staging.discard();
            report.diagnostics.push(
                Diagnostic::error(search::INDEX_DIR, None, e)
                    .with_hint("check that index/ is writable; nothing was written"),
            );
            return None;
        }
    };
    // The public index reads the operator index's public fields: one
    // tokenisation for both.
    let public =
        search::public_index::build(&index, &public_docs, &rendered.analyzer, &rendered.config.regions, &|files| {
            staging.write(files)
        });
    drop(index);
    phase(report, "static index");
    let written = match public {
        Ok(stats) => {
            report.public_index = stats;
            staging.copy(std::mem::take(&mut rendered.copies)).map_err(|e| format!("cannot copy assets: {e}"))
        }
        Err(e) => Err(format!("cannot write the public search index: {e}")),
    };
    if let Err(e) = written {
        staging.discard();
        staged.discard();
        failed(report, e, KEPT);
        return None;
    }
    // Before the site is swapped in: a failure leaves both old ones.
    if let Err(e) = staged.wait_synced() {
        staging.discard();
        staged.discard();
        report.diagnostics.push(
            Diagnostic::error(search::INDEX_DIR, None, e)
                .with_hint("check the disk that holds index/; the previous output and operator index were kept"),
        );
        return None;
    }
    let (files, pages, _) = staging.counts();
    let committed = staging.commit();
    phase(report, "write (rest)");
    match committed {
        Ok(()) => match staged.commit() {
            Ok(()) => {
                report.written = true;
                report.files = files;
                report.pages = pages;
            }
            Err(e) => report.diagnostics.push(
                Diagnostic::error(search::INDEX_DIR, None, e)
                    .with_hint("the site was written but the operator index is the previous one; rebuild"),
            ),
        },
        Err(e) => {
            staged.discard();
            failed(report, format!("cannot write the site: {e}"), KEPT);
        }
    }
    phase(report, "index swap");
    report.written.then(|| Kept {
        library: rendered.library,
        analyzer: rendered.analyzer,
        config: rendered.config,
        theme: rendered.theme,
        descriptions: rendered.descriptions,
        sitemap_pages,
    })
}

/// Today's date in the local time zone, the default `--as-of`.
pub fn today() -> Date {
    jiff::Zoned::now().date()
}

/// Whether `path` looks like a site root.
pub fn is_site_root(path: &Path) -> bool {
    path.join(crate::config::CONFIG_FILE).is_file()
}
