// Shared by the browser tests: a plain static file server over a built site
// on 127.0.0.1 and a free port (what any web server or CDN would do),
// Debian's headless Chromium, and the pass/fail report.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
  ".svg": "image/svg+xml", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8", ".json": "application/json",
};

/** Serves `dir`; resolves to { base, close }. */
export async function serveStatic(dir) {
  const root = path.resolve(dir);
  async function resolveFile(urlPath) {
    const decoded = decodeURIComponent(urlPath.split("?")[0]);
    const file = path.join(root, decoded);
    if (!file.startsWith(root)) return null;
    try {
      const info = await stat(file);
      return info.isDirectory() ? path.join(file, "index.html") : file;
    } catch {
      return null;
    }
  }
  const server = createServer(async (req, res) => {
    const file = await resolveFile(req.url);
    try {
      const body = await readFile(file ?? path.join(root, "404.html"));
      res.writeHead(file ? 200 : 404, { "content-type": TYPES[path.extname(file ?? ".html")] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** Debian's Chromium, headless, never a downloaded browser. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
}

/** Prints the failures and exits non-zero, or prints `success`. */
export function finish(failures, success) {
  if (failures.length) {
    console.error(failures.join("\n"));
    process.exit(1);
  }
  console.log(success);
}
