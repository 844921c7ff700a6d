#!/usr/bin/env bash
# Proves the Nix flake (flake.nix, nix/) with real Nix, offline: no nixpkgs, no binary cache.
#
#   scripts/nix-test.sh            (no arguments; scripts/test.sh runs it)
#
# The specgen that Nix runs is this checkout's cargo build, bundled with its dynamic loader and
# libraries behind a small static launcher (tests/nix/launcher.rs), because nixpkgs' build of
# it (packages.default) needs nixpkgs, which cannot be downloaded here. Builds keep Nix's
# sandbox ON: the bundle is a store path like any other input. See nix/README.md.
#
# Proofs, each a numbered step that stops the script on failure:
#   1. the flake evaluates (nix flake show; packages, devShells, overlay, checks) against a stub
#      nixpkgs (tests/nix/stub-nixpkgs) that returns the prebuilt specgen from buildRustPackage
#   2. lib.generate over examples/bookshelf builds with specgen's nixpkgs input replaced by a
#      flake that throws when used (tests/nix/poison-nixpkgs): the library needs no nixpkgs;
#      its output equals `specgen generate --spec ... --no-scaffolds` byte for byte, as do the
#      flake's checks.<system>.example (explicit list) and example-walk (lib.specFiles);
#      `nix flake check` passes
#   3. building again is a no-op: same store path, no derivation built, same registration time
#   4. the project in another directory (other path, other name) gives the same store path
#   5. a file that is not a listed spec (the example's README) changing: same store path;
#      a spec changing: a new store path, and the output changes where expected
#   6. lib.check is a build-time derivation (`specgen check --stamp $out`): against a correct
#      golden copy (a copy of the CLI's output; also as a plain path, without flakes) it builds
#      a stamp; against a drifted one, one missing a file and one with a stale file it
#      evaluates, then fails at BUILD time with specgen's unified diff in the build log
#   7. `nix build --rebuild` (build again, compare with the stored output) passes for
#      lib.generate, checks.<system>.example and lib.check: bit-identical output; and it does
#      fail for a deliberately nondeterministic derivation (tests/nix/nondeterministic.nix)
#
# Environment (read):
#   CI               when set, a missing or unusable nix is a failure, not a skip
#   SPECGEN_BIN      specgen binary to bundle (default: `cargo build -p specgen-cli`, debug)
#   CARGO_TARGET_DIR honoured for the default binary and the work directory (target/nix-test)
# Needs: nix >= 2.8 (Debian: nix-bin), run as root or with a writable /nix (single-user store).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

if [[ $# -gt 0 ]]; then
  echo "usage: scripts/nix-test.sh   (no arguments)" >&2
  exit 2
fi

t_start=$EPOCHREALTIME
elapsed() { LC_ALL=C awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
step() { printf '\n---- nix-test %s ----\n' "$*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
trap 'echo "FAIL: scripts/nix-test.sh line $LINENO: $BASH_COMMAND" >&2' ERR

# ---- prerequisites: a usable nix, or skip (locally) / fail (CI) ----
unusable() {
  if [[ -n "${CI:-}" ]]; then
    fail "$1 (CI is set, so this is a failure; install Debian's nix-bin, see scripts/test.sh)"
  fi
  echo "SKIP: scripts/nix-test.sh: $1"
  exit 0
}
command -v nix >/dev/null 2>&1 || unusable "nix is not installed (Debian: apt-get install nix-bin)"
if [[ "$(id -u)" != 0 && ! -w /nix/store && ! -S /nix/var/nix/daemon-socket/socket ]]; then
  unusable "nix needs root, a writable /nix/store or a nix-daemon"
fi
nix_version="$(nix --version)"
echo "$nix_version"

nix_opts=(
  --extra-experimental-features 'nix-command flakes'
  --option substituters ''       # offline: never ask a binary cache
  --option sandbox true          # builds see only their declared inputs
)
# Debian's nix-bin as root, without a daemon: no nixbld group exists, so build as root.
if ! getent group nixbld >/dev/null 2>&1; then nix_opts+=(--option build-users-group ''); fi

system="$(nix "${nix_opts[@]}" eval --impure --raw --expr builtins.currentSystem)"
echo "system: $system"

# ---- the specgen binary ----
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [[ -n "${SPECGEN_BIN:-}" ]]; then
  specgen="$SPECGEN_BIN"
else
  cargo build -q -p specgen-cli
  specgen="$target_dir/debug/specgen"
fi
[[ -x "$specgen" ]] || fail "no specgen binary at $specgen"

work="$target_dir/nix-test"
rm -rf "$work"
mkdir -p "$work"
logs="$work/logs"
mkdir -p "$logs"

# nix with the options above; stderr to a log file shown on failure. Usage: run LOG nix-args...
run() {
  local log="$logs/$1"
  shift
  if ! nix "${nix_opts[@]}" "$@" 2>"$log"; then
    echo "nix $* failed; its log ($log):" >&2
    grep -v -e '^• Added input' -e "^    'path:" -e '^warning: not writing modified lock file' "$log" >&2 || true
    return 1
  fi
}

step "setup"
# The bundle: bin/specgen (static launcher), libexec/specgen, lib/ld.so + libraries.
bundle="$work/prebuilt"
mkdir -p "$bundle/bin" "$bundle/libexec" "$bundle/lib"
interp="$(readelf -l "$specgen" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')"
if [[ -z "$interp" ]]; then
  cp "$specgen" "$bundle/bin/specgen" # static: runs in the sandbox as it is
  echo "bundle: static binary"
else
  cp "$specgen" "$bundle/libexec/specgen"
  cp -L "$interp" "$bundle/lib/ld.so"
  while read -r lib; do cp -L "$lib" "$bundle/lib/"; done < <(ldd "$specgen" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
  rustc -O -C target-feature=+crt-static --edition 2021 tests/nix/launcher.rs -o "$bundle/bin/specgen"
  echo "bundle: launcher + dynamic binary + $(find "$bundle/lib" -type f -printf '%f ' )"
fi
"$bundle/bin/specgen" --version >/dev/null || fail "the bundled specgen does not run"

# Two copies of the project (the files git would ship: tracked and untracked-not-ignored), at
# different paths with different directory names.
copy_project() {
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null | tar -xf - -C "$1"
}
proj_a="$work/a/specgen"
proj_b="$work/elsewhere/deeper/renamed-checkout"
copy_project "$proj_a"
copy_project "$proj_b"
[[ -f "$proj_a/flake.nix" && -f "$proj_a/nix/lib.nix" ]] || fail "flake.nix or nix/lib.nix missing from the copy"

stub="$work/stub-nixpkgs"
mkdir -p "$stub"
cp tests/nix/stub-nixpkgs/flake.nix "$stub/"
cp -r "$bundle" "$stub/prebuilt"
poison="$work/poison-nixpkgs"
mkdir -p "$poison"
cp tests/nix/poison-nixpkgs/flake.nix "$poison/"
consumer="$work/consumer"
mkdir -p "$consumer"
cp tests/nix/consumer/flake.nix "$consumer/"
printf '"%s"\n' "$system" >"$consumer/system.nix"

example_specs=(
  services.yml
  shared/spec/events.yaml
  shared/spec/models.yaml
  services/backend/spec/authors.yaml
  services/backend/spec/books.yaml
  services/notifications/spec/manifest.yaml
  services/notifications/spec/reading.yaml
  services/tg_bot/spec/manifest.yaml
)
spec_args=()
for s in "${example_specs[@]}"; do spec_args+=(--spec "$s"); done

# What the CLI writes for the same explicit list: the reference for every comparison.
cli_out="$work/cli-out"
"$specgen" generate --quiet --root "$proj_a/examples/bookshelf" "${spec_args[@]}" --out "$cli_out" --no-scaffolds
echo "specgen generate: $(find "$cli_out" -type f | wc -l) files in $cli_out"

flake_stub=(--no-write-lock-file --override-input nixpkgs "path:$stub")
# The consumer flake over PROJECT_DIR (the specgen flake) and EXAMPLE_DIR, with GOLDEN_DIR.
consumer_args() {
  printf '%s\0' --no-write-lock-file \
    --override-input specgen "path:$1" \
    --override-input specgen/nixpkgs "path:$poison" \
    --override-input prebuilt "path:$bundle" \
    --override-input project "path:$2" \
    --override-input golden "path:$3"
}
empty_golden="$work/no-golden"
mkdir -p "$empty_golden"

# Builds an installable; prints its output path. Usage: build LOG INSTALLABLE ARGS...
build() {
  local log="$1" installable="$2"
  shift 2
  run "$log" build --no-link --json "$installable" "$@" >"$logs/$log.json"
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["outputs"]["out"])' "$logs/$log.json"
}
# Deletes the output of an installable from the store if a previous run left it there (nothing
# roots it: every build here is --no-link), so that its next build really builds.
forget() {
  local log="$1" installable="$2" path
  shift 2
  path="$(run "$log" eval --raw "$installable.outPath" "$@")"
  if [[ -e "$path" ]]; then run "$log-delete" store delete "$path" >/dev/null; fi
}
built_count() { grep -c "^building '" "$logs/$1" || true; }
same_tree() { diff -r "$1" "$2" >/dev/null || { diff -r "$1" "$2" | head -20 >&2; return 1; }; }

# ---------------------------------------------------------------------------------------------
step "1. the flake evaluates (nixpkgs = tests/nix/stub-nixpkgs)"
t=$EPOCHREALTIME
run show flake show "path:$proj_a" "${flake_stub[@]}" >"$logs/show.out"
for attr in checks devShells lib overlays packages; do
  grep -q "$attr" "$logs/show.out" || fail "nix flake show lists no $attr"
done
ev() { run "eval-$1" eval --json "path:$proj_a#$2" "${flake_stub[@]}"; }
[[ "$(ev name "packages.$system.default.name")" == '"specgen-0.1.0"' ]] || fail "packages.default is not specgen-0.1.0"
[[ "$(ev main "packages.$system.default.meta.mainProgram")" == '"specgen"' ]] || fail "meta.mainProgram"
[[ "$(ev lock "packages.$system.default.stubArgs.cargoLock.lockFile")" == *'-Cargo.lock"' ]] \
  || fail "buildRustPackage does not get cargoLock.lockFile = Cargo.lock"
# The package's source: the workspace without target/ (the project copy has none; the real
# checkout does, and flake sources are copied whole, so check the filter on the checkout).
src_top="$(run src eval --json "path:$proj_a#packages.$system.default.stubArgs.src" "${flake_stub[@]}" --apply 'src: builtins.attrNames (builtins.readDir src)')"
for need in Cargo.lock Cargo.toml specgen-cli specgen-lib; do
  [[ "$src_top" == *"\"$need\""* ]] || fail "packages.default's src lacks $need: $src_top"
done
filter_ok="$(run filter eval --impure --raw --expr "
  let src = (import $root/nix/package.nix { lib = { licenses = { mit = 1; asl20 = 2; }; }; rustPlatform.buildRustPackage = a: a; }).src;
  in if builtins.pathExists (src + \"/target\") then \"target included\" else \"ok\"")"
[[ "$filter_ok" == ok ]] || fail "packages.default's src filter keeps target/: $filter_ok"
run shell eval --raw "path:$proj_a#devShells.$system.default.drvPath" "${flake_stub[@]}" >/dev/null
shell_pkgs="$(ev shellpkgs "devShells.$system.default.stubPackages")"
[[ "$shell_pkgs" == *cargo* && "$shell_pkgs" == *python3* ]] || fail "devShells.default lacks cargo/python3: $shell_pkgs"
mapfile -d '' -t cargs_a < <(consumer_args "$proj_a" "$proj_a/examples/bookshelf" "$empty_golden")
overlay="$(run overlay eval --raw "path:$consumer#overlayName" "${cargs_a[@]}" --override-input specgen/nixpkgs "path:$stub")"
[[ "$overlay" == specgen-0.1.0 ]] || fail "overlays.default does not add specgen: $overlay"
walked="$(run specfiles eval --json "path:$consumer#specList" "${cargs_a[@]}")"
expected="$(printf '%s\n' "${example_specs[@]}" | LC_ALL=C sort | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()).replace(" ", ""))')"
[[ "$walked" == "$expected" ]] || fail "lib.specFiles: $walked, expected $expected"
echo "ok: flake show/eval: packages.default = specgen-0.1.0 (Cargo.lock), devShell, overlay, lib.specFiles ($(elapsed "$t") s)"

# ---------------------------------------------------------------------------------------------
step "2. lib.generate builds offline, without nixpkgs, and equals specgen generate"
forget forget-gen1 "path:$consumer#packages.$system.generated" "${cargs_a[@]}"
t=$EPOCHREALTIME
out_a="$(build gen1 "path:$consumer#packages.$system.generated" "${cargs_a[@]}")"
t_first="$(elapsed "$t")"
[[ "$(built_count gen1)" -ge 1 ]] || fail "the first build built nothing"
same_tree "$cli_out" "$out_a" || fail "lib.generate output differs from specgen generate"
echo "ok: $out_a ($(find "$out_a" -type f | wc -l) files) == specgen generate, built in $t_first s"
out_walk="$(build walk "path:$consumer#packages.$system.walked" "${cargs_a[@]}")"
[[ "$out_walk" == "$out_a" ]] || fail "lib.generate without specs (walk) gives $out_walk, not $out_a"
echo "ok: lib.generate without specs (lib.specFiles walk): the same store path"
t=$EPOCHREALTIME
out_check="$(build check-example "path:$proj_a#checks.$system.example" "${flake_stub[@]}")"
out_check_walk="$(build check-walk "path:$proj_a#checks.$system.example-walk" "${flake_stub[@]}")"
same_tree "$cli_out" "$out_check" || fail "checks.$system.example differs from specgen generate"
same_tree "$cli_out" "$out_check_walk" || fail "checks.$system.example-walk differs from specgen generate"
echo "ok: checks.$system.example and example-walk (specgen from packages.default) == specgen generate ($(elapsed "$t") s)"
# What `specgen check --stamp` writes when nothing drifted: one line with the generated count.
n_generated="$(grep -cv -e '^#' -e '^$' "$cli_out/.specgen/manifest.txt")"
stamp_text="up to date: $n_generated generated files"
out_example_check="$(build check-example-check "path:$proj_a#checks.$system.example-check" "${flake_stub[@]}")"
[[ -f "$out_example_check" && "$(cat "$out_example_check")" == "$stamp_text" ]] \
  || fail "checks.$system.example-check is not the stamp '$stamp_text'"
echo "ok: checks.$system.example-check (lib.check against the example's lib.generate output): '$stamp_text'"
run flake-check flake check "path:$proj_a" "${flake_stub[@]}"
echo "ok: nix flake check (stub nixpkgs)"

# ---------------------------------------------------------------------------------------------
step "3. building again is a no-op"
reg() { run "reg-$2" path-info --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["registrationTime"])'; }
reg_before="$(reg "$out_a" 1)"
t=$EPOCHREALTIME
out_again="$(build gen2 "path:$consumer#packages.$system.generated" "${cargs_a[@]}")"
t_second="$(elapsed "$t")"
[[ "$out_again" == "$out_a" ]] || fail "second build: $out_again != $out_a"
[[ "$(built_count gen2)" == 0 ]] || fail "the second build rebuilt: $(grep "^building '" "$logs/gen2")"
[[ "$(reg "$out_a" 2)" == "$reg_before" ]] || fail "the output was re-registered"
echo "ok: same store path, 0 derivations built, registration time unchanged ($t_second s vs $t_first s)"

# ---------------------------------------------------------------------------------------------
step "4. the project in another directory gives the same store path"
mapfile -d '' -t cargs_b < <(consumer_args "$proj_b" "$proj_b/examples/bookshelf" "$empty_golden")
out_b="$(build gen-b "path:$consumer#packages.$system.generated" "${cargs_b[@]}")"
[[ "$out_b" == "$out_a" ]] || fail "copy in $proj_b gives $out_b, not $out_a"
[[ "$(built_count gen-b)" == 0 ]] || fail "the copy elsewhere was rebuilt"
drv_a="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["drvPath"])' "$logs/gen1.json")"
drv_b="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["drvPath"])' "$logs/gen-b.json")"
[[ "$drv_a" == "$drv_b" ]] || fail "derivations differ: $drv_a vs $drv_b"
echo "ok: $proj_b: same derivation and store path as $proj_a, nothing built"

# ---------------------------------------------------------------------------------------------
step "5. only the listed specs matter"
echo "an edit that is not a spec" >>"$proj_b/examples/bookshelf/README.md"
out_readme="$(build gen-readme "path:$consumer#packages.$system.generated" "${cargs_b[@]}")"
[[ "$out_readme" == "$out_a" ]] || fail "editing README.md changed the store path ($out_readme)"
echo "ok: README.md edited: same store path"
models="$proj_b/examples/bookshelf/shared/spec/models.yaml"
sed -i 's/Someone who wrote at least one book on the shelf\./Someone who wrote books on the shelf (edited)./' "$models"
grep -q '(edited)' "$models" || fail "could not edit $models"
forget forget-edit "path:$consumer#packages.$system.generated" "${cargs_b[@]}"
out_edit="$(build gen-edit "path:$consumer#packages.$system.generated" "${cargs_b[@]}")"
[[ "$out_edit" != "$out_a" ]] || fail "editing models.yaml kept the store path $out_a"
[[ "$(built_count gen-edit)" -ge 1 ]] || fail "editing models.yaml built nothing"
changed="$({ diff -rq "$out_a" "$out_edit" || true; } | wc -l)"
grep -rq '(edited)' "$out_edit/shared/shared/generated/schemas.py" || fail "the edit is not in schemas.py"
echo "ok: models.yaml edited: new store path $out_edit ($changed files differ, schemas.py has the edit)"

# ---------------------------------------------------------------------------------------------
step "6. lib.check: specgen check --stamp \$out, at build time"
golden_ok="$work/golden-ok"
cp -r "$cli_out" "$golden_ok"
mapfile -d '' -t cargs_g < <(consumer_args "$proj_a" "$proj_a/examples/bookshelf" "$golden_ok")
forget forget-check-ok "path:$consumer#packages.$system.checked" "${cargs_g[@]}"
out_ok="$(build check-ok "path:$consumer#packages.$system.checked" "${cargs_g[@]}")"
[[ "$(built_count check-ok)" == 1 ]] || fail "lib.check built $(built_count check-ok) derivations, not 1 (the check)"
[[ -f "$out_ok" && "$(cat "$out_ok")" == "$stamp_text" ]] || fail "lib.check's output $out_ok is not the stamp '$stamp_text'"
echo "ok: correct golden: builds the stamp $out_ok: '$(cat "$out_ok")'"

# Without flakes, golden as a plain path holding more than generated files (a .git directory,
# a hand-written controller): copied under a fixed name without .git; the rest is ignored.
golden_path="$work/golden-path"
cp -r "$cli_out" "$golden_path"
mkdir -p "$golden_path/.git" "$golden_path/services/backend/src/controllers"
echo "ref: refs/heads/main" >"$golden_path/.git/HEAD"
echo "# hand-written" >"$golden_path/services/backend/src/controllers/books.py"
plain_check="(import $proj_a/nix/lib.nix { }).check {
  system = \"$system\"; specgen = $bundle; root = $proj_a/examples/bookshelf; golden = $golden_path; }"
out_plain="$(run check-plain build --no-link --json --impure --expr "$plain_check" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["outputs"]["out"])')"
[[ "$(cat "$out_plain")" == "$stamp_text" ]] || fail "lib.check without flakes (golden = a path): $out_plain"
golden_store="$(run check-plain-args eval --raw --impure --expr "
  let a = ($plain_check).drvAttrs.args; n = builtins.length a;
  in builtins.head (builtins.filter (x: x != null) (builtins.genList (i: if builtins.elemAt a i == \"--out\" then builtins.elemAt a (i + 1) else null) n))")"
[[ "$golden_store" == */nix/store/*-specgen-golden && -d "$golden_store" ]] || fail "golden's store copy: $golden_store"
[[ ! -e "$golden_store/.git" && -f "$golden_store/services/backend/src/controllers/books.py" ]] \
  || fail "golden's store copy $golden_store keeps .git or lost a file"
echo "ok: without flakes, golden = a path: the same stamp; golden copied as $golden_store without .git"
# The same in a flake: golden = ./golden, a path inside the flake's source (itself a store path).
cp -r "$golden_path" "$consumer/golden"
out_tree="$(build check-tree "path:$consumer#packages.$system.checkedInTree" "${cargs_g[@]}")"
[[ "$(cat "$out_tree")" == "$stamp_text" ]] || fail "lib.check with golden = ./golden in a flake: $out_tree"
echo "ok: in a flake, golden = ./golden (a path in the flake's source): the same stamp"

# A drifted golden: evaluation succeeds (no import-from-derivation), the build fails, and its
# log holds specgen check's unified diff. Usage: NAME GOLDEN_DIR LINE-IN-LOG...
expect_check_failure() {
  local name="$1" golden="$2" args line
  shift 2
  mapfile -d '' -t args < <(consumer_args "$proj_a" "$proj_a/examples/bookshelf" "$golden")
  run "$name-eval" eval --raw "path:$consumer#packages.$system.checked.drvPath" "${args[@]}" >/dev/null \
    || fail "lib.check does not even evaluate against $golden ($name)"
  if nix "${nix_opts[@]}" build --no-link -L "path:$consumer#packages.$system.checked" "${args[@]}" 2>"$logs/$name"; then
    fail "lib.check passed against $golden ($name)"
  fi
  grep -q "^error: builder for '.*-specgen-check.drv' failed with exit code 1" "$logs/$name" \
    || { cat "$logs/$name" >&2; fail "lib.check did not fail at build time ($name)"; }
  grep -q "error: generated files are out of date" "$logs/$name" \
    || { cat "$logs/$name" >&2; fail "lib.check failed for another reason ($name)"; }
  for line in "$@"; do
    grep -qxF -- "specgen-check> $line" "$logs/$name" \
      || { cat "$logs/$name" >&2; fail "the build log lacks the diff line '$line' ($name)"; }
  done
  echo "ok: $name: evaluates, fails at build time; the log's diff: $(grep -c '^specgen-check> [-+]' "$logs/$name") lines -/+, e.g. '$*'"
}
golden_drift="$work/golden-drifted"
cp -r "$cli_out" "$golden_drift"
printf '# drift\n' >>"$golden_drift/infra/compose.base.yml"
expect_check_failure "drifted golden (a line appended)" "$golden_drift" \
  "--- a/infra/compose.base.yml" "+++ b/infra/compose.base.yml" "-# drift"
golden_missing="$work/golden-missing"
cp -r "$cli_out" "$golden_missing"
rm "$golden_missing/docs/architecture.md"
expect_check_failure "golden missing a file" "$golden_missing" "--- /dev/null" "+++ b/docs/architecture.md"
golden_stale="$work/golden-stale"
cp -r "$cli_out" "$golden_stale"
mkdir -p "$golden_stale/services/retired/src/generated"
printf '# Code generated by specgen. DO NOT EDIT.\n' >"$golden_stale/services/retired/src/generated/schemas.py"
printf 'services/retired/src/generated/schemas.py\n' >>"$golden_stale/.specgen/manifest.txt"
expect_check_failure "golden with a stale generated file" "$golden_stale" \
  "--- a/services/retired/src/generated/schemas.py" "+++ /dev/null"

# ---------------------------------------------------------------------------------------------
step "7. nix build --rebuild: bit-identical output"
# --rebuild builds an installable's derivation again and compares the result with the output
# already in the store; any difference fails ("may not be deterministic"). It needs the output
# to be present (all of these were built above) and checks the top-level derivation only.
rebuild() { # LOG INSTALLABLE ARGS...; the store path must stay what build gave
  local log="$1" installable="$2" before after
  shift 2
  before="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["outputs"]["out"])' "$logs/$log.json")"
  after="$(build "rebuild-$log" "$installable" "$@" --rebuild)"
  [[ "$after" == "$before" ]] || fail "--rebuild of $installable: $after, not $before"
  grep -q "^checking outputs of '" "$logs/rebuild-$log" || fail "--rebuild of $installable checked nothing"
  echo "ok: --rebuild $installable: identical ($(basename "$after"))"
}
t=$EPOCHREALTIME
rebuild gen1 "path:$consumer#packages.$system.generated" "${cargs_a[@]}"
rebuild check-example "path:$proj_a#checks.$system.example" "${flake_stub[@]}"
rebuild check-ok "path:$consumer#packages.$system.checked" "${cargs_g[@]}"
t_rebuild="$(elapsed "$t")"
# The check can fail: a derivation that writes a random UUID, built, then rebuilt.
noise="$work/noise-shell"
mkdir -p "$noise/lib"
shell_bin="$(command -v dash || echo "$BASH")"
cp "$shell_bin" "$noise/sh"
shell_interp="$(readelf -l "$shell_bin" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')"
if [[ -n "$shell_interp" ]]; then
  cp -L "$shell_interp" "$noise/lib/ld.so"
  while read -r lib; do cp -L "$lib" "$noise/lib/"; done < <(ldd "$shell_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
fi
noise_args=(-f "$root/tests/nix/nondeterministic.nix" --arg shell "$noise" --argstr system "$system")
noise_out="$(run noise-build build --no-link --json "${noise_args[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["outputs"]["out"])')"
if nix "${nix_opts[@]}" build --no-link --rebuild "${noise_args[@]}" 2>"$logs/noise-rebuild"; then
  fail "nix build --rebuild accepted a nondeterministic derivation ($noise_out)"
fi
grep -q "may not be deterministic: output '$noise_out' differs" "$logs/noise-rebuild" \
  || { cat "$logs/noise-rebuild" >&2; fail "nix build --rebuild of the nondeterministic derivation failed for another reason"; }
run noise-delete store delete "$noise_out" >/dev/null
echo "ok: --rebuild of tests/nix/nondeterministic.nix fails: 'may not be deterministic: output ... differs'"

printf '\nPASS: scripts/nix-test.sh in %s s (%s; first build %s s, no-op rebuild %s s, 3 --rebuild checks %s s)\n' \
  "$(elapsed "$t_start")" "$nix_version" "$t_first" "$t_second" "$t_rebuild"
