// Runs the public search client (zhiku-search.js) under Node over a static
// index on disk and prints one Markdown row: MRR@10, Recall@1/5/10 and
// per-query latency (index files read from disk instead of fetched).
//
// usage: node bench/static_eval.mjs zhiku-search.js ROOT SET_NAME
// ROOT holds search/index/ and queries.json ([{ q, relevant: [doc ids] }]).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modulePath, root, name] = process.argv.slice(2);
globalThis.fetch = async (url) => {
  try {
    // The client asks for each file with a query (`?v=` its build's stamp).
    const body = await readFile(path.join(root, url.split("?")[0]));
    return { ok: true, json: async () => JSON.parse(body.toString("utf8")), text: async () => body.toString("utf8") };
  } catch {
    return { ok: false, json: async () => ({}), text: async () => "" };
  }
};
const search = await import(pathToFileURL(modulePath).href);
const queries = JSON.parse(await readFile(path.join(root, "queries.json"), "utf8"));
const index = await search.open();
let mrr = 0;
const recall = [0, 0, 0];
const times = [];
for (const { q, relevant } of queries) {
  const started = performance.now();
  const { ranked } = await search.rank(index, q);
  times.push(performance.now() - started);
  const rank = ranked.slice(0, 10).findIndex(([d]) => relevant.includes(d));
  if (rank >= 0) {
    mrr += 1 / (rank + 1);
    [1, 5, 10].forEach((cut, k) => rank < cut && recall[k]++);
  }
}
times.sort((a, b) => a - b);
const n = queries.length;
const pick = (p) => times[Math.round((times.length - 1) * p)].toFixed(2);
console.log(`| static (browser client) | ${name} | ${n} | ${(mrr / n).toFixed(3)} | ${(recall[0] / n).toFixed(3)} | ${(recall[1] / n).toFixed(3)} | ${(recall[2] / n).toFixed(3)} | ${pick(0.5)} | ${pick(0.99)} |`);
