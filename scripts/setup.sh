#!/usr/bin/env bash
# Installs the project's non-Rust tools, pinned in tools/package-lock.json:
# solc (solcjs) and OpenZeppelin for contracts/, OpenZeppelin's merkle-tree
# (the reference the Rust Merkle builder is tested against), anvil and cast.
# Idempotent and quick when already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=tools/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ tools/package-lock.json -nt "$stamp" ]; then
    echo "installing tools/ (npm ci)"
    npm ci --prefix tools --no-audit --no-fund --loglevel=error
fi
anvil=tools/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
"$anvil" --version >/dev/null
echo "tools ready: $anvil"
