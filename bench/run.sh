#!/usr/bin/env bash
# Build benchmarks: whole-process wall time and peak RSS of `zhiku build`
# on the demo site and on a 10,000-document site generated from the laws
# corpus, with per-page time and the per-phase split of the last run.
#
# Usage: bench/run.sh [RUNS]   (default 5 runs per site; reports the median)
# Needs GNU time (/usr/bin/time; `apt-get install time`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
CORPUS=${CORPUS:-../shared/corpus}
WORK=${WORK:-$(mktemp -d)}
AS_OF=2026-11-26

cargo build --release --quiet
cargo build --release --quiet --example convert_corpus
BIN=target/release/zhiku

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "zhiku $(git rev-parse --short HEAD 2>/dev/null || echo '?'), runs per site: $RUNS"

bench_site() {
  local name=$1 root=$2
  local times=() rss=() pages=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" --root "$root" build --as-of "$AS_OF" -o "$WORK/out-$name" \
      --timings 2> "$WORK/log-$name"
    read -r t m < "$WORK/time"
    times+=("$t"); rss+=("$m")
  done
  pages=$(find "$WORK/out-$name" -name '*.html' | wc -l)
  local median_t median_m
  median_t=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  median_m=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo
  echo "## $name"
  grep -E '构建完成|构建失败' "$WORK/log-$name"
  echo "html pages: $pages"
  echo "wall time median of $RUNS: ${median_t} s (all: ${times[*]})"
  awk -v t="$median_t" -v p="$pages" 'BEGIN {printf "per page: %.3f ms\n", t * 1000 / p}'
  awk -v m="$median_m" 'BEGIN {printf "peak RSS median: %.1f MiB\n", m / 1024}'
  echo "phases (last run):"
  grep -E '^  [a-z+]' "$WORK/log-$name"
  echo "feeds: $(find "$WORK/out-$name/feeds" -name '*.atom' | wc -l) feed keys x 3 formats," \
    "$(du -sb "$WORK/out-$name/feeds" | cut -f1) bytes under feeds/," \
    "profiles.json $(stat -c %s "$WORK/out-$name/feeds/profiles.json") bytes" \
    "($(gzip -c "$WORK/out-$name/feeds/profiles.json" | wc -c) gzipped)"
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" --root "$root" check --as-of "$AS_OF" > "$WORK/check-$name" || true
  read -r t m < "$WORK/time"
  echo "zhiku check: ${t} s, peak RSS $(awk -v m="$m" 'BEGIN {printf "%.1f", m / 1024}') MiB, $(tail -1 "$WORK/check-$name")"
}

bench_site demo .

target/release/examples/convert_corpus bench --corpus "$CORPUS" --out "$WORK/site10k" --docs 10000 --seed 1 > /dev/null
bench_site laws-10k "$WORK/site10k"
echo
echo "work folder: $WORK"
