#!/usr/bin/env bash
# Set up everything scalarflow needs on a fresh Debian machine, idempotently:
# the Graphviz `dot` program and chromium (system packages) and a virtual environment with
# scalarflow installed in editable mode plus the extras named in $EXTRAS, at the exact
# versions of scripts/requirements-lock.txt.
# Sourced by demo.sh and test.sh; prints where it is at, stays quiet otherwise.
#
#   EXTRAS   the extras to install (default: dev)
#   PYTHON   the interpreter to build the environment with (default: python3)
#   VENV     where the environment goes (default: .venv in the repository)
#   LATEST=1 ignore the lock and take the newest releases (for scripts/test.sh --latest)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${EXTRAS-dev}"  # EXTRAS= (empty): the package alone
python="${PYTHON:-python3}"
venv="${VENV:-$root/.venv}"
lock="$root/scripts/requirements-lock.txt"

as_root_with_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

if ! command -v dot >/dev/null 2>&1; then
  if as_root_with_apt; then
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
# browser download cannot work here. The Korean lessons need a font with Hangul in it, or
# chromium draws every Korean letter as an empty box (Debian's chromium brings none):
# fonts-nanum. Installed when missing and we may (root, apt-get); otherwise the test says
# what is missing (and fails under CI=true).
has_hangul_font() {
  if command -v fc-list >/dev/null 2>&1; then
    [ -n "$(fc-list :lang=ko 2>/dev/null)" ]
  else  # fontconfig's tools are not always there; the package is
    dpkg-query -W -f='${Status}' fonts-nanum 2>/dev/null | grep -q "ok installed"
  fi
}
browser_packages=()
command -v chromium >/dev/null 2>&1 || browser_packages+=(chromium)
has_hangul_font || browser_packages+=(fonts-nanum)
if [[ ",$extras," == *,dev,* ]] && [ "${#browser_packages[@]}" -gt 0 ] && as_root_with_apt; then
  echo "setup: installing ${browser_packages[*]} (for the browser test) with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq &&
         apt-get install -y -qq --no-install-recommends "${browser_packages[@]}"; } >/dev/null 2>&1; then
    echo "setup: apt-get could not install ${browser_packages[*]}; the browser test will say so" >&2
  fi
fi

# An environment is usable when its python runs pip and its creation finished. One that
# is not (Ctrl-C while it was being made or filled, or a python that is gone) is made
# again from nothing rather than patched: that is the only state known to be right.
usable() {
  [ -x "$venv/bin/python" ] && [ ! -e "$venv/.incomplete" ] &&
    "$venv/bin/python" -m pip --version >/dev/null 2>&1
}
if [ -e "$venv" ] && ! usable; then
  echo "setup: $venv is unusable (interrupted set-up or a missing python); making it again" >&2
  rm -rf "$venv"
fi
if [ ! -e "$venv" ]; then
  echo "setup: creating the virtual environment $(basename "$venv") with $python" >&2
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    if as_root_with_apt && [ "$python" = python3 ]; then
      apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      "$python" -m venv "$venv"
    else
      echo "setup: '$python -m venv' failed; install the python3-venv package" >&2
      exit 1
    fi
  fi
fi

# What the environment must hold: the extras and the exact lock (or "latest").
if [ "${LATEST:-0}" = 1 ]; then
  wanted="latest"
  constraints=()
else
  wanted="$(cat "$root/pyproject.toml" "$lock" | sha256sum | cut -c1-16)"
  constraints=(-c "$lock")
fi
stamp="$venv/.installed-${extras:-none}"  # one per set of extras: demo.sh and test.sh differ
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing scalarflow[$extras] into $(basename "$venv")" >&2
  log="$venv/install.log"
  touch "$venv/.incomplete"
  rm -f "$stamp"
  pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check "${constraints[@]}")
  # pip and the build back-end come from the lock too, and scalarflow is built without
  # build isolation, so that nothing unpinned enters the environment, not even the build.
  # pip's own chatter goes to a log, shown only if it fails.
  backend="$(sed -n 's/^requires = \["\([^"]*\)"\].*/\1/p' "$root/pyproject.toml")"
  if ! { "${pip[@]}" --upgrade pip "$backend" &&
         "${pip[@]}" --no-build-isolation -e "$root${extras:+[$extras]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: installing scalarflow[$extras] failed (log above, kept in $log)" >&2
    exit 1
  fi
  echo "$wanted" >"$stamp"
  rm -f "$venv/.incomplete"
fi
