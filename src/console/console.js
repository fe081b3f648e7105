// 12345 operator console: search as you type over the operator index
// (/api/search), keyboard only. Every text from the index is inserted with
// textContent, except the snippet, which the server escapes and marks up.

const DEBOUNCE_MS = 120;
const STATUS_LABELS = { "in-force": "现行有效", amended: "已修改", "not-yet-effective": "尚未生效", repealed: "已废止", expired: "已失效" };
const DAY = 86400000;

const input = document.getElementById("q");
const list = document.getElementById("results");
const pane = document.getElementById("answer");
const status = document.getElementById("console-status");
const filters = [...document.querySelectorAll("#console-form select")];
let results = [];
let selected = -1;
let timer = 0;
let inflight = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  children.filter((c) => c !== null && c !== undefined && c !== false).forEach((c) => node.append(c));
  return node;
}

function daysBetween(from, to) {
  return Math.round((Date.parse(to) - Date.parse(from)) / DAY);
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

function answerText(hit) {
  return hit.detail && hit.detail.answer ? hit.detail.answer.trim() : "";
}

function showAnswer() {
  pane.replaceChildren();
  const hit = results[selected];
  if (!hit) return;
  const d = hit.detail;
  pane.append(el("h2", {}, el("a", { href: hit.url, target: "_blank", rel: "noopener" }, hit.title)));
  const policies = (d && d.policies) || [];
  const dead = policies.filter((p) => p.status === "repealed" || p.status === "expired");
  if (dead.length) {
    pane.append(
      el("p", { class: "policy-alert", role: "alert" },
        `⚠ 依据政策${dead.map((p) => `《${p.title}》${STATUS_LABELS[p.status]}`).join("、")}：本答复可能已过时，请核实后再答复。`),
    );
  }
  if (d) {
    pane.append(el("h3", {}, "答复口径"), el("div", { class: "answer-text" }, answerText(hit)));
  } else {
    const snippet = el("p", {});
    snippet.innerHTML = hit.snippet;
    pane.append(el("p", {}, [hit.kind === "policy" ? "政策文件" : hit.kind === "interpretation" ? "政策解读" : "页面", hit.doc_number, hit.status].filter(Boolean).join(" · ")), snippet);
  }
  if (hit.internal) {
    pane.append(el("div", { class: "internal-box", role: "note" }, el("h3", {}, "内部口径（仅供坐席参考，不得对外宣读）"), el("div", { class: "answer-text" }, hit.internal)));
  }
  if (d) {
    const meta = el("dl", {});
    const row = (term, ...value) => meta.append(el("dt", {}, term), el("dd", {}, ...value));
    if (policies.length) {
      const items = policies.map((p) =>
        el("li", {}, el("a", { href: p.url, target: "_blank", rel: "noopener" }, p.title), p.doc_number ? ` ${p.doc_number} ` : " ",
          el("span", { class: `badge status-${p.status}` }, STATUS_LABELS[p.status] || "")));
      row("依据政策", el("ul", {}, ...items));
    }
    row("责任部门", d.department || "");
    row("类目", d.category || "");
    const age = daysBetween(d.updated, today());
    row("更新于", `${d.updated}（${age} 天前）`);
    if (d.review_by) {
      const left = daysBetween(today(), d.review_by);
      row("复核期限", left < 0 ? el("span", { class: "freshness-stale" }, `${d.review_by}（已过期 ${-left} 天，请核实）`) : `${d.review_by}（还有 ${left} 天）`);
    }
    pane.append(meta);
  }
}

function render() {
  list.replaceChildren();
  results.forEach((hit, i) => {
    const snippet = el("div", { class: "hit-snippet" });
    snippet.innerHTML = hit.snippet;
    const kind = hit.kind === "qa" ? "问答" : hit.kind === "policy" ? "政策" : hit.kind === "interpretation" ? "解读" : "页面";
    const item = el("li", { role: "option", id: `hit-${i}`, "aria-selected": String(i === selected) },
      el("div", { class: "hit-title" }, hit.title),
      el("div", { class: "hit-meta" }, [kind, hit.status, hit.doc_number].filter(Boolean).join(" · ")),
      snippet);
    item.addEventListener("click", () => select(i));
    list.append(item);
  });
  input.setAttribute("aria-activedescendant", selected >= 0 ? `hit-${selected}` : "");
  showAnswer();
}

function select(i) {
  if (!results.length) return;
  selected = Math.max(0, Math.min(results.length - 1, i));
  render();
  document.getElementById(`hit-${selected}`)?.scrollIntoView({ block: "nearest" });
}

function fillFacets(facets) {
  for (const select of filters.filter((s) => s.dataset.facet)) {
    const counts = (facets && facets[select.dataset.facet]) || {};
    const current = select.value;
    const first = select.options[0];
    select.replaceChildren(first);
    for (const [value, count] of Object.entries(counts)) {
      select.append(el("option", { value }, `${value}（${count}）`));
    }
    if (current && !counts[current]) select.append(el("option", { value: current }, current));
    select.value = current;
  }
}

async function search() {
  const q = input.value.trim();
  if (!q) {
    results = [];
    selected = -1;
    status.textContent = "";
    render();
    return;
  }
  const params = new URLSearchParams({ q, limit: "20", detail: "true", facets: "true" });
  filters.forEach((s) => s.value && params.set(s.dataset.param, s.value));
  inflight?.abort();
  inflight = new AbortController();
  const started = performance.now();
  let response;
  try {
    response = await fetch(`/api/search?${params}`, { signal: inflight.signal, credentials: "same-origin" });
  } catch (e) {
    if (e.name !== "AbortError") status.textContent = "检索服务无法连接。";
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    status.textContent = response.status === 401 ? "需要访问令牌：请用 /console?token=… 打开本页。" : body.error || "检索失败。";
    results = [];
    render();
    return;
  }
  results = body.results || [];
  selected = results.length ? 0 : -1;
  status.textContent = `共 ${body.total} 条，用时 ${Math.round(performance.now() - started)} 毫秒`;
  fillFacets(body.facets);
  render();
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(search, DEBOUNCE_MS);
}

input.addEventListener("input", schedule);
filters.forEach((s) => s.addEventListener("change", search));
document.getElementById("console-form").addEventListener("submit", (e) => e.preventDefault());

document.addEventListener("keydown", async (e) => {
  if (e.key === "/" && document.activeElement !== input) {
    e.preventDefault();
    input.focus();
    input.select();
  } else if (e.key === "ArrowDown" && results.length) {
    e.preventDefault();
    select(selected + 1);
  } else if (e.key === "ArrowUp" && results.length) {
    e.preventDefault();
    select(selected - 1);
  } else if (e.key === "Enter" && results[selected]) {
    e.preventDefault();
    const hit = results[selected];
    const text = answerText(hit) || `${hit.title} ${location.origin}${hit.url}`;
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = "已复制答复口径（不含内部口径）。";
    } catch {
      status.textContent = "复制失败：浏览器不允许访问剪贴板。";
    }
  } else if (e.key === "Escape") {
    input.value = "";
    input.focus();
    search();
  }
});

input.focus();
