#!/usr/bin/env bash
# Crash loop, long form: the real server under load from 8 pipelined clients, killed
# with SIGKILL at random moments and restarted, CYCLES times (default 20), checking
# after every restart that no acknowledged transaction was lost and that the chain,
# the supply and the nonces are intact (tests/tests/crash_loop.rs).
#
#   scripts/crash-loop.sh [CYCLES] [--release]
#
# CRASH_SEED=<n> replays the kill times of an earlier run (the seed is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

cycles=20
profile=debug
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    *[!0-9]*) echo "usage: $0 [CYCLES] [--release]" >&2; exit 2 ;;
    *) cycles=$arg ;;
  esac
done

if [ "$profile" = release ]; then
  cargo build --release -p simplechain --bin simplechain
  # Absolute: the tests run from tests/, not from here.
  target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
  export SIMPLECHAIN_BIN=$target/release/simplechain
else
  cargo build -p simplechain --bin simplechain
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
CRASH_CYCLES=$cycles cargo test -p simplechain-tests --test crash_loop -- --nocapture 2>&1 | tee "$log" \
  | grep -E '^(crash loop|cycle |LOST|thread|test result)'
status=${PIPESTATUS[0]}
set -e
echo
if [ "$status" = 0 ]; then
  grep '^crash loop summary' "$log" | sed 's/^crash loop summary: /summary: /'
  acked=$(grep -o '[0-9]* acknowledged transactions' "$log" | tail -1 | grep -o '^[0-9]*')
  echo "cycles: $cycles   acknowledged: ${acked:-?}   lost: 0   ($profile build)"
else
  echo "FAILED: see the output above (replay with the printed CRASH_SEED)"
  lost=$(grep -c '^LOST' "$log" || true)
  echo "cycles: $cycles   lost: $lost"
fi
exit "$status"
