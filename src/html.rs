//! Post-processing of rendered HTML with lol_html.
//!
//! Two passes: [`ContentPass`] runs over a document's body (文号 autolinks,
//! heading anchors) and [`finish_page`] over each whole page (external link
//! `rel`, missing `alt`). Both stream, so they cost one scan per page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, doc_text, element, rewrite_str};

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
                        let id = el.get_attribute("id").unwrap_or_default();
                        let href = format!("#{}", escape_attr(&id));
                        el.append(
                            &format!("<a class=\"heading-anchor\" href=\"{href}\" aria-label=\"本节链接\">#</a>"),
                            ContentType::Html,
                        );
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
        let Some(matcher) = &self.matcher else { return text.to_string() };
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in matcher.find_iter(text) {
            let (number, url) = &self.targets[m.pattern().as_usize()];
            if url == self_url {
                continue;
            }
            out.push_str(&text[last..m.start()]);
            out.push_str(&format!("<a class=\"doc-number-link\" href=\"{}\">{}</a>", escape_attr(url), number));
            last = m.end();
        }
        out.push_str(&text[last..]);
        out
    }
}

/// Final pass over a whole page: external links open no window handle back
/// to us, and images without alt text are marked decorative.
pub fn finish_page(html: &str, site_domain: &str) -> String {
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
