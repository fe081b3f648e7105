//! The public site in a real browser. Builds the demo site and runs axe-core in
//! headless Debian Chromium over the home, list, policy, Q&A and 政策找人
//! pages, in the normal, high-contrast and large-text modes, and drives the
//! 政策找人 picker (tests/browser/axe.mjs).
//!
//! Needs `/usr/bin/chromium` and `npm ci --prefix tests/browser`; `.ci/run`
//! installs both.

mod common;

use std::path::Path;
use std::process::Command;

use common::build_into;

#[test]
fn axe_finds_no_serious_violations_and_no_console_errors() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = repo.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/axe-core").is_dir() && browser_dir.join("node_modules/playwright-core").is_dir(),
        "browser test dependencies missing: run `npm ci --prefix tests/browser` (and `apt-get install chromium`)"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let report = build_into(repo, &out, "2026-11-26");
    assert!(report.written, "{}", report.diagnostics.to_plain());
    let result = Command::new("node")
        .arg(browser_dir.join("axe.mjs"))
        .arg(&out)
        .output()
        .expect("node is needed for the browser tests");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "axe run failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("checked 8 pages"), "{stdout}");
}

/// Caller-style queries over the demo and the document that must come first.
const SEARCH_CASES: &[(&str, &str)] = &[
    ("社保卡丢了怎么办", "/qa/shebao/card-loss/"),
    ("个税专项附加扣除", "/qa/shuiwu/special-deductions/"),
    // Traditional characters find the simplified title.
    ("無廢城市", "/policies/statecouncil/5359620/"),
    // A 文号 in its standard and in a lenient form.
    ("国发〔2019〕5号", "/policies/statecouncil/5365945/"),
    ("国发2019年5号", "/policies/statecouncil/5365945/"),
    ("低保申请进度查询", "/qa/jiuzhu/dibao-progress/"),
    // Typed pinyin, full and initials.
    ("wufeichengshi", "/policies/statecouncil/5359620/"),
    ("wfcs", "/policies/statecouncil/5359620/"),
];

#[test]
fn public_search_puts_the_expected_document_first() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = repo.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "browser test dependencies missing: run `npm ci --prefix tests/browser` (and `apt-get install chromium`)"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let report = build_into(repo, &out, "2026-11-26");
    assert!(report.written, "{}", report.diagnostics.to_plain());
    let cases: Vec<serde_json::Value> =
        SEARCH_CASES.iter().map(|(q, first)| serde_json::json!({ "q": q, "first": first })).collect();
    let cases_file = dir.path().join("cases.json");
    std::fs::write(&cases_file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let result = Command::new("node")
        .arg(browser_dir.join("search.mjs"))
        .arg(&out)
        .arg(&cases_file)
        .output()
        .expect("node is needed for the browser tests");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "search test failed:\n{stdout}\n{stderr}");
}
