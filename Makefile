# SimpleBlockchain: `make run` starts everything, `make test` checks everything.
# Both install what is missing first (idempotently); `make run` only what it needs
# to run (no test tools), and says what each step is and how long it may take.

SHELL := /bin/bash
CARGO ?= cargo
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run test run-deps deps wallet lint bench conformance fuzz-smoke fuzz

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

## run: build what is missing, then start the server, relay and wallet (`simplechain up`)
run: run-deps wallet
	@echo "==> step 3/3: the server and CLI (cargo build --release; first time about 3-5 min on 2 cores)"
	$(CARGO) build --release -p simplechain --bin simplechain
	@echo "==> starting: the CLI is ./simplechain (e.g. ./simplechain info) in another terminal"
	$(TARGET_DIR)/release/simplechain up

## test: formatting, lints, the no_std wasm build, and every test (unit, socket, CLI, browser)
test: deps wallet lint fuzz-smoke
	scripts/check-doc-paths.sh
	$(CARGO) build -p simplechain-core --target wasm32-unknown-unknown --no-default-features --features alloc
	$(CARGO) build -p simplechain --bin simplechain
	python3 tests/python/ed25519_ref.py
	python3 tests/python/selftest.py
	$(CARGO) test --workspace

## run-deps: what `make run` needs (the wasm32 target); never a test tool
run-deps:
	@echo "==> step 1/3: toolchain pieces (rustup target wasm32-unknown-unknown)"
	scripts/install-deps.sh run

## deps: what `make test` needs too (rustfmt, clippy, Chromium + ChromeDriver, python3)
deps:
	scripts/install-deps.sh test

## wallet: build the browser wallet into dist/ when it is missing or stale
wallet:
	@echo "==> step 2/3: the browser wallet (scripts/build-wallet.sh; first time 15-20 min on 2 cores, then seconds)"
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
