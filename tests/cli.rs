//! The `zhiku` binary: `init` makes a site that builds cleanly, `new` adds
//! valid documents, a site's own templates override the theme, and a failed
//! build exits non-zero.

mod common;

use std::path::Path;
use std::process::Command;

use common::{copy_fixture, fixture, read, read_tree};

fn zhiku(args: &[&str], root: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_zhiku")).arg("--root").arg(root).args(args).output().unwrap()
}

/// Writes `text` to `relative` in the site at `root`, folders and all.
fn put(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The site's own `templates/page.html`, showing `content` as each page's content.
fn page_template(root: &Path, content: &str) {
    let template = format!("{{% extends \"base.html\" %}}{{% block content %}}{content}{{% endblock content %}}");
    put(root, "templates/page.html", &template);
}

#[test]
fn init_new_and_build() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let init = Command::new(env!("CARGO_BIN_EXE_zhiku")).arg("init").arg(&site).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    assert!(
        !Command::new(env!("CARGO_BIN_EXE_zhiku")).arg("init").arg(&site).status().unwrap().success(),
        "init refuses a non-empty folder"
    );

    let new_qa = zhiku(&["new", "qa", "如何办理社保卡？"], &site);
    assert!(new_qa.status.success());
    let path = String::from_utf8_lossy(&new_qa.stdout).trim().to_string();
    assert!(std::fs::read_to_string(&path).unwrap().contains("question = \"如何办理社保卡？\""));

    assert!(zhiku(&["new", "policy", "关于测试的通知"], &site).status.success());

    // New documents are drafts: checked, not published until --drafts.
    let build = zhiku(&["build", "--as-of", "2026-11-26"], &site);
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "{stderr}");
    assert!(stderr.contains("0 个错误，0 个警告"), "{stderr}");
    assert!(
        !site
            .join("public")
            .join(path.replace(&format!("{}/content/", site.display()), "").replace(".md", ""))
            .exists()
    );
    let drafts = zhiku(&["build", "--as-of", "2026-11-26", "--drafts"], &site);
    assert!(drafts.status.success(), "{}", String::from_utf8_lossy(&drafts.stderr));
    assert!(site.join("public/index.html").exists());
    let public: String =
        read_tree(&site.join("public")).into_iter().map(|(_, b)| String::from_utf8_lossy(&b).into_owned()).collect();
    assert!(!public.contains("内部口径示例"), "the starter's internal text leaked");
}

#[test]
fn failed_build_exits_non_zero_with_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let build = zhiku(&["build", "-o", out.to_str().unwrap()], &fixture("invalid"));
    assert_eq!(build.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(stderr.contains("content/qa/q.md:2:1") && stderr.contains("did you mean `question`?"), "{stderr}");
    assert!(stderr.contains("11 个错误，1 个警告"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn site_templates_override_the_theme() {
    let dir = copy_fixture("valid");
    page_template(dir.path(), "<h1 class=\"custom\">{{ doc.title }}</h1>");
    let build = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    assert!(read(&dir.path().join("public"), "about/index.html").contains("<h1 class=\"custom\">关于本站</h1>"));

    std::fs::write(dir.path().join("templates/page.html"), "{% if %}").unwrap();
    let broken = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stderr).contains("templates/page.html"));
}

/// A page lol_html cannot read could not be given `rel="noopener
/// noreferrer"` on its external links: the build fails, naming the page and
/// the template, and the previous site stays.
#[test]
fn markup_the_post_processor_cannot_read_fails_the_build() {
    let dir = copy_fixture("valid");
    let build = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let before = read_tree(&dir.path().join("public"));

    page_template(dir.path(), "<script a=><a href=\"https://www.gov.cn/\">国务院</a>");
    let broken = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert_eq!(broken.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "template `page.html` made HTML that cannot be read to give its external links \
             `rel=\"noopener noreferrer\"`: "
        ),
        "{stderr}"
    );
    assert!(stderr.contains("content/about.md"), "{stderr}");
    assert!(stderr.contains("`<script a=>`"), "{stderr}");
    assert_eq!(read_tree(&dir.path().join("public")), before, "the previous site was touched");
}

/// A site's own copy of the search client that reads another version of
/// the static index would leave the site's search finding nothing: the
/// build says so, with the line of the version it reads.
#[test]
fn a_search_client_of_another_index_version_is_reported() {
    let dir = copy_fixture("valid");
    for (script, expected) in [
        (
            "// a copy from an older zhiku\nconst FORMAT_VERSION = 1;\n",
            [
                "warning: this search client reads version 1 of the search index, but this zhiku writes version 2: \
                 the site's search will find nothing",
                "┌─ static/zhiku-search.js:2:7",
            ],
        ),
        (
            "const BASE = \"/search/index/\";\n",
            [
                "warning: static/zhiku-search.js: this search client reads a search index from before version 2, but \
                 this zhiku writes version 2: the site's search will find nothing",
                "= hint: delete it to use the built-in client",
            ],
        ),
    ] {
        put(dir.path(), "static/zhiku-search.js", script);
        let build = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
        let stderr = String::from_utf8_lossy(&build.stderr);
        assert!(build.status.success(), "{stderr}");
        assert!(expected.iter().all(|line| stderr.contains(line)), "{stderr}");
        assert!(stderr.contains("0 个错误，1 个警告"), "{stderr}");
    }
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/static/zhiku-search.js");
    let minified = "const BASE=\"/search/index/\",FORMAT_VERSION=2;";
    for script in [std::fs::read_to_string(built_in).unwrap().as_str(), minified] {
        put(dir.path(), "static/zhiku-search.js", script);
        let build = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
        let stderr = String::from_utf8_lossy(&build.stderr);
        assert!(stderr.contains("0 个错误，0 个警告"), "{stderr}");
    }
}

/// Pages link the theme's files with `?h=` a fingerprint of the bytes
/// published, an import map sends modules' imports to the same URLs, a
/// site's own file changes the URL, and a misspelt name fails the build.
#[test]
fn static_files_are_linked_with_their_fingerprints() {
    let dir = copy_fixture("valid");
    let public = dir.path().join("public");
    let fingerprint = |path: &str| format!("{:08x}", crc32fast::hash(&std::fs::read(public.join(path)).unwrap()));
    let build = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let css = format!("href=\"/zhiku.css?h={}\"", fingerprint("zhiku.css"));
    assert!(read(&public, "index.html").contains(&css), "{css}");
    let search = format!("src=\"/zhiku-search.js?h={}\"", fingerprint("zhiku-search.js"));
    assert!(read(&public, "search/index.html").contains(&search), "{search}");
    // Modules are published as they are; the page's import map sends
    // their imports to this build's files.
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/static/zhiku-search.js");
    assert_eq!(read(&public, "zhiku-search.js"), std::fs::read_to_string(theme).unwrap());
    let mapped = format!("\"/zhiku-tokenize.js\":\"/zhiku-tokenize.js?h={}\"", fingerprint("zhiku-tokenize.js"));
    let search_page = read(&public, "search/index.html");
    let map = search_page.find("<script type=\"importmap\">").expect("the search page has an import map");
    assert!(map < search_page.find("<script type=\"module\"").unwrap(), "the import map comes after a module");
    assert!(search_page[map..].contains(&mapped), "{mapped}");

    put(dir.path(), "static/zhiku.css", "body { color: #000 }");
    assert!(zhiku(&["build", "--as-of", "2026-11-26"], dir.path()).status.success());
    assert_eq!(fingerprint("zhiku.css"), format!("{:08x}", crc32fast::hash(b"body { color: #000 }")));
    assert!(!read(&public, "index.html").contains(&css), "the site's own style sheet kept the theme's URL");
    assert!(read(&public, "index.html").contains(&format!("href=\"/zhiku.css?h={}\"", fingerprint("zhiku.css"))));

    page_template(dir.path(), "<img src=\"{{ asset_url(path=\"logo.png\") }}\">");
    let broken = zhiku(&["build", "--as-of", "2026-11-26"], dir.path());
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(!broken.status.success(), "{stderr}");
    assert!(
        stderr.contains("asset_url: `logo.png` is not a static file of the theme or of the site's static/"),
        "{stderr}"
    );
}
