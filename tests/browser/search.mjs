// The public search in headless Debian Chromium against a built site on a
// plain static server. Usage: node search.mjs PUBLIC_DIR CASES_JSON
// CASES_JSON: [{ "q": "…", "first": "/expected/url/" }]. Checks that the
// expected document comes first when the query is typed and when it comes
// from ?q=, that scripts and files of the index are asked for with their
// fingerprints and their build's stamp, that facets filter, that an index
// of another format version is refused with a message, and that no console
// error occurs.
import { readFileSync } from "node:fs";
import { finish, launchChromium, serveStatic } from "./harness.mjs";

const [dir, casesPath] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesPath, "utf8"));
const server = await serveStatic(dir);
const failures = [];
const browser = await launchChromium();
const firstResult = (page) => page.getAttribute("[data-search-results] li:first-child a", "href");
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));

  // Typed into the box, one key at a time.
  const requested = [];
  const scripts = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/search/index/")) requested.push(url);
    if (url.pathname.endsWith(".js")) scripts.push(url);
  });
  await page.goto(`${server.base}/search/`);
  await page.waitForSelector("#search-form:not([hidden])");
  for (const c of cases) {
    await page.fill("#search-q", "");
    await page.type("#search-q", c.q);
    await page.waitForFunction((q) => new URL(location.href).searchParams.get("q") === q, c.q, { timeout: 5000 }).catch(() => {});
    await page.waitForFunction(
      (want) => document.querySelector("[data-search-results] li:first-child a")?.getAttribute("href") === want,
      c.first,
      { timeout: 5000 },
    ).catch(() => {});
    const got = await firstResult(page);
    if (got !== c.first) failures.push(`typed ${c.q}: first result ${got}, expected ${c.first}`);
    if (new URL(page.url()).searchParams.get("q") !== c.q) failures.push(`typed ${c.q}: the URL does not carry ?q=`);
  }

  // meta.json past every cache, each other file with its build's stamp,
  // so that no cached file of an earlier build is mixed in.
  const { stamp } = JSON.parse(readFileSync(`${dir}/search/index/meta.json`, "utf8"));
  for (const url of requested) {
    const meta = url.pathname.endsWith("/meta.json");
    if (meta ? !url.searchParams.get("ts") : url.searchParams.get("v") !== stamp) failures.push(`asked for ${url.pathname}${url.search}`);
  }
  if (!requested.some((u) => u.pathname.includes("/postings-v"))) failures.push(`no posting shard among ${requested.length} requests`);
  // The scripts too, the module's import through the page's import map.
  if (!scripts.some((u) => u.pathname === "/zhiku-tokenize.js")) failures.push("zhiku-tokenize.js was not loaded");
  for (const url of scripts) if (!url.searchParams.get("h")) failures.push(`script without its fingerprint: ${url.pathname}${url.search}`);

  // Shared links: the query comes from ?q=.
  for (const c of cases) {
    await page.goto(`${server.base}/search/?q=${encodeURIComponent(c.q)}`);
    await page.waitForSelector("[data-search-results] li a", { timeout: 5000 }).catch(() => {});
    const got = await firstResult(page);
    if (got !== c.first) failures.push(`?q=${c.q}: first result ${got}, expected ${c.first}`);
    if ((await page.inputValue("#search-q")) !== c.q) failures.push(`?q=${c.q}: the box does not show the query`);
  }

  // Facets: choosing 问答 leaves only Q&A, with the count it showed.
  await page.goto(`${server.base}/search/?q=${encodeURIComponent("社保卡")}`);
  const button = await page.waitForSelector('#search-facets button[data-facet="kind"][data-value="qa"]');
  const shown = Number((await button.textContent()).match(/（(\d+)）/)[1]);
  await button.click();
  await page.waitForSelector('#search-facets button[data-facet="kind"][aria-pressed="true"]');
  const status = await page.textContent("#search-status");
  if (!status.includes(`找到 ${shown} 条`)) failures.push(`facet 问答 (${shown}) left: ${status}`);
  const hrefs = await page.$$eval("[data-search-results] a", (as) => as.map((a) => a.getAttribute("href")));
  if (!hrefs.length || hrefs.some((h) => !h.startsWith("/qa/"))) failures.push(`facet 问答 kept ${hrefs.join(" ")}`);

  // Keyboard: ArrowDown from the box focuses the first result.
  await page.focus("#search-q");
  await page.keyboard.press("ArrowDown");
  const focused = await page.evaluate(() => document.activeElement?.getAttribute("href"));
  if (focused !== hrefs[0]) failures.push(`ArrowDown focused ${focused}`);

  // The header box on every page leads here.
  await page.goto(`${server.base}/`);
  await page.fill("#site-q", cases[0].q);
  await page.press("#site-q", "Enter");
  await page.waitForSelector("[data-search-results] li a", { timeout: 5000 }).catch(() => {});
  if ((await firstResult(page)) !== cases[0].first) failures.push("the header search box does not lead to the results");

  // An index of another format (a cached script meeting a newer build) is
  // refused with a message, not misread.
  await page.route("**/search/index/meta.json?*", async (route) => {
    const response = await route.fetch();
    const meta = await response.json();
    await route.fulfill({ response, json: { ...meta, version: meta.version + 1 } });
  });
  await page.goto(`${server.base}/search/?q=${encodeURIComponent(cases[0].q)}`);
  await page.waitForFunction(() => document.getElementById("search-status")?.textContent, null, { timeout: 5000 }).catch(() => {});
  const refused = await page.textContent("#search-status");
  if (!refused.includes("站内搜索暂不可用")) failures.push(`an index of another version: status ${JSON.stringify(refused)}`);
  if (!(await page.isHidden("#search-form"))) failures.push("an index of another version: the search box is offered");
  if (await page.$("[data-search-results] li")) failures.push("an index of another version: results shown");
  await page.unroute("**/search/index/meta.json?*");

  failures.push(...errors.map((e) => `console error: ${e}`));
} finally {
  await browser.close();
  server.close();
}
finish(failures, `search: ${cases.length} queries first, facets, ?q=, keyboard, another index version refused; no console errors`);
