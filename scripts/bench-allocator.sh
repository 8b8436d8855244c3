#!/usr/bin/env bash
# The allocator benchmark: solve times at 1 000 .. 1 000 000 recipients with
# every rule on, then the LP method and the LPs of its first round, also
# solved by scipy's linprog (HiGHS) on the same exported formulation.
# Installs the pinned scipy into a venv.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$PWD/target/bench-venv"
if ! "$venv/bin/python" -c 'import scipy' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet -r allocator/benches/requirements.txt
fi
IODAO_PYTHON="$venv/bin/python" cargo bench -p iodao-allocator --bench solve "$@"
