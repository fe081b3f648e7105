//! `zhiku check`: each planted problem is found at the right file:line, a
//! clean site passes, the demo has no errors, and `zhiku build` refuses to
//! publish personal information or internal text.

mod common;

use std::path::Path;
use std::process::Command;

use common::{build_into, copy_fixture, date, fixture};
use zhiku::check::{self, CheckOptions};

fn check(root: &Path) -> zhiku::diagnostics::Diagnostics {
    check::run(&CheckOptions { root: root.to_path_buf(), as_of: date("2026-11-26") })
}

#[test]
fn every_planted_problem_is_reported_exactly() {
    let actual = check(&fixture("check")).to_plain();
    // ZHIKU_BLESS=1 rewrites the expected file after a deliberate change.
    if std::env::var_os("ZHIKU_BLESS").is_some() {
        std::fs::write(fixture("check.expected"), &actual).unwrap();
    }
    let expected = std::fs::read_to_string(fixture("check.expected")).unwrap();
    assert_eq!(actual, expected, "\n--- actual ---\n{actual}");
}

/// The `valid` fixture, less the one thing it keeps on purpose for the
/// status tests: a Q&A citing a repealed policy.
fn clean_site() -> tempfile::TempDir {
    let site = copy_fixture("valid");
    let card = site.path().join("content/qa/shebao/card.md");
    let text = std::fs::read_to_string(&card).unwrap().replace(", \"测发[2018]3号\"", "");
    std::fs::write(card, text).unwrap();
    site
}

#[test]
fn a_clean_site_passes() {
    let site = clean_site();
    let diagnostics = check(site.path());
    assert!(!diagnostics.has_errors(), "{}", diagnostics.to_plain());
    let plain = diagnostics.to_plain();
    // Only the columns, which the fixture has not updated since 2024, are warned about.
    assert!(plain.lines().filter(|l| l.starts_with("warning")).all(|l| l.contains("column")), "{plain}");
}

#[test]
fn the_demo_has_no_errors_and_no_personal_data_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let diagnostics = check(root);
    assert!(!diagnostics.has_errors(), "{}", diagnostics.to_plain());
    let plain = diagnostics.to_plain();
    for kind in ["personal information", "内部口径 repeated", "near-duplicate", "leads to no page", "anchor"] {
        assert!(!plain.contains(kind), "false positive on the demo:\n{plain}");
    }
}

#[test]
fn json_output_and_exit_code() {
    let output = Command::new(env!("CARGO_BIN_EXE_zhiku"))
        .args(["check", "--as-of", "2026-11-26", "--format", "json", "--root"])
        .arg(fixture("check"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["errors"], 7);
    let pii = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["message"].as_str().unwrap().contains("手机号码"))
        .unwrap();
    assert_eq!(pii["file"], "content/qa/pii.md");
    assert_eq!(pii["severity"], "error");
    assert!(pii["line"].as_u64().is_some());
    assert!(pii["hint"].as_str().unwrap().contains("138****5678"));

    let site = clean_site();
    let clean = Command::new(env!("CARGO_BIN_EXE_zhiku"))
        .args(["check", "--as-of", "2026-11-26", "--root"])
        .arg(site.path())
        .output()
        .unwrap();
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
}

#[test]
fn build_refuses_to_publish_personal_data_or_internal_text() {
    let site = copy_fixture("valid");
    let out = site.path().join("public");
    assert!(build_into(site.path(), &out, "2026-11-26").written);
    let before = common::read_tree(&out);
    let qa = site.path().join("content/qa/leak.md");
    std::fs::write(
        &qa,
        "+++\nquestion = \"怎么联系？\"\ncategory = \"社会保障\"\ndepartment = \"测试局\"\nupdated = 2026-01-01\n\
         internal = \"内部口径：优先转接二线专席处理此类诉求。\"\n+++\n\n请拨打13812345678。优先转接二线专席处理此类诉求。\n",
    )
    .unwrap();
    let report = build_into(site.path(), &out, "2026-11-26");
    assert!(!report.written);
    let plain = report.diagnostics.to_plain();
    assert!(
        plain.contains("error: content/qa/leak.md:9:4: personal information in public text: 手机号码 138****5678"),
        "{plain}"
    );
    assert!(plain.contains("error: content/qa/leak.md:9:16: 内部口径 repeated in public text"), "{plain}");
    assert!(common::read_tree(&out) == before, "the previous output must stay");
}
