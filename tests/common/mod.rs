//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use zhiku::build::{BuildOptions, BuildReport, build};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn date(text: &str) -> Date {
    text.parse().expect("test dates are valid")
}

/// Builds the site at `root` into `out` as of `as_of`; the operator index
/// goes to `out`'s sibling `operator`, never into the source tree.
pub fn build_into(root: &Path, out: &Path, as_of: &str) -> BuildReport {
    let options = BuildOptions {
        output_dir: Some(out.to_path_buf()),
        operator_index_dir: Some(out.with_file_name("operator")),
        ..BuildOptions::new(root, date(as_of))
    };
    build(&options)
}

/// Every file under `dir`, relative path → bytes, sorted.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

pub fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A writable copy of a fixture site in a temporary folder.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in read_tree(&fixture(name)) {
        let target = dir.path().join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    dir
}
