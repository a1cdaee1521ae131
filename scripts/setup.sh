#!/usr/bin/env bash
# Set up everything scalarflow needs on a fresh Debian machine, idempotently:
# the Graphviz `dot` program and chromium (system packages) and a virtual environment in .venv
# with scalarflow installed in editable mode plus the extras named in $EXTRAS.
# Sourced by demo.sh and test.sh; prints where it is at, stays quiet otherwise.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${EXTRAS:-dev}"

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Graphviz (the dot program) with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends graphviz >/dev/null
  else
    echo "setup: the Graphviz 'dot' program is missing. Install it first, e.g." >&2
    echo "         sudo apt-get install graphviz     (Debian/Ubuntu)" >&2
    echo "         brew install graphviz             (macOS)" >&2
    exit 1
  fi
fi

# The browser test (tests/test_browser.py) drives Debian's chromium; playwright's own
# browser download cannot work here. Installed when missing and we may (root, apt-get);
# otherwise the test says what is missing (and fails under CI=true).
if [ "$extras" = dev ] && ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium (for the browser test) with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >/dev/null 2>&1; then
    echo "setup: apt-get could not install chromium; the browser test will say so" >&2
  fi
fi

python="${PYTHON:-python3}"
if [ ! -x "$root/.venv/bin/python" ]; then
  echo "setup: creating the virtual environment .venv" >&2
  if ! "$python" -m venv "$root/.venv" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      rm -rf "$root/.venv"
      "$python" -m venv "$root/.venv"
    else
      echo "setup: '$python -m venv' failed; install the python3-venv package" >&2
      exit 1
    fi
  fi
fi

stamp="$root/.venv/.installed-$extras"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  echo "setup: installing scalarflow[$extras] into .venv" >&2
  log="$root/.venv/install.log"
  # pip's own chatter (build back-end warnings) goes to a log, shown only if it fails.
  if ! { "$root/.venv/bin/python" -m pip install -q --upgrade pip &&
         "$root/.venv/bin/python" -m pip install -q -e "$root[$extras]"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: installing scalarflow[$extras] failed (log above, kept in $log)" >&2
    exit 1
  fi
  touch "$stamp"
fi
