//! 政策找人 feeds: which policies each profile receives, that every feed is
//! valid Atom / RSS / JSON Feed, the change log between builds, and that
//! the browser's matcher agrees with the Rust one.
//!
//! Needs `python3` with `feedparser`, `xmllint` and `node`; `.ci/run`
//! installs them.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::{build_into, copy_fixture, date, fixture, read};
use zhiku::build::{BuildOptions, BuildReport, render_site};
use zhiku::feeds::Matcher;
use zhiku::profile::Profile;

/// Slugs of the fixture policies, as file stems.
fn slug(url: &str) -> String {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string()
}

/// Policy stems in a built JSON feed (interpretations excluded).
fn feed_policies(out: &Path, key: &str) -> BTreeSet<String> {
    let feed: serde_json::Value = serde_json::from_str(&read(out, &format!("feeds/{key}.json"))).unwrap();
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["_zhiku"]["kind"] == "policy")
        .map(|i| slug(i["url"].as_str().unwrap()))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn each_profile_receives_exactly_its_policies() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let report = build_into(&fixture("feeds"), &out, "2026-11-26");
    assert!(report.written, "{}", report.diagnostics.to_plain());

    let mut render_report = BuildReport::default();
    let options = BuildOptions::new(fixture("feeds"), date("2026-11-26"));
    let rendered = render_site(&options, &mut render_report).expect("fixture renders");
    let matcher = Matcher::new(&rendered.library, &rendered.config);

    let everywhere = ["everyone", "league", "future"];
    let cases: &[(&str, &[&str])] = &[
        ("all", &["city", "graduates", "veterans-disabled", "smes", "hightech"]),
        // A person never gets what only a company can claim.
        ("s-person", &["city", "graduates", "veterans-disabled"]),
        // A policy that names groups but no subject reaches companies too.
        ("s-company", &["city", "veterans-disabled", "smes", "hightech"]),
        // The 盟 code covers its 旗县市; a city-only policy covers itself only.
        ("r-152201", &["city", "graduates", "veterans-disabled", "smes", "hightech"]),
        ("r-152202", &["graduates", "veterans-disabled", "smes", "hightech"]),
        ("r-152200", &["graduates", "veterans-disabled", "smes", "hightech"]),
        // Several 人群 at once: the union of what each receives.
        ("s-person.g-graduate", &["city", "graduates"]),
        ("s-person.g-graduate+veteran", &["city", "graduates", "veterans-disabled"]),
        ("s-person.r-152202.g-disabled", &["veterans-disabled"]),
        ("g-veteran", &["city", "veterans-disabled", "smes", "hightech"]),
        ("s-company.i-C.z-small", &["city", "veterans-disabled", "smes", "hightech"]),
        ("s-company.i-A.z-small", &["city", "veterans-disabled", "hightech"]),
        ("s-company.z-large", &["city", "veterans-disabled", "hightech"]),
        ("s-company.q-hightech", &["city", "veterans-disabled", "smes", "hightech"]),
        ("s-company.q-srdi", &["city", "veterans-disabled", "smes"]),
    ];
    for (key, extra) in cases {
        let profile = Profile::parse(key, &matcher.dimensions).unwrap_or_else(|| panic!("{key} parses"));
        let mut expected = set(&everywhere);
        expected.extend(set(extra));
        // Repealed and expired policies are in no feed.
        assert!(!expected.contains("repealed") && !expected.contains("expired"));

        let matched: BTreeSet<String> =
            matcher.policies(&profile).iter().map(|&id| slug(&rendered.library.docs[id].url)).collect();
        assert_eq!(matched, expected, "profile {key}");

        // Its own feed, or for a combination the feed it is pointed to,
        // holds the same policies.
        let own = out.join(format!("feeds/{key}.json")).is_file();
        let feed_key = if own { key.to_string() } else { matcher.representative(&profile).key(&matcher.dimensions) };
        assert_eq!(feed_policies(&out, &feed_key), expected, "feed {feed_key} for profile {key}");
    }

    // Interpretations travel with their policy.
    let graduates = read(&out, "feeds/s-person.g-graduate.json");
    assert!(graduates.contains("解读：高校毕业生就业补贴怎么领"), "{graduates}");
    let companies = read(&out, &format!("feeds/{}.json", representative_key(&matcher, "s-company.q-srdi")));
    assert!(!companies.contains("解读：高校毕业生"), "{companies}");
}

fn representative_key(matcher: &Matcher, key: &str) -> String {
    matcher.representative(&Profile::parse(key, &matcher.dimensions).unwrap()).key(&matcher.dimensions)
}

#[test]
fn feeds_carry_real_dates_and_apply_details() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    assert!(build_into(&fixture("feeds"), &out, "2026-11-26").written);
    let atom = read(&out, "feeds/all.atom");
    // The feed's date is its newest entry's (the interpretation of
    // 2024-03-01), never the build date.
    assert!(atom.contains("<updated>2024-03-01T00:00:00+08:00</updated>\n<link rel=\"self\""), "{atom}");
    assert!(!atom.contains("2026-11-26"), "the build date leaked into the feed");
    assert!(atom.contains("<published>2024-02-06T00:00:00+08:00</published>"));
    assert!(atom.contains("测发〔2024〕6号"));
    let json: serde_json::Value = serde_json::from_str(&read(&out, "feeds/all.json")).unwrap();
    let smes = json["items"].as_array().unwrap().iter().find(|i| i["title"] == "制造业小微企业免申即享补贴").unwrap();
    assert_eq!(smes["_zhiku"]["apply"]["no_application"], true);
    assert_eq!(smes["_zhiku"]["apply"]["deadline"], "2027-03-31");
    assert_eq!(smes["_zhiku"]["audience"]["industries"], serde_json::json!(["C"]));
    let rss = read(&out, "feeds/all.rss");
    assert!(rss.contains("<pubDate>Tue, 06 Feb 2024 00:00:00 +0800</pubDate>"), "{rss}");
}

fn check_feeds(dir: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/feeds/check_feeds.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
        .expect("python3 is needed for the feed checks: apt-get install -y python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "feed checks failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" 0 problems"), "{stdout}");
}

#[test]
fn every_feed_is_valid_atom_rss_or_json_feed() {
    let dir = tempfile::tempdir().unwrap();
    let fixture_out = dir.path().join("fixture");
    assert!(build_into(&fixture("feeds"), &fixture_out, "2026-11-26").written);
    check_feeds(&fixture_out.join("feeds"));
    let demo_out = dir.path().join("demo");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = build_into(root, &demo_out, "2026-11-26");
    assert!(report.written, "{}", report.diagnostics.to_plain());
    check_feeds(&demo_out.join("feeds"));
}

#[test]
fn changes_list_what_happened_since_the_previous_build() {
    let site = copy_fixture("feeds");
    let out = site.path().join("public");
    assert!(build_into(site.path(), &out, "2026-11-26").written);
    let first: serde_json::Value = serde_json::from_str(&read(&out, "feeds/changes.json")).unwrap();
    assert_eq!(first["baseline"], true);

    // Nothing changed: nothing to push.
    assert!(build_into(site.path(), &out, "2026-11-26").written);
    let same: serde_json::Value = serde_json::from_str(&read(&out, "feeds/changes.json")).unwrap();
    assert_eq!(same["baseline"], false);
    assert_eq!(same["changes"], serde_json::json!([]));
    assert_eq!(same["feeds"], serde_json::json!({}));

    // Repeal one, edit one, add one.
    let policies = site.path().join("content/policies");
    let hightech = std::fs::read_to_string(policies.join("hightech.md")).unwrap();
    std::fs::write(
        policies.join("hightech.md"),
        hightech.replace("genre = \"通知\"", "genre = \"通知\"\nrepealed = 2026-10-01"),
    )
    .unwrap();
    let city = std::fs::read_to_string(policies.join("city.md")).unwrap();
    std::fs::write(policies.join("city.md"), format!("{city}\n补充说明。\n")).unwrap();
    let everyone = std::fs::read_to_string(policies.join("everyone.md")).unwrap();
    std::fs::write(
        policies.join("new.md"),
        everyone.replace("〔2024〕1号", "〔2024〕11号").replace("面向全体", "新增"),
    )
    .unwrap();
    let report = build_into(site.path(), &out, "2026-11-26");
    assert!(report.written, "{}", report.diagnostics.to_plain());
    let changes: serde_json::Value = serde_json::from_str(&read(&out, "feeds/changes.json")).unwrap();
    let list: Vec<(String, String)> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["change"].as_str().unwrap().to_string(), slug(c["url"].as_str().unwrap())))
        .collect();
    let expected: Vec<(String, String)> = [("changed", "city"), ("repealed", "hightech"), ("added", "new")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(list, expected);
    // Per feed: a company feed hears of the repeal, a person's does not;
    // the city-only change does not reach another 旗.
    let reach = |key: &str| -> Vec<u64> {
        changes["feeds"][key].as_array().map(|a| a.iter().map(|v| v.as_u64().unwrap()).collect()).unwrap_or_default()
    };
    assert_eq!(reach("all"), vec![0, 1, 2]);
    assert_eq!(reach("s-company"), vec![0, 1, 2]);
    assert_eq!(reach("s-person"), vec![0, 2]);
    assert_eq!(reach("r-152202"), vec![1, 2]);
    // The repealed policy has left the feeds.
    assert!(!read(&out, "feeds/all.atom").contains("高新技术企业奖励"));
}

#[test]
fn browser_matcher_agrees_with_rust_on_every_pickable_profile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for (i, site) in [root.to_path_buf(), fixture("feeds")].into_iter().enumerate() {
        let out = dir.path().join(format!("public{i}"));
        assert!(build_into(&site, &out, "2026-11-26").written);
        let mut report = BuildReport::default();
        let rendered = render_site(&BuildOptions::new(&site, date("2026-11-26")), &mut report).unwrap();
        let matcher = Matcher::new(&rendered.library, &rendered.config);
        let vectors: Vec<serde_json::Value> = Profile::all_pickable(&matcher.dimensions)
            .iter()
            .map(|p| {
                let urls: Vec<&str> =
                    matcher.policies(p).iter().map(|&id| rendered.library.docs[id].url.as_str()).collect();
                serde_json::json!({
                    "key": p.key(&matcher.dimensions),
                    "feed": matcher.representative(p).key(&matcher.dimensions),
                    "policies": urls,
                })
            })
            .collect();
        assert!(vectors.len() > 100, "{}", vectors.len());
        let file = dir.path().join("vectors.json");
        std::fs::write(&file, serde_json::to_vec(&vectors).unwrap()).unwrap();
        let output = Command::new("node")
            .arg(root.join("tests/browser/finder_vectors.mjs"))
            .arg(root.join("themes/default/static/zhiku-finder.js"))
            .arg(out.join("feeds/profiles.json"))
            .arg(&file)
            .output()
            .expect("node is needed: apt-get install -y nodejs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains(&format!("{} profiles agree", vectors.len())), "{stdout}");
        println!("{}: {} pickable profiles agree", site.display(), vectors.len());
        // Every feed a visitor can be pointed to exists.
        for v in &vectors {
            let feed = v["feed"].as_str().unwrap();
            assert!(out.join(format!("feeds/{feed}.atom")).is_file(), "missing feed {feed}");
        }
    }
}
