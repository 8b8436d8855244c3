#!/usr/bin/env bash
# The portal's load benchmark: the release `iodao serve` over a database of
# 1 000 proposals and 100 000 votes, loaded by wrk on the same machine.
# WRK_THREADS, WRK_CONNECTIONS and WRK_SECONDS tune the load (1, 32, 10).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh wrk:/usr/bin/wrk
cargo bench --locked --bench web_load "$@"
