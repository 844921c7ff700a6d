#!/usr/bin/env bash
# Benchmark `specgen generate` on the synthetic corpus of bench/make_corpus.py.
#
#   bench/bench.sh [N...]          (default: 10 100 1000 10000)
#
# For each N: writes the corpus to target/bench/nN (once; delete the directory to rebuild it),
# then for each target set (BENCH_SETS):
#   - generate: RUNS times `specgen generate --root <fresh copy> --out <fresh empty dir>`,
#     reporting the median and the range of the wall times, the median CPU time (user +
#     system of all threads, from bash's `time`: the work done, which waiting for a core does
#     not stretch, though a slow machine still does) and the peak RSS (max over the runs,
#     /usr/bin/time %M);
#   - no-op: RUNS times the same command again on the last run's root and out dir, which must
#     write nothing: every file under root and out is compared (path, size, mtime, ctime, inode)
#     before and after, and the largest number of files changed/added/removed by one run is
#     reported (it must be 0).
# Prints a markdown table on stdout (also saved to target/bench/results.md) and the 10000/1000
# time ratio of each set. Progress goes to stderr. Exits 1 if a run failed or a no-op wrote a file.
#
# Wall time is taken around `/usr/bin/time specgen ...`, so it includes starting /usr/bin/time
# (a few ms; the script measures and prints that overhead).
#
# Environment (read):
#   BENCH_RUNS        runs per measurement (default 5)
#   BENCH_SETS        target sets to measure (default "models rest default"):
#                       models   --target pydantic (schemas.py only)
#                       rest     the models and every REST target: pydantic fastapi client openapi
#                                typescript
#                       default  specgen's default targets (all but rust)
#   BENCH_DIR         corpus and work directory (default <repo>/target/bench)
#   SPECGEN_BIN       binary to measure (default: builds `cargo build -p specgen-cli --release`
#                     once, a few minutes on 2 cores the first time)
#   CARGO_TARGET_DIR  honoured when locating the built binary
# Installs Debian's `time` package (for /usr/bin/time) when missing.
set -euo pipefail
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

sizes=("$@")
if [[ ${#sizes[@]} -eq 0 ]]; then sizes=(10 100 1000 10000); fi
for n in "${sizes[@]}"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: $n (usage: bench/bench.sh [N...])"
done
declare -A set_targets=(
  [models]="pydantic"
  [rest]="pydantic fastapi client openapi typescript"
  [default]=""
)
read -r -a sets <<<"${BENCH_SETS:-models rest default}"
for set in "${sets[@]}"; do
  [[ -v "set_targets[$set]" ]] || die "unknown target set: $set (BENCH_SETS: models, rest, default)"
done
runs="${BENCH_RUNS:-5}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
bench_dir="${BENCH_DIR:-$root/target/bench}"
mkdir -p "$bench_dir"
bench_dir="$(cd "$bench_dir" && pwd -P)"

# ---- tools ----
if [[ ! -x /usr/bin/time ]]; then
  log "installing Debian package time (for /usr/bin/time)"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q </dev/null >&2
  "${sudo[@]}" apt-get install -y -q --no-install-recommends time </dev/null >&2
fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed for bench/make_corpus.py"

if [[ -n "${SPECGEN_BIN:-}" ]]; then
  specgen="$SPECGEN_BIN"
else
  log "cargo build -p specgen-cli --release"
  cargo build -p specgen-cli --release </dev/null >&2
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
  [[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
  specgen="$target_dir/release/specgen"
fi
[[ -x "$specgen" ]] || die "specgen binary not found at $specgen"
specgen="$(cd "$(dirname "$specgen")" && pwd -P)/$(basename "$specgen")"

# ---- helpers ----
# sub A B: B - A for two $EPOCHREALTIME values
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }

# median of the arguments
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

max() { printf '%s\n' "$@" | sort -g | tail -n 1; }

# spread of the arguments: "min–max", 3 decimals (wall times swing between identical runs on a
# shared machine; the median alone hides by how much)
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f–%.3f", lo, hi }'; }

kb_to_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# measure CMD...: runs CMD under /usr/bin/time; sets m_wall (s), m_cpu (user + system CPU
# time, s), m_rss (KB), m_status. CMD's stdout/stderr go to $work/cmd.out for the error report.
# The CPU time is bash's `time` (to the millisecond; /usr/bin/time rounds to 10 ms), so it
# includes /usr/bin/time's own (measured below and printed with the results).
measure() {
  local t0 t1 TIMEFORMAT='%3U %3S'
  m_status=0
  t0=$EPOCHREALTIME
  { time /usr/bin/time -f %M -o "$scratch/time.out" "$@" >"$scratch/cmd.out" 2>&1 </dev/null || m_status=$?; } 2>"$scratch/cpu.out"
  t1=$EPOCHREALTIME
  m_wall="$(sub "$t0" "$t1")"
  m_rss="$(tail -n 1 "$scratch/time.out")"
  m_cpu="$(awk '{ printf "%.3f", $1 + $2 }' "$scratch/cpu.out")"
}

# State of every entry under $work/root and $work/out, one line each: path<TAB>type size mtime ctime inode.
# ctime changes on any write, chmod or rename and cannot be set back from userspace.
snapshot() { (cd "$work" && find root out -mindepth 1 -printf '%p\t%y %s %T@ %C@ %i\n' | sort); }

# changed_files BEFORE AFTER: non-directory entries changed, added or removed.
changed_files() {
  awk -F'\t' '
    NR == FNR { before[$1] = $2; next }
    { after[$1] = $2; if (substr($2, 1, 1) != "d" && before[$1] != $2) n++ }
    END { for (p in before) if (!(p in after) && substr(before[p], 1, 1) != "d") n++; print n + 0 }
  ' "$1" "$2"
}

fail_run() {
  log "FAILED (exit $m_status): $*"
  sed 's/^/    /' "$scratch/cmd.out" | tail -n 30 >&2
  failed=1
}

# ---- harness overhead ----
work="$bench_dir/work"     # root/ and out/ of the run being measured
scratch="$bench_dir/scratch" # time output, command output, snapshots
rm -rf "$work" "$scratch"
mkdir -p "$work" "$scratch"
overhead=() overhead_cpu=()
for _ in 1 2 3 4 5; do
  measure /bin/true
  overhead+=("$m_wall")
  overhead_cpu+=("$m_cpu")
done
overhead_ms="$(awk -v s="$(median "${overhead[@]}")" 'BEGIN { printf "%.1f", s * 1000 }')"
overhead_cpu_ms="$(awk -v s="$(median "${overhead_cpu[@]}")" 'BEGIN { printf "%.0f", s * 1000 }')"

# ---- runs ----
failed=0
rows=()
declare -A gen_median=()
log "specgen: $specgen; $runs runs per measurement; sizes: ${sizes[*]}"

for n in "${sizes[@]}"; do
  corpus="$bench_dir/n$n"
  if [[ ! -d "$corpus" ]]; then
    log "N=$n: writing corpus to $corpus"
    rm -rf "$corpus.tmp"
    python3 bench/make_corpus.py "$n" "$corpus.tmp" </dev/null
    mv "$corpus.tmp" "$corpus"
  fi
  models="$(grep -cE '^  [A-Za-z]' "$corpus/shared/spec/models.yaml" || true)"
  operations="$(find "$corpus/services" -name '*.yaml' -exec cat {} + | grep -cE '^  [a-z][a-z0-9_]*:$' || true)"

  for set in "${sets[@]}"; do
    flags=()
    for target in ${set_targets[$set]}; do flags+=(--target "$target"); done
    # generate into a fresh copy and a fresh empty out dir, RUNS times
    log "N=$n, $set: generate x$runs"
    walls=() cpus=() rsss=()
    ok=1
    for ((r = 1; r <= runs; r++)); do
      rm -rf "$work/root" "$work/out"
      cp -a "$corpus" "$work/root"
      mkdir "$work/out"
      measure "$specgen" generate --root "$work/root" --out "$work/out" "${flags[@]}"
      if [[ $m_status -ne 0 ]]; then fail_run "specgen generate (N=$n, $set)"; ok=0; break; fi
      walls+=("$m_wall")
      cpus+=("$m_cpu")
      rsss+=("$m_rss")
    done
    if [[ $ok -eq 0 ]]; then
      rows+=("| $set | $n | $models | $operations | FAILED | | | | | | | |")
      continue
    fi
    files="$(find "$work/out" -type f | wc -l)"
    gen_median[$set,$n]="$(median "${walls[@]}")"
    gen_range="$(spread "${walls[@]}")"
    gen_rss="$(kb_to_mb "$(max "${rsss[@]}")")"
    gen_cpu="$(median "${cpus[@]}")"

    # no-op: same root and out dir again
    log "N=$n, $set: no-op regeneration x$runs"
    noop_walls=() noop_rsss=() rewritten=()
    for ((r = 1; r <= runs; r++)); do
      snapshot >"$scratch/before.txt"
      sleep 0.02 # past the file-system timestamp granularity
      measure "$specgen" generate --root "$work/root" --out "$work/out" "${flags[@]}"
      snapshot >"$scratch/after.txt"
      if [[ $m_status -ne 0 ]]; then fail_run "no-op specgen generate (N=$n, $set)"; ok=0; break; fi
      noop_walls+=("$m_wall")
      noop_rsss+=("$m_rss")
      rewritten+=("$(changed_files "$scratch/before.txt" "$scratch/after.txt")")
    done
    if [[ $ok -eq 0 ]]; then
      rows+=("| $set | $n | $models | $operations | $files | ${gen_median[$set,$n]} | $gen_range | $gen_cpu | $gen_rss | FAILED | | |")
      continue
    fi
    worst="$(max "${rewritten[@]}")"
    if [[ "$worst" -ne 0 ]]; then
      log "N=$n, $set: a no-op regeneration changed $worst file(s) (must be 0):"
      diff "$scratch/before.txt" "$scratch/after.txt" | head -n 20 >&2 || true
      failed=1
    fi
    rows+=("| $set | $n | $models | $operations | $files | ${gen_median[$set,$n]} | $gen_range | $gen_cpu | $gen_rss | $(median "${noop_walls[@]}") | $(kb_to_mb "$(max "${noop_rsss[@]}")") | $worst |")
  done
done

# ---- report ----
{
  echo "specgen generate, median of $runs runs (wall s; CPU s = user + system, all threads), peak RSS = max over the runs;"
  echo "$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo '+dirty'); /usr/bin/time overhead included: ${overhead_ms} ms wall, ${overhead_cpu_ms} ms CPU"
  echo
  echo "| targets | N | models | operations | files generated | generate median (s) | generate min–max (s) | generate CPU median (s) | peak RSS (MB) | no-op median (s) | no-op peak RSS (MB) | files rewritten on no-op |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  for set in "${sets[@]}"; do
    if [[ -n "${gen_median[$set,1000]:-}" && -n "${gen_median[$set,10000]:-}" ]]; then
      awk -v s="$set" -v a="${gen_median[$set,1000]}" -v b="${gen_median[$set,10000]}" \
        'BEGIN { if (a > 0) printf "\n%s: generate time ratio 10000/1000: %.2f (target: under 12)\n", s, b / a }'
    fi
  done
} | tee "$bench_dir/results.md"
log "saved to $bench_dir/results.md"
exit "$failed"
