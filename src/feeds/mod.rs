//! 政策找人 feeds: one Atom, RSS and JSON Feed per profile under `feeds/`,
//! the profile → feed map the 政策找人 page reads, and the change log for
//! push integrators.
//!
//! URL scheme (documented in docs/feeds.md): `/feeds/<key>.atom`, `.rss`
//! and `.json`, where `<key>` is a [`Profile::key`]: `all` for the whole
//! library, `r-152201` for one dimension value, `s-person.r-152201.g-graduate`
//! for a combination.
//!
//! Bounding the output: every profile a visitor can pick is mapped to the
//! most general profile with exactly the same policies (dropping one narrowed
//! dimension at a time, in key order, while the policy set stays the same),
//! and only those keys get files. The key a subscriber was given always
//! names a generalisation of their profile, so its feed can only ever hold
//! more than their own, never less; and every key written once is written
//! again by later builds (read back from `state.json`), so a subscription
//! never turns into a 404.

mod changes;
mod format;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use jiff::civil::Date;
use rayon::prelude::*;

use crate::config::Config;
use crate::content::Kind;
use crate::library::{DocId, Library, Status};
use crate::markdown;
use crate::profile::{DIMENSIONS, Dimensions, Profile};
use crate::render::OutputFile;

pub use changes::State;
pub use format::apply_json;

pub const FEEDS_DIR: &str = "feeds";
pub const PROFILES_FILE: &str = "profiles.json";
pub const CHANGES_FILE: &str = "changes.json";
pub const STATE_FILE: &str = "state.json";

/// Statuses whose policies stay in feeds. A repealed or expired policy
/// leaves them and is reported in `changes.json` instead.
pub fn is_feedable(status: Option<Status>) -> bool {
    matches!(status, Some(Status::InForce | Status::Amended | Status::NotYetEffective))
}

/// What the feeds stage produced, for the build summary and benchmarks.
#[derive(Debug, Default, Clone, Copy)]
pub struct FeedStats {
    /// Distinct profile keys with feed files.
    pub feeds: usize,
    /// Files written (three per key plus the JSON indexes).
    pub files: usize,
    pub bytes: usize,
}

/// A fixed-size set of feedable-policy indexes.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn full(n: usize) -> Bits {
        let mut words = vec![u64::MAX; n.div_ceil(64)];
        if !n.is_multiple_of(64)
            && let Some(last) = words.last_mut()
        {
            *last = (1u64 << (n % 64)) - 1;
        }
        Bits(words)
    }

    fn empty(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let b = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + b
                })
            })
        })
    }
}

/// Policy sets per profile, computed from per-value bitsets so that
/// thousands of profiles cost a few word operations each.
pub struct Matcher {
    pub dimensions: Dimensions,
    base_url: String,
    /// Feedable policies, newest first: bit `i` is `policies[i]`.
    policies: Vec<DocId>,
    /// `admitted[d][v]`: policies a profile narrowed to value `v` of
    /// dimension `d` (and nothing else) receives.
    admitted: Vec<Vec<Bits>>,
}

impl Matcher {
    pub fn new(library: &Library, config: &Config) -> Matcher {
        let dimensions = Dimensions::from_config(config);
        let mut policies: Vec<DocId> = library.of_kind(Kind::Policy);
        policies.retain(|&id| is_feedable(library.status[id]));
        let n = policies.len();
        // Every (dimension, value) looks at every policy: thousands of
        // audience checks each, so they are spread over the cores.
        let admitted = (0..DIMENSIONS)
            .map(|d| {
                (0..dimensions.list[d].values.len())
                    .into_par_iter()
                    .map(|v| {
                        let profile = Profile::single(d, v);
                        let mut bits = Bits::empty(n);
                        for (i, &id) in policies.iter().enumerate() {
                            if let Some(p) = library.docs[id].policy()
                                && profile.admits(&p.audience, &dimensions)
                            {
                                bits.set(i);
                            }
                        }
                        bits
                    })
                    .collect()
            })
            .collect();
        Matcher { dimensions, base_url: config.base_url.clone(), policies, admitted }
    }

    fn bits(&self, profile: &Profile) -> Bits {
        let mut bits = Bits::full(self.policies.len());
        for (d, chosen) in profile.0.iter().enumerate() {
            if chosen.is_empty() {
                continue;
            }
            let mut union = Bits::empty(self.policies.len());
            for &v in chosen {
                union.or(&self.admitted[d][v]);
            }
            bits.and(&union);
        }
        bits
    }

    /// The policies a profile receives, newest first.
    pub fn policies(&self, profile: &Profile) -> Vec<DocId> {
        self.bits(profile).ones().map(|i| self.policies[i]).collect()
    }

    /// The most general profile with the same policies. Each narrowed
    /// dimension, in key order, is dropped if that keeps the set, and
    /// otherwise widened to every value that admits exactly the same
    /// policies (all industries no policy names, say). Both steps only ever
    /// generalise, so the representative's feed holds every policy the
    /// profile's own would, today and after any later edit.
    pub fn representative(&self, profile: &Profile) -> Profile {
        let target = self.bits(profile);
        let mut current = profile.clone();
        for d in 0..DIMENSIONS {
            if current.0[d].is_empty() {
                continue;
            }
            let mut dropped = current.clone();
            dropped.0[d].clear();
            if self.bits(&dropped) == target {
                current = dropped;
                continue;
            }
            let admitted = &self.admitted[d];
            current.0[d] =
                (0..admitted.len()).filter(|&w| current.0[d].iter().any(|&v| admitted[w] == admitted[v])).collect();
        }
        current
    }

    /// Every profile a reader can find in the 政策找人 page's directory:
    /// the whole library and each single dimension value.
    fn directory(&self) -> Vec<Profile> {
        let mut out = vec![Profile::default()];
        for d in 0..DIMENSIONS {
            out.extend((0..self.dimensions.list[d].values.len()).map(|v| Profile::single(d, v)));
        }
        out
    }
}

/// Chinese title of a profile: 个人 · 乌兰浩特市 · 高校毕业生、退役军人.
pub fn describe(profile: &Profile, dimensions: &Dimensions) -> String {
    let parts: Vec<String> = profile
        .0
        .iter()
        .enumerate()
        .filter(|(_, chosen)| !chosen.is_empty())
        .map(|(d, chosen)| {
            let names: Vec<&str> = chosen.iter().map(|&v| dimensions.list[d].values[v].label.as_str()).collect();
            names.join("、")
        })
        .collect();
    if parts.is_empty() { "全部政策".to_string() } else { parts.join(" · ") }
}

/// Everything a feed entry shows, built once per document and shared by
/// every feed that holds it.
pub struct Entry {
    pub id: DocId,
    pub url: String,
    pub title: String,
    pub published: Date,
    pub updated: Date,
    pub kind: Kind,
    pub doc_number: Option<String>,
    pub issuers: Vec<String>,
    pub status: Option<Status>,
    pub summary: String,
    /// The policy whose audience decides where the entry goes (itself, or
    /// the policy an interpretation explains).
    pub policy: DocId,
}

const SUMMARY_CHARS: usize = 160;

fn entries_for(library: &Library, policy: DocId) -> Vec<Entry> {
    let doc = &library.docs[policy];
    let Some(p) = doc.policy() else { return Vec::new() };
    let links = &library.links[policy];
    let as_of = library.as_of;
    let later = links
        .interpretations
        .iter()
        .chain(&links.amended_by)
        .filter_map(|&id| library.docs[id].date())
        .filter(|d| *d <= as_of);
    let updated = later.fold(p.published, Date::max);
    let summary = |d: &crate::content::Document| {
        d.description.clone().unwrap_or_else(|| markdown::summary(&d.body, SUMMARY_CHARS))
    };
    let mut out = vec![Entry {
        id: policy,
        url: doc.url.clone(),
        title: doc.title.clone(),
        published: p.published,
        updated,
        kind: Kind::Policy,
        doc_number: p.doc_number.as_ref().map(|n| n.value.clone()),
        issuers: p.issuers.clone(),
        status: library.status[policy],
        summary: summary(doc),
        policy,
    }];
    for &i in &links.interpretations {
        let idoc = &library.docs[i];
        let Some(meta) = idoc.interpretation() else { continue };
        out.push(Entry {
            id: i,
            url: idoc.url.clone(),
            title: idoc.title.clone(),
            published: meta.published,
            updated: meta.published,
            kind: Kind::Interpretation,
            doc_number: p.doc_number.as_ref().map(|n| n.value.clone()),
            issuers: if meta.issuers.is_empty() { p.issuers.clone() } else { meta.issuers.clone() },
            status: None,
            summary: summary(idoc),
            policy,
        });
    }
    out
}

/// Builds every feed file, `profiles.json`, `state.json` and
/// `changes.json`. `previous` is the state of the last build, read from its
/// output; `None` on a first build.
pub fn generate(library: &Library, config: &Config, previous: Option<&State>) -> (Vec<OutputFile>, FeedStats) {
    let mut files = Vec::new();
    let stats = generate_into(library, config, previous, &mut |batch| {
        files.extend(batch);
        Ok(())
    })
    .unwrap_or_default();
    (files, stats)
}

/// Feeds written per batch handed to `emit`.
const FEED_BATCH: usize = 256;

/// [`generate`], handing files to `emit` in batches as they are made, so
/// that they are never all in memory. Returns the first error of `emit`.
pub fn generate_into(
    library: &Library,
    config: &Config,
    previous: Option<&State>,
    emit: &mut dyn FnMut(Vec<OutputFile>) -> std::io::Result<()>,
) -> std::io::Result<FeedStats> {
    let matcher = Matcher::new(library, config);
    let dimensions = &matcher.dimensions;

    // Keys with files: the directory, the representative of every pickable
    // profile, and every key an earlier build wrote.
    let pickable = Profile::all_pickable(dimensions);
    let representatives: Vec<Profile> = pickable.par_iter().map(|p| matcher.representative(p)).collect();
    let mut written: BTreeMap<String, Profile> = BTreeMap::new();
    for profile in matcher.directory().into_iter().chain(representatives.iter().cloned()) {
        written.entry(profile.key(dimensions)).or_insert(profile);
    }
    for key in previous.map(|s| s.feeds.as_slice()).unwrap_or_default() {
        if let Some(profile) = Profile::parse(key, dimensions) {
            written.entry(key.clone()).or_insert(profile);
        }
    }

    let entries: HashMap<DocId, Vec<Entry>> =
        matcher.policies.par_iter().map(|&id| (id, entries_for(library, id))).collect();
    let mut rendered = format::Fragments::new(config);
    let site_newest = matcher.policies.first().and_then(|&id| library.docs[id].date()).unwrap_or(library.as_of);

    let newest_first = |a: &&Entry, b: &&Entry| b.updated.cmp(&a.updated).then_with(|| a.url.cmp(&b.url));
    // Policies by their newest entry, newest first: a feed takes policies
    // in this order and stops once no later one can reach its newest
    // `feed_limit` entries, instead of sorting everything a broad profile
    // matches (most of the library).
    let by_bit: Vec<&[Entry]> = matcher.policies.iter().map(|id| entries[id].as_slice()).collect();
    let newest: Vec<Date> = by_bit.iter().map(|e| e.iter().map(|e| e.updated).max().unwrap_or(library.as_of)).collect();
    let mut order: Vec<usize> = (0..by_bit.len()).collect();
    order.sort_by(|&a, &b| newest[b].cmp(&newest[a]).then(a.cmp(&b)));
    let limit = config.profiles.feed_limit;
    let keys: Vec<(&String, &Profile)> = written.iter().collect();
    let (mut files_written, mut bytes) = (0, 0);
    // The index files take one core for a while and need nothing the feed
    // files make, so they are made beside them instead of after them.
    let files = std::thread::scope(|scope| -> std::io::Result<Vec<OutputFile>> {
        let index = scope.spawn(|| index_files(library, &matcher, &entries, &written, previous));
        for batch in keys.chunks(FEED_BATCH) {
            let selections: Vec<Vec<&Entry>> = batch
                .par_iter()
                .map(|&(_, profile)| {
                    let bits = matcher.bits(profile);
                    let mut selected: Vec<&Entry> = Vec::new();
                    for &i in &order {
                        if !bits.contains(i) {
                            continue;
                        }
                        if limit > 0 && selected.iter().filter(|e| e.updated > newest[i]).count() >= limit {
                            break;
                        }
                        selected.extend(by_bit[i]);
                    }
                    if limit > 0 && selected.len() > limit {
                        selected.select_nth_unstable_by(limit - 1, newest_first);
                        selected.truncate(limit);
                    }
                    selected.sort_by(newest_first);
                    selected
                })
                .collect();
            rendered.add(library, dimensions, selections.iter().flatten().copied());
            let files: Vec<OutputFile> = batch
                .par_iter()
                .zip(&selections)
                .flat_map_iter(|(&(key, profile), selected)| {
                    let meta = format::FeedMeta {
                        key,
                        title: format!("{}：{}", config.title, describe(profile, dimensions)),
                        updated: selected.iter().map(|e| e.updated).max().unwrap_or(site_newest),
                    };
                    rendered.feeds(&meta, selected)
                })
                .collect();
            files_written += files.len();
            bytes += files.iter().map(|f| f.bytes.len()).sum::<usize>();
            emit(files)?;
        }
        Ok(index.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })?;
    let stats = FeedStats {
        feeds: written.len(),
        files: files_written + files.len(),
        bytes: bytes + files.iter().map(|f| f.bytes.len()).sum::<usize>(),
    };
    emit(files)?;
    Ok(stats)
}

/// `profiles.json`, `state.json` and `changes.json`: what the 政策找人 page,
/// the next build and push integrators read.
fn index_files(
    library: &Library,
    matcher: &Matcher,
    entries: &HashMap<DocId, Vec<Entry>>,
    written: &BTreeMap<String, Profile>,
    previous: Option<&State>,
) -> Vec<OutputFile> {
    let dimensions = &matcher.dimensions;
    // The 政策找人 page matches profiles in the browser from this one
    // profile-independent file, so that what a visitor picks is never
    // revealed to the server by the URLs it requests.
    let policies: Vec<serde_json::Value> = matcher
        .policies
        .iter()
        .map(|&id| {
            let doc = &library.docs[id];
            let entry = &entries[&id][0];
            let p = doc.policy();
            serde_json::json!({
                "url": doc.url,
                "title": doc.title,
                "doc_number": entry.doc_number,
                "status": library.status[id].map(|s| s.slug()),
                "audience": p.map(|p| audience_codes(&p.audience, dimensions)),
                "apply": p.and_then(|p| p.apply.as_ref()).map(format::apply_json),
            })
        })
        .collect();
    let index = serde_json::json!({
        "version": 1,
        "dimensions": dimensions,
        "feeds": written.keys().collect::<Vec<_>>(),
        "policies": policies,
    });
    let mut files =
        vec![OutputFile { path: format!("{FEEDS_DIR}/{PROFILES_FILE}"), bytes: index.to_string().into_bytes() }];

    let state = State::of(library, matcher, written.keys().cloned().collect());
    let change_log = changes::diff(previous, &state, matcher, written);
    files.push(json_file(STATE_FILE, &serde_json::to_value(&state).unwrap_or_default()));
    files.push(json_file(CHANGES_FILE, &change_log));
    files
}

fn json_file(name: &str, value: &serde_json::Value) -> OutputFile {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    OutputFile { path: format!("{FEEDS_DIR}/{name}"), bytes }
}

/// Reads the state the previous build left in `out_dir`, if any.
pub fn read_previous(out_dir: &Path) -> Option<State> {
    let text = std::fs::read_to_string(out_dir.join(FEEDS_DIR).join(STATE_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Codes of an audience, per dimension field, for JSON output.
pub fn audience_codes(audience: &crate::profile::Audience, dimensions: &Dimensions) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (d, values) in audience.0.iter().enumerate() {
        if !values.is_empty() {
            let dimension = &dimensions.list[d];
            out.insert(dimension.field.to_string(), values.iter().map(|&v| dimension.values[v].code.clone()).collect());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_bits_have_exactly_n_ones() {
        for n in [0, 1, 63, 64, 65, 130] {
            assert_eq!(Bits::full(n).ones().count(), n);
        }
    }
}
