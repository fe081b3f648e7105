#!/usr/bin/env bash
# Build benchmarks, for BENCHMARKS.md:
#
# * the demo site;
# * generated sites of SIZES documents (`convert_corpus bench`: laws and
#   State Council documents as policies, NCP answers and citizen replies as
#   Q&A, random audiences), each built by zhiku and, from the same pages, by
#   Hugo in the same run, alternating, each into an empty output folder;
# * whole-process wall time and peak RSS (medians), zhiku's phase split of
#   its last run, the zhiku/Hugo time ratio (of the medians, and run by
#   run), feeds, and `zhiku check`.
#
# Usage: bench/run.sh [RUNS]            (default 3 runs per site and tool)
#        SIZES="1000 10000 60000 100000" bench/run.sh 1
#        OUT=/dev/shm/zhiku-bench bench/run.sh   (outputs of both tools on tmpfs)
#        CACHE=warm bench/run.sh        (page cache kept, see below)
# Needs GNU time (`apt-get install time`) and Hugo (`apt-get install hugo`).
# Run as root, the page cache is dropped before every build so that every
# build reads its input from disk and no build pays for the deletions of
# the one before (ext4 scans recently freed inodes on create).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SIZES=${SIZES:-"1000 10000"}
CORPUS=${CORPUS:-../shared/corpus}
WORK=${WORK:-$(mktemp -d)}
# Where both tools write their output. On a disk without a journal (this
# machine's), ext4 skips inodes freed in the last minutes when it creates
# files, so the run after a deletion pays for it, and zhiku writes six times
# as many files as Hugo; tmpfs takes the disk out of the comparison.
OUT=${OUT:-$WORK}
# CACHE=warm keeps the page cache and fills it with one untimed build by
# each tool before a site's timed runs, so both read their input from
# memory, as after a fresh checkout. Hugo gains more from it than zhiku.
CACHE=${CACHE:-cold}
mkdir -p "$WORK" "$OUT"
AS_OF=2026-11-26

cargo build --release --quiet
cargo build --release --quiet --example convert_corpus
BIN=target/release/zhiku

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "zhiku $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(hugo version 2>/dev/null | cut -d' ' -f1-2), runs per site and tool: $RUNS, page cache: $CACHE"

settle() {
  sync
  if [ "$CACHE" = cold ] && [ -w /proc/sys/vm/drop_caches ]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# timed NAME OUTDIR CMD... : one run into an empty OUTDIR; appends "secs kb".
timed() {
  local name=$1 out=$2; shift 2
  rm -rf "$out"
  settle
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > "$WORK/log-$name" 2>&1
  cat "$WORK/time" >> "$WORK/runs-$name"
}

report() {
  local name=$1 label=$2
  local t m
  t=$(cut -d' ' -f1 "$WORK/runs-$name" | median)
  m=$(cut -d' ' -f2 "$WORK/runs-$name" | median)
  echo "$label: wall median ${t} s (all: $(cut -d' ' -f1 "$WORK/runs-$name" | tr '\n' ' ')), peak RSS median $(awk -v m="$m" 'BEGIN {printf "%.0f MiB", m / 1024}')"
  echo "$t" > "$WORK/median-$name"
}

zhiku_site() {
  local name=$1 root=$2 hugo=${3:-}
  rm -f "$WORK/runs-$name" "$WORK/runs-$name-hugo"
  if [ "$CACHE" = warm ]; then
    timed "$name" "$OUT/out-$name" "$BIN" --root "$root" build --as-of "$AS_OF" -o "$OUT/out-$name"
    if [ -n "$hugo" ]; then timed "$name-hugo" "$OUT/hugo-$name" hugo -s "$hugo" -d "$OUT/hugo-$name" --quiet; fi
    rm -f "$WORK/runs-$name" "$WORK/runs-$name-hugo"
  fi
  for _ in $(seq "$RUNS"); do
    timed "$name" "$OUT/out-$name" "$BIN" --root "$root" build --as-of "$AS_OF" -o "$OUT/out-$name" --timings
    if [ -n "$hugo" ]; then
      timed "$name-hugo" "$OUT/hugo-$name" hugo -s "$hugo" -d "$OUT/hugo-$name" --quiet
    fi
  done
  echo
  echo "## $name"
  grep -E '构建完成|构建失败' "$WORK/log-$name"
  echo "zhiku html pages: $(find "$OUT/out-$name" -name '*.html' | wc -l), files: $(find "$OUT/out-$name" -type f | wc -l), bytes: $(du -sb "$OUT/out-$name" | cut -f1)"
  report "$name" "zhiku (HTML, operator index, static index, feeds)"
  if [ -n "$hugo" ]; then
    echo "hugo html pages: $(find "$OUT/hugo-$name" -name '*.html' | wc -l), files: $(find "$OUT/hugo-$name" -type f | wc -l)"
    report "$name-hugo" "hugo (HTML only)"
    awk -v z="$(cat "$WORK/median-$name")" -v h="$(cat "$WORK/median-$name-hugo")" \
      'BEGIN {printf "ratio zhiku / hugo: %.2f\n", z / h}'
    # Run by run, in the order they alternated: on a noisy machine the
    # spread says more than the ratio of the medians.
    paste -d' ' "$WORK/runs-$name" "$WORK/runs-$name-hugo" |
      awk '{printf "%s%.2f", (NR > 1 ? ", " : "ratio per run: "), $1 / $3} END {print ""}'
  fi
  echo "zhiku phases (last run):"
  grep -E '^  [a-z+ ]' "$WORK/log-$name"
  echo "feeds: $(find "$OUT/out-$name/feeds" -name '*.atom' | wc -l) feed keys x 3 formats," \
    "$(du -sb "$OUT/out-$name/feeds" | cut -f1) bytes under feeds/," \
    "profiles.json $(stat -c %s "$OUT/out-$name/feeds/profiles.json") bytes" \
    "($(gzip -c "$OUT/out-$name/feeds/profiles.json" | wc -c) gzipped)"
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" --root "$root" check --as-of "$AS_OF" > "$WORK/check-$name" || true
  read -r t m < "$WORK/time"
  echo "zhiku check: ${t} s, peak RSS $(awk -v m="$m" 'BEGIN {printf "%.1f", m / 1024}') MiB, $(tail -1 "$WORK/check-$name")"
}

zhiku_site demo .

for size in $SIZES; do
  site="$WORK/site-$size"
  target/release/examples/convert_corpus bench --corpus "$CORPUS" --out "$site" --docs "$size" --seed 1 \
    --hugo "$site-hugo" > /dev/null
  zhiku_site "gen-$size" "$site" "$site-hugo"
done
echo
echo "work folder: $WORK"
# Outputs kept elsewhere (tmpfs holds them in memory) are removed, and
# only those: OUT may hold other files.
if [ "$OUT" != "$WORK" ]; then rm -rf "$OUT"/out-* "$OUT"/hugo-*; fi
