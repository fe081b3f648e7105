// Runs axe-core in headless Debian Chromium over the main page types of a
// built site and fails on any serious or critical violation, or on any
// console error. Usage: node axe.mjs PUBLIC_DIR
import { createRequire } from "node:module";
import { finish, launchChromium, serveStatic } from "./harness.mjs";

const require = createRequire(import.meta.url);
const server = await serveStatic(process.argv[2] ?? "public");
const base = server.base;

const pages = (process.env.ZHIKU_AXE_PAGES ?? "/,/policies/,/qa/,/search/,/topics/,/feeds/").split(",");
// One policy page and one Q&A page, found from the lists, so the test
// follows whatever the demo content is.
const browser = await launchChromium();
const failures = [];
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(`${page.url()}: ${msg.text()}`); });
  page.on("pageerror", (err) => consoleErrors.push(`${page.url()}: ${err.message}`));

  await page.goto(`${base}/policies/`);
  const policy = await page.getAttribute("ul.items li a.item-title", "href");
  await page.goto(`${base}/qa/`);
  const qa = await page.getAttribute("ul.items li a.item-title", "href");
  const all = [...pages, policy, qa];

  for (const mode of ["", "contrast", "large"]) {
    for (const url of all) {
      await page.goto(`${base}${url}`);
      if (mode) {
        await page.click(`.mode-toggle[data-mode="${mode}"]`);
        const on = await page.evaluate((m) => document.documentElement.classList.contains(`mode-${m}`), mode);
        if (!on) failures.push(`${url}: the ${mode} mode button did not switch the mode`);
      }
      await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
      const result = await page.evaluate(async () =>
        await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"] } }));
      for (const v of result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
        failures.push(`${url}${mode ? ` [${mode}]` : ""}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")})`);
      }
      if (mode) {
        // Switch back so the next page starts in the default mode.
        await page.click(`.mode-toggle[data-mode="${mode}"]`);
      }
    }
  }
  // 政策找人: pick a profile, read the matches, and check that nothing the
  // visitor picked appears in any request the page makes.
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${base}/feeds/`);
  await page.waitForSelector("#finder:not([hidden])");
  await page.selectOption("#finder-s", "person");
  await page.check('input[name="g"][value="disabled"]');
  await page.waitForSelector("#finder-list li");
  const titles = await page.$$eval("#finder-list li > a", (as) => as.map((a) => a.textContent));
  if (!titles.some((t) => t.includes("残疾人保障法"))) failures.push(`finder: 残疾人保障法 not among ${titles.length} matches`);
  if (titles.some((t) => t.includes("中小企业促进法"))) failures.push("finder: a company-only policy was shown to a person");
  const atom = await page.inputValue('#finder-subscribe input[data-format="atom"]');
  const feed = await page.request.get(atom);
  if (!atom.endsWith(".atom") || feed.status() !== 200) failures.push(`finder: feed ${atom} answered ${feed.status()}`);
  await page.reload();
  await page.waitForSelector("#finder-list li");
  if (!(await page.isChecked('input[name="g"][value="disabled"]'))) failures.push("finder: the profile was not kept across a reload");
  const leaks = requests.filter((u) => u.includes("disabled") || u.includes("person"));
  if (leaks.length) failures.push(`finder: the profile reached the server: ${leaks.join(" ")}`);
  failures.push(...consoleErrors.map((e) => `console error: ${e}`));
  console.log(`checked ${all.length} pages in 3 modes: ${all.join(" ")}`);
} finally {
  await browser.close();
  server.close();
}
finish(failures, "axe: no serious or critical violations, no console errors");
