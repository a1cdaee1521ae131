#!/usr/bin/env bash
# The whole test suite, set-up included: bash scripts/test.sh [pytest arguments]
# HYPOTHESIS_PROFILE=thorough bash scripts/test.sh runs many more examples.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS=dev source "$root/scripts/setup.sh"
cd "$root"
exec .venv/bin/python -m pytest "$@"
