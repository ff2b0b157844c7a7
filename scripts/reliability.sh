#!/usr/bin/env bash
# Everything of docs/RELIABILITY.md, long form, in one command:
#   scripts/reliability.sh [CRASH_CYCLES] [FUZZ_SECONDS]     (defaults 20 and 60)
# The bad-input table, the pipelined SYNC bombs, load and abuse, the disk faults (as
# root), the crash loop and a bounded fuzzing run of every target. Stops at the first
# failure; each part prints its figures.
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
step "disk faults"
cargo test -p simplechain-tests --test disk_faults -- --nocapture --test-threads=1 2>&1 \
  | grep -E '^(disk full|read-only|remount|SKIPPED|test result)|test .* \.\.\. '
step "crash loop, $cycles cycles"
scripts/crash-loop.sh "$cycles" | tail -3
step "fuzzing, ${seconds}s per target"
scripts/fuzz.sh "$seconds" | tail -4
