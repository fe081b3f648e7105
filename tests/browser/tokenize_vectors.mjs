// Checks zhiku-tokenize.js against vectors written by the Rust side
// (tests/search_parity.rs): normalisation, segmentation over the site's
// vocabulary, and bigrams, sentence by sentence.
//
// usage: node tokenize_vectors.mjs zhiku-tokenize.js DIR
// DIR holds vocabulary.txt, simplified.txt and vectors.json.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modulePath, dir] = process.argv.slice(2);
const t = await import(pathToFileURL(modulePath).href);
const vocab = t.vocabulary(readFileSync(path.join(dir, "vocabulary.txt"), "utf8"));
const simplified = t.simplifiedMap(readFileSync(path.join(dir, "simplified.txt"), "utf8"));
const vectors = JSON.parse(readFileSync(path.join(dir, "vectors.json"), "utf8"));

let failures = 0;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
for (const v of vectors) {
  const normalised = t.normalise(v.text, simplified);
  const words = t.segment(v.text, vocab, simplified);
  const bigrams = t.bigrams(normalised);
  for (const [name, got, want] of [["normalised", normalised, v.normalised], ["words", words, v.words], ["bigrams", bigrams, v.bigrams]]) {
    if (!same(got, want)) {
      if (failures < 10) console.log(`${name} of ${JSON.stringify(v.text)}:\n  browser ${JSON.stringify(got)}\n  rust    ${JSON.stringify(want)}`);
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
