#!/usr/bin/env bash
# Builds the browser wallet (web-client/) into dist/ with trunk, release profile and
# wasm-opt, when dist/ is missing or older than its sources (or with --force).
# Installs what is missing first: the wasm32 target, trunk, wasm-bindgen-cli of exactly
# the version in Cargo.lock, and wasm-opt (binaryen, from npm per package-lock.json).
# Nothing is downloaded at build time: Trunk.toml pins the tools and sets offline.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { echo "build-wallet: $*"; }

force=0
[ "${1:-}" = "--force" ] && force=1

# The wallet is stale when any of its inputs is newer than dist/index.html.
inputs=(web-client core/src core/Cargo.toml index.html Trunk.toml Cargo.toml Cargo.lock)
if [ "$force" = 0 ] && [ -f dist/index.html ] &&
  [ -z "$(find "${inputs[@]}" -newer dist/index.html -type f -print -quit)" ]; then
  say "dist/ is up to date (use --force to rebuild)"
  exit 0
fi

wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
pinned=$(sed -n 's/^wasm_bindgen = "\(.*\)"/\1/p' Trunk.toml)
if [ -z "$wasm_bindgen_version" ]; then
  echo "build-wallet: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$pinned" != "$wasm_bindgen_version" ]; then
  echo "build-wallet: Trunk.toml pins wasm-bindgen $pinned but Cargo.lock has $wasm_bindgen_version; update [tools] wasm_bindgen in Trunk.toml" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "installing the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (cargo install; once, about 8-11 min on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wasm_bindgen_version" ]; then
  say "installing wasm-bindgen-cli $wasm_bindgen_version (cargo install; once, about 3-4 min)"
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version_$BINARYEN_VERSION"; then
  say "installing binaryen $BINARYEN_VERSION (wasm-opt) with npm ci (once, under a minute)"
  npm ci --no-audit --no-fund
fi

say "building the wallet: trunk build --release → dist/ (first time about 4-6 min, then about 1 min)"
trunk build --release

for file in dist/*.wasm dist/*.js; do
  say "$(basename "$file"): $(wc -c <"$file") bytes, $(gzip -9 -c "$file" | wc -c) gzipped"
done
total=$(cat dist/*.wasm dist/*.js | wc -c)
say "wasm + JS: $total bytes; gzip -9 each: $(for f in dist/*.wasm dist/*.js; do gzip -9 -c "$f" | wc -c; done | awk '{ s += $1 } END { print s }') bytes"
