#!/usr/bin/env bash
# Installs the project's non-Rust tools. From Debian: Chromium and its
# WebDriver for the portal's browser test (scripts/bench-web.sh adds wrk).
# Pinned in tools/package-lock.json:
# solc (solcjs) and OpenZeppelin for contracts/, OpenZeppelin's merkle-tree
# (the reference the Rust Merkle builder is tested against), anvil and cast
# (the npm packages that ship the Linux x86-64 binaries).
# Idempotent: it runs `npm ci` only when tools/node_modules is missing or was
# installed from another lock file, and takes a few milliseconds otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, installed only when their binary is missing.
# Usage inside this repo: scripts/setup.sh [extra-package:/path/to/binary ...]
apt_need=()
for pair in chromium:/usr/bin/chromium chromium-driver:/usr/bin/chromedriver "$@"; do
    [ -x "${pair#*:}" ] || apt_need+=("${pair%%:*}")
done
if [ ${#apt_need[@]} -gt 0 ]; then
    echo "installing from Debian: ${apt_need[*]}"
    as_root=()
    [ "$(id -u)" = 0 ] || as_root=(sudo)
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${apt_need[@]}"
fi

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
