//! Near-duplicate questions: MinHash signatures with LSH banding propose candidate pairs in near-linear time, and
//! every candidate is verified with the exact Jaccard similarity of its token sets.
//!
//! The probabilistic part can therefore only ever *miss* a pair (with a probability bounded per pair, see
//! [`rows_per_band`]); it never reports a pair below the threshold, and the reported similarity is exact.
//! Everything is hashed with fixed-seed functions (FNV-1a and the splitmix64 finaliser) and the output is fully
//! sorted, so results are identical across runs, thread counts and platforms.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use rayon::prelude::*;

/// A pair of near-duplicate items, `a < b` (indexes into the input), with the exact Jaccard similarity of token sets (0.0–1.0).
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub similarity: f64,
}

/// Number of MinHash functions available for banding. 128 gives a steep enough S-curve that pairs well below the
/// threshold rarely become candidates while pairs at the threshold are almost never missed (see [`rows_per_band`]).
const NUM_HASHES: usize = 128;

/// Largest accepted probability that a pair exactly at the threshold never shares a band. Pairs above the threshold
/// are missed even less often, so this bounds the per-pair miss rate for everything we are asked to report.
const MAX_MISS: f64 = 1e-6;

/// Finds every pair of items whose token sets have Jaccard similarity >= `threshold` (e.g. 0.8).
/// `items[i]` is the token list of item i (duplicates within a list count once).
/// Items with fewer than 2 distinct tokens are skipped (too short to judge).
/// Result sorted by similarity descending, then (a, b) ascending; deterministic.
pub fn near_duplicates(items: &[Vec<String>], threshold: f64) -> Vec<Pair> {
    // No similarity can reach a NaN threshold or one above 1.
    if threshold.is_nan() || threshold > 1.0 {
        return Vec::new();
    }
    let corpus = Corpus::new(items);
    if corpus.len() < 2 {
        return Vec::new();
    }
    let mut pairs = if threshold <= 0.0 {
        // Every pair qualifies, including disjoint ones that share no token and thus no bucket.
        corpus.all_pairs(threshold)
    } else if let Some(rows) = rows_per_band(threshold) {
        corpus.lsh_pairs(threshold, rows)
    } else {
        // Thresholds so low that even one-row bands miss too often: fall back to the exact (but potentially
        // quadratic) search among items sharing a token, which is complete for any positive threshold.
        corpus.shared_token_pairs(threshold)
    };
    // Candidate generation runs in parallel in arbitrary order; (a, b) is unique, so this total order makes the
    // output independent of scheduling.
    pairs.par_sort_unstable_by(|x, y| y.similarity.total_cmp(&x.similarity).then(x.a.cmp(&y.a)).then(x.b.cmp(&y.b)));
    pairs
}

/// Rows per LSH band for `threshold`, using `NUM_HASHES / rows` bands; `None` if no split meets [`MAX_MISS`].
///
/// A pair with Jaccard similarity `s` agrees on one MinHash with probability `s`, on a whole band of `r` rows with
/// probability `s^r`, and escapes all `b` bands with probability `(1 - s^r)^b`. More rows per band make unrelated
/// pairs rarer candidates (less verification work, smaller buckets) but raise the miss probability, so we take the
/// largest `r` whose miss probability at the threshold is still at most `MAX_MISS`. For the typical threshold 0.8
/// this gives 32 bands × 4 rows: miss probability (1 - 0.8^4)^32 ≈ 4.7e-8 at s = 0.8 (≈ 6e-11 at 0.85), while a pair
/// at s = 0.5 becomes a candidate with probability ≈ 0.87 and one at s = 0.3 with ≈ 0.23 (cheap to reject exactly).
/// 5 rows would already miss ≈ 5e-5 of the pairs at 0.8. Powers are computed by repeated multiplication rather
/// than `powi`/`powf` so the choice cannot differ between platforms' math libraries.
fn rows_per_band(threshold: f64) -> Option<usize> {
    (1..=NUM_HASHES).rev().find(|&rows| miss_probability(threshold, rows, NUM_HASHES / rows) <= MAX_MISS)
}

fn miss_probability(similarity: f64, rows: usize, bands: usize) -> f64 {
    power(1.0 - power(similarity, rows), bands)
}

fn power(base: f64, exponent: usize) -> f64 {
    (0..exponent).fold(1.0, |acc, _| acc * base)
}

/// The kept items (at least 2 distinct tokens) as sorted sets of interned token ids, indexed compactly.
/// Compact indexes preserve input order, so `i < j` implies `origin[i] < origin[j]`.
struct Corpus {
    origin: Vec<usize>,
    /// `tokens[bounds[i]..bounds[i + 1]]` is the sorted, deduplicated token-id set of kept item `i`.
    bounds: Vec<usize>,
    tokens: Vec<u32>,
    /// Per token id, a hash of the token's text. MinHash works on these rather than on the ids because ids follow
    /// first occurrence: hashing the text keeps an item's signature independent of the rest of the corpus.
    token_hashes: Vec<u64>,
}

impl Corpus {
    fn new(items: &[Vec<String>]) -> Self {
        // Interning turns exact set comparison into cheap integer merges. The map's hasher never influences the
        // result (ids are assigned in input order), but a fixed one keeps the whole module free of random state.
        let mut ids: HashMap<&str, u32, BuildHasherDefault<Fnv1a>> = HashMap::default();
        let mut token_hashes = Vec::new();
        let mut origin = Vec::new();
        let mut bounds = vec![0];
        let mut tokens = Vec::new();
        let mut set = Vec::new();
        for (index, item) in items.iter().enumerate() {
            set.clear();
            for token in item {
                let id = *ids.entry(token.as_str()).or_insert_with(|| {
                    token_hashes.push(mix(fnv1a(token.as_bytes())));
                    u32::try_from(token_hashes.len() - 1).expect("more than 2^32 distinct tokens")
                });
                set.push(id);
            }
            set.sort_unstable();
            set.dedup();
            if set.len() >= 2 {
                tokens.extend_from_slice(&set);
                bounds.push(tokens.len());
                origin.push(index);
            }
        }
        assert!(origin.len() <= u32::MAX as usize, "more than 2^32 items");
        Corpus { origin, bounds, tokens, token_hashes }
    }

    fn len(&self) -> usize {
        self.origin.len()
    }

    fn set(&self, i: usize) -> &[u32] {
        &self.tokens[self.bounds[i]..self.bounds[i + 1]]
    }

    /// Exact check of one candidate. With `canonical_token`, the pair is only accepted if that token is the
    /// smallest one the two sets share, so that a pair seen in several posting lists is reported once.
    fn verify(&self, i: usize, j: usize, threshold: f64, canonical_token: Option<u32>) -> Option<Pair> {
        let (x, y) = (self.set(i), self.set(j));
        let (small, large) = if x.len() <= y.len() { (x.len(), y.len()) } else { (y.len(), x.len()) };
        // Jaccard <= |small| / |large|, and correctly rounded division is monotonic, so this never rejects a pair
        // whose computed similarity would reach the threshold.
        if (small as f64 / large as f64) < threshold {
            return None;
        }
        let (common, first_common) = intersect(x, y);
        if canonical_token.is_some() && first_common != canonical_token {
            return None;
        }
        let similarity = common as f64 / (x.len() + y.len() - common) as f64;
        (similarity >= threshold).then(|| Pair { a: self.origin[i], b: self.origin[j], similarity })
    }

    fn all_pairs(&self, threshold: f64) -> Vec<Pair> {
        let n = self.len();
        (0..n)
            .into_par_iter()
            .flat_map_iter(|i| (i + 1..n).filter_map(move |j| self.verify(i, j, threshold, None)))
            .collect()
    }

    fn shared_token_pairs(&self, threshold: f64) -> Vec<Pair> {
        let mut postings = vec![Vec::new(); self.token_hashes.len()];
        for i in 0..self.len() {
            for &token in self.set(i) {
                postings[token as usize].push(i as u32);
            }
        }
        postings
            .par_iter()
            .enumerate()
            .flat_map_iter(|(token, members)| {
                let token = Some(token as u32);
                let mut found = Vec::new();
                for (x, &i) in members.iter().enumerate() {
                    for &j in &members[x + 1..] {
                        found.extend(self.verify(i as usize, j as usize, threshold, token));
                    }
                }
                found
            })
            .collect()
    }

    fn lsh_pairs(&self, threshold: f64, rows: usize) -> Vec<Pair> {
        let bands = NUM_HASHES / rows;
        let n = self.len();
        // Only band keys are kept, not the signatures: they are all that bucketing and deduplication need, and
        // they take `bands` instead of `bands * rows` words per item.
        let mut keys = vec![0u64; n * bands];
        keys.par_chunks_mut(bands).enumerate().for_each(|(i, out)| self.band_keys(i, rows, out));
        let keys = &keys;

        (0..bands)
            .into_par_iter()
            .flat_map(|band| {
                let mut order: Vec<(u64, u32)> = (0..n).map(|i| (keys[i * bands + band], i as u32)).collect();
                order.par_sort_unstable();
                let buckets = buckets(&order);
                buckets
                    .par_iter()
                    .flat_map_iter(|range| {
                        let members = &order[range.clone()];
                        let mut found = Vec::new();
                        for (x, &(_, i)) in members.iter().enumerate() {
                            let (i, keys_i) = (i as usize, &keys[i as usize * bands..][..bands]);
                            for &(_, j) in &members[x + 1..] {
                                let (j, keys_j) = (j as usize, &keys[j as usize * bands..][..bands]);
                                // A similar pair usually shares many bands; only the first shared band reports it,
                                // which deduplicates without a global set of seen pairs.
                                if keys_i.iter().zip(keys_j).position(|(p, q)| p == q) == Some(band) {
                                    found.extend(self.verify(i, j, threshold, None));
                                }
                            }
                        }
                        found
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Writes one key per band: a hash of the band's `rows` MinHash values, so equal keys mean (up to 64-bit hash
    /// collisions, which verification filters out) that the whole band agrees.
    fn band_keys(&self, i: usize, rows: usize, out: &mut [u64]) {
        let used = out.len() * rows;
        let mut minima = [u64::MAX; NUM_HASHES];
        for &token in self.set(i) {
            let base = self.token_hashes[token as usize];
            // Each hash function is the splitmix64 finaliser (a bijection with good avalanche) applied to the token
            // hash xored with its own fixed seed, which behaves like an independent random permutation per function.
            for (minimum, seed) in minima[..used].iter_mut().zip(&SEEDS[..used]) {
                *minimum = (*minimum).min(mix(base ^ seed));
            }
        }
        for (key, band) in out.iter_mut().zip(minima[..used].chunks_exact(rows)) {
            *key = band.iter().fold(0, |acc, &value| mix(acc ^ value).wrapping_add(GOLDEN_GAMMA));
        }
    }
}

/// Ranges of `order` (sorted by key) holding at least two items with the same key.
fn buckets(order: &[(u64, u32)]) -> Vec<Range<usize>> {
    let mut buckets = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let key = order[start].0;
        let end = start + order[start..].iter().take_while(|&&(k, _)| k == key).count();
        if end - start >= 2 {
            buckets.push(start..end);
        }
        start = end;
    }
    buckets
}

/// Size of the intersection of two sorted sets, and its smallest element.
fn intersect(x: &[u32], y: &[u32]) -> (usize, Option<u32>) {
    let (mut p, mut q, mut common, mut first) = (0, 0, 0, None);
    while p < x.len() && q < y.len() {
        match x[p].cmp(&y[q]) {
            std::cmp::Ordering::Less => p += 1,
            std::cmp::Ordering::Greater => q += 1,
            std::cmp::Ordering::Equal => {
                first = first.or(Some(x[p]));
                common += 1;
                p += 1;
                q += 1;
            }
        }
    }
    (common, first)
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The splitmix64 output function: a fixed, platform-independent 64-bit bijection with full avalanche.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Per-function seeds: the first `NUM_HASHES` outputs of splitmix64 from a fixed seed.
const SEEDS: [u64; NUM_HASHES] = {
    let mut seeds = [0; NUM_HASHES];
    let mut state: u64 = 0x7a68_696b_7520_6475; // "zhiku du"
    let mut k = 0;
    while k < NUM_HASHES {
        state = state.wrapping_add(GOLDEN_GAMMA);
        seeds[k] = mix(state);
        k += 1;
    }
    seeds
};

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv1a::default();
    hasher.write(bytes);
    hasher.finish()
}

/// 64-bit FNV-1a; its weak low bits are why token hashes go through [`mix`] before use.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn item(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    fn items(texts: &[&str]) -> Vec<Vec<String>> {
        texts.iter().map(|text| item(text)).collect()
    }

    fn pair(a: usize, b: usize, similarity: f64) -> Pair {
        Pair { a, b, similarity }
    }

    /// Deterministic generator for synthetic corpora.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
            mix(self.0)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn jaccard(x: &[String], y: &[String]) -> f64 {
        let x: BTreeSet<&String> = x.iter().collect();
        let y: BTreeSet<&String> = y.iter().collect();
        x.intersection(&y).count() as f64 / x.union(&y).count() as f64
    }

    /// Every pair of eligible items with its similarity, computed naively, in the result order.
    fn brute_force_all(items: &[Vec<String>]) -> Vec<Pair> {
        let sets: Vec<BTreeSet<&String>> = items.iter().map(|item| item.iter().collect()).collect();
        let mut pairs = Vec::new();
        for a in 0..sets.len() {
            for b in a + 1..sets.len() {
                if sets[a].len() >= 2 && sets[b].len() >= 2 {
                    let common = sets[a].intersection(&sets[b]).count();
                    let similarity = common as f64 / (sets[a].len() + sets[b].len() - common) as f64;
                    pairs.push(pair(a, b, similarity));
                }
            }
        }
        pairs.sort_by(|x, y| y.similarity.total_cmp(&x.similarity).then(x.a.cmp(&y.a)).then(x.b.cmp(&y.b)));
        pairs
    }

    /// Many short items over a small vocabulary, so that similarities of every size occur.
    fn dense_corpus(seed: u64, count: usize) -> Vec<Vec<String>> {
        let mut rng = SplitMix(seed);
        (0..count)
            .map(|_| {
                let len = 1 + rng.below(7) as usize;
                (0..len).map(|_| format!("词{}", rng.below(24))).collect()
            })
            .collect()
    }

    #[test]
    fn identical_sets_have_similarity_one() {
        let items = items(&["社保卡 丢了 怎么 办", "公积金 提取 条件 是 什么", "办 怎么 丢了 社保卡 社保卡"]);
        assert_eq!(near_duplicates(&items, 0.8), vec![pair(0, 2, 1.0)]);
        assert_eq!(near_duplicates(&items, 1.0), vec![pair(0, 2, 1.0)]);
    }

    #[test]
    fn pair_near_085_depends_on_threshold() {
        let shared: Vec<String> = (0..18).map(|k| format!("t{k}")).collect();
        let mut x = shared.clone();
        x.extend(["x1".to_owned(), "x2".to_owned()]);
        let mut y = shared;
        y.push("y1".to_owned());
        let items = vec![x, y];
        // 18 common tokens out of 21 distinct ones.
        assert_eq!(near_duplicates(&items, 0.8), vec![pair(0, 1, 18.0 / 21.0)]);
        assert!(near_duplicates(&items, 0.9).is_empty());
    }

    #[test]
    fn unrelated_items_are_not_paired() {
        let items = items(&["社保卡 丢了 怎么 办", "公积金 提取 条件", "营业执照 办理 流程 材料", "居住证 续签 地点"]);
        assert!(near_duplicates(&items, 0.8).is_empty());
        assert!(near_duplicates(&items, 0.1).is_empty());
    }

    #[test]
    fn short_items_are_skipped() {
        let items = items(&["社保卡", "社保卡", "社保卡 社保卡", "", "社保卡 补办", "社保卡 补办"]);
        assert_eq!(near_duplicates(&items, 0.8), vec![pair(4, 5, 1.0)]);
        assert_eq!(near_duplicates(&items, 0.0), vec![pair(4, 5, 1.0)]);
        assert!(near_duplicates(&items[..4], 0.0).is_empty());
    }

    #[test]
    fn exact_similarity_matches_hand_computation() {
        let items = items(&["a b c d", "b c d e", "x y", "a b c d e f", "p q r s"]);
        // {a,b,c,d} ∩ {a,b,c,d,e,f} = 4 of 6; {b,c,d,e} ∩ {a,b,c,d,e,f} = 4 of 6; {a,b,c,d} ∩ {b,c,d,e} = 3 of 5.
        let expected = vec![pair(0, 3, 4.0 / 6.0), pair(1, 3, 4.0 / 6.0), pair(0, 1, 0.6)];
        assert_eq!(near_duplicates(&items, 0.5), expected);
        assert_eq!(near_duplicates(&items, 0.6), expected);
        assert_eq!(near_duplicates(&items, 0.61), expected[..2]);
    }

    #[test]
    fn out_of_range_thresholds() {
        let items = items(&["a b", "a b", "c d"]);
        assert!(near_duplicates(&items, 1.01).is_empty());
        assert!(near_duplicates(&items, f64::NAN).is_empty());
        assert_eq!(near_duplicates(&items, -1.0), vec![pair(0, 1, 1.0), pair(0, 2, 0.0), pair(1, 2, 0.0)]);
        assert!(near_duplicates(&[], 0.8).is_empty());
    }

    #[test]
    fn band_choice() {
        assert_eq!(rows_per_band(0.8), Some(4));
        assert!(miss_probability(0.8, 4, 32) < 1e-7);
        assert!(miss_probability(0.8, 5, 25) > MAX_MISS);
        assert_eq!(rows_per_band(1.0), Some(NUM_HASHES));
        assert_eq!(rows_per_band(0.05), None);
    }

    #[test]
    fn matches_brute_force() {
        let items = dense_corpus(1, 300);
        let all = brute_force_all(&items);
        // Covers the all-pairs path (0.0), the shared-token fallback (0.05) and several band shapes.
        for threshold in [0.0, 0.05, 0.3, 0.5, 0.65, 0.8, 0.9, 1.0] {
            let expected: Vec<Pair> = all.iter().filter(|p| p.similarity >= threshold).cloned().collect();
            assert_eq!(near_duplicates(&items, threshold), expected, "threshold {threshold}");
        }
    }

    #[test]
    fn deterministic_across_runs_and_thread_counts() {
        let items = dense_corpus(2, 400);
        let first = near_duplicates(&items, 0.5);
        assert!(!first.is_empty());
        assert_eq!(near_duplicates(&items, 0.5), first);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(pool.install(|| near_duplicates(&items, 0.5)), first);
    }

    #[test]
    fn finds_planted_pairs_at_scale() {
        const ITEMS: usize = 20_000;
        const PLANTED: usize = 50;
        let mut rng = SplitMix(3);
        let mut items: Vec<Vec<String>> = (0..ITEMS)
            .map(|_| {
                let len = 4 + rng.below(13) as usize;
                (0..len).map(|_| format!("w{}", rng.below(30_000))).collect()
            })
            .collect();

        let mut used = BTreeSet::new();
        let mut pick = |rng: &mut SplitMix| loop {
            let index = rng.below(ITEMS as u64) as usize;
            if used.insert(index) {
                return index;
            }
        };
        let mut planted = BTreeSet::new();
        for p in 0..PLANTED {
            let (base, twin) = (pick(&mut rng), pick(&mut rng));
            let len = 14 + rng.below(7) as usize;
            items[base] = (0..len).map(|k| format!("p{p}_{k}")).collect();
            // Reordered, with a repeated token (counts once) and one token replaced or one added.
            let mut copy: Vec<String> = items[base].iter().rev().cloned().collect();
            copy.push(copy[0].clone());
            if p % 2 == 0 {
                copy[1] = format!("q{p}");
            } else {
                copy.push(format!("q{p}"));
            }
            items[twin] = copy;
            assert!(jaccard(&items[base], &items[twin]) >= 0.85);
            planted.insert((base.min(twin), base.max(twin)));
        }

        let found = near_duplicates(&items, 0.85);
        let found_pairs: BTreeSet<(usize, usize)> = found.iter().map(|p| (p.a, p.b)).collect();
        assert_eq!(found_pairs, planted);
        for p in &found {
            assert!(p.a < p.b);
            assert_eq!(p.similarity, jaccard(&items[p.a], &items[p.b]));
        }
    }
}
