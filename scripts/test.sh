#!/usr/bin/env bash
# The test command of the project (README: `scripts/test.sh`; CI: `.ci/run`).
#
# On a fresh Debian 12 machine with Rust (rustup, with rustfmt and clippy) and python3 >= 3.11 it
# installs what the tests need itself, then runs, stopping at the first failure:
#   1. Debian packages from APT_PACKAGES below (apt-get update only if one is missing)
#   2. scripts/setup-python.sh: the pinned Python tools in target/venv;
#      scripts/setup-node.sh: the pinned TypeScript compiler in target/node
#   3. cargo fmt --all --check
#   4. cargo clippy --workspace --all-targets -- -D warnings
#   5. cargo test --workspace
#   6. scripts/check-examples.sh: generate every examples/* project and lint/type-check/import it
#   7. scripts/bazel-test.sh, scripts/nix-test.sh: the Bazel rules and the Nix flake, offline
#   8. scripts/e2e.sh: generate examples/bookshelf, run its backend under uvicorn, tests/e2e
#      (every operation through the generated client, tg_bot, OpenAPI agreement, schemathesis,
#      events through a real redis-server and the notifications worker)
#
# Exports for the Rust tests and check-examples.sh:
#   SPECGEN_VENV=<abs path of target/venv>   where ruff, mypy and python live (bin/ruff, ...)
#   SPECGEN_REQUIRE_PYTHON=1                 tests needing Python fail instead of skipping
#   SPECGEN_REQUIRE_DOCKER_COMPOSE=1         the compose tests fail instead of skipping without it
#   SPECGEN_REQUIRE_GRAPHVIZ=1               tests needing Graphviz's `dot` fail instead of skipping
#   PROPTEST_CASES                           kept if set, else 32
# Reads: CI (when set, cargo runs with --locked so a stale Cargo.lock fails), CARGO_TARGET_DIR.
# Runnable from any directory; takes no arguments.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

if [[ $# -gt 0 ]]; then
  echo "usage: scripts/test.sh   (no arguments; run cargo test directly to filter tests)" >&2
  exit 2
fi

# ---------------------------------------------------------------------------------------------
# Debian packages the test run needs. Add a package here when a test starts using it.
APT_PACKAGES=(
  python3-venv      # scripts/setup-python.sh: `python3 -m venv`
  redis-server      # scripts/e2e.sh: the event tests run a real redis-server (tests/e2e)
  docker-compose    # specgen-lib/tests/it/compose.rs: `docker-compose config` reads the compose files
  graphviz          # specgen-lib/tests/it/graph.rs: `dot -Tsvg` renders `specgen graph --format dot`
  bazel-bootstrap   # scripts/bazel-test.sh: rules_bazel with real Bazel 4.2.3 (offline, WORKSPACE mode)
  nix-bin           # scripts/nix-test.sh: the flake (flake.nix, nix/) built with real Nix, offline
)
# ---------------------------------------------------------------------------------------------

t_start=$EPOCHREALTIME
t_section=$EPOCHREALTIME
section_name=""
summary=()

elapsed() { LC_ALL=C awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

end_section() {
  if [[ -n "$section_name" ]]; then
    summary+=("$(printf '%8s s  %s' "$(elapsed "$t_section")" "$section_name")")
  fi
}

section() {
  end_section
  section_name="$*"
  t_section=$EPOCHREALTIME
  printf '\n==== %s ====\n' "$*"
}

on_exit() {
  local status=$?
  end_section
  section_name=""
  printf '\n==== summary ====\n'
  if [[ ${#summary[@]} -gt 0 ]]; then printf '%s\n' "${summary[@]}"; fi
  # A full disk shows up as a linker crash (SIGBUS) or a failed write: say how much was left.
  printf 'disk: target/ holds %s; %s free on its filesystem\n' \
    "$(du -sh "${CARGO_TARGET_DIR:-$root/target}" 2>/dev/null | cut -f1)" \
    "$(df -h --output=avail "$root" 2>/dev/null | tail -1 | tr -d ' ')"
  if [[ $status -eq 0 ]]; then
    printf 'PASS: scripts/test.sh in %s s\n' "$(elapsed "$t_start")"
  else
    printf 'FAIL (exit %d) in section "%s": scripts/test.sh after %s s\n' \
      "$status" "${failed_section:-?}" "$(elapsed "$t_start")"
  fi
}
on_err() { failed_section="$section_name"; }
trap on_err ERR
trap on_exit EXIT

section "Debian packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "all present: ${APT_PACKAGES[*]}"
else
  echo "installing: ${missing[*]}"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q </dev/null
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

# Node.js and npm (for tsc): use the machine's if present, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  echo "installing: nodejs npm"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -q </dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends nodejs npm </dev/null
fi

section "Python venv (scripts/setup-python.sh)"
SPECGEN_VENV="$(scripts/setup-python.sh </dev/null)"
export SPECGEN_VENV
export SPECGEN_REQUIRE_PYTHON=1
export SPECGEN_REQUIRE_DOCKER_COMPOSE=1
export SPECGEN_REQUIRE_GRAPHVIZ=1 # graphviz is one of APT_PACKAGES
export PROPTEST_CASES="${PROPTEST_CASES:-32}"
echo "SPECGEN_VENV=$SPECGEN_VENV SPECGEN_REQUIRE_PYTHON=$SPECGEN_REQUIRE_PYTHON PROPTEST_CASES=$PROPTEST_CASES"

locked=()
if [[ -n "${CI:-}" ]]; then locked=(--locked); fi

section "Node tools (scripts/setup-node.sh)"
SPECGEN_NODE="$(scripts/setup-node.sh </dev/null)"
export SPECGEN_NODE SPECGEN_REQUIRE_NODE=1

section "cargo fmt --all --check"
fmt_color=()
if [[ ! -t 1 ]]; then fmt_color=(-- --color never); fi # no escape codes in CI logs
cargo fmt --all --check "${fmt_color[@]}"

section "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy "${locked[@]}" --workspace --all-targets -- -D warnings

section "cargo test --workspace"
cargo test "${locked[@]}" --workspace </dev/null

section "scripts/check-examples.sh"
scripts/check-examples.sh </dev/null

section "scripts/nix-test.sh"
scripts/nix-test.sh </dev/null # under CI a missing nix fails; locally it skips with a message

section "scripts/bazel-test.sh"
scripts/bazel-test.sh </dev/null

section "scripts/e2e.sh"
scripts/e2e.sh </dev/null
