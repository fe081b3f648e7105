// 政策找人: matches the visitor's profile against every policy's audience in
// the browser and names the feed to subscribe to. The profile lives only in
// localStorage; the page downloads one profile-independent file, so the
// server never learns what was picked.
//
// The matching rules and the choice of feed key mirror src/profile.rs and
// src/feeds/mod.rs. They are not hand-checked: tests/feeds.rs has the Rust
// side write test vectors for every pickable profile, and
// tests/browser/finder_vectors.mjs checks this module against them.

const STORAGE_KEY = "zhiku.finder.profile";
const STATUS_LABELS = { "in-force": "现行有效", amended: "已修改", "not-yet-effective": "尚未生效" };
const PAGE_SIZE = 50;

/** Whether region `parent` covers `child`: the same GB/T 2260 code or an ancestor. */
export function regionCovers(parent, child) {
  if (parent === child) return true;
  const stem = parent.replace(/(00)+$/, "");
  return parent.length === 6 && child.length === 6 && stem.length < 6 && stem.length % 2 === 0 && child.startsWith(stem);
}

/** Value indexes per dimension of an audience given as codes per field. */
export function audienceIndexes(codes, dims) {
  return dims.list.map((d) => {
    const wanted = (codes && codes[d.field]) || [];
    return wanted.map((c) => d.values.findIndex((v) => v.code === c)).filter((i) => i >= 0).sort((a, b) => a - b);
  });
}

/** Whether a policy with `audience` (indexes per dimension) applies to `profile`. */
export function admits(profile, audience, dims) {
  return profile.every((wanted, d) => {
    const allowed = audience[d];
    if (wanted.length === 0 || allowed.length === 0) return true;
    if (dims.list[d].field === "regions") {
      const codes = dims.list[d].values;
      return wanted.some((w) => allowed.some((a) => regionCovers(codes[a].code, codes[w].code)));
    }
    return wanted.some((w) => allowed.includes(w));
  });
}

/** The feed key of a profile: `s-person.r-152201.g-graduate+veteran`, or `all`. */
export function profileKey(profile, dims) {
  const parts = [];
  profile.forEach((chosen, d) => {
    if (chosen.length === 0) return;
    const dim = dims.list[d];
    parts.push(`${dim.prefix}-${chosen.map((v) => dim.values[v].code).join("+")}`);
  });
  return parts.length ? parts.join(".") : "all";
}

/** Precomputed policy sets per dimension value, as in the Rust `Matcher`. */
export function matcher(policies, dims) {
  const audiences = policies.map((p) => audienceIndexes(p.audience, dims));
  const n = policies.length;
  const words = Math.ceil(n / 32);
  const admitted = dims.list.map((dim, d) =>
    dim.values.map((_, v) => {
      const single = dims.list.map((_, e) => (e === d ? [v] : []));
      const bits = new Uint32Array(words);
      audiences.forEach((a, i) => {
        if (admits(single, a, dims)) bits[i >> 5] |= 1 << (i & 31);
      });
      return bits;
    }),
  );
  const full = new Uint32Array(words);
  for (let i = 0; i < n; i++) full[i >> 5] |= 1 << (i & 31);
  const same = (a, b) => a.every((w, i) => w === b[i]);
  const bitsOf = (profile) => {
    const out = full.slice();
    profile.forEach((chosen, d) => {
      if (chosen.length === 0) return;
      const union = new Uint32Array(words);
      chosen.forEach((v) => admitted[d][v].forEach((w, i) => (union[i] |= w)));
      out.forEach((w, i) => (out[i] = w & union[i]));
    });
    return out;
  };
  // Drop each narrowed dimension if that keeps the set, else widen it to
  // every value admitting the same policies: only ever generalise.
  const representative = (profile) => {
    const target = bitsOf(profile);
    let current = profile.map((c) => c.slice());
    for (let d = 0; d < current.length; d++) {
      if (current[d].length === 0) continue;
      const dropped = current.map((c, e) => (e === d ? [] : c));
      if (same(bitsOf(dropped), target)) {
        current = dropped;
        continue;
      }
      const values = admitted[d];
      current[d] = values.map((_, w) => w).filter((w) => current[d].some((v) => same(values[w], values[v])));
    }
    return current;
  };
  return { audiences, representative };
}

/** The profile (indexes per dimension) for picked codes, keeping only the dimensions the subject has. */
export function profileOf(picked, dims) {
  const subject = picked.s || "";
  return dims.list.map((dim) => {
    const applies = dim.applies === "all" || (subject === "person" && dim.applies === "person") || (subject === "company" && dim.applies === "company");
    if (!applies) return [];
    const codes = dim.multi ? picked[dim.prefix] || [] : picked[dim.prefix] ? [picked[dim.prefix]] : [];
    return codes.map((c) => dim.values.findIndex((v) => v.code === c)).filter((i) => i >= 0).sort((a, b) => a - b);
  });
}

function daysLeft(deadline, now) {
  const end = Date.parse(`${deadline}T23:59:59+08:00`);
  return Math.ceil((end - now) / 86400000);
}

function element(tag, attrs, ...children) {
  const el = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => el.setAttribute(k, v));
  children.filter((c) => c !== null && c !== undefined).forEach((c) => el.append(c));
  return el;
}

function reasons(audience, profile, dims) {
  const out = [];
  audience.forEach((allowed, d) => {
    if (allowed.length === 0) return;
    const dim = dims.list[d];
    const names = allowed.map((v) => dim.values[v].label).join("、");
    out.push(`${dim.label}：${names}${profile[d].length ? "（与您的选择相符）" : "（您未限定此项）"}`);
  });
  return out.length ? out : ["面向全体，无身份限制"];
}

async function init() {
  const form = document.getElementById("finder");
  const source = document.getElementById("finder-dimensions");
  if (!form || !source) return;
  const dims = JSON.parse(source.textContent);
  const response = await fetch("/feeds/profiles.json");
  if (!response.ok) return;
  const data = await response.json();
  const { audiences, representative } = matcher(data.policies, dims);
  let picked = {};
  try {
    picked = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") || {};
  } catch {
    picked = {};
  }
  const groupPrefix = dims.list.find((d) => d.multi)?.prefix;
  let shown = PAGE_SIZE;

  const restore = () => {
    form.querySelectorAll("select").forEach((s) => (s.value = picked[s.name] || ""));
    form.querySelectorAll("input[type=checkbox]").forEach((c) => (c.checked = (picked[c.name] || []).includes(c.value)));
  };
  const read = () => {
    const next = {};
    form.querySelectorAll("select").forEach((s) => (next[s.name] = s.value));
    if (groupPrefix) next[groupPrefix] = [...form.querySelectorAll(`input[name="${groupPrefix}"]:checked`)].map((c) => c.value);
    return next;
  };
  const render = () => {
    const subject = picked.s || "";
    form.querySelectorAll(".finder-dim").forEach((el) => {
      const applies = el.dataset.applies;
      el.hidden = !(applies === "all" || applies === subject);
    });
    const boxes = [...form.querySelectorAll(`input[name="${groupPrefix}"]`)];
    const full = boxes.filter((c) => c.checked).length >= dims.max_groups;
    boxes.forEach((c) => (c.disabled = full && !c.checked));

    const profile = profileOf(picked, dims);
    const key = profileKey(representative(profile), dims);
    const base = new URL("/feeds/", location.href).href;
    document.querySelectorAll("#finder-subscribe input[data-format]").forEach((input) => {
      input.value = `${base}${key}.${input.dataset.format}`;
    });
    document.getElementById("finder-subscribe").hidden = false;

    // Policies written for what the visitor picked come first, newest
    // first within each rank; those for everyone follow.
    const specific = (a) => a.filter((allowed, d) => allowed.length > 0 && profile[d].length > 0).length;
    const matches = [];
    audiences.forEach((a, i) => {
      if (admits(profile, a, dims)) matches.push(i);
    });
    matches.sort((x, y) => specific(audiences[y]) - specific(audiences[x]) || x - y);
    const list = document.getElementById("finder-list");
    list.replaceChildren();
    const now = Date.now();
    matches.slice(0, shown).forEach((i) => {
      const p = data.policies[i];
      const badges = element("p", { class: "badges" });
      if (p.status && STATUS_LABELS[p.status]) badges.append(element("span", { class: `badge status-${p.status}` }, STATUS_LABELS[p.status]), " ");
      if (p.apply && p.apply.no_application) badges.append(element("span", { class: "badge badge-free" }, "免申即享"), " ");
      if (p.apply && p.apply.deadline) {
        const left = daysLeft(p.apply.deadline, now);
        const text = left >= 0 ? `距申报截止还有 ${left} 天（${p.apply.deadline}）` : `申报已截止（${p.apply.deadline}）`;
        badges.append(element("span", { class: left >= 0 ? "badge badge-deadline" : "badge badge-closed" }, text));
      }
      const why = element("ul", { class: "reasons" }, ...reasons(audiences[i], profile, dims).map((r) => element("li", {}, r)));
      list.append(
        element(
          "li",
          { class: "item" },
          element("a", { href: p.url }, p.title),
          p.doc_number ? element("span", { class: "doc-number" }, ` ${p.doc_number}`) : null,
          badges,
          element("p", { class: "reasons-title" }, "为什么适用于您："),
          why,
        ),
      );
    });
    document.getElementById("finder-count").textContent = `共 ${matches.length} 件政策适用于您的选择。`;
    document.getElementById("finder-more").hidden = matches.length <= shown;
    document.getElementById("finder-results").hidden = false;
  };

  form.addEventListener("change", () => {
    picked = read();
    shown = PAGE_SIZE;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(picked));
    } catch {
      // Private browsing may refuse storage; the page still works.
    }
    render();
  });
  document.getElementById("finder-clear").addEventListener("click", () => {
    picked = {};
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      // As above.
    }
    restore();
    render();
  });
  document.getElementById("finder-more").addEventListener("click", () => {
    shown += PAGE_SIZE;
    render();
  });
  document.querySelectorAll("#finder-subscribe [data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = document.querySelector(`#finder-subscribe input[data-format="${button.dataset.copy}"]`);
      const status = document.getElementById("finder-copied");
      try {
        await navigator.clipboard.writeText(input.value);
        status.textContent = "已复制订阅地址。";
      } catch {
        input.select();
        status.textContent = "请按 Ctrl+C 复制已选中的地址。";
      }
    });
  });
  document.getElementById("finder-opml").addEventListener("click", () => {
    const atom = document.querySelector('#finder-subscribe input[data-format="atom"]').value;
    const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
    const title = `${document.title}`;
    const opml =
      `<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n<head><title>${escape(title)}</title></head>\n<body>\n` +
      `<outline type="rss" text="${escape(title)}" title="${escape(title)}" xmlUrl="${escape(atom)}" htmlUrl="${escape(location.href)}"/>\n` +
      `</body>\n</opml>\n`;
    const link = element("a", { href: URL.createObjectURL(new Blob([opml], { type: "text/x-opml" })), download: "zhiku-feeds.opml" });
    document.body.append(link);
    link.click();
    link.remove();
  });

  form.hidden = false;
  restore();
  render();
}

if (typeof document !== "undefined") {
  init();
}
