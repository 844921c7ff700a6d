#!/usr/bin/env bash
# Install the pinned Node.js packages the tests use into a directory of their own: the TypeScript
# compiler, which type-checks the generated types.ts, and @asyncapi/specs, whose official AsyncAPI
# 3.0.0 JSON Schema the generated asyncapi.json is validated against.
#
#   scripts/setup-node.sh [NODE_DIR]      (NODE_DIR defaults to <repo>/target/node)
#
# Prints the absolute directory on stdout (the only stdout line); progress goes to stderr, so
#   SPECGEN_NODE="$(scripts/setup-node.sh)"
# works; the tests find tsc at $SPECGEN_NODE/node_modules/.bin/tsc and the AsyncAPI schema at
# $SPECGEN_NODE/node_modules/@asyncapi/specs/schemas/3.0.0.json. Cached: when the stamp file
# matches the hash of the pins (and of the node version), nothing is installed and the run takes
# well under a second. Any mismatch reinstalls from scratch, so removed pins never linger.
#
# Needs node and npm on PATH (Debian 12: apt-get install nodejs npm; any Node.js >= 16.20), and
# the npm registry only when (re)installing. npm's usual settings (npm_config_registry, .npmrc)
# are honoured.
set -euo pipefail

# TypeScript 7 is the native (Go) compiler: its npm package runs a prebuilt binary for the
# platform (an optional dependency), so a type-check takes milliseconds, not seconds.
TYPESCRIPT_VERSION=7.0.2
# The official AsyncAPI JSON Schemas (data only: schemas/<version>.json, self-contained).
ASYNCAPI_SPECS_VERSION=6.11.1

log() { printf 'setup-node: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
dir="${1:-$root/target/node}"

command -v node >/dev/null 2>&1 || die "'node' not found (install Node.js >= 16.20, e.g. apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "'npm' not found (install it, e.g. apt-get install npm)"
node_version="$(node --version)"

mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"

# One setup at a time per directory (several test runs may share a checkout).
exec 9>"$dir.lock"
flock 9

stamp="$dir/.specgen-node.sha256"
pins=("typescript@$TYPESCRIPT_VERSION" "@asyncapi/specs@$ASYNCAPI_SPECS_VERSION")
want="$(printf '%s\n' "${pins[@]}" "$node_version" | sha256sum | cut -d' ' -f1)"
tsc="$dir/node_modules/.bin/tsc"
asyncapi_schema="$dir/node_modules/@asyncapi/specs/schemas/3.0.0.json"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$asyncapi_schema" ]] && "$tsc" --version >/dev/null 2>&1; then
  log "up to date: $dir"
  printf '%s\n' "$dir"
  exit 0
fi

start=$SECONDS
log "installing ${pins[*]} into $dir (node $node_version)"
rm -f "$stamp"
rm -rf "$dir/node_modules" "$dir/package.json" "$dir/package-lock.json"
npm install --prefix "$dir" --save-exact --no-audit --no-fund --no-update-notifier --loglevel=error \
  "${pins[@]}" </dev/null >&2
# Smoke test: the compiler runs and is the pinned version.
got="$("$tsc" --version)"
[[ "$got" == *"$TYPESCRIPT_VERSION"* ]] || die "expected TypeScript $TYPESCRIPT_VERSION, got: $got"
log "$got"
specs="$(node -p 'require(process.argv[1]).version' "$dir/node_modules/@asyncapi/specs/package.json")"
[[ "$specs" == "$ASYNCAPI_SPECS_VERSION" ]] || die "expected @asyncapi/specs $ASYNCAPI_SPECS_VERSION, got: $specs"
[[ -f "$asyncapi_schema" ]] || die "@asyncapi/specs $specs has no schemas/3.0.0.json"
log "@asyncapi/specs $specs"
printf '%s\n' "$want" >"$stamp"
log "installed in $((SECONDS - start)) s: $dir"
printf '%s\n' "$dir"
