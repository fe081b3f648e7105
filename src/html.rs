//! Post-processing of rendered HTML with lol_html.
//!
//! Two passes: [`ContentPass`] over a document's body (文号 autolinks,
//! heading anchors) and [`finish_page`] over each whole page (external link
//! `rel`, missing `alt`). A body without raw HTML gets its additions on the
//! Markdown parser's events instead ([`ContentPass::render`]): parsing the
//! HTML again was a third of the render phase.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, doc_text, element, rewrite_str};
use pulldown_cmark::Event;

use crate::markdown::{self, BodyAdditions, Rendered};

/// Turns every 文号 of the library mentioned in body text into a link.
pub struct ContentPass {
    matcher: Option<AhoCorasick>,
    /// (canonical 文号, URL) in pattern order.
    targets: Vec<(String, String)>,
}

impl ContentPass {
    pub fn new(mut numbers: Vec<(String, String)>) -> ContentPass {
        numbers.sort();
        let matcher = (!numbers.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(numbers.iter().map(|(n, _)| n.as_str()))
                .expect("文号 patterns are plain strings")
        });
        ContentPass { matcher, targets: numbers }
    }

    /// Renders a document body with its 文号 linked and anchor links on its
    /// headings: on the Markdown parser's events, or with [`Self::run`]
    /// when the body has raw HTML.
    pub fn render(&self, markdown: &str, self_url: &str) -> String {
        match markdown::to_html_with(markdown, &BodyLinks { pass: self, self_url }) {
            Rendered::Finished(html) => html,
            Rendered::RawHtml(html) => self.run(&html, self_url),
        }
    }

    /// Links 文号 in `html` (except `self_url`'s own, and text already inside
    /// links, code or headings) and appends anchor links to headings with ids.
    pub fn run(&self, html: &str, self_url: &str) -> String {
        let skip_depth = Rc::new(Cell::new(0usize));
        let buffer = RefCell::new(String::new());
        let skip_for_handler = skip_depth.clone();
        let result = rewrite_str(
            html,
            RewriteStrSettings {
                element_content_handlers: vec![
                    element!("a, code, pre, h1, h2, h3, h4, h5, h6, script, style", move |el| {
                        let depth = skip_for_handler.clone();
                        depth.set(depth.get() + 1);
                        if let Some(handlers) = el.end_tag_handlers() {
                            let on_end: lol_html::EndTagHandler<'static> = Box::new(move |_end| {
                                depth.set(depth.get().saturating_sub(1));
                                Ok(())
                            });
                            handlers.push(on_end);
                        }
                        Ok(())
                    }),
                    element!("h1[id], h2[id], h3[id], h4[id], h5[id], h6[id]", |el| {
                        // lol_html gives the value as written, entities and all.
                        let id = unescape_attr(&el.get_attribute("id").unwrap_or_default());
                        el.append(&heading_anchor(&id), ContentType::Html);
                        Ok(())
                    }),
                ],
                document_content_handlers: vec![doc_text!(|chunk| {
                    if skip_depth.get() > 0 || self.matcher.is_none() {
                        return Ok(());
                    }
                    let mut pending = buffer.borrow_mut();
                    pending.push_str(chunk.as_str());
                    if chunk.last_in_text_node() {
                        let linked = self.link_text(&pending, self_url);
                        chunk.replace(&linked, ContentType::Html);
                        pending.clear();
                    } else {
                        chunk.remove();
                    }
                    Ok(())
                })],
                ..RewriteStrSettings::new()
            },
        );
        // The input is our own renderer's output; should lol_html still refuse
        // it, the unlinked HTML is the safe fallback.
        result.unwrap_or_else(|_| html.to_string())
    }

    /// `text` is raw HTML text (entities still encoded), so it is copied
    /// through unchanged around the inserted links.
    fn link_text(&self, text: &str, self_url: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (range, link) in self.links(text, self_url) {
            out.push_str(&text[last..range.start]);
            out.push_str(&link);
            last = range.end;
        }
        out.push_str(&text[last..]);
        out
    }

    /// Where `text` names another document's 文号, with the link to put
    /// there. No 文号 holds `&`, `<` or `>`, so escaped and plain text match
    /// alike.
    fn links(&self, text: &str, self_url: &str) -> Vec<(std::ops::Range<usize>, String)> {
        let Some(matcher) = &self.matcher else { return Vec::new() };
        matcher
            .find_iter(text)
            .filter_map(|m| {
                let (number, url) = &self.targets[m.pattern().as_usize()];
                (url != self_url).then(|| {
                    let link = format!(
                        "<a class=\"doc-number-link\" href=\"{}\">{}</a>",
                        escape_attr(url),
                        escape_attr(number)
                    );
                    (m.range(), link)
                })
            })
            .collect()
    }
}

/// [`ContentPass`] for one document, on Markdown events.
struct BodyLinks<'p> {
    pass: &'p ContentPass,
    self_url: &'p str,
}

impl BodyAdditions for BodyLinks<'_> {
    fn text(&self, text: String, emit: &mut dyn FnMut(Event<'static>)) {
        let links = self.pass.links(&text, self.self_url);
        if links.is_empty() {
            emit(Event::Text(text.into()));
            return;
        }
        let mut last = 0;
        for (range, link) in links {
            if range.start > last {
                emit(Event::Text(text[last..range.start].to_string().into()));
            }
            emit(Event::InlineHtml(link.into()));
            last = range.end;
        }
        if last < text.len() {
            emit(Event::Text(text[last..].to_string().into()));
        }
    }

    fn heading_end(&self, id: &str) -> Option<String> {
        Some(heading_anchor(id))
    }
}

/// The visible link to the heading with this id.
fn heading_anchor(id: &str) -> String {
    format!("<a class=\"heading-anchor\" href=\"#{}\" aria-label=\"本节链接\">#</a>", escape_attr(id))
}

/// Final pass over a whole page: external links open no window handle back
/// to us, and images without alt text are marked decorative.
pub fn finish_page(html: &str, site_domain: &str) -> String {
    if !may_need_finishing(html, site_domain) {
        return html.to_string();
    }
    rewrite_page(html, site_domain)
}

/// `href` and `<img` in any case: all that [`finish_page`] acts on starts
/// with one of them.
static PAGE_MARKS: std::sync::LazyLock<AhoCorasick> = std::sync::LazyLock::new(|| {
    AhoCorasickBuilder::new().ascii_case_insensitive(true).build(["href", "<img"]).expect("plain patterns")
});

/// False only when [`finish_page`] would leave `html` as it is: no `<img`
/// at all, and every `href` value plainly internal. Most pages link only
/// within the site, and skipping their parse is a tenth of the render
/// phase; any doubt (an entity in a value, an unclosed quote) answers true.
fn may_need_finishing(html: &str, site_domain: &str) -> bool {
    let bytes = html.as_bytes();
    let skip_space = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    for found in PAGE_MARKS.find_iter(html) {
        if found.pattern().as_usize() == 1 {
            return true;
        }
        let mut i = skip_space(found.end());
        if bytes.get(i) != Some(&b'=') {
            continue;
        }
        i = skip_space(i + 1);
        let value = match bytes.get(i) {
            Some(&quote @ (b'"' | b'\'')) => match bytes[i + 1..].iter().position(|&b| b == quote) {
                Some(length) => &html[i + 1..i + 1 + length],
                None => return true,
            },
            _ => {
                let length = bytes[i..].iter().position(|&b| b.is_ascii_whitespace() || b == b'>');
                &html[i..i + length.unwrap_or(bytes.len() - i)]
            }
        };
        if value.contains('&') || is_external(value, site_domain) {
            return true;
        }
    }
    false
}

fn rewrite_page(html: &str, site_domain: &str) -> String {
    let result = rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![
                element!("a[href]", |el| {
                    let href = el.get_attribute("href").unwrap_or_default();
                    if is_external(&href, site_domain) {
                        el.set_attribute("rel", "noopener noreferrer")?;
                    }
                    Ok(())
                }),
                element!("img:not([alt])", |el| {
                    el.set_attribute("alt", "")?;
                    Ok(())
                }),
            ],
            ..RewriteStrSettings::new()
        },
    );
    result.unwrap_or_else(|_| html.to_string())
}

fn is_external(href: &str, site_domain: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) {
        r
    } else if let Some(r) = lower.strip_prefix("//") {
        r
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    host != site_domain.to_ascii_lowercase()
}

/// Undoes [`escape_attr`], and the `&nbsp;` of the sanitiser's serialiser:
/// what an attribute of our own or sanitised HTML can hold.
fn unescape_attr(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    const ENTITIES: [(&str, &str); 6] =
        [("&quot;", "\""), ("&lt;", "<"), ("&gt;", ">"), ("&#39;", "'"), ("&nbsp;", "\u{a0}"), ("&amp;", "&")];
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(entity, _)| rest.starts_with(entity)) {
            Some((entity, c)) => {
                out.push_str(c);
                rest = &rest[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes text for a double-quoted HTML attribute, or for XML text and
/// attributes (feeds). Drops the C0 controls XML 1.0 cannot carry at all,
/// which would make a whole feed unreadable.
pub fn escape_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass() -> ContentPass {
        ContentPass::new(vec![
            ("国发〔2019〕5号".into(), "/policies/a/".into()),
            ("国发〔2019〕55号".into(), "/policies/b/".into()),
            // Brackets make pulldown-cmark split the text around them.
            ("京政发[2020]1号".into(), "/policies/c/".into()),
        ])
    }

    #[test]
    fn links_known_numbers_in_text_only() {
        let html = pass().run(
            "<p>依据（国发〔2019〕5号）和国发〔2019〕55号。</p><p><a href=\"/x\">国发〔2019〕5号</a><code>国发〔2019〕5号</code></p>",
            "/self/",
        );
        assert!(html.contains("（<a class=\"doc-number-link\" href=\"/policies/a/\">国发〔2019〕5号</a>）"), "{html}");
        assert!(html.contains("<a class=\"doc-number-link\" href=\"/policies/b/\">国发〔2019〕55号</a>"), "{html}");
        assert!(html.contains("<a href=\"/x\">国发〔2019〕5号</a>"), "{html}");
        assert!(html.contains("<code>国发〔2019〕5号</code>"), "{html}");
    }

    #[test]
    fn does_not_link_a_document_to_itself() {
        let html = pass().run("<p>国发〔2019〕5号</p>", "/policies/a/");
        assert_eq!(html, "<p>国发〔2019〕5号</p>");
    }

    #[test]
    fn headings_get_anchor_links() {
        let html = pass().run("<h2 id=\"总则\">总则</h2>", "/");
        assert_eq!(
            html,
            "<h2 id=\"总则\">总则<a class=\"heading-anchor\" href=\"#总则\" aria-label=\"本节链接\">#</a></h2>"
        );
    }

    /// The Markdown-event path must give what the HTML pass gives on the
    /// same body, wherever a 文号 can stand.
    #[test]
    fn event_path_matches_the_html_pass() {
        let bodies = [
            "依据（国发〔2019〕5号）和国发〔2019〕55号。",
            "见京政发[2020]1号与京政发\\[2020\\]1号。",
            "## 总则\n\n依据国发〔2019〕5号。\n\n## 总则\n\n## 国发〔2019〕5号 {#n .lead}\n",
            "*强调国发〔2019〕5号*与**国发〔2019〕55号**，`国发〔2019〕5号`。",
            "[国发〔2019〕5号](/x/) ![国发〔2019〕5号](/i.png \"国发〔2019〕5号\") <https://www.gov.cn/>",
            "```\n国发〔2019〕5号\n```\n\n    国发〔2019〕55号\n",
            "国发〔2019〕\\5号，\"国发〔2019〕5号\"，国发〔2019〕5号's，A & B < C，国发〔2019〕\n5号。",
            "> 引用国发〔2019〕5号\n\n- 列表国发〔2019〕55号\n\n| 表 | 文号 |\n|---|---|\n| a | 国发〔2019〕5号 |\n",
            "脚注[^1]。\n\n[^1]: 见国发〔2019〕5号。\n\n行尾  \n国发〔2019〕55号\n\n---\n",
            "## 标题 {#a&b}\n\n正文\n",
            "",
        ];
        let pass = pass();
        for body in bodies {
            for url in ["/self/", "/policies/a/"] {
                let by_events = pass.render(body, url);
                let by_html = pass.run(&markdown::to_html(body), url);
                assert_eq!(by_events, by_html, "{body:?} at {url}");
            }
        }
        assert!(pass.render(bodies[0], "/self/").contains("doc-number-link"));
        assert!(pass.render(bodies[1], "/self/").contains("/policies/c/"));
    }

    #[test]
    fn bodies_with_raw_html_take_the_html_pass() {
        let html = pass().render("<div>国发〔2019〕5号</div>\n\n<span>国发〔2019〕55号</span>", "/self/");
        assert!(html.contains("href=\"/policies/a/\">国发〔2019〕5号</a></div>"), "{html}");
        assert!(html.contains("href=\"/policies/b/\">国发〔2019〕55号</a></span>"), "{html}");
    }

    /// Wherever the shortcut skips a page, the full pass leaves it as it is;
    /// and it does skip plain internal pages.
    #[test]
    fn pages_are_only_skipped_when_the_pass_would_not_change_them() {
        let pages = [
            "<a href=\"/x/\">a</a><link rel=\"canonical\" href=\"https://site.gov.cn/x/\">",
            "<a href=\"https://www.gov.cn/x\">a</a>",
            "<a HREF = 'HTTPS://WWW.GOV.CN/'>a</a>",
            "<a href=//www.gov.cn/>a</a>",
            "<a href=\"&#104;ttps://www.gov.cn/\">a</a>",
            "<a href=\"https://site.gov.cn/y\">b</a><a href=\" /z \">c</a>",
            "<a data-href=\"https://www.gov.cn/\" href=\"/q\">a</a>",
            "<p>href 不是属性，href=</p><a href=\"/ok\">x</a>",
            "<IMG src=\"/a.png\"><p>x</p>",
            "<img src=\"/a.png\" alt=\"\">",
            "<a href=\"https://www.gov.cn/",
            "<a href=/a/>x</a><a href=https://www.gov.cn>y</a>",
            "<p>无链接</p>",
        ];
        let mut skipped = 0;
        for page in pages {
            if !may_need_finishing(page, "site.gov.cn") {
                skipped += 1;
                assert_eq!(rewrite_page(page, "site.gov.cn"), page, "{page}");
            }
        }
        assert_eq!(skipped, 4);
        for changed in [1, 2, 3, 8] {
            assert_ne!(finish_page(pages[changed], "site.gov.cn"), pages[changed]);
        }
    }

    #[test]
    fn external_links_get_rel() {
        let html = finish_page(
            "<a href=\"https://www.gov.cn/x\">a</a><a href=\"https://site.gov.cn/y\">b</a><a href=\"/z\">c</a>",
            "site.gov.cn",
        );
        assert_eq!(
            html,
            "<a href=\"https://www.gov.cn/x\" rel=\"noopener noreferrer\">a</a><a href=\"https://site.gov.cn/y\">b</a><a href=\"/z\">c</a>"
        );
    }
}
