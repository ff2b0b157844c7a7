#!/usr/bin/env python3
"""Print cross-implementation test vectors as JSON (see the keys below).

    seed        bytes 1, 2, ..., 32 (hex)
    chain_id    SHA-256("simplechain test chain")
    address     the public key of seed
    receiver    the public key of the seed of 32 bytes 0x42
    tx_message  for a transfer of amount 5 with nonce 0 (ASCII)
    txid        SHA-256(tx_message)
    signature   Ed25519 of tx_message by seed
    merkle_roots["n"]  Merkle root of the n leaves SHA-256("tx0"), ..., SHA-256("tx<n-1>"),
                       for n = 1, 2, 3, 5
"""

from __future__ import annotations

import hashlib
import json

from simplechain_client import KeyPair, merkle_root, tx_message, txid

AMOUNT, NONCE = 5, 0


def vectors() -> dict:
    seed = bytes(range(1, 33))
    sender = KeyPair(seed)
    receiver = KeyPair(bytes([0x42]) * 32).address
    chain_id = hashlib.sha256(b"simplechain test chain").hexdigest()
    message = tx_message(chain_id, sender.address, receiver, AMOUNT, NONCE)
    leaves = [hashlib.sha256(f"tx{i}".encode()).hexdigest() for i in range(5)]
    return {
        "seed": seed.hex(),
        "chain_id": chain_id,
        "address": sender.address,
        "receiver": receiver,
        "amount": AMOUNT,
        "nonce": NONCE,
        "tx_message": message.decode("ascii"),
        "txid": txid(chain_id, sender.address, receiver, AMOUNT, NONCE),
        "signature": sender.sign(message),
        "merkle_roots": {str(n): merkle_root(leaves[:n]) for n in (1, 2, 3, 5)},
    }


if __name__ == "__main__":
    print(json.dumps(vectors(), indent=2))
