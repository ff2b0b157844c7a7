//! Blocks, their hashes and proof of work (PROTOCOL §4).
//!
//! ```text
//! header_message = "simplechain/block/v1:" height ":" prev_hash ":" timestamp ":" difficulty
//!                  ":" miner ":" reward ":" tx_root ":" nonce
//! hash           = SHA-256(header_message)
//! ```
//!
//! Proof of work: the hash, read as a 256-bit big-endian number, has at least
//! `difficulty` leading zero bits.

use crate::ids::{Address, BlockHash, ChainId, MerkleRoot, TxId};
use crate::merkle::merkle_root;
use crate::transaction::Transaction;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use serde::{Deserialize, Serialize};

/// Everything a block's hash commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Position in the chain; genesis is 0.
    pub height: u64,
    /// Hash of the block before; 64 zeros for genesis.
    pub prev_hash: BlockHash,
    /// Milliseconds since the Unix epoch, never below the previous block's.
    pub timestamp: u64,
    /// Leading zero bits the hash must have; the same in every block of a chain.
    pub difficulty: u64,
    /// Credited with `reward` after the block's transactions.
    pub miner: Address,
    /// 50 for every block after genesis; the initial supply in genesis.
    pub reward: u64,
    /// Merkle root of the transactions' txids.
    pub tx_root: MerkleRoot,
    /// Chosen by the miner to satisfy the proof of work.
    pub nonce: u64,
}

/// A block as it travels in JSON: its header, the claimed hash and the transactions.
/// The hash is a claim until [`Block::compute_hash`] confirms it; a block that passed
/// every rule is a [`crate::validate::ValidBlock`].
///
/// ```text
/// {"height":…,"prev_hash":"…","timestamp":…,"difficulty":…,"miner":"…","reward":…,
///  "tx_root":"…","nonce":…,"hash":"…","transactions":[…]}
/// ```
///
/// The JSON is flat (the header's fields, then `hash` and `transactions`), as PROTOCOL §4
/// says; [`BlockJson`] is that shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Everything the hash commits to.
    pub header: BlockHeader,
    /// The hash the sender claims; checked against the header.
    pub hash: BlockHash,
    /// Applied in order.
    pub transactions: Vec<Transaction>,
}

/// The wire shape of a [`Block`]: the header's fields inline, in header order (see
/// [`BlockHeader`] for what each means).
#[derive(Serialize, Deserialize)]
struct BlockJson<T> {
    height: u64,
    prev_hash: BlockHash,
    timestamp: u64,
    difficulty: u64,
    miner: Address,
    reward: u64,
    tx_root: MerkleRoot,
    nonce: u64,
    hash: BlockHash,
    transactions: T,
}

impl Serialize for Block {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let h = &self.header;
        BlockJson {
            height: h.height,
            prev_hash: h.prev_hash,
            timestamp: h.timestamp,
            difficulty: h.difficulty,
            miner: h.miner,
            reward: h.reward,
            tx_root: h.tx_root,
            nonce: h.nonce,
            hash: self.hash,
            transactions: &self.transactions,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let j = BlockJson::<Vec<Transaction>>::deserialize(deserializer)?;
        Ok(Block {
            header: BlockHeader {
                height: j.height,
                prev_hash: j.prev_hash,
                timestamp: j.timestamp,
                difficulty: j.difficulty,
                miner: j.miner,
                reward: j.reward,
                tx_root: j.tx_root,
                nonce: j.nonce,
            },
            hash: j.hash,
            transactions: j.transactions,
        })
    }
}

impl BlockHeader {
    /// The text whose SHA-256 is the block hash.
    pub fn message(&self) -> String {
        let mut s = self.message_without_nonce();
        let _ = write!(s, "{}", self.nonce);
        s
    }

    fn message_without_nonce(&self) -> String {
        let mut s = String::with_capacity(320);
        let _ = write!(
            s,
            "simplechain/block/v1:{}:{}:{}:{}:{}:{}:{}:",
            self.height,
            self.prev_hash,
            self.timestamp,
            self.difficulty,
            self.miner,
            self.reward,
            self.tx_root
        );
        s
    }

    /// SHA-256 of the header message.
    pub fn hash(&self) -> BlockHash {
        BlockHash::from_bytes(crate::sha256(self.message().as_bytes()))
    }

    /// Finds the first nonce from `start` whose hash meets the difficulty, trying at most
    /// `attempts` nonces. Returns the mined header and its hash, or `None` if none of the
    /// tried nonces worked (call again with a later `start`).
    pub fn mine(self, start: u64, attempts: u64) -> Option<(BlockHeader, BlockHash)> {
        crate::nonce_search::NonceSearch::new(self)
            .run(start, attempts)
            .found
    }
}

/// Whether `hash` has at least `difficulty` leading zero bits.
pub fn meets_difficulty(hash: &BlockHash, difficulty: u64) -> bool {
    leading_zero_bits(hash) >= difficulty
}

/// The number of leading zero bits of `hash` read as a big-endian number.
pub fn leading_zero_bits(hash: &BlockHash) -> u64 {
    let mut bits = 0u64;
    for byte in hash.as_bytes() {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + u64::from(byte.leading_zeros());
        }
    }
    bits
}

impl Block {
    /// Recomputes the hash from the header (never trust `self.hash` without this).
    pub fn compute_hash(&self) -> BlockHash {
        self.header.hash()
    }

    /// The txids of the transactions on `chain`, in block order.
    pub fn txids(&self, chain: &ChainId) -> Vec<TxId> {
        self.transactions.iter().map(|tx| tx.txid(chain)).collect()
    }

    /// Recomputes the Merkle root of the transactions.
    pub fn compute_tx_root(&self, chain: &ChainId) -> MerkleRoot {
        merkle_root(&self.txids(chain))
    }

    /// Assembles a block from a mined header.
    pub fn from_mined(
        header: BlockHeader,
        hash: BlockHash,
        transactions: Vec<Transaction>,
    ) -> Self {
        Block {
            header,
            hash,
            transactions,
        }
    }

    /// Mines a genesis block: the initial `supply` to `owner`, at `difficulty`.
    pub fn genesis(owner: Address, supply: u64, difficulty: u64, timestamp: u64) -> Block {
        let header = BlockHeader {
            height: 0,
            prev_hash: BlockHash::ZERO,
            timestamp,
            difficulty,
            miner: owner,
            reward: supply,
            tx_root: MerkleRoot::EMPTY,
            nonce: 0,
        };
        let (header, hash) = mine_fully(header);
        Block::from_mined(header, hash, Vec::new())
    }

    /// Mines the block after `prev` with these transactions (on `chain`).
    pub fn next(
        prev: &Block,
        chain: &ChainId,
        miner: Address,
        timestamp: u64,
        transactions: Vec<Transaction>,
    ) -> Block {
        let header = BlockHeader {
            height: prev.header.height + 1,
            prev_hash: prev.hash,
            timestamp: timestamp.max(prev.header.timestamp),
            difficulty: prev.header.difficulty,
            miner,
            reward: crate::BLOCK_REWARD,
            tx_root: merkle_root(
                &transactions
                    .iter()
                    .map(|t| t.txid(chain))
                    .collect::<Vec<_>>(),
            ),
            nonce: 0,
        };
        let (header, hash) = mine_fully(header);
        Block::from_mined(header, hash, transactions)
    }
}

/// Mines until a nonce is found. At high difficulty this may take very long; the
/// server mines in slices with [`BlockHeader::mine`] instead.
fn mine_fully(header: BlockHeader) -> (BlockHeader, BlockHash) {
    let mut start = 0u64;
    loop {
        if let Some(found) = header.mine(start, 1 << 20) {
            return found;
        }
        start += 1 << 20;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_bits() {
        let mut b = [0u8; 32];
        assert_eq!(leading_zero_bits(&BlockHash::from_bytes(b)), 256);
        b[1] = 0x10;
        assert_eq!(leading_zero_bits(&BlockHash::from_bytes(b)), 11);
        b[0] = 0x80;
        assert_eq!(leading_zero_bits(&BlockHash::from_bytes(b)), 0);
    }

    #[test]
    fn mined_genesis_meets_difficulty_and_hash_matches() {
        let g = Block::genesis(Address::from_bytes([9; 32]), 1000, 8, 1);
        assert_eq!(g.compute_hash(), g.hash);
        assert!(meets_difficulty(&g.hash, 8));
        assert!(
            g.header
                .message()
                .starts_with("simplechain/block/v1:0:0000")
        );
    }
}
