//! The directory a build writes a new operator index into: tantivy's
//! `MmapDirectory`, except that files are not synced to disk one by one as
//! tantivy finishes them. tantivy syncs every segment file on the indexing
//! thread that wrote it, and on a disk both threads waited for the
//! writeback at the end of the index phase, with two cores idle (20 to 35
//! ms at 6k on this machine's disk, more on slower ones; BENCHMARKS.md).
//! [`sync_all`] syncs the finished index once, beside the static index, and
//! the build swaps it in only after that: the new index is as durable when
//! it replaces the old one as tantivy would have made it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, TerminatingWrite, WatchCallback,
    WatchHandle, WritePtr,
};

#[derive(Clone, Debug)]
pub(crate) struct BuildDirectory {
    root: PathBuf,
    /// Reads, locks and deletions, as tantivy does them.
    inner: MmapDirectory,
}

impl BuildDirectory {
    pub(crate) fn open(root: &Path) -> Result<BuildDirectory, OpenDirectoryError> {
        Ok(BuildDirectory { root: root.to_path_buf(), inner: MmapDirectory::open(root)? })
    }
}

/// A file written without a sync at its end.
struct Unsynced(File);

impl Write for Unsynced {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl TerminatingWrite for Unsynced {
    fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
        self.0.flush()
    }
}

impl Directory for BuildDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<std::sync::Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let file = OpenOptions::new().write(true).create_new(true).open(self.root.join(path)).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                OpenWriteError::FileAlreadyExists(path.to_path_buf())
            } else {
                OpenWriteError::wrap_io_error(e, path.to_path_buf())
            }
        })?;
        Ok(BufWriter::new(Box::new(Unsynced(file))))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    /// Written whole beside the target, then renamed over it, as tantivy
    /// does, without its sync.
    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        let target = self.root.join(path);
        let name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        let temporary = self.root.join(format!(".{name}.zhiku-tmp"));
        std::fs::write(&temporary, data)?;
        std::fs::rename(&temporary, &target)
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(callback)
    }
}

/// Syncs every file of the index folder `root`, then the folder itself.
pub(crate) fn sync_all(root: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            File::open(entry.path())?.sync_data()?;
        }
    }
    File::open(root)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index written through the build directory is an ordinary tantivy
    /// index: it opens from disk and holds its documents.
    #[test]
    fn indexes_written_here_open_as_usual() {
        use tantivy::schema::{STORED, STRING, Schema};
        let dir = tempfile::tempdir().unwrap();
        let mut schema = Schema::builder();
        let path = schema.add_text_field("path", STRING | STORED);
        let directory = BuildDirectory::open(dir.path()).unwrap();
        let index = tantivy::Index::create(directory, schema.build(), tantivy::IndexSettings::default()).unwrap();
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(tantivy::doc!(path => "qa/a.md")).unwrap();
        writer.commit().unwrap();
        drop(writer);
        sync_all(dir.path()).unwrap();
        let reopened = tantivy::Index::open_in_dir(dir.path()).unwrap();
        assert_eq!(reopened.reader().unwrap().searcher().num_docs(), 1);
        assert!(
            std::fs::read_dir(dir.path()).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".zhiku-tmp"))
        );
    }
}
