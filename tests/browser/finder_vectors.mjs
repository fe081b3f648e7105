// Checks the 政策找人 page's matcher against vectors the Rust side wrote:
// for every pickable profile, the policies it receives and the feed key it
// is pointed to.
//
// usage: node finder_vectors.mjs zhiku-finder.js profiles.json vectors.json
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, profilesPath, vectorsPath] = process.argv.slice(2);
const finder = await import(pathToFileURL(modulePath).href);
const data = JSON.parse(readFileSync(profilesPath, "utf8"));
const vectors = JSON.parse(readFileSync(vectorsPath, "utf8"));
const dims = data.dimensions;
const { audiences, representative } = finder.matcher(data.policies, dims);

// Rebuilds a profile from its key, as a visitor's picks would give it.
function parse(key) {
  const profile = dims.list.map(() => []);
  if (key === "all") return profile;
  for (const part of key.split(".")) {
    const dash = part.indexOf("-");
    const d = dims.list.findIndex((x) => x.prefix === part.slice(0, dash));
    profile[d] = part
      .slice(dash + 1)
      .split("+")
      .map((c) => dims.list[d].values.findIndex((v) => v.code === c))
      .sort((a, b) => a - b);
  }
  return profile;
}

let failures = 0;
for (const v of vectors) {
  const profile = parse(v.key);
  if (finder.profileKey(profile, dims) !== v.key) {
    console.log(`key ${v.key}: browser writes ${finder.profileKey(profile, dims)}`);
    failures++;
    continue;
  }
  const urls = data.policies.filter((_, i) => finder.admits(profile, audiences[i], dims)).map((p) => p.url);
  if (JSON.stringify(urls) !== JSON.stringify(v.policies)) {
    console.log(`policies of ${v.key}: browser ${urls.length}, rust ${v.policies.length}`);
    failures++;
  }
  const feed = finder.profileKey(representative(profile), dims);
  if (feed !== v.feed) {
    console.log(`feed of ${v.key}: browser ${feed}, rust ${v.feed}`);
    failures++;
  }
}
if (failures > 0) {
  console.log(`${failures} disagreements`);
  process.exit(1);
}
console.log(`${vectors.length} profiles agree`);
