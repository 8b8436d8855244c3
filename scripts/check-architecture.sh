#!/usr/bin/env bash
# Checks the dependency rules of ARCHITECTURE.md with `cargo tree`.
# Each rule: a crate, the crates it must not reach, and how deep to look
# (all = anywhere in its normal dependency tree, 1 = direct dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
rule() {
    local crate=$1 depth=$2 why=$3
    shift 3
    local args=(-p "$crate" -e normal --prefix none --offline)
    [ "$depth" = all ] || args+=(--depth "$depth")
    local tree
    tree=$(cargo tree "${args[@]}" 2>/dev/null | awk '{print $1}' | sort -u)
    for banned in "$@"; do
        if grep -qx "$banned" <<<"$tree"; then
            echo "architecture: $crate must not depend on $banned ($why)"
            fail=1
        fi
    done
}

rule iodao-allocator all "the allocator is pure computation: no IO, no store" sqlx tokio iodao-core alloy
rule iodao-core all "core knows no chat platform, HTTP server or RPC client" axum serenity teloxide alloy iodao-web iodao-bot iodao-chain
rule iodao-web 1 "front-ends call core services, never SQL" sqlx
rule iodao-bot 1 "front-ends call core services, never SQL" sqlx
rule iodao-chain 1 "chain implements core's ports; it writes no SQL" sqlx

if [ "$fail" = 0 ]; then echo "architecture: dependency rules hold"; fi
exit "$fail"
