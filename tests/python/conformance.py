#!/usr/bin/env python3
"""Conformance test of a SimpleChain server against PROTOCOL.md (wire protocol v1).

    python3 conformance.py HOST:PORT [--require-faucet] [--timeout SECONDS] [--max-line BYTES]

Prints one line per check, ``ok - ...`` or ``not ok - ...: why``, ``#`` lines for
notes and skipped checks, and ends with ``N passed, M failed``. Exits 1 if any
check failed (2 on a usage error or when the server cannot be reached).

The run needs the faucet for everything that moves coins; without it those
checks are skipped (or fail, with --require-faucet). It adds at most a few
blocks and transactions to the server's chain, including one block mined here
and handed over with SYNC_BLOCKCHAIN when the difficulty is at most 22 bits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from typing import Callable

from ed25519_ref import L
from simplechain_client import (
    BLOCK_REWARD, ERROR_CODES, MAX_DIFFICULTY, PROTOCOL_VERSION, U64_MAX, ZERO_HASH,
    Block, ChainInvalid, Client, KeyPair, ProtocolError, ServerError, Transaction,
    chain_to_json, merkle_root, parse_chain, parse_error, parse_hostport, parse_tip_event,
    verify_chain,
)

MAX_LOCAL_MINING_BITS = 22  # mining in Python: about 2^22 hashes take several seconds


class Skip(Exception):
    """Ends a step early without failing it; the message says why."""


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, name: str) -> None:
        self.passed += 1
        print(f"ok - {name}", flush=True)

    def fail(self, name: str, why: str) -> None:
        self.failed += 1
        print(f"not ok - {name}: {why}", flush=True)

    def check(self, condition: bool, name: str, why: str = "") -> bool:
        if condition:
            self.ok(name)
        else:
            self.fail(name, why or "check failed")
        return condition

    def equal(self, got, expected, name: str) -> bool:
        return self.check(got == expected, name, f"got {_short(got)}, expected {_short(expected)}")

    def note(self, text: str) -> None:
        print(f"# {text}", flush=True)

    def skip(self, name: str, why: str) -> None:
        print(f"# skip - {name}: {why}", flush=True)


def _short(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def now_ms() -> int:
    return int(time.time() * 1000)


class Conformance:
    def __init__(self, host: str, port: int, timeout: float, require_faucet: bool, max_line: int):
        self.host, self.port = host, port
        self.timeout = timeout
        self.require_faucet = require_faucet
        self.max_line = max_line
        self.report = Report()
        self.client = self.connect()
        self.subscriber: Client | None = None
        self.chain_id = ""
        self.difficulty = 0
        self.alice = KeyPair.generate()  # funded by the faucet
        self.bob = KeyPair.generate()  # receives from alice
        self.funded = False
        self.faucet_disabled = False
        self.faucet_tx: Transaction | None = None
        self.transfer: Transaction | None = None
        self.confirmed_heights: dict[str, int] = {}  # txid -> height, as GET_TRANSACTION reported it
        self.miner = KeyPair.generate()  # for blocks mined here

    # -- plumbing ---------------------------------------------------------

    def connect(self) -> Client:
        return Client(self.host, self.port, timeout=self.timeout)

    def step(self, name: str, function: Callable[[], None]) -> None:
        """Run one group of checks; an exception is one failure, and the rest still run."""
        try:
            function()
        except Skip as reason:
            self.report.skip(name, str(reason))
        except ServerError as e:
            self.report.fail(name, f"unexpected {_short(e.line)}")
        except (ProtocolError, ChainInvalid, ValueError) as e:
            self.report.fail(name, f"{type(e).__name__}: {e}")
        except (OSError, TimeoutError) as e:  # ConnectionError is an OSError
            self.report.fail(name, f"{type(e).__name__}: {e}")
            self.client.close()
            self.client = self.connect()  # a fresh connection for the next step
        except Exception as e:  # a bug here, not in the server: show where
            self.report.fail(name, f"internal error in the test: {e!r}")
            traceback.print_exc(file=sys.stdout)

    def need_funds(self) -> None:
        if not self.funded:
            raise Skip("the faucet transaction was not confirmed" if not self.faucet_disabled
                       else "the faucet is disabled")

    def expect_error(self, name: str, line: str | bytes, *codes: str, client: Client | None = None) -> str | None:
        """Send one request; pass if the answer is ``ERROR:<code>:<text>`` with ``code`` in ``codes``.

        With no ``codes``, any code of §7 passes. Returns the code received.
        """
        client = client or self.client
        if isinstance(line, bytes):
            client.send_raw(line + b"\n")
            response = client.read_response()
        else:
            response = client.request(line)
        error = parse_error(response)
        wanted = "|".join(codes) or "<any code>"
        if error is None:
            self.report.fail(name, f"expected ERROR:{wanted}, got {_short(response)}")
            return None
        if codes and error.code not in codes:
            self.report.fail(name, f"expected ERROR:{wanted}, got {_short(response)}")
        elif error.code not in ERROR_CODES:
            self.report.fail(name, f"{error.code!r} is not an error code of §7: {_short(response)}")
        elif not response.startswith(f"ERROR:{error.code}:") or not error.text:
            self.report.fail(name, f"not of the form ERROR:<code>:<text>: {_short(response)}")
        else:
            self.report.ok(f"{name} -> ERROR:{error.code}")
        return error.code

    def wait_confirmed(self, tx_id: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            record = self.client.get_transaction(tx_id)
            if record["status"] == "confirmed":
                return record
            if time.monotonic() > deadline:
                raise TimeoutError(f"transaction {tx_id} still pending after {self.timeout:.0f} s")
            time.sleep(0.2)

    def check_account(self, name: str, address: str, balance: int, nonce: int,
                      pending_balance: int | None = None, pending_nonce: int | None = None) -> None:
        """GET_ACCOUNT has these values (extra fields, an allowed extension, are ignored)."""
        expected = {"address": address, "balance": balance, "nonce": nonce,
                    "pending_balance": balance if pending_balance is None else pending_balance,
                    "pending_nonce": nonce if pending_nonce is None else pending_nonce}
        account = self.client.get_account(address)
        self.report.equal({key: account[key] for key in expected}, expected, name)

    def fetch_chain(self) -> tuple[dict, list[Block]]:
        document = self.client.get_blockchain()
        return document, parse_chain(document)

    # -- the steps ----------------------------------------------------------

    def basics(self) -> None:
        r = self.report
        self.client.ping()
        r.ok("PING -> PONG")
        info = self.client.get_info()
        r.ok("GET_INFO -> INFO with every field of §6")
        r.equal(info["protocol"], PROTOCOL_VERSION, "INFO protocol is 1")
        r.equal(info["block_reward"], BLOCK_REWARD, "INFO block_reward is 50")
        r.check(info["difficulty"] <= MAX_DIFFICULTY, "INFO difficulty is at most 255", _short(info["difficulty"]))
        self.chain_id, self.difficulty = info["chain_id"], info["difficulty"]
        genesis = self.client.get_blocks(0, 1)
        r.check(len(genesis) == 1 and genesis[0].hash == info["chain_id"],
                "INFO chain_id is the hash of block 0", _short([b.hash for b in genesis]))
        tip = self.client.get_blocks(info["height"], 1)
        r.check(len(tip) == 1 and tip[0].hash == info["tip"] and tip[0].height == info["height"],
                "INFO height and tip name an existing block", _short([(b.height, b.hash) for b in tip]))

    def fresh_account(self) -> None:
        r = self.report
        self.check_account("GET_ACCOUNT of a fresh key is all zeros", self.alice.address, 0, 0)
        upper = self.client.get_account(self.alice.address.upper())
        r.equal(upper["address"], self.alice.address, "GET_ACCOUNT accepts uppercase hex, answers lowercase")

    def faucet(self) -> None:
        r = self.report
        try:
            self.client.faucet(self.alice.address)
        except ServerError as e:
            if e.code == "faucet_disabled":
                self.faucet_disabled = True
                if self.require_faucet:
                    r.fail("FAUCET", f"the faucet is disabled but --require-faucet was given: {_short(e.line)}")
                    return
                r.note(f"FAUCET -> {e.line}: the faucet is disabled; checks that need coins are skipped")
                return
            r.fail("FAUCET", f"expected SUCCESS, got {_short(e.line)}")
            return
        r.ok("FAUCET -> SUCCESS")

        # The faucet transaction is an ordinary signed transaction to alice.
        deadline = time.monotonic() + self.timeout
        while True:
            history = self.client.get_history(self.alice.address)
            if history["items"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if not r.check(len(history["items"]) == 1 and history["total"] == 1,
                       "the faucet transaction is in the receiver's history", _short(history)):
            return
        record = history["items"][0]
        tx: Transaction = record["tx"]
        r.check(tx.receiver == self.alice.address and tx.amount > 0 and tx.sender != tx.receiver,
                "the faucet transaction pays the address asked for", _short(tx))
        r.equal(record["txid"], tx.txid(self.chain_id), "the faucet txid is SHA-256(tx_message)")
        r.check(tx.signature_valid(self.chain_id), "the faucet transaction's signature verifies (Ed25519, strict)")
        self.faucet_tx = tx

        confirmed = self.wait_confirmed(record["txid"])
        r.ok(f"the faucet transaction is confirmed (block {confirmed['height']})")
        self.confirmed_heights[record["txid"]] = confirmed["height"]
        r.equal(confirmed["tx"], tx, "GET_TRANSACTION of the faucet transaction")
        self.check_account("GET_ACCOUNT after the faucet", self.alice.address, tx.amount, 0)
        self.funded = tx.amount >= 8
        if not self.funded:
            r.fail("faucet amount", f"{tx.amount} coins are too few for the rest of the test (8 needed)")

    def transfer_and_history(self) -> None:
        self.need_funds()
        r = self.report
        before = self.client.get_account(self.alice.address)
        amount = before["balance"] // 4
        tx = self.alice.transfer(self.chain_id, self.bob.address, amount, before["pending_nonce"])
        tx_id = tx.txid(self.chain_id)
        self.client.add_transaction(tx)
        r.ok(f"ADD_TRANSACTION (amount {amount}, nonce {tx.nonce}) -> SUCCESS")
        self.transfer = tx

        # pending_* are the same whether or not a block has taken the transaction yet.
        account = self.client.get_account(self.alice.address)
        r.equal((account["pending_balance"], account["pending_nonce"]),
                (before["pending_balance"] - amount, before["pending_nonce"] + 1),
                "GET_ACCOUNT pending_balance and pending_nonce count the new transaction")
        record = self.client.get_transaction(tx_id)
        r.check(record["txid"] == tx_id and record["tx"] == tx,
                f"GET_TRANSACTION right after ADD_TRANSACTION ({record['status']})", _short(record))

        confirmed = self.wait_confirmed(tx_id)
        height = confirmed["height"]
        self.confirmed_heights[tx_id] = height
        r.ok(f"the transfer is confirmed (block {height})")
        r.equal(confirmed["tx"], tx, "GET_TRANSACTION of the confirmed transfer")
        block = self.client.get_blocks(height, 1)[0]
        r.check(tx_id in [t.txid(self.chain_id) for t in block.transactions],
                "the block at the reported height holds the transfer")
        r.equal(block.tx_root, merkle_root(t.txid(self.chain_id) for t in block.transactions),
                "that block's tx_root is the Merkle root of its txids")

        self.check_account("sender's account after confirmation", self.alice.address,
                           before["balance"] - amount, before["nonce"] + 1)
        self.check_account("receiver's account after confirmation", self.bob.address, amount, 0)

        faucet_txid = self.faucet_tx.txid(self.chain_id)
        history = self.client.get_history(self.alice.address)
        r.equal(history["address"], self.alice.address, "GET_HISTORY address")
        r.equal((history["total"], [item["txid"] for item in history["items"]]),
                (2, [tx_id, faucet_txid]), "GET_HISTORY is newest first")
        r.equal([item["height"] for item in history["items"]],
                [height, self.confirmed_heights[faucet_txid]], "GET_HISTORY heights")
        r.equal([item["tx"] for item in history["items"]], [tx, self.faucet_tx], "GET_HISTORY transactions")
        self.check_history_order(self.alice.address)
        history = self.client.get_history(self.bob.address)
        r.equal((history["total"], [item["txid"] for item in history["items"]]), (1, [tx_id]),
                "GET_HISTORY of the receiver")
        pages = [self.client.get_history(self.alice.address, offset, 1) for offset in (0, 1, 2)]
        r.equal([([item["txid"] for item in page["items"]], page["total"]) for page in pages],
                [([tx_id], 2), ([faucet_txid], 2), ([], 2)], "GET_HISTORY paging with offset and limit")

    def check_history_order(self, address: str) -> None:
        """§6: newest first, pending before confirmed."""
        items = self.client.get_history(address)["items"]
        statuses = [item["status"] for item in items]
        heights = [item["height"] for item in items if item["status"] == "confirmed"]
        self.report.check(statuses == sorted(statuses, key=lambda status: status != "pending")
                          and heights == sorted(heights, reverse=True),
                          f"GET_HISTORY lists pending first, then confirmed by falling height ({len(items)} items)",
                          _short([(item["status"], item["height"]) for item in items]))

    def rejected_transactions(self) -> None:
        self.need_funds()
        r, chain_id, alice, bob = self.report, self.chain_id, self.alice, self.bob
        before = (self.client.get_account(alice.address), self.client.get_account(bob.address))
        nonce, spendable = before[0]["pending_nonce"], before[0]["pending_balance"]

        self.expect_error("legacy 4-field ADD_TRANSACTION with a private key",
                          f"ADD_TRANSACTION:{alice.address}:{bob.address}:1:{os.urandom(32).hex()}",
                          "private_key_refused")
        self.expect_error("legacy 4-field ADD_TRANSACTION with a 64-byte secret key",
                          f"ADD_TRANSACTION:{alice.address}:{bob.address}:1:{os.urandom(64).hex()}",
                          "private_key_refused")
        if self.transfer is not None:
            self.expect_error("replayed transaction", self.transfer.request(), "duplicate", "bad_nonce")

        good = alice.transfer(chain_id, bob.address, 1, nonce)
        other = alice.transfer(chain_id, bob.address, 2, nonce)
        self.expect_error("signature over another amount",
                          good.request().rsplit(":", 1)[0] + ":" + other.signature, "bad_signature")
        foreign = alice.transfer(ZERO_HASH, bob.address, 1, nonce)
        self.expect_error("signature for another chain id", foreign.request(), "bad_signature")
        by_bob = bob.sign(good.message(chain_id))
        self.expect_error("signature by another key",
                          good.request().rsplit(":", 1)[0] + ":" + by_bob, "bad_signature")
        r_bytes, s = bytes.fromhex(good.signature[:64]), int.from_bytes(bytes.fromhex(good.signature[64:]), "little")
        malleated = r_bytes.hex() + (s + L).to_bytes(32, "little").hex()
        self.expect_error("non-canonical S (S + L, strict verification)",
                          good.request().rsplit(":", 1)[0] + ":" + malleated, "bad_signature")
        self.expect_error("all-zero signature (small-order R)",
                          good.request().rsplit(":", 1)[0] + ":" + "0" * 128, "bad_signature")

        self.expect_error("amount above the balance",
                          alice.transfer(chain_id, bob.address, spendable + 1, nonce).request(),
                          "insufficient_funds")
        carol = KeyPair.generate()
        self.expect_error("transfer from an empty account",
                          carol.transfer(chain_id, bob.address, 1, 0).request(), "insufficient_funds")
        self.expect_error("amount 0", alice.transfer(chain_id, bob.address, 0, nonce).request(), "invalid_amount")
        code = self.expect_error("sender equal to receiver (no code is specified)",
                                 alice.transfer(chain_id, alice.address, 1, nonce).request())
        r.note(f"sender == receiver was answered with ERROR:{code}")
        self.expect_error("nonce one too high",
                          alice.transfer(chain_id, bob.address, 1, nonce + 1).request(), "bad_nonce")
        if nonce > 0:
            self.expect_error("nonce already used (new content)",
                              alice.transfer(chain_id, bob.address, 3, nonce - 1).request(), "bad_nonce", "duplicate")

        after = (self.client.get_account(alice.address), self.client.get_account(bob.address))
        r.equal(after, before, "rejected transactions change no account")
        r.equal(self.client.get_history(carol.address)["total"], 0, "a rejected sender has no history")

    def malformed_requests(self) -> None:
        r, a, b = self.report, self.alice.address, self.bob.address
        signature = "ab" * 64
        bad = [
            ("ADD_TRANSACTION without fields", "ADD_TRANSACTION"),
            ("ADD_TRANSACTION with 2 fields", f"ADD_TRANSACTION:{a}:{b}"),
            ("ADD_TRANSACTION with 3 fields", f"ADD_TRANSACTION:{a}:{b}:1"),
            ("ADD_TRANSACTION with 6 fields", f"ADD_TRANSACTION:{a}:{b}:1:0:{signature}:x"),
            ("ADD_TRANSACTION with a non-hex sender", f"ADD_TRANSACTION:{'g' * 64}:{b}:1:0:{signature}"),
            ("ADD_TRANSACTION with a short receiver", f"ADD_TRANSACTION:{a}:{b[:62]}:1:0:{signature}"),
            ("ADD_TRANSACTION with a negative amount", f"ADD_TRANSACTION:{a}:{b}:-1:0:{signature}"),
            ("ADD_TRANSACTION with a word for amount", f"ADD_TRANSACTION:{a}:{b}:five:0:{signature}"),
            ("ADD_TRANSACTION with amount 2^64", f"ADD_TRANSACTION:{a}:{b}:{U64_MAX + 1}:0:{signature}"),
            ("ADD_TRANSACTION with nonce 2^64", f"ADD_TRANSACTION:{a}:{b}:1:{U64_MAX + 1}:{signature}"),
            ("ADD_TRANSACTION with a 127-char signature", f"ADD_TRANSACTION:{a}:{b}:1:0:{signature[:127]}"),
            ("GET_ACCOUNT without an address", "GET_ACCOUNT"),
            ("GET_ACCOUNT with a non-hex address", "GET_ACCOUNT:xyz"),
            ("GET_ACCOUNT with 63 hex digits", f"GET_ACCOUNT:{a[:63]}"),
            ("GET_ACCOUNT with 66 hex digits", f"GET_ACCOUNT:{a}00"),
            ("GET_TRANSACTION with a non-hex txid", "GET_TRANSACTION:zz"),
            ("GET_BLOCKS without a height", "GET_BLOCKS"),
            ("GET_BLOCKS with a word", "GET_BLOCKS:abc"),
            ("GET_BLOCKS with a negative height", "GET_BLOCKS:-1"),
            ("GET_HISTORY with a non-numeric offset", f"GET_HISTORY:{a}:x:10"),
            ("GET_HISTORY with an offset but no limit (they go together)", f"GET_HISTORY:{a}:0"),
        ]
        for name, line in bad:
            self.expect_error(name, line, "bad_request")
        # A disabled faucet may say so before looking at the address.
        faucet_codes = ("bad_request", "faucet_disabled") if self.faucet_disabled else ("bad_request",)
        self.expect_error("FAUCET without an address", "FAUCET", *faucet_codes)
        self.expect_error("FAUCET with a non-hex address", "FAUCET:nothex", *faucet_codes)
        self.expect_error("SYNC_BLOCKCHAIN with text that is not JSON (no code is specified)",
                          "SYNC_BLOCKCHAIN:this is not json", "bad_request", "invalid_chain")
        self.expect_error("a line that is not UTF-8", b"GET_ACCOUNT:\xff\xfe", "bad_request", "unknown_command")
        self.expect_error("GET_TRANSACTION of an unknown txid", f"GET_TRANSACTION:{os.urandom(32).hex()}",
                          "not_found")
        self.expect_error("unknown command", "FROBNICATE", "unknown_command")
        self.expect_error("unknown command with fields", "FROBNICATE:1:2", "unknown_command")

        self.client.send_raw(b"PING\r\n")
        r.equal(self.client.read_response(), "PONG", "a request ended by CRLF is accepted")
        self.client.ping()
        r.ok("the connection survives every bad request")

    def pipelining(self) -> None:
        r = self.report
        lines = ["PING" if i % 2 == 0 else "GET_INFO" for i in range(20)]
        responses = self.client.pipeline(lines)
        r.check(len(responses) == 20 and all(
            response == "PONG" if line == "PING" else response.startswith("INFO:{")
            for line, response in zip(lines, responses)),
            "20 pipelined PING/GET_INFO in one write get 20 responses in order",
            _short([response[:12] for response in responses]))
        lines = ["PING", "FROBNICATE", f"GET_ACCOUNT:{self.bob.address}", "GET_ACCOUNT:zz", "GET_BLOCKS:0:1", "PING"]
        responses = self.client.pipeline(lines)
        expected_starts = ["PONG", "ERROR:unknown_command:", "ACCOUNT:{", "ERROR:bad_request:", "{", "PONG"]
        r.check(all(response.startswith(start) for response, start in zip(responses, expected_starts)),
                "pipelined requests mixed with errors are answered in order",
                _short([response[:24] for response in responses]))

    def subscribe(self) -> None:
        r = self.report
        self.subscriber = self.connect()
        self.subscriber.subscribe()
        r.ok("SUBSCRIBE -> SUCCESS")
        self.subscriber.ping()
        r.ok("a subscribed connection still answers requests")
        start = self.client.get_info()["height"]
        if self.funded:
            tx = self.alice.transfer(self.chain_id, self.bob.address, 1,
                                     self.client.get_account(self.alice.address)["pending_nonce"])
            # §2: input hex is case-insensitive; what is hashed and signed is lowercase.
            response = self.client.request(tx.request().upper())
            if r.equal(response, "SUCCESS", "ADD_TRANSACTION in uppercase hex -> SUCCESS"):
                record = self.client.get_transaction(tx.txid(self.chain_id))
                r.equal(record["tx"], tx, "it is stored in lowercase under the txid of the lowercase message")
            else:
                self.client.add_transaction(tx)  # a block is still wanted
            self.check_history_order(self.alice.address)
            r.note("sent that transaction so that a block is made")
        elif self.difficulty <= MAX_LOCAL_MINING_BITS:
            block = self.mine_and_sync_next_block()
            r.note(f"adopted a locally mined block {block.height} so that the tip changes")
        else:
            raise Skip("no faucet and too high a difficulty to mine here: cannot cause a block")

        deadline = time.monotonic() + self.timeout
        event = None
        while time.monotonic() < deadline:
            line = self.subscriber.next_event(deadline - time.monotonic())
            if line is None:
                break
            height, tip = parse_tip_event(line)
            if height > start:
                event = (height, tip)
                break
        if not r.check(event is not None, "EVENT:TIP arrives for the new block",
                       f"no TIP event above height {start} in {self.timeout:.0f} s"):
            return
        block = self.client.get_blocks(event[0], 1)
        r.check(len(block) == 1 and block[0].hash == event[1], "EVENT:TIP names the block at that height",
                _short([(b.height, b.hash) for b in block]))

    def get_blocks_paging(self) -> None:
        r = self.report
        height = self.client.get_info()["height"]
        everything = self.client.get_blocks(0)
        r.check(min(height + 1, 500) <= len(everything) <= 500
                and [b.height for b in everything] == list(range(len(everything))),
                "GET_BLOCKS:0 gives consecutive blocks from genesis, at most 500",
                f"{len(everything)} blocks for height {height}")
        r.equal([b.height for b in self.client.get_blocks(0, 1)], [0], "GET_BLOCKS:0:1 gives the genesis only")
        if height >= 2:
            r.equal([b.height for b in self.client.get_blocks(1, 2)], [1, 2], "GET_BLOCKS:1:2")
        paged: list[Block] = []
        while len(paged) <= height:
            page = self.client.get_blocks(len(paged), 3)
            if not page or len(page) > 3:
                break
            paged.extend(page)
        r.check([b.height for b in paged][:height + 1] == list(range(height + 1))
                and all(paged[i].prev_hash == paged[i - 1].hash for i in range(1, len(paged))),
                "GET_BLOCKS pages of 3 join into one linked chain", f"{len(paged)} blocks")
        common = min(len(paged), len(everything))
        r.check(paged[:common] == everything[:common], "paged blocks equal the blocks of one big page")
        r.equal(self.client.get_blocks(height + 1000), [], "GET_BLOCKS past the tip gives no blocks")

    def verify_whole_chain(self) -> None:
        r = self.report
        # The chain may grow while we look; retry until GET_INFO agrees with the chain fetched.
        for _attempt in range(10):
            info = self.client.get_info()
            _, blocks = self.fetch_chain()
            if blocks and info["height"] == blocks[-1].height:
                break
        started = time.monotonic()
        state = verify_chain(blocks, now_ms=now_ms())
        n_tx = sum(len(b.transactions) for b in blocks)
        r.ok(f"GET_BLOCKCHAIN passes the independent verifier ({len(blocks)} blocks, {n_tx} transactions, "
             f"difficulty {state.difficulty}, {time.monotonic() - started:.1f} s)")
        r.equal(state.chain_id, info["chain_id"], "the chain id is the genesis hash")
        r.equal((state.height, state.tip), (info["height"], info["tip"]), "GET_INFO height and tip match the chain")
        r.equal(state.difficulty, info["difficulty"], "GET_INFO difficulty is the genesis difficulty")
        valid = self.client.validate_blockchain()
        r.equal(valid, (True, None, None), "VALIDATE_BLOCKCHAIN -> VALID")

        for tx_id, height in self.confirmed_heights.items():
            r.equal(state.tx_heights.get(tx_id), height, f"transaction {tx_id[:16]}... is in block {height}")
        addresses = [self.alice.address, self.bob.address, blocks[0].miner]
        if self.faucet_tx is not None:
            addresses.append(self.faucet_tx.sender)
        for address in dict.fromkeys(addresses):
            account = self.client.get_account(address)
            if self.client.get_info()["height"] != state.height:
                r.note("the chain grew during the account checks; they stop here")
                break
            r.equal((account["balance"], account["nonce"]),
                    (state.balances.get(address, 0), state.nonces.get(address, 0)),
                    f"GET_ACCOUNT {address[:16]}... balance and nonce match the verified chain")

    def sync_blockchain(self) -> None:
        r = self.report
        for attempt in range(3):
            document, blocks = self.fetch_chain()
            try:
                self.client.sync_blockchain(document)
                r.ok("SYNC_BLOCKCHAIN with the server's own chain -> SUCCESS")
                break
            except ServerError as e:
                # not_better is fair only if the server's chain grew after we fetched it.
                grew = self.client.get_info()["height"] != blocks[-1].height
                if not (e.code == "not_better" and grew and attempt < 2):
                    r.fail("SYNC_BLOCKCHAIN with the server's own chain", f"expected SUCCESS, got {_short(e.line)}")
                    break

        info_before = self.client.get_info()
        tampered = json.loads(json.dumps(document))
        with_tx = [i for i, block in enumerate(tampered["blocks"]) if block["transactions"]]
        if with_tx:
            tampered["blocks"][with_tx[-1]]["transactions"][0]["amount"] += 1
            what = f"an amount changed in block {with_tx[-1]}"
        else:
            tampered["blocks"][-1]["timestamp"] += 1
            what = f"the timestamp of block {len(blocks) - 1} changed"
        try:
            verify_chain(tampered)
            r.fail("the tampered chain", "our own verifier accepts it")
        except ChainInvalid:
            pass
        if self.difficulty <= MAX_LOCAL_MINING_BITS:
            # One more block on top, so that the tampered chain has more work than the
            # server's and only its invalidity can be the reason to refuse it.
            top = Block.from_json(tampered["blocks"][-1])
            extra = Block.mine(top.height + 1, top.hash, max(top.timestamp, now_ms()), self.difficulty,
                               KeyPair.generate().address, BLOCK_REWARD, (), self.chain_id)
            tampered["blocks"].append(extra.to_json())
            self.expect_error(f"SYNC_BLOCKCHAIN with {what} (and one more block)",
                              "SYNC_BLOCKCHAIN:" + json.dumps(tampered, separators=(",", ":")), "invalid_chain")
        else:
            self.expect_error(f"SYNC_BLOCKCHAIN with {what}",
                              "SYNC_BLOCKCHAIN:" + json.dumps(tampered, separators=(",", ":")),
                              "invalid_chain", "not_better")
        info_after = self.client.get_info()
        r.check(info_after["height"] >= info_before["height"] and
                self.client.get_blocks(info_before["height"], 1)[0].hash == info_before["tip"],
                "the refused chain changed nothing")
        r.equal(self.client.validate_blockchain(), (True, None, None), "VALIDATE_BLOCKCHAIN still VALID")

    def mine_and_sync_next_block(self) -> Block:
        """Mine a block on the server's tip here and hand it over (retrying if the tip moves)."""
        for attempt in range(3):
            _, blocks = self.fetch_chain()
            top = blocks[-1]
            block = Block.mine(top.height + 1, top.hash, max(top.timestamp, now_ms()), self.difficulty,
                               self.miner.address, BLOCK_REWARD, (), self.chain_id)
            try:
                self.client.sync_blockchain(chain_to_json(blocks + [block]))
                return block
            except ServerError as e:
                if e.code != "not_better" or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def adopt_longer_chain(self) -> None:
        if self.difficulty > MAX_LOCAL_MINING_BITS:
            raise Skip(f"difficulty {self.difficulty} is too high to mine a block here")
        r = self.report
        block = self.mine_and_sync_next_block()
        r.ok(f"SYNC_BLOCKCHAIN with one more block mined here -> SUCCESS (block {block.height})")
        adopted = self.client.get_blocks(block.height, 1)
        r.check(adopted and adopted[0].hash == block.hash, "the server's chain now holds that block",
                _short(adopted))
        account = self.client.get_account(self.miner.address)
        r.check(account["balance"] >= BLOCK_REWARD and account["balance"] % BLOCK_REWARD == 0,
                "its miner was credited the block reward", _short(account))
        if self.subscriber is not None:
            deadline = time.monotonic() + self.timeout
            seen = False
            while not seen and time.monotonic() < deadline:
                line = self.subscriber.next_event(deadline - time.monotonic())
                if line is None:
                    break
                seen = parse_tip_event(line) == (block.height, block.hash)
            r.check(seen, "EVENT:TIP announces the adopted chain", "no matching TIP event")
        r.equal(self.client.validate_blockchain(), (True, None, None), "VALIDATE_BLOCKCHAIN -> VALID after adoption")

    def too_long(self) -> None:
        r = self.report
        with self.connect() as connection:
            line = b"GET_ACCOUNT:" + b"a" * self.max_line + b"\n"
            try:
                connection.send_raw(line)
            except OSError:
                pass  # the server may close before reading it all; its answer may still be there
            try:
                response = connection.read_line()
            except (OSError, TimeoutError) as e:
                r.fail("a request line over the limit", f"no ERROR:too_long before {type(e).__name__}: {e}")
                return
            r.check(response.startswith("ERROR:too_long:"), f"a {len(line)}-byte line -> ERROR:too_long",
                    _short(response))
            try:
                connection.read_line(timeout=5)
                closed = False
            except ConnectionError:  # end of stream, or reset
                closed = True
            except TimeoutError:
                closed = False
            r.check(closed, "the server closes the connection after too_long")
        self.client.ping()
        r.ok("other connections are still served")

    def finish(self) -> None:
        self.client.ping()
        self.report.equal(self.client.events_seen, 0, "no EVENT line on a connection that did not subscribe")

    def run(self) -> int:
        steps = [
            ("basics", self.basics),
            ("fresh account", self.fresh_account),
            ("faucet", self.faucet),
            ("transfer and history", self.transfer_and_history),
            ("rejected transactions", self.rejected_transactions),
            ("malformed requests", self.malformed_requests),
            ("pipelining", self.pipelining),
            ("subscribe", self.subscribe),
            ("GET_BLOCKS paging", self.get_blocks_paging),
            ("verify the whole chain", self.verify_whole_chain),
            ("SYNC_BLOCKCHAIN", self.sync_blockchain),
            ("adopt a longer chain", self.adopt_longer_chain),
            ("verify the whole chain again", self.verify_whole_chain),
            ("too long", self.too_long),
            ("finish", self.finish),
        ]
        for name, function in steps:
            print(f"# --- {name}", flush=True)
            self.step(name, function)
        if self.subscriber is not None:
            self.subscriber.close()
        self.client.close()
        print(f"{self.report.passed} passed, {self.report.failed} failed", flush=True)
        return 1 if self.report.failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", help="HOST:PORT of the server")
    parser.add_argument("--require-faucet", action="store_true", help="a disabled faucet is a failure")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for a confirmation, an event or a response (default 30)")
    parser.add_argument("--max-line", type=int, default=1 << 20,
                        help="the server's request line limit in bytes (default 1 MiB)")
    args = parser.parse_args(argv)
    try:
        host, port = parse_hostport(args.server)
        test = Conformance(host, port, args.timeout, args.require_faucet, args.max_line)
    except (ValueError, OSError) as e:
        print(f"not ok - connect to {args.server}: {e}")
        print("0 passed, 1 failed")
        return 2
    return test.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
