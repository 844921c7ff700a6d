#!/usr/bin/env bash
# End-to-end test of the generated bookshelf fleet: the backend runs under uvicorn on SQLite and
# is driven through the generated client, tg_bot's code and schemathesis; events go through a
# real redis-server to the notifications worker, run as processes (tests/e2e/).
#
#   scripts/e2e.sh [PYTEST_ARGS...]      e.g. scripts/e2e.sh -k books -x
#
# Steps:
#   1. build specgen (debug profile), unless SPECGEN_BIN names a binary
#   2. copy examples/bookshelf into a temporary directory and run `specgen generate` there
#   3. mypy --strict and ruff on tests/e2e itself (it imports the generated copy)
#   4. run `pytest tests/e2e` from the venv with BOOKSHELF_ROOT=<copy> and E2E_ARTIFACTS=<tmp>/
#      artifacts (backend, redis and worker logs, schemathesis console output and reports)
# then print a summary. Exit status: pytest's (0 = every test passed); 1 when generation or
# step 3 fails; 2 for usage or setup errors. On failure the temporary directory is kept and its path printed; on success removed.
#
# Needs `redis-server` on PATH (Debian's package; scripts/test.sh installs it): the tests start
# their own on a free loopback port, without persistence, and stop it.
#
# Environment (read):
#   SPECGEN_VENV         venv with python/pytest/uvicorn/schemathesis/faststream (default: runs
#                        scripts/setup-python.sh)
#   SPECGEN_BIN          specgen binary to use (default: `cargo build -p specgen-cli`)
#   SPECGEN_E2E_TIMEOUT  seconds allowed for the pytest run (default 1200)
#   CARGO_TARGET_DIR     honoured when locating the built binary
#   TMPDIR               where the temporary directory goes
# Runnable from any directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

timeout_s="${SPECGEN_E2E_TIMEOUT:-1200}"
t_start=$EPOCHREALTIME
elapsed() { LC_ALL=C awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
die() { printf 'e2e: error: %s\n' "$*" >&2; exit 2; }

# ---- tools ----
if [[ -z "${SPECGEN_VENV:-}" ]]; then
  SPECGEN_VENV="$(scripts/setup-python.sh </dev/null)"
fi
py="$SPECGEN_VENV/bin/python"
[[ -x "$py" ]] || die "$py missing (run scripts/setup-python.sh)"
"$py" -c 'import pytest, pytest_asyncio, uvicorn, schemathesis, openapi_spec_validator, faststream.redis, redis' 2>/dev/null \
  || die "the venv $SPECGEN_VENV lacks pytest/uvicorn/schemathesis/faststream (run scripts/setup-python.sh)"
command -v redis-server >/dev/null 2>&1 \
  || die "redis-server not found (Debian: apt-get install redis-server; scripts/test.sh does it)"

if [[ -n "${SPECGEN_BIN:-}" ]]; then
  specgen="$SPECGEN_BIN"
else
  echo "e2e: cargo build -p specgen-cli"
  cargo build -q -p specgen-cli </dev/null
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
  [[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
  specgen="$target_dir/debug/specgen"
fi
[[ -x "$specgen" ]] || die "specgen binary not found at $specgen"

# ---- the generated copy ----
tmp="$(mktemp -d "${TMPDIR:-/tmp}/specgen-e2e.XXXXXX")"
copy="$tmp/bookshelf"
artifacts="$tmp/artifacts"
mkdir -p "$artifacts"
cp -a examples/bookshelf "$copy"
# Leftovers of running the example in place must not leak into the test.
rm -rf "$copy/.specgen" "$copy/shared/shared/generated"
rm -rf "$copy"/services/*/src/generated "$copy"/services/*/docs
find "$copy" \( -name '*.db' -o -name __pycache__ \) -prune -exec rm -rf {} +

status=0
echo "e2e: specgen generate --root $copy"
"$specgen" generate --root "$copy" </dev/null || status=$?
if [[ $status -ne 0 ]]; then
  printf 'e2e: FAILED: specgen generate exited %d (kept: %s)\n' "$status" "$tmp"
  exit 1
fi

# ---- the tests ----
# The test code itself: typed and linted against the generated copy it imports.
echo "e2e: mypy --strict, ruff check, ruff format --check tests/e2e"
env -C tests/e2e MYPYPATH="$copy/shared:$copy/services/tg_bot/src" \
  "$SPECGEN_VENV/bin/mypy" --strict --explicit-package-bases --cache-dir "$tmp/mypy-cache" . \
  </dev/null || status=$?
env -C tests/e2e "$SPECGEN_VENV/bin/ruff" check --no-cache -q . </dev/null || status=$?
env -C tests/e2e "$SPECGEN_VENV/bin/ruff" format --check --no-cache -q . </dev/null || status=$?
if [[ $status -ne 0 ]]; then
  printf 'e2e: FAILED: the test code does not type-check or lint (kept: %s)\n' "$tmp"
  exit 1
fi

echo "e2e: pytest tests/e2e (backend, redis and worker logs, schemathesis reports in $artifacts)"
t_pytest=$EPOCHREALTIME
timeout --kill-after=30 "$timeout_s" \
  env BOOKSHELF_ROOT="$copy" E2E_ARTIFACTS="$artifacts" PYTHONDONTWRITEBYTECODE=1 \
  "$py" -m pytest tests/e2e -p no:cacheprovider -rfE "$@" </dev/null || status=$?

# ---- summary ----
echo
echo "==== e2e summary ===="
if [[ -s "$artifacts/schemathesis-summary.txt" ]]; then
  sed 's/^/  /' "$artifacts/schemathesis-summary.txt"
fi
printf '  pytest: %s s; total: %s s\n' "$(elapsed "$t_pytest")" "$(elapsed "$t_start")"
if [[ $status -eq 0 ]]; then
  rm -rf "$tmp"
  echo "e2e: PASS"
else
  if [[ $status -eq 124 ]]; then
    printf 'e2e: FAILED: pytest timed out after %s s\n' "$timeout_s"
  else
    printf 'e2e: FAILED (pytest exit %d)\n' "$status"
  fi
  printf 'e2e: kept %s (generated copy in bookshelf/, logs and reports in artifacts/)\n' "$tmp"
fi
exit "$status"
