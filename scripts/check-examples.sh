#!/usr/bin/env bash
# Generate every example project and check the generated Python with the real tools.
#
#   scripts/check-examples.sh [EXAMPLE_DIR...]     (default: every examples/*/ directory)
#
# For each example, on two copies in different temporary directories:
#   specgen generate --root <copy>          must exit 0
#   specgen check --root <copy>             must exit 0 (no drift right after generating)
#   generate again                          must change no file (no rewrite, no mtime change)
#   diff -r of the two copies               must be empty (output independent of the location
#                                           and of the working directory)
# then, on the first copy:
#   ruff check, ruff format --check         <copy>/shared/shared/generated
#   mypy --strict                           <copy>/shared/shared/generated (package shared.generated)
#   python -W error -c "import shared.generated.schemas"   with PYTHONPATH=<copy>/shared
#   per service with a src/ directory, run from <copy>/services/<svc>/src (its import root, so
#   that ruff counts `generated`, `controllers`, `app`... as first-party) with <copy>/shared on
#   MYPYPATH:
#     mypy --strict .                       generated code, scaffolds and hand-written code
#     ruff check ., ruff format --check .   the same files
# All examples are checked; the exit status is 1 if any failed. A failed example's temporary
# directory is kept and its path printed.
#
# Environment (read):
#   SPECGEN_VENV   venv with ruff/mypy/python (default: runs scripts/setup-python.sh)
#   SPECGEN_BIN    specgen binary to test (default: `cargo build -p specgen-cli`, debug profile —
#                  cargo test already built it, and a release build takes minutes on 2 cores)
#   SPECGEN_STEP_TIMEOUT   seconds allowed per step (default 300)
#   CARGO_TARGET_DIR       honoured when locating the built binary
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

step_timeout="${SPECGEN_STEP_TIMEOUT:-300}"

# ---- which examples ----
examples=()
if [[ $# -gt 0 ]]; then
  for arg in "$@"; do
    [[ -d "$arg" ]] || { echo "check-examples: not a directory: $arg" >&2; exit 2; }
    examples+=("$(cd "$arg" && pwd -P)")
  done
else
  shopt -s nullglob
  for dir in "$root"/examples/*/; do
    examples+=("${dir%/}")
  done
  shopt -u nullglob
fi
if [[ ${#examples[@]} -eq 0 ]]; then
  echo "check-examples: no example projects under examples/: nothing to check"
  exit 0
fi

# ---- tools ----
if [[ -z "${SPECGEN_VENV:-}" ]]; then
  SPECGEN_VENV="$(scripts/setup-python.sh </dev/null)"
fi
for tool in python ruff mypy; do
  [[ -x "$SPECGEN_VENV/bin/$tool" ]] || { echo "check-examples: $SPECGEN_VENV/bin/$tool missing (run scripts/setup-python.sh)" >&2; exit 1; }
done
py="$SPECGEN_VENV/bin/python"
ruff="$SPECGEN_VENV/bin/ruff"
mypy="$SPECGEN_VENV/bin/mypy"

if [[ -n "${SPECGEN_BIN:-}" ]]; then
  specgen="$SPECGEN_BIN"
else
  echo "check-examples: cargo build -p specgen-cli"
  cargo build -p specgen-cli </dev/null
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
  [[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
  specgen="$target_dir/debug/specgen"
fi
[[ -x "$specgen" ]] || { echo "check-examples: specgen binary not found at $specgen" >&2; exit 1; }
specgen="$(cd "$(dirname "$specgen")" && pwd -P)/$(basename "$specgen")"

# ---- helpers ----
current_tmp=""
failures=()

# run DESCRIPTION CMD...: run with a timeout and stdin closed; on failure report and return 1.
run() {
  local desc="$1"
  shift
  printf '  - %s\n' "$desc"
  local status=0
  timeout --kill-after=10 "$step_timeout" "$@" </dev/null || status=$?
  if [[ $status -ne 0 ]]; then
    if [[ $status -eq 124 ]]; then
      printf '    FAILED: timed out after %s s\n' "$step_timeout"
    else
      printf '    FAILED (exit %d): %s\n' "$status" "$*"
    fi
    return 1
  fi
}

# File states (path, size, mtime, ctime, inode) under a directory, for "wrote nothing" checks.
# ctime changes on any write, chmod or rename, and userspace cannot set it back.
snapshot() {
  (cd "$1" && find . \( -name .mypy_cache -o -name .ruff_cache -o -name __pycache__ \) -prune \
    -o -printf '%P %y %s %T@ %C@ %i\n' | LC_ALL=C sort)
}

check_example() {
  local example="$1" name tmp copy copy2 generated
  name="$(basename "$example")"
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/specgen-example-$name.XXXXXX")"
  current_tmp="$tmp"
  copy="$tmp/a/$name"
  copy2="$tmp/b/$name"
  mkdir -p "$tmp/a" "$tmp/b" || return 1
  cp -a "$example" "$copy" || return 1
  cp -a "$example" "$copy2" || return 1

  run "specgen generate --root <copy>" "$specgen" generate --root "$copy" || return 1
  run "specgen check --root <copy>" "$specgen" check --root "$copy" || return 1

  # Regenerating must write nothing. Sleep past the file-system timestamp granularity first.
  local before after changed
  before="$(snapshot "$copy")"
  sleep 0.05
  run "specgen generate again (no-op)" "$specgen" generate --root "$copy" || return 1
  after="$(snapshot "$copy")"
  if [[ "$before" != "$after" ]]; then
    changed="$(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -c '^>' || true)"
    printf '    FAILED: the no-op regeneration touched %s file(s):\n' "$changed"
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/      /' | head -40
    return 1
  fi

  # Same bytes from another directory, run from another working directory.
  run "specgen generate in a second location" \
    env -C "$tmp" "$specgen" generate --root "$copy2" || return 1
  run "diff -r of the two generated trees" diff -r "$copy" "$copy2" || return 1

  generated="$copy/shared/shared/generated"
  if [[ ! -d "$generated" ]]; then
    printf '    FAILED: %s was not generated\n' "${generated#"$copy"/}"
    return 1
  fi

  # The shared package here; each service's whole import root below (ruff's first-party
  # detection, and so its import-order rule, depends on the directory it runs from).
  local dir service_srcs=()
  shopt -s nullglob
  for dir in "$copy"/services/*/src; do service_srcs+=("$dir"); done
  shopt -u nullglob

  run "ruff check shared/shared/generated" "$ruff" check --no-cache "$generated" || return 1
  run "ruff format --check shared/shared/generated" \
    "$ruff" format --check --no-cache "$generated" || return 1
  run "mypy --strict shared/shared/generated" \
    env -C "$copy/shared" MYPYPATH="$copy/shared" \
    "$mypy" --strict --explicit-package-bases --cache-dir "$tmp/mypy-cache" "$generated" || return 1
  run "import shared.generated.schemas" \
    env -C "$tmp" PYTHONPATH="$copy/shared" PYTHONDONTWRITEBYTECODE=1 \
    "$py" -P -W error -c "import shared.generated.schemas" || return 1

  # A service's src/ is its import root: generated code, scaffolds and hand-written code type-check
  # together, against the shared package. One mypy cache per service: each has a `generated`.
  local src rel
  for src in "${service_srcs[@]}"; do
    rel="${src#"$copy"/}"
    run "mypy --strict $rel" \
      env -C "$src" MYPYPATH="$copy/shared" \
      "$mypy" --strict --explicit-package-bases --cache-dir "$tmp/mypy-cache-${rel//\//_}" . \
      || return 1
    run "ruff check, ruff format --check $rel" \
      env -C "$src" sh -c '"$1" check --no-cache . && "$1" format --check --no-cache .' sh "$ruff" \
      || return 1
  done
}

printf 'check-examples: %d example(s), specgen=%s, venv=%s\n' "${#examples[@]}" "$specgen" "$SPECGEN_VENV"
for example in "${examples[@]}"; do
  printf '\n== %s\n' "${example#"$root"/}"
  if check_example "$example"; then
    rm -rf "$current_tmp"
    printf '  ok\n'
  else
    failures+=("${example#"$root"/} (kept: $current_tmp)")
  fi
done

echo
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'check-examples: %d of %d example(s) FAILED:\n' "${#failures[@]}" "${#examples[@]}"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
printf 'check-examples: all %d example(s) passed\n' "${#examples[@]}"
