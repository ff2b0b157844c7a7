#!/usr/bin/env bash
# Everything of docs/RELIABILITY.md, long form, in one command:
#   scripts/reliability.sh [CRASH_CYCLES] [FUZZ_SECONDS]     (defaults 20 and 60)
# The bad-input table, the pipelined SYNC bombs, load and abuse, issue 11's attacks
# one by one and then 100 hostile connections at once against the release binary
# (server+relay RSS under 1 GiB, a well-behaved client's PING p99 under 100 ms), the
# disk faults (as root), the crash loop and a bounded fuzzing run of every target.
# Stops at the first failure; each part prints its figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-20}
seconds=${2:-60}

step() { printf '\n=== %s\n' "$*"; }

cargo build -p simplechain --bin simplechain
step "bad input table and pipelined SYNC bombs"
cargo test -p simplechain-server --test hostile_input --test fuzz_regressions -- --nocapture 2>&1 \
  | grep -E '^(hostile inputs|pipelined|test result)'
step "load and abuse"
cargo test -p simplechain-server --test server_abuse --test server_limits -- --nocapture 2>&1 \
  | grep -E '^(held and|test result)'
step "issue 11: each attack alone (server, relay)"
cargo test -p simplechain-server --test server_hardening -- --nocapture 2>&1 \
  | grep -E '^(a client|large lines|[0-9]+ bad|faucet|PONG after|test result)'
cargo test -p simplechain-relay --test relay_hardening -- --nocapture --test-threads=1 2>&1 \
  | grep -E '^(test .*(flood|browsers|refused|silent|unread)|test result)' | sed 's/^test [a-z_]* \.\.\. //'
step "issue 11: ${HOSTILE_CONNECTIONS:=100} hostile connections at once (release binary)"
cargo build --release -p simplechain --bin simplechain
SIMPLECHAIN_BIN="${CARGO_TARGET_DIR:-target}/release/simplechain" \
  HOSTILE_CONNECTIONS=$HOSTILE_CONNECTIONS HOSTILE_SECONDS=${HOSTILE_SECONDS:-30} \
  HOSTILE_CHAIN_TXS=${HOSTILE_CHAIN_TXS:-60000} HOSTILE_P99_MS=${HOSTILE_P99_MS:-100} \
  cargo test -p simplechain-tests --test hostile_load -- --nocapture 2>&1 \
  | grep -E '^(hostile load|machine load|test result)'
step "disk faults"
cargo test -p simplechain-tests --test disk_faults -- --nocapture --test-threads=1 2>&1 \
  | grep -E '^(disk full|read-only|remount|SKIPPED|test result)|test .* \.\.\. '
step "crash loop, $cycles cycles"
scripts/crash-loop.sh "$cycles" | tail -3
step "fuzzing, ${seconds}s per target"
scripts/fuzz.sh "$seconds" | tail -4
