#!/usr/bin/env bash
# Runs every test of iodao: unit, integration and end-to-end.
# Installs what the tests need first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# (Later issues add their prerequisites here: anvil from npm, chromium.)

cargo test --workspace --locked "$@"
