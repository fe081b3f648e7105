// MRR@10 and Recall@1/5/10 of Pagefind on an evaluation set written by
// `search_eval --pagefind-pages DIR`, after `pagefind_extended --site DIR/SET`,
// using Pagefind's own client in headless Debian Chromium.
//
// usage: node bench/pagefind_eval.mjs DIR/SET NAME
import { readFileSync } from "node:fs";
import path from "node:path";
import { finish, launchChromium, serveStatic } from "../tests/browser/harness.mjs";

const [root, name] = process.argv.slice(2);
const queries = JSON.parse(readFileSync(path.join(root, "queries.json"), "utf8"));
const server = await serveStatic(root);
const browser = await launchChromium();
let mrr = 0;
const recall = [0, 0, 0];
const times = [];
try {
  const page = await browser.newPage();
  await page.goto(`${server.base}/0/`);
  await page.evaluate(async () => {
    window.pf = await import("/pagefind/pagefind.js");
    await window.pf.init();
  });
  for (const { q, relevant } of queries) {
    const { ms, urls } = await page.evaluate(async (q) => {
      const started = performance.now();
      const found = await window.pf.search(q);
      const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
      return { ms: performance.now() - started, urls: data.map((d) => d.url) };
    }, q);
    times.push(ms);
    const rank = urls.findIndex((u) => relevant.includes(u));
    if (rank >= 0) {
      mrr += 1 / (rank + 1);
      [1, 5, 10].forEach((cut, k) => rank < cut && recall[k]++);
    }
  }
} finally {
  await browser.close();
  server.close();
}
times.sort((a, b) => a - b);
const n = queries.length;
const pick = (p) => times[Math.round((times.length - 1) * p)].toFixed(2);
finish([], `| Pagefind 1.6 | ${name} | ${n} | ${(mrr / n).toFixed(3)} | ${(recall[0] / n).toFixed(3)} | ${(recall[1] / n).toFixed(3)} | ${(recall[2] / n).toFixed(3)} | ${pick(0.5)} | ${pick(0.99)} |`);
