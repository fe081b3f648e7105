// Public site search from static files (search/index/, written by
// src/search/public_index.rs). A query fetches the vocabulary buckets of
// its characters, cuts itself exactly as the Rust side does
// (zhiku-tokenize.js), then fetches the posting shards of its terms, the
// facet blocks of its matches and the records of the results it shows.

import { addVocabularyLines, bigrams, docNumberTerms, isCjk, normalise, segment, simplifiedMap, synonymMap } from "./zhiku-tokenize.js";

const BASE = "/search/index/";
/** `version` of the index files this script reads (`public_index::FORMAT_VERSION`). */
const FORMAT_VERSION = 2;
const PAGE = 10;
const DEBOUNCE_MS = 150;
const KIND_LABELS = { policy: "政策文件", interpretation: "政策解读", qa: "问答", page: "页面" };
const STATUS_SLUGS = { 现行有效: "in-force", 已修改: "amended", 尚未生效: "not-yet-effective", 已废止: "repealed", 已失效: "expired" };

/** FNV-1a over UTF-8 bytes, as `public_index::bucket` in Rust. */
export function bucket(key, buckets) {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % Math.max(1, buckets);
}

const cache = new Map();
/** `stamp` of the build's meta.json, which every other file is asked for with. */
let stamp = "";
function get(path, json) {
  if (!cache.has(path)) {
    // meta.json is read past every cache (as Pagefind reads its entry file),
    // the other files with its stamp: a browser or CDN keeping files of an
    // earlier build never mixes them with this one's.
    const query = path === "meta.json" ? `ts=${Date.now()}` : `v=${encodeURIComponent(stamp)}`;
    cache.set(
      path,
      fetch(`${BASE}${path}?${query}`).then((r) => (r.ok ? (json ? r.json() : r.text()) : json ? {} : "")),
    );
  }
  return cache.get(path);
}

/** The index: metadata, the simplified-character table and the vocabulary buckets loaded so far. */
export async function open() {
  const meta = await get("meta.json", true);
  if (meta.version !== FORMAT_VERSION) throw new Error(`search index version ${meta.version}, this script reads ${FORMAT_VERSION}`);
  stamp = String(meta.stamp ?? "");
  const [table, synonymLines] = await Promise.all([get("simplified.txt", false), get("synonyms.txt", false)]);
  return { meta, simplified: simplifiedMap(table), synonyms: synonymMap(synonymLines), vocab: { costs: new Map(), unknown: meta.unknown_cost }, buckets: new Set() };
}

async function loadVocabulary(index, text) {
  const needed = new Set();
  for (const c of text) if (isCjk(c)) needed.add(bucket(c, index.meta.vocab_shards));
  await Promise.all(
    [...needed].filter((b) => !index.buckets.has(b)).map(async (b) => {
      addVocabularyLines(index.vocab, await get(`vocab/${b}.txt`, false));
      index.buckets.add(b);
    }),
  );
}

const SYNONYM_WEIGHT = 0.8;

/** Letter n-grams of a token, as `pinyin::letter_grams`; a short token stands for itself. */
function letterGrams(token, n) {
  if (token.length <= n) return token ? [token] : [];
  const out = [];
  for (let i = 0; i + n <= token.length; i++) out.push(token.slice(i, i + n));
  return out;
}

/**
 * Weighted query terms, as `public_index::query_terms` in Rust plus 文号
 * terms: words (`w:`) and their synonyms, bigrams (`b:`), pinyin letter
 * grams of Latin tokens (`p:` full, `i:` initials). Returns [[term, weight]].
 */
export async function terms(index, query) {
  const normalised = normalise(query, index.simplified);
  await loadVocabulary(index, normalised);
  const out = new Map();
  const push = (term, weight) => out.set(term, Math.max(out.get(term) ?? 0, weight));
  const words = segment(query, index.vocab, index.simplified);
  for (const word of words) {
    push(`w:${word}`, 1);
    for (const other of index.synonyms.get(word) ?? []) push(`w:${other}`, SYNONYM_WEIGHT);
  }
  for (const gram of bigrams(normalised)) push(`b:${gram}`, 1);
  for (const token of normalised.split(/[^A-Za-z]/)) {
    if (token.length >= 2 && /^[a-z]+$/.test(token)) {
      for (const gram of letterGrams(token, 3)) push(`p:${gram}`, 1);
      for (const gram of letterGrams(token, 2)) push(`i:${gram}`, 1);
    }
  }
  const numbers = docNumberTerms(normalised).map((t) => [t, 1]);
  return { words, terms: [...numbers, ...out] };
}

/** Ranked matches: [[doc id, score]], best first; BM25 with the index's field boosts. */
export async function rank(index, query) {
  const { words, terms: wanted } = await terms(index, query);
  const shards = await Promise.all(wanted.map(([t]) => get(`postings-v${FORMAT_VERSION}/${bucket(t, index.meta.term_shards)}.json`, true)));
  const n = index.meta.documents;
  const scores = new Map();
  wanted.forEach(([term, weight], i) => {
    const list = shards[i][term];
    if (!list) return;
    const df = list.length / 2;
    const idf = weight * Math.log(1 + (n - df + 0.5) / (df + 0.5));
    // [gap, weight, …]: each document number is the gap plus the one before.
    let doc = 0;
    for (let k = 0; k < list.length; k += 2) {
      doc += list[k];
      scores.set(doc, (scores.get(doc) || 0) + (idf * list[k + 1]) / index.meta.weight_scale);
    }
  });
  return { words, ranked: [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]) };
}

/** Facet value ids of the given documents: Map(doc → [[value ids] per facet]). */
export async function facetsOf(index, docs) {
  const blocks = [...new Set(docs.map((d) => Math.floor(d / index.meta.facet_block)))];
  const loaded = await Promise.all(blocks.map((b) => get(`facets/${b}.json`, true)));
  const out = new Map();
  blocks.forEach((b, i) => {
    const block = loaded[i];
    for (const d of docs) {
      if (Math.floor(d / index.meta.facet_block) === b) out.set(d, block[d - b * index.meta.facet_block] || []);
    }
  });
  return out;
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** About 120 characters of `text` around the first query word, words marked. */
export function snippet(text, words, simplified) {
  const normalised = normalise(text, simplified);
  const needles = words.filter((w) => [...w].length > 1 || isCjk(w)).sort((a, b) => b.length - a.length);
  let first = -1;
  for (const w of needles) {
    const at = normalised.indexOf(w);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  const chars = [...text];
  const startChar = first < 0 ? 0 : Math.max(0, [...normalised.slice(0, first)].length - 30);
  const piece = chars.slice(startChar, startChar + 120);
  const pieceNormalised = [...normalise(piece.join(""), simplified)];
  const marked = new Array(piece.length).fill(false);
  for (const w of needles) {
    const wc = [...w];
    for (let i = 0; i + wc.length <= pieceNormalised.length; i++) {
      if (wc.every((c, k) => pieceNormalised[i + k] === c)) for (let k = 0; k < wc.length; k++) marked[i + k] = true;
    }
  }
  let html = startChar > 0 ? "…" : "";
  piece.forEach((c, i) => {
    const open = marked[i] && (i === 0 || !marked[i - 1]);
    const close = marked[i] && (i === piece.length - 1 || !marked[i + 1]);
    html += (open ? "<mark>" : "") + escapeHtml(c) + (close ? "</mark>" : "");
  });
  return html + (startChar + 120 < chars.length ? "…" : "");
}

function element(tag, attrs, ...children) {
  const el = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => el.setAttribute(k, v));
  children.filter((c) => c !== null && c !== undefined).forEach((c) => el.append(c));
  return el;
}

async function initPage() {
  const form = document.getElementById("search-form");
  if (!form) return;
  const input = document.getElementById("search-q");
  const list = document.querySelector("[data-search-results]");
  const status = document.getElementById("search-status");
  const facetBox = document.getElementById("search-facets");
  const more = document.getElementById("search-more");
  let index;
  try {
    index = await open();
  } catch (e) {
    // A cached script meeting a newer index, or an index that is missing.
    status.textContent = "站内搜索暂不可用，请刷新页面后重试。";
    console.warn(e);
    return;
  }
  const selected = new Map(); // facet index → value id
  let shown = PAGE;
  let timer = 0;
  let generation = 0;

  async function run() {
    const query = input.value.trim();
    const url = new URL(location.href);
    if (query) url.searchParams.set("q", query);
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    const mine = ++generation;
    if (!query) {
      list.replaceChildren();
      facetBox.replaceChildren();
      status.textContent = "";
      more.hidden = true;
      return;
    }
    const started = performance.now();
    const { words, ranked } = await rank(index, query);
    const facets = await facetsOf(index, ranked.map(([d]) => d));
    if (mine !== generation) return;
    const kept = ranked.filter(([d]) => [...selected].every(([f, v]) => (facets.get(d)?.[f] || []).includes(v)));
    const records = await Promise.all(kept.slice(0, shown).map(([d]) => get(`docs/${d}.json`, true)));
    if (mine !== generation) return;
    list.replaceChildren(
      ...records.map((r) => {
        const text = element("p", { class: "search-snippet" });
        text.innerHTML = snippet(r.excerpt || "", words, index.simplified);
        const badge = r.status ? element("span", { class: `badge status-${STATUS_SLUGS[r.status] || "in-force"}` }, r.status) : null;
        return element(
          "li",
          { class: "item" },
          element("a", { href: r.url, class: "item-title" }, r.title),
          element("div", { class: "item-meta" }, element("span", {}, KIND_LABELS[r.kind] || r.kind), badge, r.doc_number ? element("span", {}, r.doc_number) : null, r.date ? element("span", {}, r.date) : null),
          text,
          element("div", { class: "search-url" }, r.url),
        );
      }),
    );
    status.textContent = `找到 ${kept.length} 条结果（${Math.round(performance.now() - started)} 毫秒）`;
    more.hidden = kept.length <= shown;
    renderFacets(ranked, facets);
  }

  function renderFacets(ranked, facets) {
    facetBox.replaceChildren();
    index.meta.facets.forEach((facet, f) => {
      const counts = new Map();
      for (const [d] of ranked) for (const v of facets.get(d)?.[f] || []) counts.set(v, (counts.get(v) || 0) + 1);
      if (counts.size === 0) return;
      const items = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 12).map(([v, count]) => {
        const active = selected.get(f) === v;
        const name = facet.labels?.[v] ?? facet.values[v];
        const label = facet.key === "kind" ? KIND_LABELS[name] || name : name;
        const button = element("button", { type: "button", "aria-pressed": String(active), "data-facet": facet.key, "data-value": facet.values[v] }, `${label}（${count}）`);
        button.addEventListener("click", () => {
          if (active) selected.delete(f);
          else selected.set(f, v);
          shown = PAGE;
          run();
        });
        return element("li", {}, button);
      });
      facetBox.append(element("section", { class: "facet" }, element("h2", {}, facet.label), element("ul", {}, ...items)));
    });
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    shown = PAGE;
    timer = setTimeout(run, DEBOUNCE_MS);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(timer);
    run();
  });
  more.addEventListener("click", () => {
    shown += PAGE;
    run();
  });
  // Arrow keys move between the search box and the results.
  document.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const links = [...list.querySelectorAll("a")];
    if (!links.length) return;
    const at = links.indexOf(document.activeElement);
    if (document.activeElement !== input && at < 0) return;
    e.preventDefault();
    if (e.key === "ArrowDown") links[Math.min(links.length - 1, at + 1)].focus();
    else if (at <= 0) input.focus();
    else links[at - 1].focus();
  });
  const initial = new URL(location.href).searchParams.get("q");
  if (initial) {
    input.value = initial;
    run();
  }
  form.hidden = false;
}

if (typeof document !== "undefined") initPage();
