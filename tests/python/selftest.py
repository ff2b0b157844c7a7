#!/usr/bin/env python3
"""Offline self-test of simplechain_client: no server needed.

Builds small chains here, checks that ``verify_chain`` accepts them, then
breaks one consensus rule at a time -- re-mining the blocks, so that exactly
that rule is broken -- and checks that the verifier names it. Also runs the
Ed25519 self-test. Ends with ``N passed, M failed``; exits 1 on any failure.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace

import ed25519_ref
from simplechain_client import (
    BLOCK_REWARD, U64_MAX, ZERO_HASH, Block, ChainInvalid, KeyPair, chain_to_json,
    header_message, leading_zero_bits, meets_difficulty, merkle_path, merkle_root, mine_template,
    parse_block_event, parse_tip_event, parse_u64, verify_chain, verify_proof,
)

D = 4  # low, so that mining here is instant
T0 = 1_763_900_000_000

treasury, alice, bob, carol, miner = (KeyPair(bytes([i]) * 32) for i in range(1, 6))


def build(blocks: list[dict], genesis_reward: int = 1_000_000, genesis: dict | None = None) -> list[Block]:
    """Mine a chain. Each block spec has ``txs`` as (key, receiver address, amount, nonce)
    tuples, signed once the chain id is known, and may override any header field or
    transform its signed transactions with ``edit``."""
    g = {"height": 0, "prev_hash": ZERO_HASH, "timestamp": T0, "difficulty": D, "miner": treasury.address,
         "reward": genesis_reward, **(genesis or {})}
    chain = [Block.mine(g["height"], g["prev_hash"], g["timestamp"], g["difficulty"], g["miner"], g["reward"],
                        g.get("txs", ()), None if not g.get("txs") else "0" * 64)]
    chain_id = chain[0].hash
    for spec in blocks:
        previous = chain[-1]
        txs = [key.transfer(chain_id, receiver, amount, nonce) for key, receiver, amount, nonce in spec.get("txs", ())]
        txs = spec.get("edit", lambda t: t)(txs)
        chain.append(Block.mine(spec.get("height", previous.height + 1), spec.get("prev_hash", previous.hash),
                                spec.get("timestamp", previous.timestamp + 1000), spec.get("difficulty", g["difficulty"]),
                                spec.get("miner", miner.address), spec.get("reward", BLOCK_REWARD), txs, chain_id))
    return chain


GOOD = [
    {"txs": [(treasury, alice.address, 1000, 0), (treasury, bob.address, 500, 1)]},
    # bob spends, in the same block, what alice sends him first: transactions apply in order.
    {"txs": [(alice, bob.address, 300, 0), (bob, alice.address, 800, 0), (alice, carol.address, 1, 1)]},
    {},
    {"txs": [(treasury, carol.address, n + 1, 2 + n) for n in range(5)], "miner": alice.address},
]


def main() -> int:
    passed = failed = 0

    def check(condition: bool, name: str, why: str = "") -> None:
        nonlocal passed, failed
        if condition:
            passed += 1
            print(f"ok - {name}")
        else:
            failed += 1
            print(f"not ok - {name}" + (f": {why}" if why else ""))

    def rejects(chain, expected_height: int, reason_part: str, name: str, **kwargs) -> None:
        try:
            verify_chain(chain, **kwargs)
        except ChainInvalid as e:
            check(e.height == expected_height and reason_part in e.reason, f"rejects {name}", str(e))
        else:
            check(False, f"rejects {name}", "accepted")

    print("# --- Ed25519")
    ed_failures = ed25519_ref._self_test()
    check(ed_failures == 0, "the Ed25519 self-test passes")

    print("# --- encodings, Merkle root, proof of work")
    check(parse_u64("0") == 0 and parse_u64(str(U64_MAX)) == U64_MAX, "parse_u64 reads 0 and 2^64-1")
    for text in ("", "01", "-1", "+1", "1.0", str(U64_MAX + 1), " 1", "١"):
        try:
            parse_u64(text)
            check(False, f"parse_u64 refuses {text!r}")
        except ValueError:
            check(True, f"parse_u64 refuses {text!r}")
    leaves = [hashlib.sha256(f"tx{i}".encode()).digest() for i in range(3)]
    h = lambda a, b: hashlib.sha256(a + b).digest()  # noqa: E731
    check(merkle_root([]) == ZERO_HASH, "Merkle root of nothing is 64 zeros")
    check(merkle_root([leaves[0].hex()]) == leaves[0].hex(), "one leaf is its own root")
    check(merkle_root([x.hex() for x in leaves]) == h(h(leaves[0], leaves[1]), h(leaves[2], leaves[2])).hex(),
          "an odd level pairs its last node with itself")
    check(leading_zero_bits("0" * 64) == 256 and leading_zero_bits("8" + "0" * 63) == 0
          and leading_zero_bits("0f" + "f" * 62) == 4, "leading_zero_bits")
    check(meets_difficulty("f" * 64, 0) and meets_difficulty("0" * 64, 255), "difficulty 0 and 255")
    check(header_message(1, "a" * 64, 5, 16, "b" * 64, 50, "c" * 64, 7)
          == f"simplechain/block/v1:1:{'a' * 64}:5:16:{'b' * 64}:50:{'c' * 64}:7".encode(), "header_message")
    check(parse_tip_event("EVENT:TIP:12:" + "ab" * 32) == (12, "ab" * 32), "parse_tip_event")
    check(parse_block_event("EVENT:BLOCK:3:" + "ab" * 32 + ":" + "cd" * 32 + ":side") == (3, "ab" * 32, "cd" * 32, False),
          "parse_block_event")

    # §9: the 5-leaf proofs and the mined header of the protocol page's test vectors.
    tx_leaves = [hashlib.sha256(f"tx{i}".encode()).hexdigest() for i in range(5)]
    root5 = merkle_root(tx_leaves)
    check(merkle_path(tx_leaves, 4) == ["41b637cfd9eb3e2f60f734f9ca44e5c1559c6f481d49d6ed6891f3e9a086ac78",
                                        "58d38b66050691641038c0c04b79e0c67bb34a96a8b37a7c5b502e828ef8592e",
                                        "9db19fd4038d720fb19dec0f50cd6afbafe918851ddbb718773abff9783faeb0"],
          "the Merkle path of index 4 of 5 (vector)")
    check(all(verify_proof(tx_leaves[i], i, merkle_path(tx_leaves, i), root5) for i in range(5)),
          "every proof of the 5-leaf tree folds to its root")
    check(not verify_proof(tx_leaves[1], 0, merkle_path(tx_leaves, 0), root5)
          and not verify_proof(tx_leaves[0], 8, merkle_path(tx_leaves, 0), root5),
          "a proof for another leaf, or an index beyond the path, does not verify")
    vector = mine_template({"height": 1, "prev_hash": hashlib.sha256(b"previous").hexdigest(),
                            "timestamp": 1763900000000, "difficulty": 8, "miner": "11" * 32, "reward": 50,
                            "tx_root": merkle_root(tx_leaves[:3]), "transactions": []})
    check((vector.nonce, vector.hash) == (708, "00fb0499868da43710ae86ad683c80d0935c75cecdbd83e53c83b18db91f2cf1"),
          "mine_template finds nonce 708 of the header vector")

    print("# --- a valid chain")
    chain = build(GOOD)
    state = verify_chain(chain_to_json(chain))
    check(True, "accepts a chain built here")
    check(state.balances == {treasury.address: 1_000_000 - 1515, alice.address: 1000 - 300 + 800 - 1 + 50,
                             bob.address: 500 + 300 - 800, carol.address: 1 + 15, miner.address: 150},
          "balances", repr(state.balances))
    check(state.nonces == {treasury.address: 7, alice.address: 2, bob.address: 1}, "nonces", repr(state.nonces))
    check(state.supply == 1_000_000 + 4 * BLOCK_REWARD and state.height == 4 and state.tip == chain[-1].hash,
          "supply, height and tip")
    check(verify_chain(json.dumps(chain_to_json(chain))).tip == chain[-1].hash, "accepts the chain as JSON text")
    check(verify_chain([chain[0]]).supply == 1_000_000, "accepts a lone genesis")
    check(verify_chain(build([{}], genesis={"difficulty": 0, "reward": 0})).supply == 50,
          "accepts difficulty 0 and a genesis reward of 0")
    top = build([{"txs": [(treasury, alice.address, U64_MAX - 50, 0)]}], genesis_reward=U64_MAX - 50,
                genesis={"miner": treasury.address})
    check(verify_chain(top).balances[alice.address] == U64_MAX - 50, "accepts balances near 2^64")

    print("# --- each rule broken alone")
    rejects({"blocks": []}, 0, "no genesis", "an empty chain")
    rejects({"chain": []}, 0, "blocks", "a document without blocks")
    rejects(build([], genesis={"height": 1}), 0, "genesis height", "a genesis of height 1")
    rejects(build([], genesis={"prev_hash": "1" * 64}), 0, "prev_hash", "a genesis with a prev_hash")
    rejects(build([], genesis={"txs": [treasury.transfer("0" * 64, alice.address, 1, 0)]}), 0,
            "genesis has transactions", "a genesis with a transaction")
    g = build([])[0]
    rejects([replace(g, difficulty=256)], 0, "above 255", "difficulty 256")
    rejects([replace(g, nonce=g.nonce + 1)], 0, "hash does not match", "a genesis with a wrong hash")
    rejects([replace(g, timestamp=g.timestamp + 1)], 0, "hash does not match", "a genesis with an edited header")
    weak = next(b for n in range(10_000)
                if not meets_difficulty((b := replace(g, nonce=n, hash="")).computed_hash(), D))
    rejects([replace(weak, hash=weak.computed_hash())], 0, "leading zero bits", "too little work")

    rejects(build([{"height": 2}]), 1, "height is 2", "a wrong height")
    rejects(build([{"prev_hash": "ab" * 32}]), 1, "prev_hash", "a wrong prev_hash")
    rejects(build([{"difficulty": D + 1}]), 1, "difficulty", "a block with another difficulty")
    rejects(build([{"reward": 51}]), 1, "reward is 51", "a reward of 51")
    rejects(build([{"reward": 0}]), 1, "reward is 0", "a reward of 0")
    rejects(build([{"timestamp": T0 - 1}]), 1, "timestamp", "a timestamp before the previous one")
    check(verify_chain(build([{"timestamp": T0}])).height == 1, "accepts an equal timestamp")
    rejects(build([{"timestamp": 2**62}]), 1, "future", "a block from the far future", now_ms=T0)

    def edited(block_index: int, **fields):
        blocks = build(GOOD)
        blocks[block_index] = replace(blocks[block_index], **fields)
        return blocks

    b2 = build(GOOD)[2]
    rejects(edited(2, transactions=b2.transactions[:2]), 2, "tx_root", "a dropped transaction")
    rejects(edited(2, transactions=b2.transactions[::-1]), 2, "tx_root", "reordered transactions")
    many = tuple([b2.transactions[0]] * 4097)
    chain_id = build([])[0].hash
    big = Block.mine(1, build([])[0].hash, T0, D, miner.address, BLOCK_REWARD, (), None)
    root = merkle_root([t.txid(chain_id) for t in many])
    big = next(b for n in range(100_000) if meets_difficulty(
        (b := replace(big, transactions=many, tx_root=root, nonce=n, hash="")).computed_hash(), D))
    rejects([build([])[0], replace(big, hash=big.computed_hash())], 1, "at most 4096", "4097 transactions")

    def resign_with(key: KeyPair):
        def edit(txs):
            return [replace(t, signature=key.transfer(chain_id, t.receiver, t.amount, t.nonce).signature)
                    for t in txs]
        return edit

    def other_chain(txs):
        return [treasury.transfer("0" * 64, t.receiver, t.amount, t.nonce) for t in txs]

    def malleate(txs):
        t = txs[0]
        s = int.from_bytes(bytes.fromhex(t.signature[64:]), "little") + ed25519_ref.L
        return [replace(t, signature=t.signature[:64] + s.to_bytes(32, "little").hex())]

    pay = [(treasury, alice.address, 10, 0)]
    rejects(build([{"txs": pay, "edit": resign_with(alice)}]), 1, "bad signature", "a signature by another key")
    rejects(build([{"txs": pay, "edit": other_chain}]), 1, "bad signature", "a signature for another chain")
    rejects(build([{"txs": pay, "edit": malleate}]), 1, "bad signature", "a non-canonical S")
    rejects(build([{"txs": [(treasury, alice.address, 0, 0)]}]), 1, "amount is 0", "amount 0")
    rejects(build([{"txs": [(treasury, treasury.address, 5, 0)]}]), 1, "sender is the receiver",
            "a payment to oneself")
    rejects(build([{"txs": [(treasury, alice.address, 5, 1)]}]), 1, "nonce 1, expected 0", "a skipped nonce")
    rejects(build([{"txs": [(treasury, alice.address, 5, 0), (treasury, bob.address, 5, 0)]}]), 1,
            "nonce 0, expected 1", "a reused nonce")
    rejects(build([{"txs": [(treasury, alice.address, 1_000_001, 0)]}]), 1, "exceeds the balance", "an overdraft")
    rejects(build([{"txs": [(alice, bob.address, 1, 0)]}]), 1, "exceeds the balance", "spending from nothing")
    rejects(build([{"txs": [(miner, bob.address, 1, 0)]}]), 1, "exceeds the balance",
            "spending a block's own reward in that block")
    rejects(build([{"miner": alice.address}, {"txs": [(treasury, alice.address, U64_MAX - 10, 0)]}],
                  genesis_reward=U64_MAX), 2, "receiver's balance would overflow", "a receiver overflow")
    rejects(build([{"miner": treasury.address}], genesis_reward=U64_MAX), 1, "miner's balance would overflow",
            "a miner overflow")

    print("# --- malformed JSON")
    good = chain_to_json(build(GOOD[:1]))

    def mangled(path, value):
        doc = json.loads(json.dumps(good))
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return doc

    tx_path = ["blocks", 1, "transactions", 0]
    for name, path, value in [
        ("an amount as a string", tx_path + ["amount"], "1000"),
        ("an amount as a float", tx_path + ["amount"], 1000.0),
        ("a negative amount", tx_path + ["amount"], -1),
        ("an amount of 2^64", tx_path + ["amount"], U64_MAX + 1),
        ("a boolean nonce", tx_path + ["nonce"], False),
        ("an uppercase signature", tx_path + ["signature"], good["blocks"][1]["transactions"][0]["signature"].upper()),
        ("a short receiver", tx_path + ["receiver"], "ab" * 31),
        ("no signature", tx_path + ["signature"], KeyError),
        ("no miner", ["blocks", 1, "miner"], KeyError),
        ("no transactions list", ["blocks", 1, "transactions"], KeyError),
        ("an uppercase hash", ["blocks", 1, "hash"], good["blocks"][1]["hash"].upper()),
        ("a null timestamp", ["blocks", 1, "timestamp"], None),
    ]:
        rejects(mangled(path, value), 1, "malformed", name)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
