#!/usr/bin/env bash
# Refresh the development lock: bash scripts/lock.sh
#
# scripts/requirements-lock.txt pins every package of the dev and compile extras (and
# plot and jupyter, which they include), their dependencies and the build back-end, to
# exact versions, for every Python scalarflow supports (one "universal" lock: where a
# package's newest release dropped an older Python, the lock pins an older release for
# that Python, with an environment marker). scripts/setup.sh installs from it, so a fresh
# clone gets the versions the suite last passed with, whatever is released since.
#
# Refresh it on purpose, not by accident: first `bash scripts/test.sh --latest` (the whole
# suite on the newest releases, in a throwaway environment), then this, then the suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION=0.13.9   # the lock tool, pinned like everything else

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "lock: installing uv $UV_VERSION into a throwaway environment" >&2
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q "uv==$UV_VERSION"

# pip and the build back-end are locked too: setup.sh installs them from the lock and
# builds scalarflow without build isolation, so nothing unpinned enters even the build.
build_backend="$(sed -n 's/^requires = \["\(setuptools[^"]*\)"\].*/\1/p' "$root/pyproject.toml")"
[ -n "$build_backend" ] || { echo "lock: no setuptools in [build-system] requires" >&2; exit 1; }
printf '%s\npip\n' "$build_backend" >"$tmp/build.in"

cd "$root"
"$tmp/venv/bin/uv" pip compile pyproject.toml "$tmp/build.in" \
  --extra dev --extra compile --extra plot --extra jupyter \
  --universal --python-version 3.10 --no-header --quiet \
  -o "$tmp/lock.txt"
{
  echo "# The development lock: exact versions for every supported Python (see scripts/lock.sh)."
  echo "# Made by uv $UV_VERSION from pyproject.toml; do not edit by hand: bash scripts/lock.sh"
  sed "s|$tmp/build.in|pyproject.toml (build-system)|" "$tmp/lock.txt"
} >scripts/requirements-lock.txt
echo "lock: wrote scripts/requirements-lock.txt ($(grep -c '==' scripts/requirements-lock.txt) pins)" >&2
