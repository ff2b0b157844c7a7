#!/usr/bin/env bash
# Installs what is missing, and nothing else. Safe to run again.
#
#   scripts/install-deps.sh run    what `make run` needs: the Rust toolchain pieces
#                                  (the wasm32 target); trunk and its helpers come
#                                  with scripts/build-wallet.sh
#   scripts/install-deps.sh test   what `make test` needs on top: rustfmt and clippy,
#                                  Debian's Chromium and ChromeDriver (the browser
#                                  tests), python3 (the independent client)
#
# `run` never installs a test tool (tests/tests/first_run.rs checks it).
set -euo pipefail

mode=${1:-}
case "$mode" in
run | test) ;;
*)
  echo "usage: scripts/install-deps.sh run|test" >&2
  exit 2
  ;;
esac

say() { printf '==> %s\n' "$*"; }

command -v rustup >/dev/null || {
  echo "rustup is needed (Rust via https://rustup.rs); see README.md, Before you start" >&2
  exit 1
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target (about 1 min)"
  rustup target add wasm32-unknown-unknown
fi

if [ "$mode" = run ]; then
  say "what make run needs is in place"
  exit 0
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding rustup component $component"
    rustup component add "$component"
  fi
done

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  say "installing Chromium and ChromeDriver (Debian packages) for the browser tests (2-4 min)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

command -v python3 >/dev/null || { echo "python3 is needed for the conformance tests" >&2; exit 1; }
say "what make test needs is in place"
