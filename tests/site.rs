//! The valid fixture site, built end to end: status and banners, relations,
//! 文号 autolinks, sanitising, 47号 meta tags, internal text, determinism and
//! atomic output.

mod common;

use common::{build_into, copy_fixture, fixture, read, read_tree};

fn built(as_of: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let report = build_into(&fixture("valid"), &out, as_of);
    assert!(report.written, "{}", report.diagnostics.to_plain());
    assert!(report.diagnostics.is_empty(), "{}", report.diagnostics.to_plain());
    (dir, out)
}

fn status_of(out: &std::path::Path, page: &str) -> String {
    let html = read(out, page);
    let start = html.find("<th scope=\"row\">有效性</th><td><span class=\"badge status-").expect("status row");
    let rest = &html[start..];
    let label_start = rest.find("\">").unwrap() + 2;
    let label_start = label_start + rest[label_start..].find("\">").unwrap() + 2;
    rest[label_start..label_start + rest[label_start..].find('<').unwrap()].to_string()
}

#[test]
fn status_follows_dates_and_relations() {
    let (_dir, out) = built("2026-11-26");
    assert_eq!(status_of(&out, "policies/old-rules/index.html"), "已废止");
    assert_eq!(status_of(&out, "policies/new-rules/index.html"), "现行有效");
    assert_eq!(status_of(&out, "policies/subsidy/index.html"), "已修改");
    assert_eq!(status_of(&out, "policies/pilot/index.html"), "已失效");

    let (_dir, early) = built("2023-06-20");
    // The replacement is published but not yet in force, so the old one still is.
    assert_eq!(status_of(&early, "policies/old-rules/index.html"), "现行有效");
    assert_eq!(status_of(&early, "policies/new-rules/index.html"), "尚未生效");
    assert_eq!(status_of(&early, "policies/pilot/index.html"), "尚未生效");

    let (_dir, before_amendment) = built("2021-01-01");
    assert_eq!(status_of(&before_amendment, "policies/subsidy/index.html"), "现行有效");
}

#[test]
fn replaced_policy_has_banner_and_replacement_links_back() {
    let (_dir, out) = built("2026-11-26");
    let old = read(&out, "policies/old-rules/index.html");
    assert!(old.contains("<div class=\"banner banner-repealed\" role=\"note\">"), "{old}");
    assert!(old.contains("已被 <a href=\"/policies/new-rules/\">新管理办法</a>（测发〔2023〕7号） 替代"), "{old}");
    let new = read(&out, "policies/new-rules/index.html");
    let back = new.find("<h2 id=\"supersedes\">本文件替代</h2>").expect("back-link section");
    assert!(new[back..].contains("href=\"/policies/old-rules/\""));
    let amended = read(&out, "policies/subsidy/index.html");
    assert!(amended.contains("<strong>本文件已修改。</strong>修改文件：<a href=\"/policies/subsidy-amendment/\">"));
}

#[test]
fn interpretations_and_qa_link_both_ways() {
    let (_dir, out) = built("2026-11-26");
    let policy = read(&out, "policies/new-rules/index.html");
    assert!(policy.contains("href=\"/interpretations/new-rules-explained/\""));
    assert!(policy.contains("href=\"/qa/shebao/card/\""), "policy lists the Q&A citing it");
    let interpretation = read(&out, "interpretations/new-rules-explained/index.html");
    assert!(interpretation.contains("解读文件：<a href=\"/policies/new-rules/\">新管理办法</a>（测发〔2023〕7号）"));
    let qa = read(&out, "qa/shebao/card/index.html");
    let basis = &qa[qa.find("依据政策").unwrap()..];
    assert!(basis.contains("href=\"/policies/new-rules/\"") && basis.contains("status-in-force"));
    // Cited in lenient form ([2018]) and resolved to the canonical one.
    assert!(basis.contains("href=\"/policies/old-rules/\"") && basis.contains("status-repealed"));
}

#[test]
fn doc_numbers_in_text_become_links() {
    let (_dir, out) = built("2026-11-26");
    let new = read(&out, "policies/new-rules/index.html");
    assert!(
        new.contains("本办法替代<a class=\"doc-number-link\" href=\"/policies/old-rules/\">测发〔2018〕3号</a>"),
        "{new}"
    );
    assert!(new.contains("<code>测发〔2018〕3号</code>"), "code is left alone");
    assert!(!new.contains("href=\"/policies/new-rules/\">测发〔2023〕7号</a>"), "no link to itself");
    let amendment = read(&out, "policies/subsidy-amendment/index.html");
    assert!(amendment.contains("（<a class=\"doc-number-link\" href=\"/policies/subsidy/\">测发〔2020〕1号</a>）"));
}

#[test]
fn raw_html_is_sanitised_and_external_links_get_rel() {
    let (_dir, out) = built("2026-11-26");
    let pilot = read(&out, "policies/pilot/index.html");
    let body = &pilot[pilot.find("<div class=\"prose\">").unwrap()..];
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("javascript:"));
    assert!(!body.contains("onclick"));
    assert!(body.contains("<a href=\"https://www.gov.cn/\" rel=\"noopener noreferrer\">中国政府网</a>"), "{body}");
}

#[test]
fn pages_carry_the_47_meta_tags() {
    let (_dir, out) = built("2026-11-26");
    for page in [
        "index.html",
        "policies/index.html",
        "policies/new-rules/index.html",
        "qa/shebao/card/index.html",
        "topics/index.html",
    ] {
        let html = read(&out, page);
        for tag in [
            "<meta name=\"SiteName\" content=\"测试站点\">",
            "<meta name=\"SiteDomain\" content=\"zhiku.example.gov.cn\">",
            "<meta name=\"SiteIDCode\" content=\"1522000099\">",
        ] {
            assert!(html.contains(tag), "{page} lacks {tag}");
        }
        assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("class=\"skip-link\""), "{page}");
    }
    let column = read(&out, "policies/index.html");
    for tag in [
        "<meta name=\"ColumnName\" content=\"政策文件库\">",
        "<meta name=\"ColumnDescription\" content=\"测试政策文件\">",
        "<meta name=\"ColumnKeywords\" content=\"政策\">",
        "<meta name=\"ColumnType\" content=\"信息公开\">",
    ] {
        assert!(column.contains(tag), "column page lacks {tag}");
    }
    let article = read(&out, "policies/new-rules/index.html");
    for tag in [
        "<meta name=\"ArticleTitle\" content=\"新管理办法\">",
        "<meta name=\"PubDate\" content=\"2023-06-10\">",
        "<meta name=\"ContentSource\" content=\"测试市人民政府\">",
        "<meta name=\"Keywords\" content=\"管理\">",
        "<meta name=\"Description\" content=\"本办法替代测发〔2018〕3号，自2023年7月1日起施行。\">",
        "<meta name=\"Url\" content=\"https://zhiku.example.gov.cn/policies/new-rules/\">",
    ] {
        assert!(article.contains(tag), "article page lacks {tag}");
    }
    let footer = read(&out, "index.html");
    for text in ["主办单位：测试主办单位", "网站标识码：1522000099", "测ICP备1号", "测公网安备1号"]
    {
        assert!(footer.contains(text), "footer lacks {text}");
    }
}

#[test]
fn lists_paginate_and_taxonomies_have_pages() {
    let (_dir, out) = built("2026-11-26");
    // 5 policies at 2 per page.
    assert!(out.join("policies/page/3/index.html").exists());
    assert!(!out.join("policies/page/4/index.html").exists());
    let topics = read(&out, "topics/综合政务/政务公开/index.html");
    assert!(topics.contains("href=\"/policies/new-rules/\"") && topics.contains("href=\"/policies/old-rules/\""));
    assert!(out.join("status/已废止/index.html").exists());
    assert!(out.join("regions/152201/index.html").exists());
    assert!(out.join("404.html").exists());
    let robots = read(&out, "robots.txt");
    assert!(robots.contains("Sitemap: https://zhiku.example.gov.cn/sitemap.xml"));
    let sitemap = read(&out, "sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://zhiku.example.gov.cn/policies/new-rules/</loc><lastmod>2023-06-10</lastmod>")
    );
    assert!(sitemap.contains("<loc>https://zhiku.example.gov.cn/topics/%E7%BB%BC%E5%90%88%E6%94%BF%E5%8A%A1/</loc>"));
}

#[test]
fn internal_text_is_never_published() {
    let (_dir, out) = built("2026-11-26");
    let internal = "内部口径：来电人情绪激动时先安抚，不得承诺当日补卡。";
    for (path, bytes) in read_tree(&out) {
        let text = String::from_utf8_lossy(&bytes);
        for fragment in internal.split(['：', '，', '。']).filter(|f| f.chars().count() >= 4) {
            assert!(!text.contains(fragment), "{path} contains internal text {fragment:?}");
        }
    }
}

#[test]
fn same_input_and_date_give_identical_output() {
    let (_a, first) = built("2026-11-26");
    let (_b, second) = built("2026-11-26");
    let first = read_tree(&first);
    assert!(first.len() > 20);
    assert!(first == read_tree(&second), "two builds differ");
}

#[test]
fn failed_build_keeps_previous_output() {
    let site = copy_fixture("valid");
    let out = site.path().join("public");
    assert!(build_into(site.path(), &out, "2026-11-26").written);
    let before = read_tree(&out);

    std::fs::write(site.path().join("content/policies/broken.md"), "+++\ntitle = \"坏文件\"\n").unwrap();
    let report = build_into(site.path(), &out, "2026-11-26");
    assert!(!report.written);
    assert!(before == read_tree(&out), "a failed build changed the output");
    let leftovers: Vec<String> = std::fs::read_dir(site.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "staging folders left: {leftovers:?}");
}

fn add_policy(site: &std::path::Path, name: &str, extra: &str) {
    std::fs::write(
        site.join(format!("content/policies/{name}.md")),
        format!(
            "+++\ntitle = \"附加文件{name}\"\nindex_number = \"x/{name}\"\nissuers = [\"测试市人民政府\"]\nwritten = 2020-01-01\npublished = 2020-01-02\ntopics = [\"综合政务\"]\ngenre = \"通知\"\n{extra}+++\n\n正文。\n"
        ),
    )
    .unwrap();
}

#[test]
fn script_urls_in_front_matter_are_rejected() {
    let site = copy_fixture("valid");
    add_policy(
        site.path(),
        "bad-urls",
        "source_url = \"javascript:alert(1)\"\nattachments = [{ title = \"附件\", url = \" JaVa\\tScript:alert(2)\" }]\n",
    );
    let report = build_into(site.path(), &site.path().join("public"), "2026-11-26");
    assert!(!report.written);
    let plain = report.diagnostics.to_plain();
    assert!(plain.contains("source_url \"javascript:alert(1)\" is not allowed"), "{plain}");
    assert!(plain.contains("attachment URL"), "{plain}");
}

#[test]
fn colliding_pages_are_an_error_not_a_race() {
    let site = copy_fixture("valid");
    add_policy(site.path(), "upper", "tags = [\"PDF\"]\n");
    add_policy(site.path(), "lower", "tags = [\"pdf\"]\n");
    add_policy(site.path(), "dots", "tags = [\"..\"]\n");
    let report = build_into(site.path(), &site.path().join("public"), "2026-11-26");
    let plain = report.diagnostics.to_plain();
    assert!(plain.contains("two pages would be written to tags/pdf/index.html"), "{plain}");
    assert!(!report.written);
    assert!(!site.path().join("index.html").exists(), "nothing escapes the output folder");
}

#[test]
fn output_folder_holding_a_site_is_refused() {
    let site = copy_fixture("valid");
    let report = build_into(site.path(), site.path(), "2026-11-26");
    assert!(!report.written);
    assert!(site.path().join("content/policies/new-rules.md").exists(), "the site was kept");
}
