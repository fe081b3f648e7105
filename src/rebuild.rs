//! Incremental rebuilds for `zhiku serve`: after an edit to existing
//! content files, re-parse only those files, re-link the library, re-render
//! only the pages that show them, replace them in the operator index, patch
//! the static search index, and write only the files whose bytes changed.
//!
//! Anything else (a file added, removed or renamed, a draft, configuration,
//! templates, a new taxonomy term or facet value) asks for a full build,
//! which is always correct. `sitemap.xml` is rewritten when an edit changes
//! a date; the public vocabulary's word costs and other documents' BM25
//! field averages are refreshed by full builds only.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::build::{BuildOptions, Kept};
use crate::content::{self, Kind};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::library::{DocId, Library};
use crate::{check, feeds, output, render, search};

/// The state of the last build, kept between edits.
pub struct Session {
    options: BuildOptions,
    kept: Kept,
}

/// What an incremental rebuild did.
#[derive(Debug)]
pub struct Applied {
    /// Documents re-parsed.
    pub documents: usize,
    /// Files re-made (rendered pages, feeds, index files).
    pub made: usize,
    /// Files whose bytes changed and were written.
    pub written: usize,
    pub elapsed: Duration,
    /// Time per step.
    pub phases: Vec<(&'static str, Duration)>,
    /// The rebuild's warnings (an applied edit has no errors): the edited
    /// files' own, the library's links and rendering, and after a theme
    /// edit the theme's. Warnings of files not re-read wait for the next
    /// full build.
    pub warnings: Diagnostics,
}

/// The outcome of [`Session::apply`].
pub enum Outcome {
    Applied(Applied),
    /// The edit has errors; the output was left as it was.
    Failed(Diagnostics),
    /// Only a full build can handle this change.
    NeedsFullBuild,
}

impl Session {
    pub fn new(options: BuildOptions, kept: Kept) -> Session {
        Session { options, kept }
    }

    /// Applies edits to the content files `paths` (absolute or relative to
    /// the working folder). The session comes back when it can take the
    /// next edit: after success, or after errors in the edited files
    /// themselves. Otherwise start over with a full build.
    pub fn apply(mut self, paths: &[PathBuf]) -> (Outcome, Option<Session>) {
        let (outcome, alive) = self.apply_edits(paths);
        (outcome, alive.then_some(self))
    }

    /// The outcome, and whether the session still matches the output.
    fn apply_edits(&mut self, paths: &[PathBuf]) -> (Outcome, bool) {
        let start = Instant::now();
        let mut phases = Vec::new();
        let mut last = start;
        let mut mark = |name: &'static str| {
            let now = Instant::now();
            phases.push((name, now - last));
            last = now;
        };
        let Some(edited) = self.edited_documents(paths) else { return (Outcome::NeedsFullBuild, true) };
        let mut diagnostics = Diagnostics::new();
        let content_dir = self.options.root.join(content::CONTENT_DIR);
        let mut parsed = Vec::new();
        for (id, relative) in &edited {
            let Ok(source) = std::fs::read_to_string(content_dir.join(relative)) else {
                return (Outcome::NeedsFullBuild, false);
            };
            let (document, problems) = content::parse_document(relative, &source, &self.kept.config);
            diagnostics.extend(problems);
            if let Some(document) = &document {
                diagnostics.extend(check::gate_document(document, &source));
            }
            match document {
                Some(document) if self.options.include_drafts || !document.draft => parsed.push((*id, document)),
                _ => return (Outcome::NeedsFullBuild, false),
            }
        }
        if diagnostics.has_errors() {
            // Nothing was touched yet: the session still matches the output.
            return (Outcome::Failed(diagnostics), true);
        }
        let before: Vec<(DocId, Option<search::SearchDoc>)> =
            edited.iter().map(|(id, _)| (*id, search::document(&self.kept.library, *id))).collect();
        let empty = Library::link(Vec::new(), self.options.as_of, &mut Diagnostics::new());
        let (mut docs, old) = std::mem::replace(&mut self.kept.library, empty).into_parts();
        let old = &old;
        let mut new_date = false;
        for (id, document) in parsed {
            new_date |= docs[id].date() != document.date();
            docs[id] = document;
        }
        mark("parse");
        let library = Library::link(docs, self.options.as_of, &mut diagnostics);
        mark("link");
        let ids: Vec<DocId> = edited.iter().map(|(id, _)| *id).collect();
        if diagnostics.has_errors() {
            return (Outcome::Failed(diagnostics), false);
        }
        let mut descriptions = self.kept.descriptions.clone();
        for &id in &ids {
            descriptions[id] = render::describe_one(&library.docs[id]);
        }
        let Some((mut files, problems)) =
            render::render_changed(old, &library, &ids, &self.kept.config, &self.kept.theme, descriptions.clone())
        else {
            return (Outcome::NeedsFullBuild, false);
        };
        diagnostics.extend(problems);
        if diagnostics.has_errors() {
            return (Outcome::Failed(diagnostics), false);
        }
        // Edits keep the set of pages, but a new date is a new <lastmod>.
        if new_date {
            files.extend(render::sitemaps(&library, &self.kept.config, &self.kept.sitemap_pages));
        }
        mark("render");
        let out_dir = self.options.output_dir();
        let moved_status = (0..library.docs.len()).any(|id| old.status.get(id) != Some(&library.status[id]));
        if moved_status || ids.iter().any(|&id| matches!(library.docs[id].kind, Kind::Policy | Kind::Interpretation)) {
            let (feed_files, _) = feeds::generate(&library, &self.kept.config, feeds::read_previous(&out_dir).as_ref());
            files.extend(feed_files);
        }
        mark("feeds");
        match self.update_indexes(before, &library, &out_dir) {
            Ok(Some(index_files)) => files.extend(index_files),
            Ok(None) => return (Outcome::NeedsFullBuild, false),
            Err(e) => {
                diagnostics.push(Diagnostic::error(search::INDEX_DIR, None, e));
                return (Outcome::Failed(diagnostics), false);
            }
        }
        mark("indexes");
        let written = match output::write_changed(&out_dir, &files) {
            Ok(written) => written,
            Err(e) => {
                diagnostics.push(write_failure(&out_dir, &e));
                return (Outcome::Failed(diagnostics), false);
            }
        };
        mark("write");
        self.kept.library = library;
        self.kept.descriptions = descriptions;
        (
            Outcome::Applied(Applied {
                documents: ids.len(),
                made: files.len(),
                written,
                elapsed: start.elapsed(),
                phases,
                warnings: diagnostics,
            }),
            true,
        )
    }

    /// Re-renders every page after a change to templates or theme files:
    /// content, feeds and indexes do not depend on them. Only pages whose
    /// bytes changed are written.
    pub fn apply_theme(mut self) -> (Outcome, Option<Session>) {
        let start = Instant::now();
        let mut theme = match render::Theme::load(&self.options.root, &self.kept.config) {
            Ok(theme) => theme,
            Err(problems) => {
                let mut diagnostics = Diagnostics::new();
                diagnostics.extend(problems);
                return (Outcome::Failed(diagnostics), Some(self));
            }
        };
        let library = &self.kept.library;
        let (files, problems) =
            render::render_site_with(library, &self.kept.config, &theme, self.kept.descriptions.clone());
        let render_time = start.elapsed();
        let mut diagnostics = Diagnostics::new();
        diagnostics.extend(problems);
        if diagnostics.has_errors() {
            return (Outcome::Failed(diagnostics), Some(self));
        }
        let out_dir = self.options.output_dir();
        match output::write_changed(&out_dir, &files) {
            Ok(written) => {
                diagnostics.extend(std::mem::take(&mut theme.warnings));
                self.kept.theme = theme;
                let elapsed = start.elapsed();
                let phases = vec![("render", render_time), ("write", elapsed - render_time)];
                let applied =
                    Applied { documents: 0, made: files.len(), written, elapsed, phases, warnings: diagnostics };
                (Outcome::Applied(applied), Some(self))
            }
            Err(e) => {
                diagnostics.push(write_failure(&out_dir, &e));
                (Outcome::Failed(diagnostics), None)
            }
        }
    }

    /// Whether every path is a template or theme file of the site.
    pub fn only_theme(&self, paths: &[PathBuf]) -> bool {
        let root = self.options.root.canonicalize().unwrap_or_else(|_| self.options.root.clone());
        paths.iter().all(|p| {
            let p = p.canonicalize().unwrap_or_else(|_| p.clone());
            p.starts_with(root.join("templates")) || p.starts_with(root.join("themes"))
        })
    }

    /// The library ids and content-relative paths of `paths`, when every
    /// one is a Markdown file the library already has; else `None`.
    fn edited_documents(&self, paths: &[PathBuf]) -> Option<Vec<(DocId, String)>> {
        let content_dir = self.options.root.join(content::CONTENT_DIR);
        let content_dir = content_dir.canonicalize().unwrap_or(content_dir);
        let mut edited = Vec::new();
        for path in paths {
            let path = path.canonicalize().ok()?;
            let relative = path.strip_prefix(&content_dir).ok()?;
            let relative: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            let relative = relative.join("/");
            let id = self.kept.library.by_path(&relative)?;
            if !edited.iter().any(|(e, _)| *e == id) {
                edited.push((id, relative));
            }
        }
        (!edited.is_empty()).then_some(edited)
    }

    /// Replaces the edited documents in the operator index and returns the
    /// static index files that change with them.
    fn update_indexes(
        &self,
        before: Vec<(DocId, Option<search::SearchDoc>)>,
        library: &Library,
        out_dir: &Path,
    ) -> Result<Option<Vec<render::OutputFile>>, String> {
        let index_dir = self.options.operator_index_dir();
        let mut replaced = Vec::new();
        for (id, before) in before {
            let (Some(before), Some(after)) = (before, search::document(library, id)) else {
                continue;
            };
            replaced.push((search::ord_of(library, id), before, after));
        }
        let updates: Vec<(usize, &search::SearchDoc)> = replaced.iter().map(|(ord, _, after)| (*ord, after)).collect();
        let built = search::operator::update(&index_dir, &self.kept.analyzer, &updates)
            .map_err(|e| format!("{}: {e}", index_dir.display()))?;
        // The patch reads public fields only, so 内部口径 needs no stripping.
        let changed: Vec<(usize, &search::SearchDoc, &search::SearchDoc)> =
            replaced.iter().map(|(ord, before, after)| (*ord, before, after)).collect();
        search::public_index::patch(out_dir, &built, &self.kept.analyzer, &changed)
    }
}

fn write_failure(out_dir: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(out_dir.display().to_string(), None, format!("cannot write: {e}"))
        .with_hint("the output may be partly updated; save again or restart serve for a full build")
}
