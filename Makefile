# SimpleBlockchain: `make run` starts everything, `make test` checks everything.
# Both install what is missing first (idempotently).

SHELL := /bin/bash
CARGO ?= cargo
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run test deps wallet lint bench conformance fuzz-smoke fuzz

## run: build the wallet if needed, then start the server, relay and wallet (`simplechain up`)
run: deps wallet
	$(CARGO) build --release -p simplechain --bin simplechain
	./target/release/simplechain up

## test: formatting, lints, the no_std wasm build, and every test (unit, socket, CLI, browser)
test: deps wallet lint fuzz-smoke
	scripts/check-doc-paths.sh
	$(CARGO) build -p simplechain-core --target wasm32-unknown-unknown --no-default-features --features alloc
	$(CARGO) build -p simplechain --bin simplechain
	python3 tests/python/ed25519_ref.py
	python3 tests/python/selftest.py
	$(CARGO) test --workspace

## deps: toolchain pieces and test tools (wasm32 target, Chromium + ChromeDriver)
deps:
	scripts/install-deps.sh

## wallet: build the browser wallet into dist/ when it is missing or stale
wallet:
	scripts/build-wallet.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## fuzz-smoke: replay the committed fuzz corpus, then fuzz each target for 5 s (cargo-fuzz)
fuzz-smoke:
	scripts/fuzz.sh --smoke

## fuzz: fuzz each target for 60 s (or FUZZ_SECONDS) and print executions per target
fuzz:
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)
