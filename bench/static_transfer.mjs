// Transfer and latency of the public search in headless Debian Chromium,
// side by side with Pagefind on the same pages.
//
// usage: node bench/static_transfer.mjs PUBLIC_DIR "QUERY" [PAGEFIND_DIR]
//   PUBLIC_DIR    a built site (zhiku build -o PUBLIC_DIR)
//   PAGEFIND_DIR  the same site after `pagefind_extended --site …` (it adds
//                 pagefind/); omit to measure zhiku only
//
// Bytes are what a server with gzip would send: for each response the
// smaller of its size and its gzip size (Pagefind's files are already
// compressed). "Fixed" is everything loaded before the first query; a
// "cold query" is everything the first query loads, including the records
// of the ten results it shows. Warm latency is the median of the same
// query answered again ten times.
import { gzipSync } from "node:zlib";
import { finish, launchChromium, serveStatic } from "../tests/browser/harness.mjs";

const [publicDir, query, pagefindDir] = process.argv.slice(2);
const wire = (body) => Math.min(body.length, gzipSync(body).length);
const kb = (n) => (n / 1024).toFixed(1);

async function measure(browser, dir, setup, search) {
  const server = await serveStatic(dir);
  const page = await browser.newPage();
  const responses = [];
  page.on("response", (r) => responses.push(r.body().then((b) => ({ url: r.url(), bytes: wire(b) })).catch(() => null)));
  await page.goto(`${server.base}/search/`);
  await setup(page);
  const fixed = (await Promise.all(responses.splice(0))).filter(Boolean);
  const cold = await search(page, query);
  const queried = (await Promise.all(responses.splice(0))).filter(Boolean);
  const warm = [];
  for (let i = 0; i < 10; i++) warm.push((await search(page, query)).ms);
  warm.sort((a, b) => a - b);
  await page.close();
  server.close();
  const sum = (list) => list.reduce((a, r) => a + r.bytes, 0);
  // The HTML page itself is not part of search.
  const path = (r) => new URL(r.url).pathname;
  const fixedSearch = fixed.filter((r) => !path(r).endsWith("/search/") && !/\.(css|svg)$/.test(path(r)) && !path(r).includes("zhiku-modes"));
  return { fixed: sum(fixedSearch), fixedFiles: fixedSearch.length, query: sum(queried), queryFiles: queried.length, coldMs: cold.ms, warmMs: warm[5], results: cold.results };
}

const zhiku = {
  setup: (page) => page.waitForSelector("#search-form:not([hidden])"),
  search: async (page, q) =>
    page.evaluate(async (q) => {
      // The page's own module (its URL carries the fingerprint), not a second instance.
      const m = await import(document.querySelector('script[type="module"][src*="zhiku-search.js"]').src);
      const index = await m.open();
      const started = performance.now();
      const { ranked } = await m.rank(index, q);
      await m.facetsOf(index, ranked.map(([d]) => d));
      const records = await Promise.all(ranked.slice(0, 10).map(([d]) => fetch(`/search/index/docs/${d}.json`).then((r) => r.json())));
      return { ms: performance.now() - started, results: records.map((r) => r.url) };
    }, q),
};

const pagefind = {
  setup: (page) =>
    page.evaluate(async () => {
      window.pf = await import("/pagefind/pagefind.js");
      await window.pf.init();
    }),
  search: async (page, q) =>
    page.evaluate(async (q) => {
      const started = performance.now();
      const found = await window.pf.search(q);
      const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
      return { ms: performance.now() - started, results: data.map((d) => d.url) };
    }, q),
};

const browser = await launchChromium();
const rows = [];
try {
  rows.push(["zhiku", await measure(browser, publicDir, zhiku.setup, zhiku.search)]);
  if (pagefindDir) rows.push(["Pagefind 1.6", await measure(browser, pagefindDir, pagefind.setup, pagefind.search)]);
} finally {
  await browser.close();
}
console.log(`query: ${query}`);
console.log("| search | fixed KB (files) | cold query KB (files) | cold ms | warm ms | top result |");
console.log("|---|---|---|---|---|---|");
for (const [name, r] of rows) {
  console.log(`| ${name} | ${kb(r.fixed)} (${r.fixedFiles}) | ${kb(r.query)} (${r.queryFiles}) | ${r.coldMs.toFixed(1)} | ${r.warmMs.toFixed(1)} | ${r.results[0] ?? "none"} |`);
}
finish([], "");
