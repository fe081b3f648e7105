#!/usr/bin/env python3
"""Keystroke latency of the operator console's API: types each query one
character at a time against a running `zhiku serve` and times every
/api/search request the console would send (detail and facets on).

usage: bench/console_latency.py BASE_URL [QUERIES_FILE]
QUERIES_FILE holds one query per line (default: a built-in set of caller
questions). Prints p50, p95, p99 and max in milliseconds.
"""
import statistics
import sys
import time
import urllib.parse
import urllib.request

DEFAULT_QUERIES = [
    "社保卡丢了怎么办", "低保办理进度怎么查", "失业登记需要什么材料", "个人所得税专项附加扣除",
    "营业执照变更登记", "退役军人优待证", "高校毕业生就业补贴", "医保异地就医备案",
    "公积金提取条件", "残疾人两项补贴", "养老保险转移接续", "企业开办一网通办",
    "国发〔2019〕5号", "12345热线投诉多久答复", "小微企业税收优惠", "农民工工资拖欠投诉",
]


def main() -> None:
    base = sys.argv[1].rstrip("/")
    queries = DEFAULT_QUERIES
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as f:
            queries = [line.strip() for line in f if line.strip()]
    timings = []
    for query in queries:
        for end in range(1, len(query) + 1):
            params = urllib.parse.urlencode({"q": query[:end], "limit": 20, "detail": "true", "facets": "true"})
            started = time.perf_counter()
            with urllib.request.urlopen(f"{base}/api/search?{params}") as response:
                response.read()
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    pick = lambda p: timings[min(len(timings) - 1, int(len(timings) * p))]
    print(f"{len(timings)} keystrokes over {len(queries)} queries: "
          f"p50 {statistics.median(timings):.2f} ms, p95 {pick(0.95):.2f} ms, p99 {pick(0.99):.2f} ms, max {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()
