#!/usr/bin/env bash
# Runs every test of iodao: unit, integration and end-to-end.
# Installs what the tests need first, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm tools: solc and OpenZeppelin (contracts), anvil (chain tests).
scripts/setup.sh
# The contracts on anvil, from JS (OpenZeppelin's tooling), then Rust.
node --test contracts/contracts.test.js
# Chromium and chromedriver (the portal's browser test) come from setup.sh too.

cargo test --workspace --locked "$@"
