//! `feeds/changes.json`: what was added, changed or repealed since the
//! previous build, and which feeds each change reaches, for push platforms
//! (蒙速办, 蒙企通) that notify subscribers instead of polling feeds.
//!
//! The previous build's view of every policy is kept in `feeds/state.json`
//! in the output; comparing it with this build's gives the change set, so a
//! rebuild without edits reports nothing.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Matcher, audience_codes, is_feedable};
use crate::library::Library;
use crate::profile::{Audience, DIMENSIONS, Dimensions, Profile};

/// What a build published, as the next build reads it back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub as_of: String,
    /// Every feed key written, so later builds keep writing them.
    pub feeds: Vec<String>,
    /// Policies by site URL.
    pub policies: BTreeMap<String, PolicyState>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PolicyState {
    pub title: String,
    pub doc_number: Option<String>,
    /// [`crate::library::Status::slug`]
    pub status: String,
    pub published: String,
    /// Changes whenever anything a subscriber sees changes.
    pub fingerprint: String,
    /// Codes per `[audience]` field.
    pub audience: BTreeMap<String, Vec<String>>,
}

/// FNV-1a: stable across builds and platforms, unlike std's hasher.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

impl State {
    pub fn of(library: &Library, matcher: &Matcher, feeds: Vec<String>) -> State {
        let dimensions = &matcher.dimensions;
        // Fingerprints hash every body byte by byte: on every core.
        let policies = (0..library.docs.len()).into_par_iter().filter_map(|id| {
            let doc = &library.docs[id];
            let p = doc.policy()?;
            let status = library.status[id].map_or("", |s| s.slug()).to_string();
            let audience = audience_codes(&p.audience, dimensions);
            let links = &library.links[id];
            let interpretations = links.interpretations.iter().map(|&i| library.docs[i].body.as_str());
            let published = p.published.to_string();
            let apply = format!("{:?}", p.apply);
            let audience_text = format!("{audience:?}");
            let mut parts = vec![
                doc.title.as_str(),
                p.doc_number.as_ref().map_or("", |n| n.value.as_str()),
                status.as_str(),
                published.as_str(),
                audience_text.as_str(),
                apply.as_str(),
                doc.description.as_deref().unwrap_or(""),
                doc.body.as_str(),
            ];
            parts.extend(interpretations);
            let state = PolicyState {
                title: doc.title.clone(),
                doc_number: p.doc_number.as_ref().map(|n| n.value.clone()),
                fingerprint: fingerprint(&parts),
                status,
                published,
                audience,
            };
            Some((doc.url.clone(), state))
        });
        State { version: 1, as_of: library.as_of.to_string(), feeds, policies: policies.collect() }
    }
}

fn feedable_slug(slug: &str) -> bool {
    crate::library::Status::ALL.iter().any(|s| s.slug() == slug && is_feedable(Some(*s)))
}

/// Audience from codes; codes this site no longer knows are dropped.
fn audience_of(codes: &BTreeMap<String, Vec<String>>, dimensions: &Dimensions) -> Audience {
    let mut audience = Audience::default();
    for d in 0..DIMENSIONS {
        if let Some(values) = codes.get(dimensions.list[d].field) {
            audience.0[d] = values.iter().filter_map(|c| dimensions.lookup(d, c)).collect();
        }
    }
    audience
}

/// The change log between `previous` and `current`, with, per feed key,
/// the indexes of the changes that reach it.
pub fn diff(
    previous: Option<&State>,
    current: &State,
    matcher: &Matcher,
    written: &BTreeMap<String, Profile>,
) -> serde_json::Value {
    let Some(previous) = previous else {
        return json!({
            "version": 1,
            "as_of": current.as_of,
            "previous_as_of": null,
            "baseline": true,
            "changes": [],
            "feeds": {},
        });
    };
    let dimensions = &matcher.dimensions;
    let urls: BTreeSet<&String> = previous.policies.keys().chain(current.policies.keys()).collect();
    let mut changes = Vec::new();
    let mut reach: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for url in urls {
        let (before, after) = (previous.policies.get(url), current.policies.get(url));
        let was = before.is_some_and(|b| feedable_slug(&b.status));
        let is = after.is_some_and(|a| feedable_slug(&a.status));
        let change = match (was, is) {
            (false, true) => "added",
            (true, true) if before.map(|b| &b.fingerprint) != after.map(|a| &a.fingerprint) => "changed",
            (true, false) if after.is_some() => "repealed",
            (true, false) => "removed",
            _ => continue,
        };
        let shown = after.or(before).expect("one side exists");
        let audiences: Vec<Audience> =
            [before, after].into_iter().flatten().map(|s| audience_of(&s.audience, dimensions)).collect();
        let index = changes.len();
        changes.push(json!({
            "change": change,
            "url": format!("{}{url}", matcher.base_url),
            "title": shown.title,
            "doc_number": shown.doc_number,
            "status": shown.status,
            "published": shown.published,
        }));
        for (key, profile) in written {
            if audiences.iter().any(|a| profile.admits(a, dimensions)) {
                reach.entry(key.as_str()).or_default().push(index);
            }
        }
    }
    json!({
        "version": 1,
        "as_of": current.as_of,
        "previous_as_of": previous.as_of,
        "baseline": false,
        "changes": changes,
        "feeds": reach,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_separates_fields() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["x"]), fingerprint(&["x"]));
    }
}
