//! The demo site in `content/` builds cleanly, is big enough to be a real
//! portal, and never publishes a word of its 内部口径.

mod common;

use std::path::Path;

use common::{build_into, read_tree};
use zhiku::config::Config;
use zhiku::content;

#[test]
fn demo_site_builds_without_warnings_and_keeps_internal_text_internal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let report = build_into(root, &out, "2026-11-26");
    assert!(report.written, "{}", report.diagnostics.to_plain());
    assert!(report.diagnostics.is_empty(), "{}", report.diagnostics.to_plain());
    assert!(report.pages >= 100, "only {} pages", report.pages);
    assert!(report.qa >= 40 && report.interpretations >= 3 && report.policies >= 60);
    // The steps that share a phase are timed apart (BENCHMARKS.md reports them).
    let steps: Vec<&str> = report.thread_time.iter().map(|(name, _)| *name).collect();
    assert_eq!(steps, ["parse+schema", "privacy gate", "render", "post-process", "feeds (wall)"]);
    assert!(report.thread_time.iter().all(|(_, took)| !took.is_zero()), "{:?}", report.thread_time);
    assert!(report.timings().contains("    post-process"), "{}", report.timings());

    let config = Config::load(root).unwrap();
    let loaded = content::load(root, &config, false);
    let internal: Vec<String> = loaded.documents.iter().filter_map(|d| d.qa()?.internal.clone()).collect();
    assert!(internal.len() >= 10, "the demo should exercise internal text");
    // Every clause of every internal text, at least 6 characters long.
    let fragments: Vec<&str> = internal
        .iter()
        .flat_map(|t| t.split(['。', '，', '；', '：', '！', '？', '\n', '、']))
        .map(str::trim)
        .filter(|f| f.chars().count() >= 6)
        .collect();
    assert!(fragments.len() > 30);
    let files = read_tree(&out);
    let leaks: Vec<String> = files
        .iter()
        .flat_map(|(path, bytes)| {
            let text = String::from_utf8_lossy(bytes);
            fragments.iter().filter(|f| text.contains(**f)).map(|f| format!("{path}: {f}")).collect::<Vec<_>>()
        })
        .collect();
    assert!(leaks.is_empty(), "internal text published:\n{}", leaks.join("\n"));
}

#[test]
fn every_status_appears_in_the_demo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    assert!(build_into(root, &out, "2026-11-26").written);
    for status in ["现行有效", "已修改", "已废止", "已失效"] {
        assert!(out.join(format!("status/{status}/index.html")).exists(), "no {status} policy in the demo");
    }
    // Nothing in the real corpus takes effect after today; as of late 2023
    // the revised 行政复议法 (in force from 2024-01-01) was not yet effective.
    let earlier = dir.path().join("public-2023");
    assert!(build_into(root, &earlier, "2023-12-01").written);
    assert!(earlier.join("status/尚未生效/index.html").exists());
}
