#!/usr/bin/env bash
# The demo, set-up included: bash scripts/demo.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS=plot source "$root/scripts/setup.sh"
cd "$root"
exec .venv/bin/python -m engine.demo "$@"
