//! Invalid fixture sites: every problem is reported in one run, with the
//! exact text a webmaster sees.

mod common;

use common::{build_into, fixture};

#[test]
fn invalid_site_reports_every_problem_at_once() {
    let out = tempfile::tempdir().unwrap();
    let report = build_into(&fixture("invalid"), &out.path().join("public"), "2026-11-26");
    assert!(!report.written);
    assert!(!out.path().join("public").exists(), "nothing is written when there are errors");
    let expected = include_str!("fixtures/invalid.expected");
    assert_eq!(report.diagnostics.to_plain(), expected);
}
