#!/usr/bin/env bash
# The demo, set-up included: bash scripts/demo.sh [options of `python -m nn train`]
# Trains a small network on the two-moons data with Adam, shows a progress bar, and
# writes the loss curve, the decision boundary and one neuron's graph into out/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS=plot source "$root/scripts/setup.sh"
cd "$root"
if [ "$#" -eq 0 ]; then
  set -- --dataset moons --optimizer adam --epochs 100 --out out/
fi
exec .venv/bin/python -m nn train "$@"
