// Drives the 12345 operator console of a running `zhiku serve` in headless
// Debian Chromium. Usage: node console.mjs BASE_URL [TOKEN]
// Without TOKEN: the console answers a query with its internal guidance.
// With TOKEN: /console and /api refuse requests without it, and accept
// the token exchanged for a cookie.

import { finish, launchChromium } from "./harness.mjs";

const [base, token] = process.argv.slice(2);
const failures = [];
const check = (ok, message) => ok || failures.push(message);

const browser = await launchChromium();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("pageerror", (err) => consoleErrors.push(err.message));

  if (token) {
    const denied = await page.goto(`${base}/console`);
    check(denied.status() === 401, `/console without a token answered ${denied.status()}`);
    const api = await page.request.get(`${base}/api/search?q=社保卡`);
    check(api.status() === 401, `/api/search without a token answered ${api.status()}`);
    const wrong = await page.goto(`${base}/console?token=not-${token}`);
    check(wrong.status() === 401, `/console with a wrong token answered ${wrong.status()}`);
    const bearer = await page.request.get(`${base}/api/search?q=社保卡`, { headers: { Authorization: `Bearer ${token}` } });
    check(bearer.status() === 200, `/api/search with the bearer token answered ${bearer.status()}`);
    const admitted = await page.goto(`${base}/console?token=${token}`);
    check(admitted.status() === 200 && page.url() === `${base}/console`, `token exchange ended at ${page.url()} (${admitted.status()})`);
  } else {
    await page.goto(`${base}/console`);
  }

  // Keyboard only: "/" focuses the search box.
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("/");
  check(await page.evaluate(() => document.activeElement?.id === "q"), "/ did not focus the search box");
  await page.keyboard.type("社保卡丢了怎么办");
  await page.waitForSelector("#results li", { timeout: 10000 });
  const first = await page.textContent("#results li .hit-title");
  check(first.includes("社保卡丢了怎么办"), `first result is ${first}`);
  const internal = await page.textContent("#answer .internal-box");
  check(internal?.includes("不得承诺当日补卡"), `internal guidance not shown: ${internal}`);
  check((await page.textContent("#answer")).includes("依据政策"), "cited policies not shown");
  const alert = await page.$("#answer .policy-alert");
  check(alert && (await alert.textContent()).includes("已废止"), "no warning for a repealed cited policy");
  const count = await page.$$eval("#results li", (items) => items.length);
  if (count > 1) {
    await page.keyboard.press("ArrowDown");
    check(await page.getAttribute("#hit-1", "aria-selected") === "true", "ArrowDown did not select the next result");
    await page.keyboard.press("ArrowUp");
  }
  await page.keyboard.press("Escape");
  check((await page.inputValue("#q")) === "", "Esc did not clear the query");
  check(consoleErrors.length === 0, `page errors: ${consoleErrors.join("; ")}`);
} finally {
  await browser.close();
}
finish(failures, token ? "console: token gate holds" : "console: internal answer shown");
