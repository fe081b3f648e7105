//! The one place that writes the built site to disk.
//!
//! Everything goes into a staging folder beside the output folder, which is
//! swapped in only once every file is written. A build that fails or is
//! interrupted therefore leaves the previous output untouched; a staging
//! folder left behind by a killed build is removed by the next one.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

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
pub fn write_site(out_dir: &Path, files: Vec<OutputFile>, copies: Vec<CopiedFile>) -> io::Result<()> {
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

/// Bytes handed to the writer per message, and messages waiting at most:
/// what the build may hold in memory ahead of the disk.
const BATCH_BYTES: usize = 16 << 20;
const QUEUED_BATCHES: usize = 4;
const WRITERS: usize = 2;

enum Batch {
    Files(Vec<OutputFile>),
    Copies(Vec<CopiedFile>),
}

/// A new site being written beside the output folder. Stages of the build
/// hand their files over as soon as they are made and go on computing while
/// [`WRITERS`] writer threads put them on disk. Writing is mostly copying
/// into the page cache, which one thread could not keep up with: the feeds
/// (400 MB on any site) made their stage wait for it. Every path is written
/// once, so the order between writers does not matter. Nothing is visible
/// until [`Staging::commit`].
pub struct Staging {
    dir: PathBuf,
    out_dir: PathBuf,
    sender: Option<SyncSender<Batch>>,
    writers: Vec<std::thread::JoinHandle<io::Result<()>>>,
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
        let (sender, receiver) = sync_channel::<Batch>(QUEUED_BATCHES);
        let receiver = Arc::new(Mutex::new(receiver));
        let writers = (0..WRITERS)
            .map(|_| {
                let (root, receiver) = (dir.clone(), receiver.clone());
                std::thread::Builder::new().name("zhiku-writer".into()).spawn(move || write_batches(&root, &receiver))
            })
            .collect::<io::Result<_>>()?;
        Ok(Staging {
            dir,
            out_dir: out_dir.to_path_buf(),
            sender: Some(sender),
            writers,
            files: AtomicUsize::new(0),
            pages: AtomicUsize::new(0),
            bytes: AtomicUsize::new(0),
        })
    }

    /// Queues `files` for writing; blocks while the writer is too far
    /// behind. May be called from several threads at once. An error means
    /// the writer stopped; the reason comes from [`Staging::commit`].
    pub fn write(&self, mut files: Vec<OutputFile>) -> io::Result<()> {
        self.files.fetch_add(files.len(), Ordering::Relaxed);
        self.pages.fetch_add(files.iter().filter(|f| f.path.ends_with(".html")).count(), Ordering::Relaxed);
        self.bytes.fetch_add(files.iter().map(|f| f.bytes.len()).sum(), Ordering::Relaxed);
        while !files.is_empty() {
            let mut size = 0;
            let take = files.iter().take_while(|f| {
                size += f.bytes.len();
                size <= BATCH_BYTES
            });
            let n = take.count().max(1);
            let rest = files.split_off(n);
            self.send(Batch::Files(files))?;
            files = rest;
        }
        Ok(())
    }

    /// Queues files to copy as they are (assets beside the content).
    pub fn copy(&self, copies: Vec<CopiedFile>) -> io::Result<()> {
        self.files.fetch_add(copies.len(), Ordering::Relaxed);
        self.send(Batch::Copies(copies))
    }

    fn send(&self, batch: Batch) -> io::Result<()> {
        let sender = self.sender.as_ref().ok_or_else(|| io::Error::other("the site was already committed"))?;
        sender.send(batch).map_err(|_| io::Error::other("the writer stopped"))
    }

    /// Files, HTML pages and bytes handed over so far.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.files.load(Ordering::Relaxed), self.pages.load(Ordering::Relaxed), self.bytes.load(Ordering::Relaxed))
    }

    /// Waits for every file to be on disk.
    fn finish(&mut self) -> io::Result<()> {
        self.sender = None;
        let mut result = Ok(());
        for writer in self.writers.drain(..) {
            let written = writer.join().unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
            result = result.and(written);
        }
        result
    }

    /// Waits for the writes, then swaps the new site in for the previous one.
    pub fn commit(mut self) -> io::Result<()> {
        if let Err(e) = self.finish() {
            let _ = std::fs::remove_dir_all(&self.dir);
            return Err(e);
        }
        swap_in(&self.dir, &self.out_dir)
    }

    /// Drops everything written; the previous output stays.
    pub fn discard(mut self) {
        let _ = self.finish();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A writer thread: writes the batches it takes until the channel closes.
/// After an error it keeps receiving, so senders never block, and reports
/// the first error at the end.
fn write_batches(root: &Path, batches: &Mutex<Receiver<Batch>>) -> io::Result<()> {
    let mut made: HashSet<PathBuf> = HashSet::new();
    let mut result = Ok(());
    // The lock is held while waiting, so the other writers wait for the
    // lock instead of the channel; either way they have nothing to do.
    while let Ok(batch) = batches.lock().map_err(|_| ()).and_then(|receiver| receiver.recv().map_err(|_| ())) {
        if result.is_err() {
            continue;
        }
        let mut parent = |relative: &str| -> io::Result<PathBuf> {
            let path = root.join(relative);
            if let Some(dir) = path.parent()
                && !made.contains(dir)
            {
                std::fs::create_dir_all(dir)?;
                made.insert(dir.to_path_buf());
            }
            Ok(path)
        };
        result = match batch {
            Batch::Files(files) => files.iter().try_for_each(|f| std::fs::write(parent(&f.path)?, &f.bytes)),
            Batch::Copies(copies) => {
                copies.iter().try_for_each(|c| std::fs::copy(&c.source, parent(&c.dest)?).map(|_| ()))
            }
        };
    }
    result
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

    #[test]
    fn replaces_previous_output_and_leaves_no_staging() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, vec![OutputFile::text("a/index.html", "1"), OutputFile::text("old.html", "x")], vec![])
            .unwrap();
        write_site(&out, vec![OutputFile::text("a/index.html", "2")], vec![]).unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a/index.html")).unwrap(), "2");
        assert!(!out.join("old.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("public")]);
    }

    #[test]
    fn refuses_to_replace_a_site() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "").unwrap();
        assert!(write_site(dir.path(), vec![OutputFile::text("index.html", "x")], vec![]).is_err());
        assert!(dir.path().join("config.toml").exists());
    }

    #[test]
    fn failed_write_keeps_previous_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        write_site(&out, vec![OutputFile::text("index.html", "old")], vec![]).unwrap();
        // A copy whose source does not exist fails after other files are written.
        let missing = CopiedFile { source: dir.path().join("missing.pdf"), dest: "a.pdf".into() };
        assert!(write_site(&out, vec![OutputFile::text("index.html", "new")], vec![missing]).is_err());
        assert_eq!(std::fs::read_to_string(out.join("index.html")).unwrap(), "old");
    }
}
