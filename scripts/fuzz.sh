#!/usr/bin/env bash
# The fuzz campaign: every parser of outside text gets its hostile-input
# property (testkit's hostile text: multi-byte, controls, bidi marks, up to
# 10 kB) with many more cases than CI runs (10 000 each), and prints how many
# ran per parser. Any panic or unreadable error fails with the smallest input.
# Usage: scripts/fuzz.sh [CASES_PER_PARSER]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."

cases=${1:-200000}
log=$(mktemp -t iodao-fuzz.XXXXXX)
trap 'rm -f "$log"' EXIT
export PROPTEST_CASES=$cases
SECONDS=0
run() { cargo test --locked -q "$@" -- --nocapture --test-threads 2 2>&1 | tee -a "$log" | grep -E '^hostile input:|FAILED|panicked' || true; }
run -p iodao-core --test it parsers
run -p iodao-bot --test it parsers
run -p iodao-web --test it parsers
run -p iodao --bin iodao hostile_tests
if grep -qE 'FAILED|test result: FAILED' "$log"; then
    echo "fuzz: a parser failed (see above)" >&2
    exit 1
fi
parsers=$(grep -c '^hostile input:' "$log")
total=$(grep '^hostile input:' "$log" | sed -E 's/.*: ([0-9]+) cases.*/\1/' | awk '{s += $1} END {print s}')
echo "fuzz: $parsers properties, $total cases, 0 failures, in ${SECONDS}s ($(date -u +%F))"
