#!/usr/bin/env bash
# Coverage-guided fuzzing of the protocol and the chain (cargo-fuzz, libFuzzer).
#
#   scripts/fuzz.sh [SECONDS]     fuzz each target for SECONDS (default 60), print
#                                 executions per target; exits non-zero on a crash
#   scripts/fuzz.sh --smoke       replay the committed corpus, then 5 s per target
#                                 (what `make test` runs)
#
# Targets (fuzz/fuzz_targets/): line_parser, chain_json, sync_structured.
# cargo-fuzz needs nightly flags; this machine has only stable Rust, so the script sets
# RUSTC_BOOTSTRAP=1 (the stable compiler then accepts -Z flags). It installs cargo-fuzz
# when missing. Crashes are saved in fuzz/artifacts/<target>/; new corpus entries go to
# fuzz/work/<target>/ (not committed), seeded from fuzz/corpus/<target>/ (committed).
#
# Env: FUZZ_TARGETS="a b" to run some targets only; FUZZ_SANITIZER (default none: the
# code is safe Rust, so throughput beats ASan; use address to add it);
# FUZZ_JOBS (cargo build jobs).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
seconds=60
case "${1:-}" in
  --smoke) smoke=1; seconds=5 ;;
  "") ;;
  *[!0-9]*) echo "usage: $0 [SECONDS|--smoke]" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac
targets=${FUZZ_TARGETS:-"line_parser chain_json sync_structured"}
sanitizer=${FUZZ_SANITIZER:-none}
export RUSTC_BOOTSTRAP=1
export PATH="$HOME/.cargo/bin:$PATH"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked
fi

build_flags=(-s "$sanitizer")
[ -n "${FUZZ_JOBS:-}" ] && build_flags+=(--jobs "$FUZZ_JOBS")
echo "==> building the fuzz targets (release; overflow checks and debug assertions on in our code; sanitizer: $sanitizer)"
(cd fuzz && cargo fuzz build "${build_flags[@]}" >/dev/null)

summary=()
status=0
for target in $targets; do
  corpus=fuzz/corpus/$target
  work=fuzz/work/$target
  mkdir -p "$corpus" "$work" "fuzz/artifacts/$target"
  log=fuzz/work/$target.log
  if [ "$smoke" = 1 ]; then
    # Every committed input, once: each is a regression check.
    echo "==> $target: replaying $(ls "$corpus" | wc -l) corpus inputs"
    (cd fuzz && cargo fuzz run "${build_flags[@]}" "$target" "corpus/$target" -- -runs=0) \
      >"$log" 2>&1 || { cat "$log"; echo "FAIL: $target crashed on its committed corpus"; status=1; continue; }
  fi
  echo "==> $target: fuzzing for ${seconds}s"
  if (cd fuzz && cargo fuzz run "${build_flags[@]}" "$target" "work/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536) >"$log" 2>&1; then
    outcome=ok
  else
    outcome=CRASH
    status=1
    tail -40 "$log"
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  summary+=("$(printf '%-16s %8ss %12s execs %8s/s  cov %6s  %s' "$target" "$seconds" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$outcome")")
done

echo
echo "fuzz summary (sanitizer: $sanitizer):"
printf '  %s\n' "${summary[@]}"
if [ "$status" != 0 ]; then
  echo "a target crashed: the input is in fuzz/artifacts/<target>/; replay it with"
  echo "  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s $sanitizer <target> artifacts/<target>/<file>)"
fi
exit $status
