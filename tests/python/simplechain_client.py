"""An independent SimpleChain (wire protocol v1) client and chain verifier.

Written from the protocol specification alone (shared/PROTOCOL.md), with the
Python 3.11 standard library and the pure-Python Ed25519 in ``ed25519_ref``.
Section numbers (§) below refer to that specification.

Contents:

* encodings (§2): canonical hex and u64 forms, checked on everything parsed;
* transactions (§3): ``tx_message``, ``txid``, signing and the ``Transaction``
  record; ``KeyPair`` wraps a 32-byte seed;
* blocks (§4): ``header_message``, ``block_hash``, proof of work,
  ``merkle_root`` and the ``Block`` record;
* ``verify_chain`` (§5): every consensus rule, from scratch;
* ``Connection`` / ``Client`` (§1, §6, §7, §9): line framing, pipelining, events
  after ``SUBSCRIBE``, one method per request with its response parsed and
  shape-checked;
* mining and the block tree (§9): ``mine_template`` (a nonce search with the
  SHA-256 state of the header prefix copied per nonce), ``fold_proof`` and
  ``verify_proof`` for ``GET_PROOF``.

Wire values that break the specification raise ``ProtocolError``; ``ERROR:``
responses raise ``ServerError``; invalid chains raise ``ChainInvalid``.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import ed25519_ref as ed25519

# --------------------------------------------------------------------------
# Constants

PROTOCOL_VERSION = 1
U64_MAX = 2**64 - 1
ZERO_HASH = "0" * 64
BLOCK_REWARD = 50
MAX_BLOCK_TRANSACTIONS = 4096
MAX_DIFFICULTY = 255
MAX_FUTURE_MS = 2 * 60 * 60 * 1000  # §5.6: blocks more than 2 hours ahead are rejected
TX_PREFIX = "simplechain/tx/v1"
BLOCK_PREFIX = "simplechain/block/v1"

ERROR_CODES = frozenset(
    """bad_request unknown_command too_long bad_signature bad_nonce insufficient_funds
    invalid_amount duplicate private_key_refused mempool_full rate_limited busy not_found
    invalid_chain genesis_mismatch not_better reorg_too_deep faucet_disabled internal
    invalid_block unknown_parent""".split()
)


class ProtocolError(Exception):
    """The server sent something the specification does not allow."""


class ServerError(Exception):
    """An ``ERROR:<code>:<text>`` response."""

    def __init__(self, code: str, text: str, line: str):
        super().__init__(line)
        self.code, self.text, self.line = code, text, line


class ChainInvalid(Exception):
    """A chain breaks a consensus rule (§5) at ``height``."""

    def __init__(self, height: int, reason: str):
        super().__init__(f"block {height}: {reason}")
        self.height, self.reason = height, reason


# --------------------------------------------------------------------------
# §2 Encodings

_LOWER_HEX = frozenset("0123456789abcdef")
_DIGITS = frozenset("0123456789")


def is_hex(value: Any, n_bytes: int) -> bool:
    """True for the canonical form: exactly 2*n_bytes lowercase hex characters."""
    return isinstance(value, str) and len(value) == 2 * n_bytes and set(value) <= _LOWER_HEX


def is_address(value: Any) -> bool:
    return is_hex(value, 32)


def is_hash(value: Any) -> bool:
    return is_hex(value, 32)


def is_signature(value: Any) -> bool:
    return is_hex(value, 64)


def is_u64(value: Any) -> bool:
    """A JSON number that is a u64: an integer (not a bool or float) in range."""
    return type(value) is int and 0 <= value <= U64_MAX


def parse_u64(text: str) -> int:
    """Parse the canonical decimal text form of a u64 (no sign, no leading zeros)."""
    if not text or not set(text) <= _DIGITS or (len(text) > 1 and text[0] == "0"):
        raise ValueError(f"not a canonical u64: {text!r}")
    value = int(text)
    if value > U64_MAX:
        raise ValueError(f"u64 out of range: {text!r}")
    return value


def format_u64(value: int) -> str:
    if not is_u64(value):
        raise ValueError(f"not a u64: {value!r}")
    return str(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------
# §3 Transactions


def tx_message(chain_id: str, sender: str, receiver: str, amount: int, nonce: int) -> bytes:
    """The bytes that are signed and hashed: ASCII, no newline."""
    fields = (TX_PREFIX, chain_id, sender, receiver, format_u64(amount), format_u64(nonce))
    return ":".join(fields).encode("ascii")


def txid(chain_id: str, sender: str, receiver: str, amount: int, nonce: int) -> str:
    return sha256_hex(tx_message(chain_id, sender, receiver, amount, nonce))


@dataclass(frozen=True)
class Transaction:
    sender: str
    receiver: str
    amount: int
    nonce: int
    signature: str

    def message(self, chain_id: str) -> bytes:
        return tx_message(chain_id, self.sender, self.receiver, self.amount, self.nonce)

    def txid(self, chain_id: str) -> str:
        return sha256_hex(self.message(chain_id))

    def signature_valid(self, chain_id: str) -> bool:
        return ed25519.verify(bytes.fromhex(self.sender), self.message(chain_id), bytes.fromhex(self.signature))

    def request(self) -> str:
        """The ``ADD_TRANSACTION`` request line (without the newline)."""
        return ":".join(("ADD_TRANSACTION", self.sender, self.receiver,
                         format_u64(self.amount), format_u64(self.nonce), self.signature))

    def to_json(self) -> dict[str, Any]:
        return {"sender": self.sender, "receiver": self.receiver, "amount": self.amount,
                "nonce": self.nonce, "signature": self.signature}

    @classmethod
    def from_json(cls, obj: Any) -> Transaction:
        """Parse and shape-check; extra keys are ignored. Raises ProtocolError."""
        _require_object(obj, "transaction")
        _require(obj, "sender", is_address, "transaction")
        _require(obj, "receiver", is_address, "transaction")
        _require(obj, "amount", is_u64, "transaction")
        _require(obj, "nonce", is_u64, "transaction")
        _require(obj, "signature", is_signature, "transaction")
        return cls(obj["sender"], obj["receiver"], obj["amount"], obj["nonce"], obj["signature"])


class KeyPair:
    """An Ed25519 key from a 32-byte seed; the seed never leaves this object."""

    def __init__(self, seed: bytes):
        if len(seed) != 32:
            raise ValueError("a seed is 32 bytes")
        self._seed = seed
        self.address = ed25519.public_key(seed).hex()

    @classmethod
    def generate(cls) -> KeyPair:
        return cls(os.urandom(32))

    def sign(self, message: bytes) -> str:
        return ed25519.sign(self._seed, message).hex()

    def transfer(self, chain_id: str, receiver: str, amount: int, nonce: int) -> Transaction:
        signature = self.sign(tx_message(chain_id, self.address, receiver, amount, nonce))
        return Transaction(self.address, receiver, amount, nonce, signature)

    def __repr__(self) -> str:
        return f"KeyPair({self.address})"


# --------------------------------------------------------------------------
# §4 Blocks


def header_message(height: int, prev_hash: str, timestamp: int, difficulty: int, miner: str,
                   reward: int, tx_root: str, nonce: int) -> bytes:
    fields = (BLOCK_PREFIX, format_u64(height), prev_hash, format_u64(timestamp), format_u64(difficulty),
              miner, format_u64(reward), tx_root, format_u64(nonce))
    return ":".join(fields).encode("ascii")


def leading_zero_bits(hash_hex: str) -> int:
    return 256 - int(hash_hex, 16).bit_length()


def meets_difficulty(hash_hex: str, difficulty: int) -> bool:
    """Proof of work: the hash, as a big-endian number, has >= difficulty leading zero bits."""
    return leading_zero_bits(hash_hex) >= difficulty


def merkle_root(txids: Iterable[str]) -> str:
    """Root over raw 32-byte txids; an odd level pairs its last node with itself."""
    level = [bytes.fromhex(t) for t in txids]
    if not level:
        return ZERO_HASH
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()


def merkle_parent(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(left + right).digest()


def fold_proof(txid_hex: str, index: int, path: Iterable[str]) -> list[tuple[str, str, str, str]]:
    """§9 GET_PROOF: fold ``path`` up from the txid.

    Returns one (node, sibling, "left"|"right" for the node, parent) per level, in hex.
    """
    node = bytes.fromhex(txid_hex)
    steps = []
    for sibling_hex in path:
        sibling = bytes.fromhex(sibling_hex)
        if index % 2 == 0:
            parent, side = merkle_parent(node, sibling), "left"
        else:
            parent, side = merkle_parent(sibling, node), "right"
        steps.append((node.hex(), sibling_hex, side, parent.hex()))
        node = parent
        index //= 2
    return steps


def verify_proof(txid_hex: str, index: int, path: list[str], tx_root: str) -> bool:
    """Whether folding ``path`` from the txid gives ``tx_root`` (the index must fit the path)."""
    if index < 0 or index >> len(path) != 0:
        return False
    steps = fold_proof(txid_hex, index, path)
    return (steps[-1][3] if steps else txid_hex) == tx_root


def merkle_path(txids: list[str], index: int) -> list[str]:
    """The sibling hashes from the leaf level up for ``txids[index]`` (to check GET_PROOF)."""
    level = [bytes.fromhex(t) for t in txids]
    path = []
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        path.append(level[index ^ 1].hex())
        level = [merkle_parent(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        index //= 2
    return path


@dataclass(frozen=True)
class Block:
    height: int
    prev_hash: str
    timestamp: int
    difficulty: int
    miner: str
    reward: int
    tx_root: str
    nonce: int
    hash: str
    transactions: tuple[Transaction, ...] = ()

    def header_message(self) -> bytes:
        return header_message(self.height, self.prev_hash, self.timestamp, self.difficulty,
                              self.miner, self.reward, self.tx_root, self.nonce)

    def computed_hash(self) -> str:
        return sha256_hex(self.header_message())

    def to_json(self) -> dict[str, Any]:
        return {"height": self.height, "prev_hash": self.prev_hash, "timestamp": self.timestamp,
                "difficulty": self.difficulty, "miner": self.miner, "reward": self.reward,
                "tx_root": self.tx_root, "nonce": self.nonce, "hash": self.hash,
                "transactions": [tx.to_json() for tx in self.transactions]}

    @classmethod
    def from_json(cls, obj: Any) -> Block:
        """Parse and shape-check (all fields required, extra keys ignored). Raises ProtocolError."""
        _require_object(obj, "block")
        for name in ("height", "timestamp", "difficulty", "reward", "nonce"):
            _require(obj, name, is_u64, "block")
        for name in ("prev_hash", "tx_root", "hash"):
            _require(obj, name, is_hash, "block")
        _require(obj, "miner", is_address, "block")
        _require(obj, "transactions", lambda v: isinstance(v, list), "block")
        transactions = tuple(Transaction.from_json(tx) for tx in obj["transactions"])
        return cls(obj["height"], obj["prev_hash"], obj["timestamp"], obj["difficulty"], obj["miner"],
                   obj["reward"], obj["tx_root"], obj["nonce"], obj["hash"], transactions)

    @classmethod
    def mine(cls, height: int, prev_hash: str, timestamp: int, difficulty: int, miner: str,
             reward: int, transactions: Iterable[Transaction], chain_id: str | None,
             start_nonce: int = 0) -> Block:
        """Build a block whose hash meets ``difficulty`` (for tests; fine up to ~20 bits).

        ``chain_id`` is needed for the txids; it is None only for a genesis block.
        """
        transactions = tuple(transactions)
        if transactions and chain_id is None:
            raise ValueError("transactions need a chain id")
        root = merkle_root(tx.txid(chain_id) for tx in transactions) if transactions else ZERO_HASH
        nonce = start_nonce
        while True:
            digest = sha256_hex(header_message(height, prev_hash, timestamp, difficulty, miner, reward, root, nonce))
            if meets_difficulty(digest, difficulty):
                return cls(height, prev_hash, timestamp, difficulty, miner, reward, root, nonce, digest, transactions)
            nonce += 1


def mine_template(template: dict, start_nonce: int = 0, max_tries: int = 1 << 24) -> Block:
    """§9: search a nonce for a ``TEMPLATE:`` body and return the block to submit.

    The header message up to the nonce is the same for every nonce, so its SHA-256
    state is computed once and copied per nonce. Past ``max_tries`` nonces the
    timestamp is raised by 1 ms and the search starts again.
    """
    transactions = tuple(Transaction.from_json(tx) for tx in template["transactions"])
    timestamp = template["timestamp"]
    while True:
        prefix = header_message(template["height"], template["prev_hash"], timestamp, template["difficulty"],
                                template["miner"], template["reward"], template["tx_root"], 0)[:-1]
        state = hashlib.sha256(prefix)
        for nonce in range(start_nonce, start_nonce + max_tries):
            h = state.copy()
            h.update(str(nonce).encode("ascii"))
            digest = h.hexdigest()
            if meets_difficulty(digest, template["difficulty"]):
                return Block(template["height"], template["prev_hash"], timestamp, template["difficulty"],
                             template["miner"], template["reward"], template["tx_root"], nonce, digest,
                             transactions)
        timestamp += 1


def parse_chain(obj: Any) -> list[Block]:
    """``{"blocks":[...]}`` -> blocks. Raises ProtocolError on a malformed document."""
    _require_object(obj, "chain")
    _require(obj, "blocks", lambda v: isinstance(v, list), "chain")
    return [Block.from_json(block) for block in obj["blocks"]]


def chain_to_json(blocks: Iterable[Block]) -> dict[str, Any]:
    return {"blocks": [block.to_json() for block in blocks]}


# --------------------------------------------------------------------------
# §5 Consensus: an independent full verifier


@dataclass
class ChainState:
    """What a valid chain leaves behind."""

    chain_id: str
    difficulty: int
    blocks: list[Block]
    balances: dict[str, int] = field(default_factory=dict)
    nonces: dict[str, int] = field(default_factory=dict)  # transactions sent, per address
    tx_heights: dict[str, int] = field(default_factory=dict)  # txid -> height of its block
    supply: int = 0
    work: int = 0  # Σ 2^difficulty over all blocks, genesis included

    @property
    def height(self) -> int:
        return len(self.blocks) - 1

    @property
    def tip(self) -> str:
        return self.blocks[-1].hash


def verify_chain(chain: Any, now_ms: int | None = None) -> ChainState:
    """Check every consensus rule of §5 from genesis, returning the resulting state.

    ``chain`` is the decoded JSON document, its text, or a list of ``Block``.
    With ``now_ms`` set, blocks more than two hours after it are refused too
    (the rule in §5.6 is relative to a clock, so it is off by default).
    Raises ChainInvalid.
    """
    if isinstance(chain, (str, bytes)):
        try:
            chain = json.loads(chain)
        except ValueError as e:
            raise ChainInvalid(0, f"not JSON: {e}") from None
    if isinstance(chain, list) and all(isinstance(b, Block) for b in chain):
        blocks = list(chain)
    else:
        blocks = []
        raw_blocks = chain.get("blocks") if isinstance(chain, dict) else None
        if not isinstance(raw_blocks, list):
            raise ChainInvalid(0, 'not a {"blocks":[...]} object')
        for index, raw in enumerate(raw_blocks):
            try:
                blocks.append(Block.from_json(raw))
            except ProtocolError as e:
                raise ChainInvalid(index, f"malformed: {e}") from None
    if not blocks:
        raise ChainInvalid(0, "no genesis block")

    genesis = blocks[0]
    state = ChainState(chain_id=genesis.hash, difficulty=genesis.difficulty, blocks=blocks)
    for index, block in enumerate(blocks):
        _apply_block(state, index, block, genesis.reward, now_ms)
    return state


def _apply_block(state: ChainState, index: int, block: Block, genesis_reward: int, now_ms: int | None) -> None:
    """Check block ``index`` against ``state`` (the chain before it) and apply it."""

    def fail(reason: str) -> None:
        raise ChainInvalid(index, reason)

    # Rule 1: the genesis block. Rule 3: every later block.
    if index == 0:
        if block.height != 0:
            fail(f"genesis height is {block.height}")
        if block.prev_hash != ZERO_HASH:
            fail("genesis prev_hash is not 64 zeros")
        if block.transactions:
            fail("genesis has transactions")
        if block.difficulty > MAX_DIFFICULTY:
            fail(f"difficulty {block.difficulty} is above {MAX_DIFFICULTY}")
    else:
        previous = state.blocks[index - 1]
        if block.height != index:
            fail(f"height is {block.height}, expected {index}")
        if block.prev_hash != previous.hash:
            fail("prev_hash is not the previous block's hash")
        if block.difficulty != state.difficulty:
            fail(f"difficulty {block.difficulty} differs from the genesis difficulty {state.difficulty}")
        if block.reward != BLOCK_REWARD:
            fail(f"reward is {block.reward}, expected {BLOCK_REWARD}")
        if block.timestamp < previous.timestamp:
            fail("timestamp is before the previous block's")
    if now_ms is not None and block.timestamp > now_ms + MAX_FUTURE_MS:
        fail("timestamp is more than 2 hours in the future")

    # Rule 2: every block.
    if block.computed_hash() != block.hash:
        fail("hash does not match the header")
    if not meets_difficulty(block.hash, state.difficulty):
        fail(f"hash has fewer than {state.difficulty} leading zero bits")
    if len(block.transactions) > MAX_BLOCK_TRANSACTIONS:
        fail(f"{len(block.transactions)} transactions (at most {MAX_BLOCK_TRANSACTIONS})")
    txids = [tx.txid(state.chain_id) for tx in block.transactions]
    if merkle_root(txids) != block.tx_root:
        fail("tx_root does not match the transactions")

    # Rule 4: transactions in order (cheap checks first, the signature last), then the reward.
    balances, nonces = state.balances, state.nonces
    for position, (tx, tx_id) in enumerate(zip(block.transactions, txids)):
        where = f"transaction {position} ({tx_id})"
        if tx.amount == 0:
            fail(f"{where}: amount is 0")
        if tx.sender == tx.receiver:
            fail(f"{where}: sender is the receiver")
        expected_nonce = nonces.get(tx.sender, 0)
        if tx.nonce != expected_nonce:
            fail(f"{where}: nonce {tx.nonce}, expected {expected_nonce}")
        sender_balance = balances.get(tx.sender, 0)
        if tx.amount > sender_balance:
            fail(f"{where}: amount {tx.amount} exceeds the balance {sender_balance}")
        receiver_balance = balances.get(tx.receiver, 0)
        if receiver_balance + tx.amount > U64_MAX:
            fail(f"{where}: the receiver's balance would overflow u64")
        if not tx.signature_valid(state.chain_id):
            fail(f"{where}: bad signature")
        balances[tx.sender] = sender_balance - tx.amount
        balances[tx.receiver] = receiver_balance + tx.amount
        nonces[tx.sender] = expected_nonce + 1
        state.tx_heights[tx_id] = index  # unique: (sender, nonce) never repeats
    miner_balance = balances.get(block.miner, 0) + block.reward
    if miner_balance > U64_MAX:
        fail("the miner's balance would overflow u64")
    balances[block.miner] = miner_balance

    # Rule 5: the supply, recounted from the balances.
    state.supply = genesis_reward + BLOCK_REWARD * index
    if sum(balances.values()) != state.supply:
        fail("the balances do not add up to the supply")
    state.work += 2**block.difficulty


# --------------------------------------------------------------------------
# Helpers for shape checks


def _require_object(obj: Any, what: str) -> None:
    if not isinstance(obj, dict):
        raise ProtocolError(f"{what} is not a JSON object: {obj!r:.200}")


def _require(obj: dict, key: str, predicate, what: str) -> None:
    if key not in obj:
        raise ProtocolError(f"{what} has no {key!r}")
    if not predicate(obj[key]):
        raise ProtocolError(f"{what} has a bad {key!r}: {obj[key]!r:.200}")


def _loads_object(text: str, what: str) -> dict:
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise ProtocolError(f"{what}: not JSON: {e}") from None
    _require_object(obj, what)
    return obj


def parse_error(line: str) -> ServerError | None:
    """The ServerError an ``ERROR:`` line stands for (None for other lines)."""
    if not line.startswith("ERROR:"):
        return None
    code, _, text = line[len("ERROR:"):].partition(":")
    return ServerError(code, text, line)


def parse_event(line: str) -> tuple[str, list[str]]:
    """``EVENT:<kind>:<fields...>`` -> (kind, fields); checks ``TIP`` events fully."""
    if not line.startswith("EVENT:"):
        raise ProtocolError(f"not an event: {line!r:.200}")
    kind, *fields = line[len("EVENT:"):].split(":")
    if kind == "TIP":
        if len(fields) != 2 or not is_hash(fields[1]):
            raise ProtocolError(f"malformed TIP event: {line!r:.200}")
        parse_u64(fields[0])
    return kind, fields


def parse_tip_event(line: str) -> tuple[int, str]:
    """``EVENT:TIP:<height>:<hash>`` -> (height, hash)."""
    kind, fields = parse_event(line)
    if kind != "TIP":
        raise ProtocolError(f"not a TIP event: {line!r:.200}")
    return parse_u64(fields[0]), fields[1]


def check_info(obj: dict) -> dict:
    for key, predicate in (("protocol", is_u64), ("chain_id", is_hash), ("height", is_u64), ("tip", is_hash),
                           ("difficulty", is_u64), ("block_reward", is_u64), ("mempool", is_u64)):
        _require(obj, key, predicate, "INFO")
    return obj


def check_account(obj: dict) -> dict:
    _require(obj, "address", is_address, "ACCOUNT")
    for key in ("balance", "nonce", "pending_balance", "pending_nonce"):
        _require(obj, key, is_u64, "ACCOUNT")
    return obj


def check_tx_record(obj: Any, what: str = "TX") -> dict:
    """Shape of a ``TX:`` body, also used for history items. Adds a parsed ``tx``."""
    _require_object(obj, what)
    _require(obj, "txid", is_hash, what)
    _require(obj, "status", lambda v: v in ("pending", "confirmed"), what)
    if "height" not in obj:
        raise ProtocolError(f"{what} has no 'height'")
    if obj["status"] == "pending" and obj["height"] is not None:
        raise ProtocolError(f"{what}: a pending transaction has height {obj['height']!r}")
    if obj["status"] == "confirmed" and not is_u64(obj["height"]):
        raise ProtocolError(f"{what}: a confirmed transaction has height {obj['height']!r}")
    if "transaction" not in obj:
        raise ProtocolError(f"{what} has no 'transaction'")
    return dict(obj, tx=Transaction.from_json(obj["transaction"]))


def check_template(obj: dict) -> dict:
    for key in ("height", "timestamp", "difficulty", "reward"):
        _require(obj, key, is_u64, "TEMPLATE")
    for key in ("prev_hash", "tx_root"):
        _require(obj, key, is_hash, "TEMPLATE")
    _require(obj, "miner", is_address, "TEMPLATE")
    _require(obj, "transactions", lambda v: isinstance(v, list), "TEMPLATE")
    for key in ("nonce", "hash"):
        if key in obj:
            raise ProtocolError(f"TEMPLATE carries {key!r}; §9 says it has neither nonce nor hash")
    return obj


def check_submitted(obj: dict) -> dict:
    _require(obj, "hash", is_hash, "SUBMITTED")
    _require(obj, "height", is_u64, "SUBMITTED")
    _require(obj, "status", lambda v: v in ("tip", "side", "known"), "SUBMITTED")
    _require(obj, "replaced", is_u64, "SUBMITTED")
    return obj


def check_tree(obj: dict) -> dict:
    _require(obj, "tip", is_hash, "TREE")
    _require(obj, "blocks", lambda v: isinstance(v, list), "TREE")
    for entry in obj["blocks"]:
        _require_object(entry, "TREE entry")
        for key in ("hash", "prev_hash"):
            _require(entry, key, is_hash, "TREE entry")
        for key in ("height", "timestamp", "transactions"):
            _require(entry, key, is_u64, "TREE entry")
        _require(entry, "miner", is_address, "TREE entry")
        _require(entry, "main", lambda v: isinstance(v, bool), "TREE entry")
    return obj


def check_proof(obj: dict) -> dict:
    for key in ("txid", "block_hash", "tx_root"):
        _require(obj, key, is_hash, "PROOF")
    for key in ("height", "index"):
        _require(obj, key, is_u64, "PROOF")
    _require(obj, "path", lambda v: isinstance(v, list) and all(is_hash(x) for x in v), "PROOF")
    return obj


def parse_block_event(line: str) -> tuple[int, str, str, bool]:
    """``EVENT:BLOCK:<height>:<hash>:<prev_hash>:<main|side>`` -> (height, hash, prev_hash, main)."""
    kind, fields = parse_event(line)
    if kind != "BLOCK" or len(fields) != 4 or not is_hash(fields[1]) or not is_hash(fields[2]) \
            or fields[3] not in ("main", "side"):
        raise ProtocolError(f"not a BLOCK event: {line!r:.200}")
    return parse_u64(fields[0]), fields[1], fields[2], fields[3] == "main"


def check_history(obj: dict) -> dict:
    _require(obj, "address", is_address, "HISTORY")
    _require(obj, "total", is_u64, "HISTORY")
    _require(obj, "items", lambda v: isinstance(v, list), "HISTORY")
    obj["items"] = [check_tx_record(item, "HISTORY item") for item in obj["items"]]
    return obj


# --------------------------------------------------------------------------
# §1 Transport: one TCP connection with line framing


class Connection:
    """Line-framed requests and responses; ``EVENT:`` lines are set aside in ``events``.

    ``request`` sends a line and returns the next non-event line. ``pipeline``
    sends many lines in one write and reads as many responses. Responses are
    returned as raw text; ``Client`` parses them.
    """

    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = bytearray()
        self._scanned = 0  # bytes of _buffer already known to hold no newline
        self.events: collections.deque[str] = collections.deque()
        self.events_seen = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_lines(self, lines: Iterable[str]) -> None:
        self.send_raw(b"".join(line.encode("utf-8") + b"\n" for line in lines))

    def read_line(self, timeout: float | None = None) -> str:
        """The next line from the server, whatever it is, without its ``\\n``.

        Raises ConnectionError on end of stream and TimeoutError after ``timeout``
        seconds (the connection's default when None).
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            end = self._buffer.find(b"\n", self._scanned)
            if end >= 0:
                raw = bytes(self._buffer[:end])
                del self._buffer[:end + 1]
                self._scanned = 0
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise ProtocolError(f"response is not UTF-8: {e}") from None
            self._scanned = len(self._buffer)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete line from the server in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                raise TimeoutError("no complete line from the server in time") from None
            if not chunk:
                raise ConnectionError("the server closed the connection"
                                      + (" mid-line" if self._buffer else ""))
            self._buffer += chunk

    def read_response(self, timeout: float | None = None) -> str:
        """The next line that is not an event; events met on the way are queued."""
        while True:
            line = self.read_line(timeout)
            if line.startswith("EVENT:"):
                self.events.append(line)
                self.events_seen += 1
                continue
            return line

    def request(self, line: str, timeout: float | None = None) -> str:
        self.send_lines([line])
        return self.read_response(timeout)

    def pipeline(self, lines: list[str], timeout: float | None = None) -> list[str]:
        self.send_lines(lines)
        return [self.read_response(timeout) for _ in lines]

    def next_event(self, timeout: float) -> str | None:
        """The next event line, or None after ``timeout`` seconds.

        Only valid when no request is outstanding: any other line is a protocol error.
        """
        if self.events:
            return self.events.popleft()
        try:
            line = self.read_line(timeout)
        except TimeoutError:
            return None
        if not line.startswith("EVENT:"):
            raise ProtocolError(f"unsolicited line: {line!r:.200}")
        self.events_seen += 1
        return line


# --------------------------------------------------------------------------
# §6 Messages


class Client(Connection):
    """One method per request; raises ServerError for ``ERROR:`` and ProtocolError for surprises."""

    def call(self, line: str, timeout: float | None = None) -> str:
        """Send a request and return its response, raising ServerError for ``ERROR:``."""
        response = self.request(line, timeout)
        error = parse_error(response)
        if error is not None:
            raise error
        return response

    def _expect(self, line: str, expected: str, timeout: float | None = None) -> None:
        response = self.call(line, timeout)
        if response != expected:
            raise ProtocolError(f"{line.split(':', 1)[0]}: expected {expected}, got {response!r:.200}")

    def _data(self, line: str, name: str, timeout: float | None = None) -> dict:
        response = self.call(line, timeout)
        if not response.startswith(name + ":"):
            raise ProtocolError(f"expected {name}:<json>, got {response!r:.200}")
        return _loads_object(response[len(name) + 1:], name)

    def ping(self) -> None:
        self._expect("PING", "PONG")

    def get_info(self) -> dict:
        return check_info(self._data("GET_INFO", "INFO"))

    def get_account(self, address: str) -> dict:
        return check_account(self._data(f"GET_ACCOUNT:{address}", "ACCOUNT"))

    def get_transaction(self, tx_id: str) -> dict:
        return check_tx_record(self._data(f"GET_TRANSACTION:{tx_id}", "TX"))

    def get_history(self, address: str, offset: int | None = None, limit: int | None = None) -> dict:
        line = f"GET_HISTORY:{address}"
        if offset is not None or limit is not None:
            line += f":{offset or 0}:{100 if limit is None else limit}"
        return check_history(self._data(line, "HISTORY"))

    def get_blockchain(self, timeout: float | None = None) -> dict:
        """The chain document as JSON (not parsed into blocks: see ``parse_chain``)."""
        response = self.call("GET_BLOCKCHAIN", timeout)
        return _loads_object(response, "GET_BLOCKCHAIN")

    def get_blocks(self, from_height: int, limit: int | None = None) -> list[Block]:
        line = f"GET_BLOCKS:{from_height}" + ("" if limit is None else f":{limit}")
        return parse_chain(_loads_object(self.call(line), "GET_BLOCKS"))

    def sync_blockchain(self, chain: dict | str, timeout: float | None = None) -> None:
        text = chain if isinstance(chain, str) else json.dumps(chain, separators=(",", ":"))
        self._expect("SYNC_BLOCKCHAIN:" + text, "SUCCESS", timeout)

    def validate_blockchain(self, timeout: float | None = None) -> tuple[bool, int | None, str | None]:
        """(True, None, None) for ``VALID``; (False, height, reason) for ``INVALID:<height>:<reason>``."""
        response = self.call("VALIDATE_BLOCKCHAIN", timeout)
        if response == "VALID":
            return True, None, None
        if response.startswith("INVALID:"):
            height, _, reason = response[len("INVALID:"):].partition(":")
            return False, parse_u64(height), reason
        raise ProtocolError(f"VALIDATE_BLOCKCHAIN: unexpected {response!r:.200}")

    def subscribe(self) -> None:
        self._expect("SUBSCRIBE", "SUCCESS")

    def faucet(self, address: str) -> None:
        self._expect(f"FAUCET:{address}", "SUCCESS")

    def add_transaction(self, tx: Transaction) -> None:
        self._expect(tx.request(), "SUCCESS")

    # -- §9 mining by anyone, the block tree

    def get_template(self, miner: str) -> dict:
        return check_template(self._data(f"GET_TEMPLATE:{miner}", "TEMPLATE"))

    def submit_block(self, block: Block | dict | str) -> dict:
        """``SUBMITTED:`` body; ServerError for ``invalid_block``, ``unknown_parent``, ..."""
        if isinstance(block, Block):
            block = block.to_json()
        text = block if isinstance(block, str) else json.dumps(block, separators=(",", ":"))
        return check_submitted(self._data("SUBMIT_BLOCK:" + text, "SUBMITTED"))

    def get_tree(self, from_height: int | None = None) -> dict:
        line = "GET_TREE" if from_height is None else f"GET_TREE:{from_height}"
        return check_tree(self._data(line, "TREE"))

    def get_block(self, block_hash: str) -> tuple[Block, bool]:
        """(block, main) for any block of the tree."""
        obj = self._data(f"GET_BLOCK:{block_hash}", "BLOCK")
        _require(obj, "main", lambda v: isinstance(v, bool), "BLOCK")
        return Block.from_json(obj), obj["main"]

    def get_proof(self, tx_id: str) -> dict:
        return check_proof(self._data(f"GET_PROOF:{tx_id}", "PROOF"))

    def subscribe_blocks(self) -> None:
        self._expect("SUBSCRIBE:BLOCKS", "SUCCESS")


def parse_hostport(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)
