#!/usr/bin/env bash
# The core suite (everything but the lessons) on every other CPython scalarflow supports:
# bash scripts/test_pythons.sh [pytest arguments]. The default python3 runs the whole suite
# through scripts/test.sh; CI runs both. A Python this machine lacks is reported and skipped,
# never a failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
failed=()
for version in 3.10 3.11 3.12 3.13; do
  if [ "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$version" ]; then
    continue  # the default python3 runs the whole suite already
  fi
  echo "== Python $version: the core suite" >&2
  start=$SECONDS
  bash "$root/scripts/test.sh" --python "$version" --core -q "$@"
  status=$?
  case "$status" in
    0) echo "== Python $version: passed in $((SECONDS - start)) s" >&2 ;;
    69) echo "== Python $version: not on this machine, skipped" >&2 ;;
    *) echo "== Python $version: FAILED (exit $status)" >&2; failed+=("$version") ;;
  esac
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "test_pythons: the core suite failed on Python ${failed[*]}" >&2
  exit 1
fi
