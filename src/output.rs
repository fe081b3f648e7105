//! The one place that writes the built site to disk.
//!
//! Everything goes into a staging folder beside the output folder, which is
//! swapped in only once every file is written. A build that fails or is
//! interrupted therefore leaves the previous output untouched; a staging
//! folder left behind by a killed build is removed by the next one.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::render::OutputFile;

/// A file copied as is from `source` to `dest` (relative to the output root).
pub struct CopiedFile {
    pub source: PathBuf,
    pub dest: String,
}

fn sibling(out_dir: &Path, tag: &str) -> PathBuf {
    let name = out_dir.file_name().map_or("public".into(), |n| n.to_string_lossy().into_owned());
    out_dir.with_file_name(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Removes staging folders of earlier builds that were killed mid-write.
fn remove_stale_staging(out_dir: &Path) {
    let Some(parent) = out_dir.parent() else { return };
    let name = out_dir.file_name().map_or("public".into(), |n| n.to_string_lossy().into_owned());
    let Ok(entries) = std::fs::read_dir(if parent.as_os_str().is_empty() { Path::new(".") } else { parent }) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let pid = file_name
            .strip_prefix(&format!(".{name}.tmp-"))
            .or_else(|| file_name.strip_prefix(&format!(".{name}.old-")));
        // Another build still running (zhiku serve beside zhiku build) owns
        // its staging folder; only a dead process's is stale.
        if let Some(pid) = pid
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes `files` and `copies` as the new content of `out_dir`, atomically
/// from the reader's point of view: either the old or the new site is there.
pub fn write_site(out_dir: &Path, files: &[OutputFile], copies: &[CopiedFile]) -> io::Result<()> {
    let staging = Staging::begin(out_dir)?;
    let written = staging.write(files).and_then(|()| staging.copy(copies));
    match written {
        Ok(()) => staging.commit(),
        Err(e) => {
            staging.discard();
            Err(e)
        }
    }
}

/// A new site being written beside the output folder. Stages of the build
/// hand their files over as soon as they are made, so the whole site is
/// never held in memory; nothing is visible until [`Staging::commit`].
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    files: AtomicUsize,
    pages: AtomicUsize,
    bytes: AtomicUsize,
}

impl Staging {
    /// Prepares an empty staging folder for `out_dir`.
    pub fn begin(out_dir: &Path) -> io::Result<Staging> {
        check_replaceable(out_dir)?;
        if let Some(parent) = out_dir.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)?;
        }
        remove_stale_staging(out_dir);
        let dir = sibling(out_dir, "tmp");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Staging {
            dir,
            out_dir: out_dir.to_path_buf(),
            files: AtomicUsize::new(0),
            pages: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
        })
    }

    /// Writes `files` into the staging folder, on every core. May be called
    /// from several threads at once.
    pub fn write(&self, files: &[OutputFile]) -> io::Result<()> {
        self.make_parents(files.iter().map(|f| f.path.as_str()))?;
        files.par_iter().try_for_each(|f| std::fs::write(self.dir.join(&f.path), &f.bytes))?;
        self.files.fetch_add(files.len(), Ordering::Relaxed);
        self.pages.fetch_add(files.iter().filter(|f| f.path.ends_with(".html")).count(), Ordering::Relaxed);
        self.bytes.fetch_add(files.iter().map(|f| f.bytes.len()).sum(), Ordering::Relaxed);
        Ok(())
    }

    /// Copies files as they are (assets beside the content).
    pub fn copy(&self, copies: &[CopiedFile]) -> io::Result<()> {
        self.make_parents(copies.iter().map(|c| c.dest.as_str()))?;
        copies.par_iter().try_for_each(|c| std::fs::copy(&c.source, self.dir.join(&c.dest)).map(|_| ()))?;
        self.files.fetch_add(copies.len(), Ordering::Relaxed);
        Ok(())
    }

    fn make_parents<'a>(&self, paths: impl Iterator<Item = &'a str>) -> io::Result<()> {
        let mut dirs: Vec<&Path> = paths.filter_map(|p| Path::new(p).parent()).collect();
        dirs.sort();
        dirs.dedup();
        dirs.iter().try_for_each(|d| std::fs::create_dir_all(self.dir.join(d)))
    }

    /// Files, HTML pages and bytes written so far.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.files.load(Ordering::Relaxed), self.pages.load(Ordering::Relaxed), self.bytes.load(Ordering::Relaxed))
    }

    /// Swaps the new site in for the previous one.
    pub fn commit(self) -> io::Result<()> {
        swap_in(&self.dir, &self.out_dir)
    }

    /// Drops everything written; the previous output stays.
    pub fn discard(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes into the live output folder the `files` whose content differs
/// from what is there, each through a temporary file and a rename, so a
/// reader sees the old or the new file, never half of one. For `serve`'s
/// incremental rebuilds; returns how many files changed.
pub fn write_changed(out_dir: &Path, files: &[OutputFile]) -> io::Result<usize> {
    let changed: Vec<&OutputFile> = files
        .par_iter()
        .filter(|f| std::fs::read(out_dir.join(&f.path)).ok().as_deref() != Some(&f.bytes[..]))
        .collect();
    changed.par_iter().try_for_each(|f| {
        let path = out_dir.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let name = path.file_name().map_or("file".into(), |n| n.to_string_lossy().into_owned());
        let temporary = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&temporary, &f.bytes)?;
        std::fs::rename(&temporary, &path)
    })?;
    Ok(changed.len())
}

/// The previous output is deleted after the swap, so refuse a folder that
/// holds a site's sources rather than a build of it.
fn check_replaceable(out_dir: &Path) -> io::Result<()> {
    let sources = ["config.toml", "content", "templates", "themes", ".git"];
    if let Some(found) = sources.iter().find(|s| out_dir.join(s).exists()) {
        return Err(io::Error::other(format!(
            "{} contains `{found}`, so it looks like a site or repository, not build output; choose another output folder",
            out_dir.display()
        )));
    }
    Ok(())
}

/// Replaces `out_dir` with the complete folder `staging`; if the second
/// rename fails the previous folder is put back. Also used for the search
/// index, which is staged the same way.
pub(crate) fn swap_in(staging: &Path, out_dir: &Path) -> io::Result<()> {
    if !out_dir.exists() {
        return std::fs::rename(staging, out_dir);
    }
    let old = sibling(out_dir, "old");
    std::fs::rename(out_dir, &old)?;
    if let Err(e) = std::fs::rename(staging, out_dir) {
        // Put the previous site back before reporting.
        let _ = std::fs::rename(&old, out_dir);
        let _ = std::fs::remove_dir_all(staging);
        return Err(e);
    }
    remove_tree(&old)
}

/// Deletes a folder with its top-level entries removed in parallel: the
/// previous output of a large site has hundreds of thousands of files.
fn remove_tree(dir: &Path) -> io::Result<()> {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<io::Result<_>>()?;
    entries.par_iter().try_for_each(|path| {
        if std::fs::symlink_metadata(path)?.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        }
    })?;
    std::fs::remove_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile { path: path.into(), bytes: text.as_bytes().to_vec() }
    }

    #[test]
    fn replaces_previous_output_and_leaves_no_staging() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, &[file("a/index.html", "1"), file("old.html", "x")], &[]).unwrap();
        write_site(&out, &[file("a/index.html", "2")], &[]).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/index.html")).unwrap(), "2");
        assert!(!out.join("old.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("public")]);
    }

    #[test]
    fn refuses_to_replace_a_site() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "").unwrap();
        assert!(write_site(dir.path(), &[file("index.html", "x")], &[]).is_err());
        assert!(dir.path().join("config.toml").exists());
    }

    #[test]
    fn failed_write_keeps_previous_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, &[file("index.html", "old")], &[]).unwrap();
        // A copy whose source does not exist fails after other files are written.
        let missing = CopiedFile { source: dir.path().join("missing.pdf"), dest: "a.pdf".into() };
        assert!(write_site(&out, &[file("index.html", "new")], &[missing]).is_err());
        assert_eq!(std::fs::read_to_string(out.join("index.html")).unwrap(), "old");
    }
}
