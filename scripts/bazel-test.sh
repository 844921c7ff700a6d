#!/usr/bin/env bash
# Proves rules_bazel/ with real Bazel (Debian's bazel-bootstrap, 4.2.3), offline, WORKSPACE mode,
# on the example workspace tests/bazel/workspace (the specs of examples/bookshelf):
#   1. `bazel build //services/backend:generated` builds; its outputs equal `specgen generate`
#      (same specs, --no-scaffolds) byte for byte; `targets = [...]` equals `--target ...`
#   2. a second build runs no action
#   3. editing a spec reruns exactly one action (SpecgenGenerate)
#   4. the same workspace copied to another directory, with the same --disk_cache, gets only
#      cache hits
#   5. a py_test depending on the generated Python (py_library) passes, on the pinned venv
#   6. specgen_check_test passes on current checked-in copies and fails on a drifted one
#   7. specgen_json_schema equals json-schema/
#   8. the Starlark mirror of `specgen outputs` (rules_bazel/specgen/private/outputs.bzl) equals
#      `specgen outputs` for examples/* and every good fixture
#   9. bzlmod: Bazel 4.2.3 has none (--experimental_enable_bzlmod is not an option of 4.2.3), so
#      MODULE.bazel and extensions.bzl are evaluated by Bazel 4.2.3's Starlark against stubs of
#      the bzlmod globals, and the extension's repository drives a real build (tests/bazel/bzlmod)
#
# Everything runs in a temporary copy (the checkout is not written, except target/ by cargo);
# Bazel's output root and disk cache live there too and are deleted at the end.
# Reads: CI (set: a missing bazel or venv fails instead of skipping), CARGO_TARGET_DIR,
#   SPECGEN_VENV (default target/venv: its python runs the py_test), KEEP_BAZEL_TMP=1 (keep the
#   temporary directory for inspection).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

say() { printf '\n--- %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

if ! command -v bazel >/dev/null 2>&1; then
  if [[ -n "${CI:-}" ]]; then die "bazel is not installed (apt-get install bazel-bootstrap)"; fi
  echo "SKIP: bazel is not installed (apt-get install bazel-bootstrap); set CI=1 to make this a failure"
  exit 0
fi

say "specgen binary (cargo build -p specgen-cli)"
locked=()
if [[ -n "${CI:-}" ]]; then locked=(--locked); fi
cargo build "${locked[@]}" -q -p specgen-cli
target_dir="${CARGO_TARGET_DIR:-$root/target}"
[[ "$target_dir" = /* ]] || target_dir="$root/$target_dir"
export SPECGEN_BIN="$target_dir/debug/specgen"
[[ -x "$SPECGEN_BIN" ]] || die "no specgen binary at $SPECGEN_BIN"
specgen() { "$SPECGEN_BIN" "$@"; }

venv="${SPECGEN_VENV:-$root/target/venv}"
run_py_test=1
if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import pydantic' 2>/dev/null; then
  export SPECGEN_TEST_PYTHON="$venv/bin/python"
else
  if [[ -n "${CI:-}" ]]; then die "no Python venv with pydantic at $venv (scripts/setup-python.sh)"; fi
  echo "note: no venv with pydantic at $venv: the py_test is skipped (run scripts/setup-python.sh)"
  run_py_test=0
fi

bazel_version="$(dpkg-query -W -f='bazel-bootstrap ${Version}' bazel-bootstrap 2>/dev/null || bazel --version 2>/dev/null || echo bazel)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/specgen-bazel.XXXXXX")"
# Stops the Bazel server of one workspace (each workspace has its own, under $tmp/bazel-root).
shutdown_bazel() {
  if ! (cd "$1" && bazel "${startup[@]}" shutdown >/dev/null 2>&1); then
    echo "note: bazel shutdown failed in $1" >&2
  fi
}
cleanup() {
  local status=$?
  for ws in "$tmp"/*/tests/bazel/workspace; do
    if [[ -f "$ws/WORKSPACE" ]]; then shutdown_bazel "$ws"; fi
  done
  if [[ "${KEEP_BAZEL_TMP:-}" = 1 ]]; then
    echo "kept $tmp"
  else
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
  fi
  exit "$status"
}
startup=(--output_user_root="$tmp/bazel-root")
trap cleanup EXIT

# A copy of the parts of the checkout the workspace uses, in the checkout's layout (the WORKSPACE
# refers to ../../../rules_bazel and ../../../examples/bookshelf).
copy_checkout() {
  local dest="$1"
  mkdir -p "$dest/tests/bazel" "$dest/examples"
  cp -R rules_bazel "$dest/rules_bazel"
  cp -R tests/bazel/workspace "$dest/tests/bazel/workspace"
  cp -R tests/bazel/bzlmod "$dest/tests/bazel/bzlmod"
  rm -f "$dest"/tests/bazel/workspace/bazel-*
  # Only the specs: generated copies are written later, where a step needs them.
  mkdir -p "$dest/examples/bookshelf"
  (cd examples/bookshelf && find . \( -name '*.yaml' -o -name services.yml -o -name specgen.toml \) \
    -not -path './.*' -print0 | tar -cf - --null -T -) | tar -xf - -C "$dest/examples/bookshelf"
}

common=(--disk_cache="$tmp/disk-cache" --color=no --curses=no --show_progress_rate_limit=60)
log_n=0
# bzl <workspace> <command> <args...>: runs bazel, keeps its output in $tmp/last.out and the
# execution log in $tmp/last.json; prints the "processes" summary line.
bzl() {
  local ws="$1"; shift
  local cmd="$1"; shift
  log_n=$((log_n + 1))
  local t0=$EPOCHREALTIME status=0
  (cd "$ws" && bazel "${startup[@]}" "$cmd" "${common[@]}" \
    --execution_log_json_file="$tmp/exec-$log_n.json" "$@") >"$tmp/last.out" 2>&1 || status=$?
  cp "$tmp/exec-$log_n.json" "$tmp/last.json" 2>/dev/null || : >"$tmp/last.json"
  last_time="$(LC_ALL=C awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
  last_processes="$(grep -E '^INFO: [0-9]+ process' "$tmp/last.out" | tail -1 | sed 's/^INFO: //' || true)"
  printf '  bazel %s %s: exit %d, %s s, %s\n' "$cmd" "$*" "$status" "$last_time" "${last_processes:-no process line}"
  return "$status"
}
# Counts in the last execution log (one JSON object per spawn).
spawns() { grep -c '"commandArgs"' "$tmp/last.json" || true; }
cache_hits() { grep -c '"remoteCacheHit": true' "$tmp/last.json" || true; }
spawn_mnemonics() { grep -o '"mnemonic": "[A-Za-z]*"' "$tmp/last.json" | sed 's/.*: //' | tr -d '"' | sort | uniq -c | tr '\n' ' ' || true; }
show_failure() { grep -v -E 'linux-sandbox(-pid1)?\.cc' "$tmp/last.out" | tail -40 >&2; }

backend_specs=(services.yml shared/spec/events.yaml shared/spec/models.yaml
  services/backend/spec/authors.yaml services/backend/spec/books.yaml)
spec_args() { local s; for s in "$@"; do printf -- '--spec\n%s\n' "$s"; done; }

A="$tmp/a"; B="$tmp/b"
copy_checkout "$A"
wsA="$A/tests/bazel/workspace"; wsB="$B/tests/bazel/workspace"
bookA="$A/examples/bookshelf"
# The "checked-in copies" of the full generation, for specgen_check_test (examples/bookshelf
# ignores them in git). Written before the first build.
specgen generate --root "$bookA" -q

say "1. bazel build //services/backend:generated (first build, cold server)"
bzl "$wsA" build //services/backend:generated //services/backend:models_only || { show_failure; die "the build failed"; }
first_time=$last_time
n="$(spawns)"; echo "  spawns: $n ($(spawn_mnemonics))"
[[ "$n" -eq 2 ]] || die "expected 2 spawns (two SpecgenGenerate), got $n"
mapfile -t args < <(spec_args "${backend_specs[@]}")
specgen generate --root "$bookA" "${args[@]}" --out "$tmp/ref-backend" --no-scaffolds -q
diff -r "$wsA/bazel-bin/services/backend/generated" "$tmp/ref-backend" >/dev/null \
  || { diff -r "$wsA/bazel-bin/services/backend/generated" "$tmp/ref-backend" | head -30; die "bazel outputs differ from specgen generate"; }
nfiles="$(find "$tmp/ref-backend" -type f | wc -l)"
echo "  byte-equal: $nfiles files of //services/backend:generated == specgen generate ${backend_specs[*]} --no-scaffolds"
mapfile -t args < <(spec_args shared/spec/events.yaml shared/spec/models.yaml services/backend/spec/authors.yaml services/backend/spec/books.yaml)
specgen generate --root "$bookA" "${args[@]}" --target pydantic --target openapi --out "$tmp/ref-models" --no-scaffolds -q
diff -r "$wsA/bazel-bin/services/backend/models_only" "$tmp/ref-models" || die "targets = [pydantic, openapi] differs from --target"
echo "  byte-equal: //services/backend:models_only (targets = [pydantic, openapi]) == specgen generate --target pydantic --target openapi"

say "2. second build: no action"
bzl "$wsA" build //services/backend:generated || { show_failure; die "the rebuild failed"; }
n="$(spawns)"; [[ "$n" -eq 0 ]] || die "a no-op rebuild ran $n spawns"
echo "  spawns: 0"

say "3. edit one spec: exactly one action reruns"
printf '# edited by scripts/bazel-test.sh\n' >>"$bookA/services/backend/spec/books.yaml"
bzl "$wsA" build //services/backend:generated || { show_failure; die "the build after an edit failed"; }
n="$(spawns)"; m="$(spawn_mnemonics)"; h="$(cache_hits)"
echo "  spawns: $n ($m), cache hits: $h"
[[ "$n" -eq 1 && "$m" == *SpecgenGenerate* && "$h" -eq 0 ]] || die "expected exactly one SpecgenGenerate spawn, executed"
# The edit only changes a comment: the outputs are the same (banners name files, not bytes).
diff -r "$wsA/bazel-bin/services/backend/generated" "$tmp/ref-backend" >/dev/null || die "outputs changed on a comment-only edit"

say "4. the workspace copied to another directory, same --disk_cache: only cache hits"
copy_checkout "$B"
bzl "$wsB" build //services/backend:generated || { show_failure; die "the build of the copy failed"; }
n="$(spawns)"; h="$(cache_hits)"
echo "  spawns: $n, disk cache hits: $h (directory $B vs $A)"
[[ "$n" -ge 1 && "$n" -eq "$h" ]] || die "expected only cache hits in the copy, got $h of $n"
diff -r "$wsB/bazel-bin/services/backend/generated" "$tmp/ref-backend" >/dev/null || die "the copy's outputs differ"
shutdown_bazel "$wsB"

if [[ $run_py_test = 1 ]]; then
  say "5. py_test on the generated Python (py_library of the 'python' output group; venv python)"
  bzl "$wsA" test //services/backend:generated_test || { show_failure; die "the py_test failed"; }
  grep -E '^//services/backend:generated_test' "$tmp/last.out" | sed 's/^/  /'
else
  say "5. py_test skipped (no venv)"
fi

say "6. specgen_check_test: passes on current copies, fails on a drifted one"
bzl "$wsA" test //:check || { show_failure; die "check failed on current copies"; }
grep -h '^OK:' "$wsA/bazel-testlogs/check/test.log" | sed 's/^/  /'
printf '# drift\n' >>"$bookA/services/backend/src/generated/app.py"
if bzl "$wsA" test //:check; then die "specgen_check_test passed on a drifted copy"; fi
grep -q '^+++ generated/services/backend/src/generated/app.py' "$wsA/bazel-testlogs/check/test.log" \
  || { tail -20 "$wsA/bazel-testlogs/check/test.log"; die "the failure does not show the diff of app.py"; }
echo "  failed as expected, with the diff:"
grep -v -E 'linux-sandbox(-pid1)?\.cc' "$wsA/bazel-testlogs/check/test.log" | grep -E '^(---|\+\+\+|@@|[-+]#|FAIL)' | sed 's/^/    /'

say "7. specgen_json_schema == json-schema/"
bzl "$wsA" build //:json_schema || { show_failure; die "json_schema failed"; }
diff -r "$wsA/bazel-bin/json_schema" json-schema || die "specgen_json_schema differs from json-schema/"
echo "  byte-equal: $(find json-schema -type f | wc -l) schemas"

say "8. Starlark outputs mirror == specgen outputs (examples and good fixtures)"
mirror="$wsA/mirror"
mkdir -p "$mirror"
projects=()
for dir in examples/* specgen-lib/tests/fixtures/good/*; do
  if [[ -d "$dir" ]]; then projects+=("$dir"); fi
done
python3 - "$mirror/BUILD.bazel" "${projects[@]}" <<'EOF'
import os, sys, tomllib
out, projects = sys.argv[1], sys.argv[2:]
lines = ['load("@rules_specgen//specgen:defs.bzl", "specgen_outputs_listing")', ""]
for p in projects:
    specs = [f for f in ("specgen.toml", "services.yml", "shared/spec/models.yaml", "shared/spec/events.yaml")
             if os.path.isfile(os.path.join(p, f))]
    svc_root = os.path.join(p, "services")
    for svc in sorted(os.listdir(svc_root)) if os.path.isdir(svc_root) else []:
        spec_dir = os.path.join(svc_root, svc, "spec")
        if os.path.isdir(spec_dir):
            specs += [f"services/{svc}/spec/{f}" for f in sorted(os.listdir(spec_dir))
                      if f.endswith(".yaml") and os.path.isfile(os.path.join(spec_dir, f))]
    attrs = {}
    if "specgen.toml" in specs:
        with open(os.path.join(p, "specgen.toml"), "rb") as f:
            cfg = tomllib.load(f)
        if "targets" in cfg:
            attrs["targets"] = cfg["targets"]
        for key in ("shared_package", "services_dir"):
            if key in cfg.get("paths", {}):
                attrs[key] = cfg["paths"][key]
    name = p.replace("/", "_").replace("-", "_")
    extra = "".join(f"    {k} = {v!r},\n".replace("'", '"') for k, v in attrs.items())
    lines.append(f'specgen_outputs_listing(\n    name = "{name}",\n    specs = {specs!r},\n{extra})\n'.replace("'", '"'))
with open(out, "w") as f:
    f.write("\n".join(lines))
EOF
bzl "$wsA" build //mirror:all || { show_failure; die "the mirror listings failed"; }
compared=0
for dir in "${projects[@]}"; do
  name="$(echo "$dir" | tr '/-' '__')"
  if ! diff -u <(specgen outputs --root "$dir" | sort) <(sort "$wsA/bazel-bin/mirror/$name.txt") \
    --label "specgen outputs --root $dir" --label "Starlark specgen_outputs"; then
    die "the Starlark mirror differs from specgen outputs for $dir"
  fi
  compared=$((compared + 1))
done
echo "  equal for $compared projects (${projects[*]})"

say "9. bzlmod files under Bazel 4.2.3 (no bzlmod: evaluated against stubs, see tests/bazel/bzlmod)"
if bazel "${startup[@]}" help build 2>/dev/null | grep -q -- '--\[no\]experimental_enable_bzlmod'; then
  echo "  note: this Bazel has --experimental_enable_bzlmod; the stub check still runs"
else
  echo "  this Bazel (${bazel_version}) has no --experimental_enable_bzlmod (it came with Bazel 5)"
fi
python3 "$A/tests/bazel/bzlmod/prepare.py" "$A/rules_bazel" "$wsA"
mv "$wsA/WORKSPACE" "$wsA/WORKSPACE.orig"
mv "$wsA/WORKSPACE.bzlmod" "$wsA/WORKSPACE"
bzl "$wsA" build //services/backend:generated || { show_failure; die "the bzlmod stub check failed"; }
grep -E 'DEBUG: .*bzlmod' "$tmp/last.out" | sed 's/^.*DEBUG: [^ ]* /  /' || true
mv "$wsA/WORKSPACE.orig" "$wsA/WORKSPACE"

say "PASS: rules_bazel with ${bazel_version} (first build ${first_time} s incl. server start)"
