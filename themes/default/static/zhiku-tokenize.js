// Query tokenisation for the public search, the twin of
// src/search/segment.rs and the normalisation of src/search/text.rs. The
// rules are not copied by hand and trusted: tests/search_parity.rs has the
// Rust side write test vectors from corpus sentences, and
// tests/browser/tokenize_vectors.mjs checks this module against them.

const MAX_WORD_CHARS = 16;

/** CJK ideographs, as `is_cjk` in src/search/text.rs. */
export function isCjk(c) {
  const code = c.codePointAt(0);
  return (
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x20000 && code <= 0x2fa1f)
  );
}

/** Letters and digits, as Rust's `char::is_alphanumeric`. */
export function isAlphanumeric(c) {
  return /[\p{Alphabetic}\p{Nd}\p{Nl}\p{No}]/u.test(c);
}

/** Reads the traditional → simplified table: pairs of characters. */
export function simplifiedMap(table) {
  const chars = [...table];
  const map = new Map();
  for (let i = 0; i + 1 < chars.length; i += 2) map.set(chars[i], chars[i + 1]);
  return map;
}

/** Full-width to half-width, traditional to simplified, case folded: one character to one character. */
export function normalise(text, simplified) {
  let out = "";
  for (let c of text) {
    c = simplified.get(c) ?? c;
    const code = c.codePointAt(0);
    if (code === 0x3000) c = " ";
    else if (code >= 0xff01 && code <= 0xff5e) c = String.fromCodePoint(code - 0xfee0);
    const lower = c.toLowerCase();
    if ([...lower].length === 1) c = lower;
    out += c;
  }
  return out;
}

/** Reads the synonyms file: `word\tother other…` per line. */
export function synonymMap(text) {
  const map = new Map();
  for (const line of text.split("\n")) {
    const [word, others] = line.split("\t");
    if (word && others) map.set(word, others.split(" "));
  }
  return map;
}

/** Adds `word\tcost` lines to a vocabulary; a line with no word sets the unknown-character cost. */
export function addVocabularyLines(vocab, lines) {
  for (const line of lines.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const word = line.slice(0, tab);
    const cost = Number.parseInt(line.slice(tab + 1), 10);
    if (Number.isNaN(cost)) continue;
    if (word === "") vocab.unknown = cost;
    else vocab.costs.set(word, cost);
  }
  return vocab;
}

/** Reads the `word\tcost` lines of the vocabulary; the first, with no word, is the unknown-character cost. */
export function vocabulary(lines) {
  return addVocabularyLines({ costs: new Map(), unknown: 1000 }, lines);
}

/** Minimum-cost cut of a CJK run; ties go to the longer first word. */
function cutCjk(chars, vocab) {
  const n = chars.length;
  const best = new Array(n + 1).fill(null).map(() => [0, n]);
  for (let i = n - 1; i >= 0; i--) {
    let choice = [vocab.unknown + best[i + 1][0], i + 1];
    let word = "";
    for (let j = i; j < Math.min(n, i + MAX_WORD_CHARS); j++) {
      word += chars[j];
      const c = vocab.costs.get(word);
      if (c !== undefined) {
        const total = c + best[j + 1][0];
        if (total < choice[0] || (total === choice[0] && j + 1 > choice[1])) choice = [total, j + 1];
      }
    }
    best[i] = choice;
  }
  const out = [];
  for (let i = 0; i < n; ) {
    const end = best[i][1];
    out.push(chars.slice(i, end).join(""));
    i = end;
  }
  return out;
}

/** Runs of CJK characters and of other letters and digits, in order; everything else separates them. */
function runs(chars) {
  const out = [];
  let i = 0;
  while (i < chars.length) {
    const start = i;
    if (isCjk(chars[i])) {
      while (i < chars.length && isCjk(chars[i])) i++;
      out.push({ cjk: true, chars: chars.slice(start, i) });
    } else if (isAlphanumeric(chars[i])) {
      while (i < chars.length && isAlphanumeric(chars[i]) && !isCjk(chars[i])) i++;
      out.push({ cjk: false, chars: chars.slice(start, i) });
    } else {
      i++;
    }
  }
  return out;
}

/** The words of a query, as `Vocabulary::segment` in Rust. */
export function segment(text, vocab, simplified) {
  return runs([...normalise(text, simplified)]).flatMap((run) => (run.cjk ? cutCjk(run.chars, vocab) : [run.chars.join("")]));
}

/** Overlapping bigrams of each CJK run (a lone character stands for itself), other letter-digit runs whole; expects normalised text. */
export function bigrams(text) {
  return runs([...text]).flatMap((run) => {
    if (!run.cjk || run.chars.length === 1) return [run.chars.join("")];
    return run.chars.slice(1).map((c, k) => run.chars[k] + c);
  });
}

/**
 * Index terms of every 文号 a normalised query may contain, in any common
 * form (国发〔2019〕5号, 国发[2019]5号, 国发2019年5号, 国令第707号):
 * `n:agency|year|serial`, as `public_index::doc_number_term` in Rust. Free
 * text does not say where the agency starts, so every suffix of two to
 * six characters is a candidate; only real ones match anything.
 */
export function docNumberTerms(normalised) {
  const out = [];
  const pattern = /([\u3400-\u9fff]{2,}?)\s*[〔\[［(（【]?\s*(\d{4})?\s*[〕\]］)）】年]?\s*第?\s*(\d+)\s*号/gu;
  for (const m of normalised.matchAll(pattern)) {
    const agency = [...m[1]];
    const year = m[2] || "";
    const serial = String(Number.parseInt(m[3], 10));
    for (let len = 2; len <= Math.min(6, agency.length); len++) {
      const term = `n:${agency.slice(agency.length - len).join("")}|${year}|${serial}`;
      if (!out.includes(term)) out.push(term);
    }
  }
  return out;
}
