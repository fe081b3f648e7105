//! Markdown to sanitised HTML, plus the plain-text summaries that lists and
//! meta descriptions use, and the plain text that search indexes.
//!
//! Headings get stable ids derived from their text here, where the text is at
//! hand; [`crate::html::ContentPass`] adds the visible anchor links and 文号
//! links, through [`BodyAdditions`].

use std::collections::HashMap;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
}

/// The id a heading with this text gets: its text with whitespace turned into
/// `-` and characters that would need escaping in a fragment dropped.
pub fn heading_id(text: &str) -> String {
    let mut id = String::new();
    for c in text.trim().chars() {
        if c.is_whitespace() {
            if !id.ends_with('-') {
                id.push('-');
            }
        } else if c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii() && !c.is_ascii_punctuation() {
            id.extend(c.to_lowercase());
        }
    }
    let id = id.trim_matches('-').to_string();
    if id.is_empty() { "section".into() } else { id }
}

/// Renders Markdown to HTML that is safe to embed: raw HTML is sanitised
/// (no script, no event handlers, no `javascript:` URLs).
///
/// pulldown-cmark escapes all text itself, so only documents that contain
/// raw HTML pay for a full sanitiser pass; link and image URLs are checked
/// here either way.
pub fn to_html(markdown: &str) -> String {
    match to_html_with(markdown, None) {
        Rendered::Finished(html) | Rendered::RawHtml(html) => html,
    }
}

/// What a renderer adds to a document body while its Markdown becomes HTML
/// (文号 links, heading anchors): done on the parser's events, where text,
/// links, code and headings are known without parsing HTML again.
pub trait BodyAdditions {
    /// Hands `emit` the events for a run of body text (plain, unescaped,
    /// outside links, images, code and headings).
    fn text(&self, text: String, emit: &mut dyn FnMut(Event<'static>));
    /// HTML appended at the end of the heading with this id.
    fn heading_end(&self, id: &str) -> Option<String>;
}

/// The HTML of a body, and whether [`BodyAdditions`] were applied.
pub enum Rendered {
    Finished(String),
    /// The body has raw HTML, whose text and headings the events do not
    /// show: sanitised, without additions, for an HTML pass to finish.
    RawHtml(String),
}

/// [`to_html`], with `additions` applied unless the body has raw HTML.
pub fn to_html_with(markdown: &str, additions: Option<&dyn BodyAdditions>) -> Rendered {
    let mut events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    assign_heading_ids(&mut events);
    let mut has_raw_html = false;
    for event in &mut events {
        match event {
            Event::Html(_) | Event::InlineHtml(_) => has_raw_html = true,
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) if !is_safe_url(dest_url) => {
                *dest_url = CowStr::Borrowed("#");
            }
            // `{#id .class}` is allowed on headings; arbitrary attributes
            // (`{onmouseover=…}`) are not.
            Event::Start(Tag::Heading { attrs, .. }) => attrs.clear(),
            _ => {}
        }
    }
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    if has_raw_html {
        html::push_html(&mut out, events.into_iter());
        return Rendered::RawHtml(sanitize(&out));
    }
    match additions {
        Some(additions) => html::push_html(&mut out, with_additions(events, additions).into_iter()),
        None => html::push_html(&mut out, events.into_iter()),
    }
    Rendered::Finished(out)
}

/// `events` with each run of body text handed to `additions`, and its
/// heading ends added.
fn with_additions<'a>(events: Vec<Event<'a>>, additions: &dyn BodyAdditions) -> Vec<Event<'a>> {
    let mut out: Vec<Event<'a>> = Vec::with_capacity(events.len());
    // Depth inside links, images (whose text is the alt attribute), code
    // blocks and headings, where text stays as it is.
    let mut depth = 0usize;
    let mut heading: Option<String> = None;
    let mut text = String::new();
    for event in events {
        if depth == 0
            && let Event::Text(t) = &event
        {
            // pulldown-cmark splits text at punctuation; a 文号 may span the parts.
            text.push_str(t);
            continue;
        }
        if !text.is_empty() {
            additions.text(std::mem::take(&mut text), &mut |e| out.push(e));
        }
        match &event {
            Event::Start(Tag::Heading { id, .. }) => {
                heading = id.as_ref().map(|id| id.to_string());
                depth += 1;
            }
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => depth += 1,
            Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => depth = depth.saturating_sub(1),
            Event::End(TagEnd::Heading(_)) => {
                depth = depth.saturating_sub(1);
                if let Some(html) = heading.take().and_then(|id| additions.heading_end(&id)) {
                    out.push(Event::InlineHtml(html.into()));
                }
            }
            _ => {}
        }
        out.push(event);
    }
    if !text.is_empty() {
        additions.text(text, &mut |e| out.push(e));
    }
    out
}

/// Relative URLs and the schemes a government page may link to.
pub fn is_safe_url(url: &str) -> bool {
    // Browsers drop tabs, newlines and control characters inside URLs, so
    // `java\tscript:` must be read as `javascript:`.
    let url: String = url.chars().filter(|c| !c.is_ascii_control() && !c.is_ascii_whitespace()).collect();
    let scheme_end = url.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)));
    match scheme_end {
        Some(i) if url[i..].starts_with(':') => {
            let scheme = url[..i].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel" | "ftp")
        }
        _ => true,
    }
}

fn assign_heading_ids(events: &mut [Event]) {
    let mut used: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = heading_id(&text);
            let n = used.entry(base.clone()).or_insert(0);
            let id = if *n == 0 { base } else { format!("{base}-{n}") };
            *n += 1;
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
                *slot = Some(CowStr::from(id));
            }
            i = j;
        }
        i += 1;
    }
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    for tag in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        builder.add_tag_attributes(tag, ["id"]);
    }
    builder
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("td", ["style"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("a", ["id"])
        .add_tag_attributes("sup", ["id"])
        .add_tag_attributes("div", ["id"])
        .add_allowed_classes("div", ["footnote-definition"])
        .add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"])
        .filter_style_properties(["text-align"].into_iter().collect())
        // rel is set by the page pass, for external links only.
        .link_rel(None);
    builder
});

/// Removes anything executable from an HTML fragment.
pub fn sanitize(fragment: &str) -> String {
    SANITIZER.clean(fragment).to_string()
}

/// Plain text of the first paragraph (after any addressee line), cut to
/// `max_chars` characters: the default description of a document.
pub fn summary(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    let mut addressee = String::new();
    let mut in_paragraph = false;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            // The addressee line of an official document (各省、自治区…：)
            // says nothing about it; the next paragraph does.
            Event::End(TagEnd::Paragraph) if text.trim_end().ends_with(['：', ':']) => {
                addressee = std::mem::take(&mut text);
                in_paragraph = false;
            }
            Event::End(TagEnd::Paragraph) if !text.trim().is_empty() => break,
            Event::End(TagEnd::Paragraph) => in_paragraph = false,
            Event::Text(t) | Event::Code(t) if in_paragraph => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => {}
            _ => {}
        }
    }
    if text.trim().is_empty() {
        text = addressee;
    }
    truncate_chars(text.trim(), max_chars)
}

/// All text of a Markdown document, for search indexes and checks.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) if !text.ends_with('\n') => text.push('\n'),
            _ => {}
        }
    }
    text
}

pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_unique_ids() {
        let html = to_html("## 第一章 总则\n\n## 第一章 总则\n");
        assert!(html.contains("<h2 id=\"第一章-总则\">"), "{html}");
        assert!(html.contains("<h2 id=\"第一章-总则-1\">"), "{html}");
    }

    #[test]
    fn raw_html_is_sanitised() {
        let html = to_html(
            "<script>alert(1)</script>\n\n<a href=\"javascript:alert(1)\" onclick=\"x()\">a</a> <img src=x onerror=\"y()\">\n",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn heading_attributes_cannot_add_handlers() {
        let html = to_html("## 标题 {#intro .lead onmouseover=alert(1) style=position:fixed}\n");
        assert_eq!(html, "<h2 id=\"intro\" class=\"lead\">标题</h2>\n");
    }

    #[test]
    fn markdown_links_with_script_urls_are_neutralised() {
        let html = to_html(
            "[a](javascript:alert(1)) [b](JavaScript:x) ![c](data:text/html,x) [t](<java\tscript:x>) [u](java&#9;script:y) \
             [d](https://www.gov.cn/) [e](/qa/)",
        );
        assert!(!html.to_ascii_lowercase().contains("script:"), "{html}");
        assert!(!html.contains("data:"), "{html}");
        assert!(html.contains("href=\"https://www.gov.cn/\"") && html.contains("href=\"/qa/\""), "{html}");
    }

    #[test]
    fn summary_takes_first_paragraph() {
        assert_eq!(summary("## 标题\n\n第一段**文字**。\n\n第二段。", 100), "第一段文字。");
        assert_eq!(summary("一二三四五", 3), "一二三…");
        assert_eq!(summary("各省、自治区人民政府：\n\n现将有关事项通知如下。", 100), "现将有关事项通知如下。");
        assert_eq!(summary("各部门：", 100), "各部门：");
    }
}
