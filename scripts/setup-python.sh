#!/usr/bin/env bash
# Create or update the Python venv the tests use (ruff, mypy, pydantic, fastapi, ...), with the
# pinned versions of scripts/python-requirements.txt.
#
#   scripts/setup-python.sh [VENV_DIR]      (VENV_DIR defaults to <repo>/target/venv)
#
# Prints the absolute venv path on stdout (the only stdout line); progress goes to stderr, so
#   venv="$(scripts/setup-python.sh)"
# works. Cached: when the venv's stamp file matches the hash of the requirements file (and of the
# base interpreter), nothing is installed and the run takes well under a second. Any mismatch
# rebuilds the venv from scratch (`venv --clear`), so removed pins never linger.
#
# Environment:
#   SPECGEN_PYTHON   base interpreter (default: python3; must be Python >= 3.11)
#   PIP_INDEX_URL etc. are honoured by pip as usual.
# Needs network to PyPI only when (re)installing. Installs Debian's python3-venv with apt-get
# when the interpreter lacks the venv/ensurepip modules (needs root or sudo).
set -euo pipefail

log() { printf 'setup-python: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
requirements="$root/scripts/python-requirements.txt"
venv="${1:-$root/target/venv}"
python="${SPECGEN_PYTHON:-python3}"

[[ -f "$requirements" ]] || die "missing $requirements"
command -v "$python" >/dev/null 2>&1 || die "'$python' not found (set SPECGEN_PYTHON to a Python >= 3.11)"

# One interpreter start (pyenv shims are slow): version check, venv module check, identity.
probe() {
  "$python" -c '
import importlib.util, os, sys
ok = sys.version_info >= (3, 11)
has_venv = all(importlib.util.find_spec(m) for m in ("venv", "ensurepip"))
print(int(ok), int(has_venv), os.path.realpath(sys.executable), sys.version.replace("\n", " "))'
}
read -r version_ok has_venv base_id < <(probe) || die "cannot run '$python'"
[[ "$version_ok" == 1 ]] \
  || die "$("$python" -V 2>&1) is too old: Python >= 3.11 is required (set SPECGEN_PYTHON)"

# Debian splits venv/ensurepip into python3-venv.
if [[ "$has_venv" != 1 ]]; then
  log "the venv module is missing: installing Debian package python3-venv"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "python3-venv is missing and this is not root (install it: apt-get install python3-venv)"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >&2
  "${sudo[@]}" apt-get install -y -q --no-install-recommends python3-venv >&2
  read -r _ has_venv _ < <(probe)
  [[ "$has_venv" == 1 ]] \
    || die "python3-venv installed but '$python' still has no venv module (is it Debian's python3?)"
fi

mkdir -p "$(dirname "$venv")"
venv="$(cd "$(dirname "$venv")" && pwd -P)/$(basename "$venv")"

# One setup at a time per venv (several test runs may share a checkout).
exec 9>"$venv.lock"
flock 9

stamp="$venv/.specgen-requirements.sha256"
# The stamp covers the pins and the base interpreter (an upgraded or replaced python3 breaks
# the venv's symlinks, so it means a rebuild).
want="$( { cat "$requirements"; printf '%s\n' "$base_id"; } | sha256sum | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
  && "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  log "up to date: $venv"
  printf '%s\n' "$venv"
  exit 0
fi

start=$SECONDS
log "creating $venv ($("$python" -V 2>&1))"
rm -f "$stamp"
"$python" -m venv --clear "$venv"
log "installing $(grep -cE '^[A-Za-z]' "$requirements") pinned packages from $requirements"
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_REQUIRE_VIRTUALENV=1 \
  "$venv/bin/python" -m pip install --quiet --progress-bar off -r "$requirements" </dev/null >&2
PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip check >&2
# Smoke test the tools the tests call.
"$venv/bin/ruff" --version >&2
"$venv/bin/mypy" --version >&2
"$venv/bin/python" -c 'import pydantic, fastapi, httpx, sqlalchemy, faststream' >&2
printf '%s\n' "$want" >"$stamp"
log "installed in $((SECONDS - start)) s: $venv"
printf '%s\n' "$venv"
