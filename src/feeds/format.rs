//! Atom 1.0, RSS 2.0 and JSON Feed 1.1 writers. Each entry is serialised
//! once per format and the fragments are concatenated into every feed that
//! holds it, which keeps thousands of profile feeds cheap.
//!
//! Dates carry no time of day in the content, so they are written as
//! midnight China Standard Time.

use std::collections::HashMap;

use jiff::civil::{Date, Weekday};
use rayon::prelude::*;
use serde_json::json;

use super::{Entry, FEEDS_DIR, audience_codes};
use crate::config::Config;
use crate::content::{Apply, Kind};
use crate::html::escape_attr as xml_escape;
use crate::library::{DocId, Library};
use crate::profile::Dimensions;
use crate::render::OutputFile;

pub struct FeedMeta<'a> {
    pub key: &'a str,
    pub title: String,
    pub updated: Date,
}

fn rfc3339(date: Date) -> String {
    format!("{date}T00:00:00+08:00")
}

/// RFC 822 date as RSS 2.0 requires: `Tue, 05 Feb 2019 00:00:00 +0800`.
fn rfc822(date: Date) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let day = match date.weekday() {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    };
    let month = MONTHS[usize::try_from(date.month() - 1).unwrap_or(0)];
    format!("{day}, {:02} {month} {:04} 00:00:00 +0800", date.day(), date.year())
}

/// The three serialisations of one entry.
struct Fragment {
    atom: String,
    rss: String,
    json: String,
}

pub struct Fragments {
    base_url: String,
    author: String,
    by_doc: HashMap<DocId, Fragment>,
}

impl Fragments {
    pub fn new(config: &Config) -> Fragments {
        let author = if config.footer.host.is_empty() { config.title.clone() } else { config.footer.host.clone() };
        Fragments { base_url: config.base_url.clone(), author, by_doc: HashMap::new() }
    }

    /// Serialises the entries not seen before, in parallel. Only entries
    /// that some feed shows are ever serialised: with a `feed_limit`, a
    /// small share of a large library.
    pub fn add<'e>(&mut self, library: &Library, dimensions: &Dimensions, entries: impl Iterator<Item = &'e Entry>) {
        let mut new: Vec<&Entry> = entries.filter(|e| !self.by_doc.contains_key(&e.id)).collect();
        new.sort_by_key(|e| e.id);
        new.dedup_by_key(|e| e.id);
        let base_url = &self.base_url;
        let made: Vec<(DocId, Fragment)> =
            new.par_iter().map(|e| (e.id, fragment(library, dimensions, base_url, e))).collect();
        self.by_doc.extend(made);
    }

    /// The Atom, RSS and JSON files of one feed.
    pub fn feeds(&self, meta: &FeedMeta, entries: &[&Entry]) -> Vec<OutputFile> {
        let base = &self.base_url;
        let key = meta.key;
        let page = xml_escape(&format!("{base}/{FEEDS_DIR}/?profile={key}"));
        let title = xml_escape(&meta.title);
        let author = xml_escape(&self.author);
        let fragments: Vec<&Fragment> = entries.iter().filter_map(|e| self.by_doc.get(&e.id)).collect();

        let mut atom = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n\
             <id>{base}/{FEEDS_DIR}/{key}.atom</id>\n<title>{title}</title>\n<updated>{}</updated>\n\
             <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/{FEEDS_DIR}/{key}.atom\"/>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{page}\"/>\n\
             <author><name>{author}</name></author>\n<generator>zhiku</generator>\n",
            rfc3339(meta.updated)
        );
        // Sized once: grown by doubling, a feed's buffer was copied a few
        // times and kept up to half unused while it waited for the writer.
        const ATOM_END: &str = "</feed>\n";
        atom.reserve_exact(fragments.iter().map(|f| f.atom.len()).sum::<usize>() + ATOM_END.len());
        fragments.iter().for_each(|f| atom.push_str(&f.atom));
        atom.push_str(ATOM_END);

        let mut rss = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" \
             xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>{title}</title>\n<link>{page}</link>\n\
             <description>{title}</description>\n<language>zh-CN</language>\n<lastBuildDate>{}</lastBuildDate>\n\
             <atom:link href=\"{base}/{FEEDS_DIR}/{key}.rss\" rel=\"self\" type=\"application/rss+xml\"/>\n\
             <generator>zhiku</generator>\n",
            rfc822(meta.updated)
        );
        const RSS_END: &str = "</channel>\n</rss>\n";
        rss.reserve_exact(fragments.iter().map(|f| f.rss.len()).sum::<usize>() + RSS_END.len());
        fragments.iter().for_each(|f| rss.push_str(&f.rss));
        rss.push_str(RSS_END);

        let head = json!({
            "version": "https://jsonfeed.org/version/1.1",
            "title": meta.title,
            "home_page_url": format!("{base}/{FEEDS_DIR}/?profile={key}"),
            "feed_url": format!("{base}/{FEEDS_DIR}/{key}.json"),
            "language": "zh-CN",
            "authors": [{ "name": self.author }],
            "_zhiku": { "profile": key, "updated": rfc3339(meta.updated) },
        });
        // The head is an object; its closing brace is replaced by the items.
        let head = head.to_string();
        const ITEMS_START: &str = ",\"items\":[";
        const ITEMS_END: &str = "\n]}\n";
        // Each item is preceded by a newline and, after the first, a comma.
        let items: usize = fragments.iter().map(|f| f.json.len() + 2).sum();
        let mut json = String::with_capacity(head.len() + ITEMS_START.len() + items + ITEMS_END.len());
        json.push_str(&head[..head.len() - 1]);
        json.push_str(ITEMS_START);
        for (i, f) in fragments.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push('\n');
            json.push_str(&f.json);
        }
        json.push_str(ITEMS_END);

        vec![
            OutputFile { path: format!("{FEEDS_DIR}/{key}.atom"), bytes: atom.into_bytes() },
            OutputFile { path: format!("{FEEDS_DIR}/{key}.rss"), bytes: rss.into_bytes() },
            OutputFile { path: format!("{FEEDS_DIR}/{key}.json"), bytes: json.into_bytes() },
        ]
    }
}

/// The HTML body of an entry: its metadata and summary, escaped.
fn content_html(library: &Library, e: &Entry) -> String {
    let mut html = String::from("<dl>");
    let mut row = |term: &str, value: &str| {
        html.push_str(&format!("<dt>{term}</dt><dd>{}</dd>", xml_escape(value)));
    };
    row("类型", e.kind.label());
    if let Some(n) = &e.doc_number {
        row("文号", n);
    }
    if !e.issuers.is_empty() {
        row("发文机关", &e.issuers.join("、"));
    }
    if let Some(s) = e.status {
        row("有效性", s.label());
    }
    if e.kind == Kind::Interpretation {
        row("解读的政策", &library.docs[e.policy].title);
    }
    if let Some(apply) = library.docs[e.policy].policy().and_then(|p| p.apply.as_ref()) {
        if apply.no_application {
            row("办理方式", "免申即享");
        }
        if let Some(d) = apply.deadline {
            row("申报截止", &d.to_string());
        }
    }
    html.push_str("</dl>");
    html.push_str(&format!("<p>{}</p>", xml_escape(&e.summary)));
    html
}

/// The `[apply]` table as published in JSON.
pub fn apply_json(a: &Apply) -> serde_json::Value {
    json!({
        "deadline": a.deadline.map(|d| d.to_string()),
        "no_application": a.no_application,
        "conditions": a.conditions,
        "contact": a.contact,
        "where": a.channel,
        "url": a.url,
    })
}

fn fragment(library: &Library, dimensions: &Dimensions, base: &str, e: &Entry) -> Fragment {
    let url = format!("{base}{}", e.url);
    let title = xml_escape(&e.title);
    let issuers = e.issuers.join("、");
    let html = content_html(library, e);
    let mut categories = String::new();
    let mut tags = vec![e.kind.label().to_string()];
    if let Some(s) = e.status {
        categories.push_str(&format!(
            "<category term=\"{}\" label=\"{}\" scheme=\"{base}/status/\"/>",
            s.slug(),
            s.label()
        ));
        tags.push(s.label().to_string());
    }
    let author = if issuers.is_empty() {
        String::new()
    } else {
        format!("<author><name>{}</name></author>", xml_escape(&issuers))
    };
    let atom = format!(
        "<entry>\n<id>{u}</id>\n<title>{title}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{u}\"/>\n\
         <published>{}</published>\n<updated>{}</updated>\n{author}{categories}\n\
         <content type=\"html\">{}</content>\n</entry>\n",
        rfc3339(e.published),
        rfc3339(e.updated),
        xml_escape(&html),
        u = xml_escape(&url),
    );
    let creator =
        if issuers.is_empty() { String::new() } else { format!("<dc:creator>{}</dc:creator>", xml_escape(&issuers)) };
    let rss = format!(
        "<item>\n<title>{title}</title>\n<link>{u}</link>\n<guid isPermaLink=\"true\">{u}</guid>\n\
         <pubDate>{}</pubDate>\n{creator}{}\n<description>{}</description>\n</item>\n",
        rfc822(e.published),
        tags.iter().map(|t| format!("<category>{}</category>", xml_escape(t))).collect::<String>(),
        xml_escape(&html),
        u = xml_escape(&url),
    );
    let policy = library.docs[e.policy].policy();
    let apply = policy.and_then(|p| p.apply.as_ref()).map(apply_json);
    let mut item = json!({
        "id": url,
        "url": url,
        "title": e.title,
        "content_html": html,
        "date_published": rfc3339(e.published),
        "date_modified": rfc3339(e.updated),
        "tags": tags,
        "_zhiku": {
            "kind": e.kind.slug(),
            "doc_number": e.doc_number,
            "status": e.status.map(|s| s.slug()),
            "audience": policy.map(|p| audience_codes(&p.audience, dimensions)),
            "apply": apply,
            "policy_url": format!("{base}{}", library.docs[e.policy].url),
        },
    });
    if !issuers.is_empty() {
        item["authors"] = json!([{ "name": issuers }]);
    }
    Fragment { atom, rss, json: item.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_dates_name_the_weekday() {
        assert_eq!(rfc822(jiff::civil::date(2019, 2, 5)), "Tue, 05 Feb 2019 00:00:00 +0800");
        assert_eq!(rfc3339(jiff::civil::date(2019, 2, 5)), "2019-02-05T00:00:00+08:00");
    }

    #[test]
    fn xml_escape_drops_what_xml_cannot_carry() {
        assert_eq!(xml_escape("a<b&\"c\u{1}\u{8}\td'"), "a&lt;b&amp;&quot;c\td&#39;");
    }
}
