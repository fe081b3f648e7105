#!/usr/bin/env python3
"""Two ways to add meaning to lexical search, measured on the evaluation sets.

Not a test and not shipped: it backs the figures in BENCHMARKS.md
("Search quality", measured and dropped). A plain character-bigram BM25
(k1 1.2, b 0.75) is the base. It is scored on the same queries as
`examples/search_eval.rs` (NCP: 1,000 questions drawn with Python's
random.seed(7); citizen: one query per distinct subject), then

* with RM3 pseudo-relevance feedback: the top k documents' terms, weighted
  by document score, tf/length and idf, added to the query with weight λ;
* with LSA trained on the set's own documents: truncated SVD (k = 200) of
  the tf-idf matrix of the 30,000 most frequent bigrams, the cosine of
  query and document added to the max-normalised BM25 score with weight α.

Usage: python3 bench/semantic_probe.py [CORPUS]   (needs numpy for LSA)
"""
import collections, gzip, json, math, random, re, sys

CORPUS = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus"
RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+")


def grams(text):
    out = []
    for run in RUNS.findall(text.lower()):
        if run[0].isascii():
            out.append(run)
            continue
        if len(run) == 1:
            out.append(run)
        out += [run[i:i + 2] for i in range(len(run) - 1)]
    return out


def ncp():
    rows = [json.loads(l) for l in open(f"{CORPUS}/ncp_qa.jsonl")]
    docs = collections.defaultdict(str)
    for r in rows:
        docs[r["docid"]] += r["answer"] + "\n"
    random.seed(7)
    return dict(docs), [(r["question"], r["docid"]) for r in random.sample(rows, 1000)]


def citizen():
    rows = [json.loads(l) for l in gzip.open(f"{CORPUS}/citizen_messages.jsonl.gz", "rt")]
    docs, queries = {}, {}
    for r in rows:
        key = str(r["留言编号"])
        docs[key] = r["答复意见"]
        queries.setdefault(r["留言主题"], key)
    return docs, list(queries.items())


class BM25:
    def __init__(self, docs, k1=1.2, b=0.75):
        self.ids = list(docs)
        self.tf = [collections.Counter(grams(docs[i])) for i in self.ids]
        self.len = [sum(t.values()) for t in self.tf]
        self.avg = sum(self.len) / len(self.len)
        self.post = collections.defaultdict(list)
        for d, t in enumerate(self.tf):
            for g, c in t.items():
                self.post[g].append((d, c))
        n = len(self.ids)
        self.idf = {g: math.log(1 + (n - len(p) + .5) / (len(p) + .5)) for g, p in self.post.items()}
        self.k1, self.b = k1, b

    def search(self, weights):
        scores = collections.defaultdict(float)
        for g, w in weights.items():
            for d, c in self.post.get(g, ()):
                norm = self.k1 * (1 - self.b + self.b * self.len[d] / self.avg)
                scores[d] += w * self.idf[g] * c * (self.k1 + 1) / (c + norm)
        return sorted(scores.items(), key=lambda x: -x[1])


def reciprocal_rank(ix, ranked, relevant):
    for r, d in enumerate(ranked[:10]):
        if ix.ids[d] == relevant:
            return 1 / (r + 1)
    return 0


def rm3(ix, queries, docs_k, terms_k, lam):
    total = 0
    for q, relevant in queries:
        weights = collections.Counter(grams(q))
        hits = ix.search(weights)
        if docs_k and hits:
            top = hits[:docs_k]
            z = sum(math.exp(s - top[0][1]) for _, s in top)
            expansion = collections.defaultdict(float)
            for d, s in top:
                p = math.exp(s - top[0][1]) / z
                for g, c in ix.tf[d].items():
                    expansion[g] += p * c / ix.len[d] * ix.idf[g]
            best = sorted(expansion.items(), key=lambda x: -x[1])[:terms_k]
            zz = sum(v for _, v in best) or 1
            qn = sum(weights.values())
            mixed = collections.defaultdict(float)
            for g, c in weights.items():
                mixed[g] += (1 - lam) * c / qn
            for g, v in best:
                mixed[g] += lam * v / zz
            hits = ix.search(mixed)
        total += reciprocal_rank(ix, [d for d, _ in hits], relevant)
    return total / len(queries)


def lsa(ix, queries, k=200, vocabulary_size=30000):
    import numpy as np
    df = collections.Counter(g for t in ix.tf for g in t)
    vocab = [g for g, c in df.most_common(vocabulary_size) if c >= 2]
    column = {g: i for i, g in enumerate(vocab)}
    n = len(ix.ids)
    idf = np.array([math.log(n / df[g]) for g in vocab], dtype=np.float32)

    def vector(counts):
        v = np.zeros(len(vocab), dtype=np.float32)
        for g, c in counts.items():
            j = column.get(g)
            if j is not None:
                v[j] = (1 + math.log(c)) * idf[j]
        return v

    x = np.stack([vector(t) for t in ix.tf])
    x /= np.linalg.norm(x, axis=1, keepdims=True) + 1e-9
    values, u = np.linalg.eigh(x @ x.T)
    order = np.argsort(-values)[:k]
    s = np.sqrt(np.maximum(values[order], 1e-9))
    u = u[:, order]
    terms = (u.T @ x) / s[:, None]
    docs = u * s
    docs /= np.linalg.norm(docs, axis=1, keepdims=True) + 1e-9
    bm25 = []
    for q, _ in queries:
        row = np.zeros(n, dtype=np.float32)
        hits = ix.search(collections.Counter(grams(q)))
        for d, score in hits:
            row[d] = score / hits[0][1]
        e = terms @ vector(collections.Counter(grams(q)))
        bm25.append((row, e / (np.linalg.norm(e) or 1)))
    for alpha in (0, 0.1, 0.2, 0.3, 0.5, 1.0):
        total = sum(reciprocal_rank(ix, list(np.argsort(-(row + alpha * (docs @ e)))), rel)
                    for (row, e), (_, rel) in zip(bm25, queries))
        print(f"  LSA k={k} alpha={alpha}: MRR@10 {total / len(queries):.4f}", flush=True)


for name, (docs, queries) in (("NCP", ncp()), ("citizen", citizen())):
    ix = BM25(docs)
    print(f"{name}: bigram BM25 MRR@10 {rm3(ix, queries, 0, 0, 0):.4f}", flush=True)
    for docs_k, terms_k, lam in ((3, 10, .2), (5, 20, .3), (10, 30, .3), (5, 10, .1), (3, 20, .5)):
        print(f"  RM3 docs={docs_k} terms={terms_k} lambda={lam}: MRR@10 "
              f"{rm3(ix, queries, docs_k, terms_k, lam):.4f}", flush=True)
    try:
        lsa(ix, queries)
    except ImportError:
        print("  LSA skipped: numpy is not installed")
