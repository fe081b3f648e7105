//! The one place that writes the built site to disk.
//!
//! Everything goes into a staging folder beside the output folder, which is
//! swapped in only once every file is written. A build that fails or is
//! interrupted therefore leaves the previous output untouched; a staging
//! folder left behind by a killed build is removed by the next one.

use std::io;
use std::path::{Path, PathBuf};

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
    check_replaceable(out_dir)?;
    if let Some(parent) = out_dir.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    remove_stale_staging(out_dir);
    let staging = sibling(out_dir, "tmp");
    let result = fill(&staging, files, copies);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    swap_in(&staging, out_dir)
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

fn fill(staging: &Path, files: &[OutputFile], copies: &[CopiedFile]) -> io::Result<()> {
    std::fs::create_dir_all(staging)?;
    let mut dirs: Vec<PathBuf> = files
        .iter()
        .map(|f| f.path.as_str())
        .chain(copies.iter().map(|c| c.dest.as_str()))
        .filter_map(|p| Path::new(p).parent().map(|d| staging.join(d)))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in &dirs {
        std::fs::create_dir_all(dir)?;
    }
    files.par_iter().try_for_each(|f| std::fs::write(staging.join(&f.path), &f.bytes))?;
    copies.par_iter().try_for_each(|c| std::fs::copy(&c.source, staging.join(&c.dest)).map(|_| ()))?;
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
    std::fs::remove_dir_all(&old)
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
