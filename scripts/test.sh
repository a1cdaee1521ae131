#!/usr/bin/env bash
# The whole test suite, set-up included: bash scripts/test.sh [options] [pytest arguments]
#
#   (no option)      the whole suite on the default python3, in .venv, from the lock
#   --python X.Y     on CPython X.Y instead (found on PATH or under pyenv), in .venv-X.Y;
#                    exits 69 ("not found") when this machine has no such Python
#   --core           everything but the lessons (tests/test_notebooks.py, test_browser.py)
#                    and the set-up script's own test (tests/test_setup.py)
#   --latest         the newest release of every dependency, ignoring the lock, in a
#                    throwaway environment: how to check a lock refresh (scripts/lock.sh)
#
# HYPOTHESIS_PROFILE=thorough bash scripts/test.sh runs many more examples.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

version="" core=0 latest=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --python) version="${2:?--python needs a version such as 3.12}"; shift 2 ;;
    --core) core=1; shift ;;
    --latest) latest=1; shift ;;
    *) break ;;
  esac
done

# CPython X.Y: on PATH, or under pyenv (whose shims answer for the active version only).
find_python() {
  local candidate
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$1".*/bin/python"$1" \
                   "$(command -v "python$1" || true)" "/usr/bin/python$1"; do
    if [ -x "$candidate" ] && "$candidate" -c "import sys, venv" >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

export EXTRAS=dev
if [ -n "$version" ]; then
  if ! PYTHON="$(find_python "$version")"; then
    echo "test: Python $version not found on this machine (PATH, pyenv)" >&2
    exit 69
  fi
  export PYTHON VENV="$root/.venv-$version"
fi
if [ "$latest" = 1 ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  export LATEST=1 VENV="$tmp/venv"
fi
source "$root/scripts/setup.sh"

cd "$root"
args=()
[ "$core" = 1 ] && args+=(--ignore=tests/test_notebooks.py --ignore=tests/test_browser.py
                       --ignore=tests/test_setup.py)
if [ "$latest" = 1 ]; then
  echo "test: on the newest releases ($("$VENV/bin/python" -m pip list --format=freeze 2>/dev/null | wc -l) packages)" >&2
  "$VENV/bin/python" -m pytest "${args[@]}" "$@"   # not exec: the trap removes the venv
else
  exec "${VENV:-$root/.venv}/bin/python" -m pytest "${args[@]}" "$@"
fi
