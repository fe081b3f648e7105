// Checks zhiku-tokenize.js against vectors written by the Rust side
// (tests/search_parity.rs): normalisation, segmentation over the site's
// vocabulary, and bigrams, sentence by sentence.
//
// usage: node tokenize_vectors.mjs zhiku-tokenize.js zhiku-search.js DIR
// DIR holds vocabulary.txt, simplified.txt, synonyms.txt, vectors.json and
// numbers.json.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modulePath, searchPath, dir] = process.argv.slice(2);
const t = await import(pathToFileURL(modulePath).href);
const search = await import(pathToFileURL(searchPath).href);
const vocab = t.vocabulary(readFileSync(path.join(dir, "vocabulary.txt"), "utf8"));
const simplified = t.simplifiedMap(readFileSync(path.join(dir, "simplified.txt"), "utf8"));
const vectors = JSON.parse(readFileSync(path.join(dir, "vectors.json"), "utf8"));

// The client's index object, with the whole vocabulary already loaded so
// that nothing is fetched.
const synonyms = t.synonymMap(readFileSync(path.join(dir, "synonyms.txt"), "utf8"));
const index = { meta: { vocab_shards: 1 }, simplified, synonyms, vocab, buckets: new Set([0]) };

let failures = 0;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
for (const v of vectors) {
  const normalised = t.normalise(v.text, simplified);
  const words = t.segment(v.text, vocab, simplified);
  const bigrams = t.bigrams(normalised);
  const terms = (await search.terms(index, v.text)).terms.filter(([term]) => !term.startsWith("n:"));
  const want = v.terms.map(([term, weight]) => [term, Math.fround(weight)]);
  const got = terms.map(([term, weight]) => [term, Math.fround(weight)]);
  const checks = [["normalised", normalised, v.normalised], ["words", words, v.words], ["bigrams", bigrams, v.bigrams], ["terms", got, want]];
  for (const [name, browser, rust] of checks) {
    if (!same(browser, rust)) {
      if (failures < 10) console.log(`${name} of ${JSON.stringify(v.text)}:\n  browser ${JSON.stringify(browser)}\n  rust    ${JSON.stringify(rust)}`);
      failures++;
    }
  }
}
const numbers = JSON.parse(readFileSync(path.join(dir, "numbers.json"), "utf8"));
for (const n of numbers) {
  const terms = t.docNumberTerms(t.normalise(n.text, simplified));
  if (!terms.includes(n.term)) {
    if (failures < 20) console.log(`文号 ${n.text}: browser ${JSON.stringify(terms)}, index ${n.term}`);
    failures++;
  }
}
if (failures > 0) {
  console.log(`${failures} disagreements`);
  process.exit(1);
}
console.log(`${vectors.length} sentences agree; ${numbers.length} 文号 forms found`);
