//! Post-processing of rendered HTML with lol_html.
//!
//! Two passes: [`ContentPass`] over a document's body (文号 autolinks,
//! heading anchors) and [`finish_page`] over each whole page (external link
//! `rel`, missing `alt`). A body without raw HTML gets its additions on the
//! Markdown parser's events instead ([`ContentPass::render`]): parsing the
//! HTML again was a third of the render phase.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, doc_text, element, rewrite_str};
use pulldown_cmark::Event;

use crate::markdown::{self, BodyAdditions, Rendered};

/// The character that ends every canonical 文号 (see `DocNumber`'s Display).
const DOC_NUMBER_END: char = '号';

/// Turns every 文号 of the library mentioned in body text into a link.
pub struct ContentPass {
    matcher: Option<AhoCorasick>,
    /// (canonical 文号, URL) in pattern order.
    targets: Vec<(String, String)>,
    /// [`DOC_NUMBER_END`], when every pattern holds it: text without it is
    /// let through without running the automaton. Few paragraphs name a
    /// 文号, and with one pattern per policy the automaton's walk over every
    /// byte of every body was a fifth of the render phase.
    required: Option<memchr::memmem::Finder<'static>>,
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
        let required = numbers
            .iter()
            .all(|(n, _)| n.contains(DOC_NUMBER_END))
            .then(|| memchr::memmem::Finder::new(DOC_NUMBER_END.encode_utf8(&mut [0; 4]).as_bytes()).into_owned());
        ContentPass { matcher, targets: numbers, required }
    }

    /// Renders a document body with its 文号 linked and anchor links on its
    /// headings: on the Markdown parser's events, or with [`Self::run`]
    /// when the body has raw HTML.
    pub fn render(&self, markdown: &str, self_url: &str) -> String {
        match markdown::to_html_with(markdown, Some(&BodyLinks { pass: self, self_url })) {
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
                        let id = unescape(&el.get_attribute("id").unwrap_or_default()).into_owned();
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
        for piece in self.pieces(text, self_url) {
            out.push_str(match &piece {
                Piece::Text(t) => t,
                Piece::Link(link) => link,
            });
        }
        out
    }

    /// `text` as runs of text and links to the other documents whose 文号
    /// it names, in order. No 文号 holds `&`, `<` or `>`, so escaped and
    /// plain text are cut alike.
    fn pieces<'t>(&self, text: &'t str, self_url: &str) -> Vec<Piece<'t>> {
        let may_match = self.required.as_ref().is_none_or(|required| required.find(text.as_bytes()).is_some());
        let mut pieces = Vec::new();
        let mut last = 0;
        for m in self.matcher.iter().filter(|_| may_match).flat_map(|matcher| matcher.find_iter(text)) {
            let (number, url) = &self.targets[m.pattern().as_usize()];
            if url == self_url {
                continue;
            }
            if m.start() > last {
                pieces.push(Piece::Text(&text[last..m.start()]));
            }
            pieces.push(Piece::Link(format!(
                "<a class=\"doc-number-link\" href=\"{}\">{}</a>",
                escape_attr(url),
                escape_attr(number)
            )));
            last = m.end();
        }
        if last < text.len() {
            pieces.push(Piece::Text(&text[last..]));
        }
        pieces
    }
}

enum Piece<'t> {
    Text(&'t str),
    Link(String),
}

/// [`ContentPass`] for one document, on Markdown events.
struct BodyLinks<'p> {
    pass: &'p ContentPass,
    self_url: &'p str,
}

impl BodyAdditions for BodyLinks<'_> {
    fn text(&self, text: String, emit: &mut dyn FnMut(Event<'static>)) {
        let pieces = self.pass.pieces(&text, self.self_url);
        if let [Piece::Text(_)] = pieces.as_slice() {
            emit(Event::Text(text.into()));
            return;
        }
        for piece in pieces {
            emit(match piece {
                Piece::Text(t) => Event::Text(t.to_string().into()),
                Piece::Link(link) => Event::InlineHtml(link.into()),
            });
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
///
/// Fails with lol_html's reason when it cannot read the page, which only a
/// theme's malformed markup causes (such as `<script a=>`): the page would
/// otherwise be published without that guarantee.
pub fn finish_page(html: Vec<u8>, site_domain: &str) -> Result<Vec<u8>, String> {
    if !may_need_finishing(&html, site_domain) {
        return Ok(html);
    }
    match std::str::from_utf8(&html) {
        Ok(text) => rewrite_page(text, site_domain).map(String::into_bytes),
        // tera writes only strings; should that ever change, the page goes
        // out as it is rather than not at all.
        Err(_) => Ok(html),
    }
}

/// False only when [`finish_page`] would leave `html` as it is: no `img`
/// element, and every link either internal or already carrying
/// `rel="noopener noreferrer"`. Most pages are like that, and skipping
/// their parse saved a tenth of the render phase on 10k documents.
///
/// Tags are read as the HTML tokenizer reads them (quoted and unquoted
/// attribute values, comments, raw-text elements), so a quote in text or a
/// commented-out tag cannot hide a real link; whatever this reader does not
/// follow exactly (a character reference in a value, CDATA, `<?`, script
/// that opens a comment) answers true.
///
/// It reads bytes, as tera wrote them: every page goes through here, and
/// checking that a page is UTF-8 cost as much as reading it.
fn may_need_finishing(bytes: &[u8], site_domain: &str) -> bool {
    let skip_past = |from: usize, byte: u8| memchr::memchr(byte, &bytes[from..]).map(|p| from + p + 1);
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[i..]) {
        i += offset + 1;
        let rest = &bytes[i..];
        if rest.starts_with(b"!--") {
            // `<!-->` and `<!--->` end at once; otherwise the first `-->`
            // or `--!>` does.
            let body = &bytes[i + 3..];
            if body.starts_with(b">") || body.starts_with(b"->") {
                continue;
            }
            let find = |needle: &[u8]| memchr::memmem::find(body, needle);
            match [find(b"-->"), find(b"--!>")].into_iter().flatten().min() {
                Some(end) => i += 3 + end,
                None => return false,
            }
            continue;
        }
        if rest.starts_with(b"![CDATA[") {
            return true;
        }
        let end_tag = rest.first() == Some(&b'/');
        let name_start = if end_tag { i + 1 } else { i };
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // Doctypes and bogus comments (`<!x`, `<?x`, `</ x`) end at the
            // first `>`.
            if let Some(b'!' | b'?' | b'/') = rest.first() {
                match skip_past(i, b'>') {
                    Some(end) => i = end,
                    None => return false,
                }
            }
            continue;
        }
        let Some(tag) = read_tag(bytes, name_start) else { return true };
        i = tag.end;
        if end_tag {
            continue;
        }
        let is = |names: &[&str]| names.iter().any(|n| tag.name.eq_ignore_ascii_case(n.as_bytes()));
        // Foreign content and the rarer raw-text elements follow rules this
        // reader does not.
        if is(&["img", "svg", "math", "plaintext", "xmp", "iframe", "noembed", "noframes", "noscript"]) {
            return true;
        }
        if is(&["script", "style", "textarea", "title"]) {
            let Some(end) = raw_text_end(&bytes[i..], tag.name) else { return false };
            if is(&["script"]) && bytes[i..i + end].windows(4).any(|w| w == b"<!--") {
                return true;
            }
            i += end;
        } else if is(&["a"]) {
            let attribute = |wanted: &str| {
                tag.attributes.iter().find(|(n, _)| n.eq_ignore_ascii_case(wanted.as_bytes())).map(|(_, value)| *value)
            };
            let Some(href) = attribute("href") else { continue };
            // Values are short; one that is not UTF-8 (tera writes none) is
            // left to lol_html.
            let (Ok(href), rel) = (std::str::from_utf8(href), attribute("rel").map(std::str::from_utf8)) else {
                return true;
            };
            if is_external(href, site_domain) && !rel.is_some_and(|rel| rel.is_ok_and(has_safe_rel)) {
                return true;
            }
        }
    }
    false
}

/// Where the raw text of element `name` ends: at `</name` followed by
/// whitespace, `/` or `>`, in any case.
fn raw_text_end(text: &[u8], name: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..]
        .windows(name.len() + 2)
        .position(|w| w[0] == b'<' && w[1] == b'/' && w[2..].eq_ignore_ascii_case(name))
    {
        let at = from + at;
        let after = text.get(at + 2 + name.len()).copied();
        if after.is_none_or(|b| is_html_space(b) || b == b'/' || b == b'>') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A start or end tag as the HTML tokenizer reads it.
struct Tag<'h> {
    name: &'h [u8],
    /// Only for `a`, the one element whose attributes the pre-scan reads
    /// (collecting them for every tag was about a tenth of its time).
    attributes: Vec<(&'h [u8], &'h [u8])>,
    /// Just past its `>` (or the end of the text).
    end: usize,
}

/// Reads the tag whose name starts at `start`; `None` when the text ends
/// inside it, or a value is empty before `>` or holds a character
/// reference or a byte-order mark.
fn read_tag(bytes: &[u8], start: usize) -> Option<Tag<'_>> {
    let skip_spaces = |mut i: usize| {
        while bytes.get(i).is_some_and(|&b| is_html_space(b)) {
            i += 1;
        }
        i
    };
    let mut i = start;
    while i < bytes.len() && !is_html_space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    let name = &bytes[start..i];
    let keep_attributes = name.eq_ignore_ascii_case(b"a");
    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && (is_html_space(bytes[i]) || bytes[i] == b'/') {
            i += 1;
        }
        match bytes.get(i) {
            None => return None,
            Some(b'>') => return Some(Tag { name, attributes, end: i + 1 }),
            Some(_) => {}
        }
        // The first character of a name may be `=`.
        let name_start = i;
        i += 1;
        while i < bytes.len() && !is_html_space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let attribute = &bytes[name_start..i];
        i = skip_spaces(i);
        if bytes.get(i) != Some(&b'=') {
            if keep_attributes {
                attributes.push((attribute, b""));
            }
            continue;
        }
        i = skip_spaces(i + 1);
        let value = match bytes.get(i) {
            // `x=>`: lol_html then leaves a raw-text element's content as
            // markup, unlike the tokenizer this reader follows.
            None | Some(b'>') => return None,
            Some(&quote @ (b'"' | b'\'')) => {
                let length = bytes[i + 1..].iter().position(|&b| b == quote)?;
                let value = &bytes[i + 1..i + 1 + length];
                i += length + 2;
                value
            }
            Some(_) => {
                let length = bytes[i..].iter().position(|&b| is_html_space(b) || b == b'>').unwrap_or(bytes.len() - i);
                let value = &bytes[i..i + length];
                i += length;
                value
            }
        };
        // Values with a character reference or a byte-order mark are left
        // to lol_html's reading of the page (which keeps references as
        // written, as `is_external` expects).
        if value.contains(&b'&') || memchr::memmem::find(value, "\u{feff}".as_bytes()).is_some() {
            return None;
        }
        if keep_attributes {
            attributes.push((attribute, value));
        }
    }
}

/// HTML's ASCII whitespace.
fn is_html_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Whether a `rel` value already keeps the opened page from reaching back.
fn has_safe_rel(rel: &str) -> bool {
    let has = |token: &str| rel.split_ascii_whitespace().any(|t| t.eq_ignore_ascii_case(token));
    has("noopener") && has("noreferrer")
}

fn rewrite_page(html: &str, site_domain: &str) -> Result<String, String> {
    let result = rewrite_str(
        html,
        RewriteStrSettings {
            element_content_handlers: vec![
                element!("a[href]", |el| {
                    let href = el.get_attribute("href").unwrap_or_default();
                    let rel = el.get_attribute("rel");
                    if is_external(&href, site_domain) && !rel.as_deref().is_some_and(has_safe_rel) {
                        // Tokens the theme set (nofollow, external …) stay.
                        let mut tokens: Vec<&str> = rel.as_deref().unwrap_or("").split_ascii_whitespace().collect();
                        for wanted in ["noopener", "noreferrer"] {
                            if !tokens.iter().any(|t| t.eq_ignore_ascii_case(wanted)) {
                                tokens.push(wanted);
                            }
                        }
                        el.set_attribute("rel", &tokens.join(" "))?;
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
    result.map_err(|e| e.to_string())
}

fn is_external(href: &str, site_domain: &str) -> bool {
    // Case-insensitive without lowering copies: the page pre-scan asks this
    // of every link of every page.
    let plain = href.trim();
    let strip = |prefix: &str| {
        plain.get(..prefix.len()).filter(|head| head.eq_ignore_ascii_case(prefix)).map(|_| &plain[prefix.len()..])
    };
    if let Some(rest) = strip("https://").or_else(|| strip("http://")).or_else(|| strip("//")) {
        // Only a host that is exactly the site's is the site's; whatever
        // else a browser makes of the rest, it is not this host.
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        return !host.eq_ignore_ascii_case(site_domain);
    }
    leaves_site(href, site_domain)
}

/// Whether a link that does not plainly start with `http(s)://` or `//`
/// still leaves the site as a browser reads it: attribute values come here
/// as written, so `&#104;ttps://x` or `https&colon;//x`, and the URL
/// parser drops tabs and newlines and reads `\\x`, `https:/x` and, on an
/// http site, `https:x` as another host.
fn leaves_site(href: &str, site_domain: &str) -> bool {
    // Nearly every link of a page is a path of the site, a query or a
    // fragment; nothing after such a start can make it leave the site.
    match href.as_bytes() {
        [b'#' | b'?', ..] => return false,
        [b'/', next, ..] if !matches!(next, b'/' | b'\\' | b'&' | b'\t' | b'\n' | b'\r') => return false,
        _ => {}
    }
    let decoded = unescape(href);
    // WHATWG URL parsing drops leading and trailing C0 controls and spaces,
    // and ASCII tabs and newlines anywhere.
    let trimmed = decoded.trim_matches(|c: char| c <= ' ');
    let cleaned: Cow<str> = if trimmed.contains(['\t', '\n', '\r']) {
        trimmed.replace(['\t', '\n', '\r'], "").into()
    } else {
        trimmed.into()
    };
    let mut start = cleaned.chars();
    let slash = |c: Option<char>| matches!(c, Some('/' | '\\'));
    let network_path = slash(start.next()) && slash(start.next());
    let scheme = cleaned.split_once(':').map(|(scheme, _)| scheme).filter(|scheme| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let web_scheme = scheme.is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
    if !network_path && scheme.is_none() {
        return false;
    }
    // Against both schemes the site may be served with: `https:x` is a path
    // on an https site but the host `x` on an http one.
    ["http", "https"].iter().any(|scheme| {
        let Ok(base) = url::Url::parse(&format!("{scheme}://{site_domain}/")) else { return true };
        match url::Url::options().base_url(Some(&base)).parse(&cleaned) {
            Ok(url) => {
                let authority = &url[url::Position::BeforeHost..url::Position::AfterPort];
                matches!(url.scheme(), "http" | "https") && !authority.eq_ignore_ascii_case(site_domain)
            }
            // A host the parser refuses, a browser may still go to (its
            // host rules can differ from this crate's): count it as leaving.
            Err(_) => network_path || web_scheme,
        }
    })
}

/// Text or an attribute value with its character references decoded, as a
/// browser reads it: undoes [`escape_attr`] and the sanitiser's serialiser,
/// and reads hrefs as written. Named references are HTML's (markup5ever's
/// table) and must end in `;`: the legacy ones a browser also takes without
/// it stand for no character a URL's scheme, slashes or host could be made of.
pub fn unescape(value: &str) -> Cow<'_, str> {
    if !value.contains('&') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match reference(after) {
            Some((text, used)) => {
                out.push_str(&text);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// What HTML's numeric character references 0x80–0x9F stand for: the
/// windows-1252 characters at those codes (the five it leaves undefined
/// stay as they are).
const WINDOWS_1252_HIGH: [u32; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D,
    0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,
    0x017E, 0x0178,
];

/// The character reference `text` starts with (after its `&`): what it
/// stands for, and the bytes it takes.
fn reference(text: &str) -> Option<(String, usize)> {
    if let Some(number) = text.strip_prefix('#') {
        let (radix, skip, digits) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (16, 2, hex.bytes().take_while(u8::is_ascii_hexdigit).count()),
            None => (10, 1, number.bytes().take_while(u8::is_ascii_digit).count()),
        };
        if digits == 0 {
            return None;
        }
        let code = u32::from_str_radix(&text[skip..skip + digits], radix).ok();
        // HTML reads 0x80–0x9F as windows-1252, whose letters can spell a host.
        let code = code.map(|code| match code {
            0x80..=0x9F => WINDOWS_1252_HIGH[(code - 0x80) as usize],
            _ => code,
        });
        let c = code.and_then(char::from_u32).filter(|&c| c != '\0').unwrap_or(char::REPLACEMENT_CHARACTER);
        let semicolon = usize::from(text[skip + digits..].starts_with(';'));
        return Some((c.to_string(), skip + digits + semicolon));
    }
    let name = text.bytes().take_while(u8::is_ascii_alphanumeric).count();
    let with_semicolon = text.get(..=name).filter(|n| n.ends_with(';'))?;
    let &(first, second) = markup5ever::data::NAMED_ENTITIES.get(with_semicolon)?;
    let decoded = [first, second].into_iter().filter(|&c| c != 0).filter_map(char::from_u32).collect();
    Some((decoded, name + 1))
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
    /// and it does skip the pages it should.
    #[test]
    fn pages_are_only_skipped_when_the_pass_would_not_change_them() {
        // (page, skipped)
        let pages = [
            ("<a href=\"/x/\">a</a><link rel=\"canonical\" href=\"https://site.gov.cn/x/\">", true),
            ("<a href=\"https://www.gov.cn/x\">a</a>", false),
            ("<a HREF = 'HTTPS://WWW.GOV.CN/'>a</a>", false),
            ("<a href=//www.gov.cn/>a</a>", false),
            ("<a href=\"&#104;ttps://www.gov.cn/\">a</a>", false),
            ("<a href=\"https://site.gov.cn/y\">b</a><a href=\" /z \">c</a>", true),
            ("<a data-href=\"https://www.gov.cn/\" href=\"/q\">a</a>", true),
            ("<p>href 不是属性，href=</p><a href=\"/ok\">x</a>", true),
            ("<IMG src=\"/a.png\"><p>x</p>", false),
            ("<a href=\"https://www.gov.cn/", false),
            ("<a href=/a/>x</a><a href=https://www.gov.cn>y</a>", false),
            ("<!DOCTYPE html><p>无链接</p>", true),
            ("<a href=\"https://www.gov.cn/\" rel=\"noopener noreferrer\">a</a>", true),
            ("<a href=\"https://www.gov.cn/\" REL=\"NoOpener  noreferrer external\">a</a>", true),
            ("<a href=\"https://www.gov.cn/\" rel=\"nofollow\">a</a>", false),
            ("<a href=\"https://www.gov.cn/\" rel=\"noopener\">a</a>", false),
            // Quotes and markup that are not what they seem.
            ("<p title='\"'><a href=\"https://www.gov.cn/\">a</a></p>", false),
            ("<!-- <a href=\"https://www.gov.cn/\"> --><p>x</p>", true),
            ("<!-- <a title=\" --> <a href=\"https://www.gov.cn/\">a</a>", false),
            ("<!-- x --!> <a href=\"https://www.gov.cn/\">a</a> -->", false),
            ("<!--> <a href=\"https://www.gov.cn/\">a</a>", false),
            ("</ <a title=\"> <a href=\"https://www.gov.cn/\">a</a>", false),
            ("<? <a title=\"> <a href=\"https://www.gov.cn/\">a</a>", false),
            ("<script>var a = \"<a href='https://www.gov.cn/'>\";</script><a href=\"/in/\">x</a>", true),
            ("<script>\"</scriptx>\"</script ><a href=\"https://www.gov.cn/\">a</a>", false),
            ("<textarea><a href=\"https://www.gov.cn/\"></textarea><p>x</p>", true),
            ("<title>\"</title><a href=\"https://www.gov.cn/\">a</a>", false),
            ("<script><!--<script>x</script>--></script><p>x</p>", false),
            ("<svg><a href=\"/x\"></a></svg>", false),
            // Found by a fuzzing review: lol_html's own readings.
            ("<title x=><b>t</b><img src=\"/a.png\"></title>", false),
            ("<style media=><p><a href=\"https://www.gov.cn/\">x</a></style>", false),
            ("<a href=\"\u{feff}https://www.gov.cn/\">x</a>", false),
            ("<a href=\u{feff}//www.gov.cn/>x</a>", false),
        ];
        for (page, skipped) in pages {
            assert_eq!(!may_need_finishing(page.as_bytes(), "site.gov.cn"), skipped, "{page}");
            if skipped {
                assert_eq!(rewrite_page(page, "site.gov.cn").unwrap(), page, "{page}");
            }
        }
        for page in [1, 2, 10, 14, 16, 18, 21, 29, 30, 31, 32].map(|k| pages[k].0) {
            assert_ne!(finish_page(page.into(), "site.gov.cn").unwrap(), page.as_bytes(), "{page}");
        }
    }

    /// Links read as a browser reads them: references decoded, tabs and
    /// newlines dropped, backslashes and missing slashes as the URL parser
    /// takes them.
    #[test]
    fn external_links_are_found_as_browsers_read_them() {
        let external = [
            "https://www.gov.cn/",
            "HTTP://www.gov.cn",
            "//www.gov.cn/x",
            "https://site.gov.cn@www.gov.cn/",
            "https://site.gov.cn:8443/",
            "&#104;ttps://www.gov.cn/",
            "&#x68;ttps://www.gov.cn/",
            "https&#58;//www.gov.cn/",
            "https&colon;//www.gov.cn/",
            "https:&sol;&sol;www.gov.cn/",
            "ht\ttps://www.gov.cn/",
            "https:\n//www.gov.cn/",
            "\u{1}https://www.gov.cn/",
            "https:/www.gov.cn/",
            "https:\\\\www.gov.cn/",
            "\\\\www.gov.cn/",
            "/\\www.gov.cn/",
            "\\/www.gov.cn/",
            "https:www.gov.cn",
            "http:www.gov.cn",
            "/\\ex&#138;mple.com/",
            "\\\\ex&#154;mple.com",
            "\\\\ex ample.com/",
        ];
        for href in external {
            assert!(is_external(href, "site.gov.cn"), "{href:?} leaves the site");
        }
        let internal = [
            "/policies/x/",
            "policies/x/",
            "?q=a&amp;b=c",
            "#top",
            "https://site.gov.cn/x",
            "https://SITE.gov.cn",
            "//site.gov.cn/x",
            "&#47;policies/",
            "https:&sol;&sol;site.gov.cn/",
            "\\\\site.gov.cn/x",
            "mailto:a@www.gov.cn",
            "tel:12345",
            "javascript:void(0)",
            "\u{feff}https://www.gov.cn/",
            "&unknown;//www.gov.cn/",
            "/a&b",
        ];
        for href in internal {
            assert!(!is_external(href, "site.gov.cn"), "{href:?} stays on the site");
        }
        assert!(is_external("https:www.gov.cn", "127.0.0.1:1111"));
        assert!(!is_external("http://127.0.0.1:1111/x", "127.0.0.1:1111"));
        assert!(is_external("http://127.0.0.1:2222/x", "127.0.0.1:1111"));
    }

    #[test]
    fn character_references_decode_as_in_html() {
        assert_eq!(unescape("a&amp;b&#58;&#x2F;&colon;&lt;&#0;&#xZ;&amp"), "a&b:/:<\u{fffd}&#xZ;&amp");
        assert_eq!(unescape("&NotNestedGreaterGreater;"), "\u{2aa2}\u{338}");
        assert_eq!(unescape("&#138;&#x9a;&#128;&#129;"), "Šš€\u{81}");
        assert!(matches!(unescape("/plain"), Cow::Borrowed("/plain")));
    }

    /// A page of `site.gov.cn` after [`finish_page`].
    fn finished(page: &str) -> String {
        String::from_utf8(finish_page(page.into(), "site.gov.cn").unwrap()).unwrap()
    }

    #[test]
    fn encoded_external_links_get_rel() {
        assert_eq!(
            finished("<a href=\"https&#58;//www.gov.cn/\">a</a>"),
            "<a href=\"https&#58;//www.gov.cn/\" rel=\"noopener noreferrer\">a</a>"
        );
    }

    #[test]
    fn external_links_keep_their_rel_tokens() {
        assert_eq!(
            finished("<a href=\"https://www.gov.cn/\" rel=\"nofollow noopener\">a</a>"),
            "<a href=\"https://www.gov.cn/\" rel=\"nofollow noopener noreferrer\">a</a>"
        );
    }

    #[test]
    fn external_links_get_rel() {
        assert_eq!(
            finished(
                "<a href=\"https://www.gov.cn/x\">a</a><a href=\"https://site.gov.cn/y\">b</a><a href=\"/z\">c</a>"
            ),
            "<a href=\"https://www.gov.cn/x\" rel=\"noopener noreferrer\">a</a><a href=\"https://site.gov.cn/y\">b</a><a href=\"/z\">c</a>"
        );
    }
}
