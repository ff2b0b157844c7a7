#!/usr/bin/env python3
"""Conformance of a SimpleChain server to section 9 of PROTOCOL.md: mining by anyone.

    python3 mining.py HOST:PORT [--timeout SECONDS]

Run it against a server whose own miner is off (``--no-miner``), with a low
difficulty (Python mines every block here) and the faucet on. It mines and
submits blocks from ``GET_TEMPLATE``, makes a fork (two blocks on one parent:
``tip`` then ``side``; a block on the second: ``tip``, ``replaced`` 1), checks
``GET_TREE``, ``GET_BLOCK``, the ``EVENT:`` lines of ``SUBSCRIBE:BLOCKS``, refused
blocks, and verifies ``GET_PROOF`` proofs by folding them here. Prints ``ok``/``not
ok`` lines like conformance.py and ends with ``N passed, M failed``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from conformance import Conformance, Report, Skip, _short
from simplechain_client import (
    BLOCK_REWARD, ZERO_HASH, Block, Client, KeyPair, ProtocolError, ServerError, Transaction, fold_proof,
    merkle_path, merkle_root, mine_template, parse_block_event, parse_error, parse_hostport,
    parse_tip_event, verify_proof,
)

MAX_MINING_BITS = 20  # every block of this run is mined here, in Python


class Mining:
    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.report = Report()
        self.client = self.connect()
        self.events = self.connect()  # SUBSCRIBE:BLOCKS
        self.miner = KeyPair.generate()
        self.rival = KeyPair.generate()
        self.alice = KeyPair.generate()
        self.bob = KeyPair.generate()
        info = self.client.get_info()
        self.chain_id = info["chain_id"]
        self.difficulty = info["difficulty"]

    def connect(self) -> Client:
        return Client(self.host, self.port, timeout=self.timeout)

    # One group of checks; an exception is one failure and the rest still run.
    step = Conformance.step

    # -- helpers

    def expect_events(self, name: str, expected: list[tuple]) -> None:
        """The next event lines are exactly ``expected``: ("TIP", height, hash) or
        ("BLOCK", height, hash, prev_hash, main)."""
        got = []
        for _ in expected:
            line = self.events.next_event(self.timeout)
            if line is None:
                break
            if line.startswith("EVENT:TIP:"):
                got.append(("TIP", *parse_tip_event(line)))
            else:
                got.append(("BLOCK", *parse_block_event(line)))
        self.report.equal(got, expected, name)

    def mine_on(self, template: dict) -> Block:
        return mine_template(template)

    def submit(self, name: str, block: Block, status: str, replaced: int) -> dict:
        answer = self.client.submit_block(block)
        self.report.equal((answer["hash"], answer["height"], answer["status"], answer["replaced"]),
                          (block.hash, block.height, status, replaced), name)
        return answer

    def expect_error(self, name: str, line: str, code: str) -> None:
        response = self.client.request(line)
        error = parse_error(response)
        self.report.check(error is not None and error.code == code and bool(error.text),
                          f"{name} -> ERROR:{code}", f"got {_short(response)}")

    # -- the steps

    def setup(self) -> None:
        r = self.report
        if self.difficulty > MAX_MINING_BITS:
            raise Skip(f"difficulty {self.difficulty} is too high to mine here")
        r.ok(f"difficulty {self.difficulty}: low enough to mine in Python")
        self.events.subscribe_blocks()
        r.ok("SUBSCRIBE:BLOCKS -> SUCCESS")

    def template_and_submit(self) -> None:
        r = self.report
        info = self.client.get_info()
        template = self.client.get_template(self.miner.address)
        r.equal((template["height"], template["prev_hash"], template["difficulty"], template["miner"],
                 template["reward"]),
                (info["height"] + 1, info["tip"], self.difficulty, self.miner.address, BLOCK_REWARD),
                "GET_TEMPLATE extends the tip, for the given miner, reward 50")
        tip_block, main = self.client.get_block(info["tip"])
        r.check(main and template["timestamp"] >= tip_block.timestamp,
                "the template's timestamp is not below the tip's", _short((template, tip_block)))
        txids = [Transaction.from_json(tx).txid(self.chain_id) for tx in template["transactions"]]
        r.equal(template["tx_root"], merkle_root(txids), "the template's tx_root is the root of its txids")
        for n in range(3):
            template = self.client.get_template(self.miner.address)
            block = self.mine_on(template)
            self.submit(f"SUBMIT_BLOCK of a block mined here ({n + 1}/3) -> tip", block, "tip", 0)
            self.expect_events(f"EVENT:TIP then EVENT:BLOCK main for block {block.height}",
                               [("TIP", block.height, block.hash),
                                ("BLOCK", block.height, block.hash, block.prev_hash, True)])
        r.equal(self.client.get_info()["tip"], block.hash, "GET_INFO's tip is the last block submitted")
        self.submit("the same block again -> known", block, "known", 0)
        account = self.client.get_account(self.miner.address)
        r.equal(account["balance"], 3 * BLOCK_REWARD, "the miner was paid 50 per block")

    def fork(self) -> None:
        r = self.report
        template = self.client.get_template(self.miner.address)
        parent = template["prev_hash"]
        first = self.mine_on(template)
        rival_template = dict(template, miner=self.rival.address)
        second = self.mine_on(rival_template)
        r.check(first.hash != second.hash and first.prev_hash == second.prev_hash == parent,
                "two different blocks on the same parent")
        self.submit("the first block on the parent -> tip", first, "tip", 0)
        self.expect_events("EVENT:TIP and EVENT:BLOCK main for the first",
                           [("TIP", first.height, first.hash), ("BLOCK", first.height, first.hash, parent, True)])
        self.submit("the second block on the same parent -> side", second, "side", 0)
        self.expect_events("only EVENT:BLOCK side for the second",
                           [("BLOCK", second.height, second.hash, parent, False)])
        r.equal(self.client.get_info()["tip"], first.hash, "at equal work the block seen first stays main")
        on_second = self.mine_on(self.rival_template_on(second))
        self.submit("a block on the side block -> tip, replaced 1", on_second, "tip", 1)
        # §9: an EVENT:BLOCK for every block that enters the tree; the side block that
        # became main entered earlier and is not announced again.
        self.expect_events("EVENT:TIP then EVENT:BLOCK main for the overtaking block only",
                           [("TIP", on_second.height, on_second.hash),
                            ("BLOCK", on_second.height, on_second.hash, second.hash, True)])
        self.events.ping()
        r.equal(list(self.events.events), [], "no other event line after the switch")
        info = self.client.get_info()
        r.equal((info["height"], info["tip"]), (on_second.height, on_second.hash), "GET_INFO follows the new main")
        r.equal(self.client.get_blocks(second.height, 2)[0].hash, second.hash,
                "GET_BLOCKS serves the new main chain")
        _, first_main = self.client.get_block(first.hash)
        got, second_main = self.client.get_block(second.hash)
        r.equal((first_main, second_main, got.hash), (False, True, second.hash),
                "GET_BLOCK: the replaced block is side now, the second main")
        tree = self.client.get_tree(first.height - 1)
        entries = {e["hash"]: e for e in tree["blocks"]}
        r.equal(tree["tip"], on_second.hash, "GET_TREE's tip")
        r.check(all(h in entries for h in (first.hash, second.hash, on_second.hash)),
                "GET_TREE holds the main and the side branch", _short(tree))
        r.equal([entries[h]["main"] for h in (first.hash, second.hash, on_second.hash)], [False, True, True],
                "GET_TREE marks main and side")
        r.equal(entries[first.hash]["miner"], self.miner.address, "GET_TREE names each block's miner")
        heights = [e["height"] for e in tree["blocks"]]
        r.check(heights == sorted(heights) and min(heights) >= first.height - 1,
                "GET_TREE: lowest height first, from the height asked")
        r.equal(self.client.validate_blockchain(), (True, None, None), "VALIDATE_BLOCKCHAIN -> VALID after the reorg")

    def rival_template_on(self, block: Block) -> dict:
        """A template built here on ``block`` (not the tip): empty, for the rival."""
        return {"height": block.height + 1, "prev_hash": block.hash, "timestamp": block.timestamp,
                "difficulty": self.difficulty, "miner": self.rival.address, "reward": BLOCK_REWARD,
                "tx_root": ZERO_HASH, "transactions": []}

    def refused_blocks(self) -> None:
        template = self.client.get_template(self.miner.address)
        block = self.mine_on(template)
        orphan = self.mine_on(dict(template, prev_hash="ab" * 32))
        self.expect_error("a block whose parent is unknown", "SUBMIT_BLOCK:" + _json(orphan), "unknown_parent")
        wrong_hash = dataclasses.replace(block, hash="00" + block.hash[2:] if block.hash[:2] != "00" else
                                         "01" + block.hash[2:])
        self.expect_error("a block whose hash is not its header's", "SUBMIT_BLOCK:" + _json(wrong_hash),
                          "invalid_block")
        wrong_reward = self.mine_on(dict(template, reward=BLOCK_REWARD + 1))
        self.expect_error("a block with a reward of 51", "SUBMIT_BLOCK:" + _json(wrong_reward), "invalid_block")
        self.expect_error("a payload that is not a block", 'SUBMIT_BLOCK:{"height":1}', "bad_request")
        self.expect_error("GET_BLOCK of an unknown hash", f"GET_BLOCK:{'cd' * 32}", "not_found")
        self.expect_error("GET_PROOF of an unknown txid", f"GET_PROOF:{'cd' * 32}", "not_found")
        self.expect_error("GET_TEMPLATE of a bad address", "GET_TEMPLATE:xyz", "bad_request")
        self.report.equal(self.client.get_info()["tip"], template["prev_hash"], "refused blocks changed nothing")

    def proofs(self) -> None:
        r = self.report
        self.client.faucet(self.alice.address)
        deadline = time.monotonic() + self.timeout
        while not self.client.get_history(self.alice.address)["items"]:
            if time.monotonic() > deadline:
                raise TimeoutError("the faucet payment never appeared")
            time.sleep(0.1)
        faucet_txid = self.client.get_history(self.alice.address)["items"][0]["txid"]
        self.expect_error("GET_PROOF of a pending transaction", f"GET_PROOF:{faucet_txid}", "not_found")
        template = self.client.get_template(self.miner.address)
        block = self.mine_on(template)
        txids = [tx.txid(self.chain_id) for tx in block.transactions]
        r.check(faucet_txid in txids, "the template carries the pending faucet payment", _short(template))
        self.submit("the block with the faucet payment -> tip", block, "tip", 0)
        # Five transfers in one block, so the proofs have several levels.
        for nonce in range(5):
            self.client.add_transaction(self.alice.transfer(self.chain_id, self.bob.address, 1, nonce))
        template = self.client.get_template(self.miner.address)
        block = self.mine_on(template)
        self.submit("a block of five transfers -> tip", block, "tip", 0)
        txids = [tx.txid(self.chain_id) for tx in block.transactions]
        r.check(len(txids) >= 5, "the template carried the five transfers", _short(txids))
        for index, txid in enumerate(txids):
            proof = self.client.get_proof(txid)
            r.equal((proof["txid"], proof["height"], proof["block_hash"], proof["tx_root"], proof["index"]),
                    (txid, block.height, block.hash, block.tx_root, index), f"GET_PROOF {index}: where the tx is")
            r.equal(proof["path"], merkle_path(txids, index), f"GET_PROOF {index}: the path of §9")
            steps = fold_proof(txid, proof["index"], proof["path"])
            r.check(verify_proof(txid, proof["index"], proof["path"], proof["tx_root"]),
                    f"GET_PROOF {index}: folding {len(steps)} levels from the txid gives tx_root")
        header, _ = self.client.get_block(block.hash)
        r.check(header.computed_hash() == block.hash and header.tx_root == block.tx_root,
                "the proofs' tx_root is in the block's header, which hashes to the block hash")
        forged = self.client.get_proof(txids[1])
        r.check(not verify_proof(txids[0], forged["index"], forged["path"], forged["tx_root"]),
                "another txid does not fold to tx_root with that path")


def _json(block: Block) -> str:
    return json.dumps(block.to_json(), separators=(",", ":"))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", help="HOST:PORT of the server")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        host, port = parse_hostport(args.server)
        test = Mining(host, port, args.timeout)
    except (ValueError, OSError, ServerError, ProtocolError) as e:
        print(f"not ok - connect to {args.server}: {e}")
        print("0 passed, 1 failed")
        return 2
    for name, function in (("setup", test.setup), ("template and submit", test.template_and_submit),
                           ("fork", test.fork), ("refused blocks", test.refused_blocks),
                           ("proofs", test.proofs)):
        print(f"# --- {name}", flush=True)
        test.step(name, function)
    test.client.close()
    test.events.close()
    print(f"{test.report.passed} passed, {test.report.failed} failed", flush=True)
    return 1 if test.report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
