#!/usr/bin/env bash
# Installs the project's non-Rust tools, pinned in tools/package-lock.json:
# solc (solcjs) and OpenZeppelin for contracts/, OpenZeppelin's merkle-tree
# (the reference the Rust Merkle builder is tested against), anvil and cast
# (the npm packages that ship the Linux x86-64 binaries).
# Idempotent: it runs `npm ci` only when tools/node_modules is missing or was
# installed from another lock file, and takes a few milliseconds otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=tools/node_modules
stamp=$modules/.iodao-lock.sha256
want=$(sha256sum tools/package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing tools/ (npm ci)"
    npm ci --prefix tools --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
fi

anvil=$modules/@foundry-rs/anvil-linux-amd64/bin/anvil
cast=$modules/@foundry-rs/cast-linux-amd64/bin/cast
for bin in "$anvil" "$cast"; do
    if [ ! -x "$bin" ]; then
        echo "missing $bin: delete $modules and run scripts/setup.sh again" >&2
        exit 1
    fi
done
echo "anvil: $anvil"
echo "cast:  $cast"
