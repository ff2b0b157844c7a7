//! The JSON bodies of `INFO:`, `ACCOUNT:`, `TX:`, `HISTORY:` and of chains (§6), and
//! of `TEMPLATE:`, `SUBMITTED:`, `TREE:`, `BLOCK:` and `PROOF:` (§9).

use crate::block::Block;
use crate::block::BlockHeader;
use crate::ids::{Address, BlockHash, ChainId, MerkleNode, MerkleRoot, TxId};
use crate::merkle::MerkleProof;
use crate::transaction::Transaction;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// `GET_INFO`: the chain at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    pub protocol: u64,
    pub chain_id: ChainId,
    pub height: u64,
    pub tip: BlockHash,
    pub difficulty: u64,
    pub block_reward: u64,
    pub mempool: u64,
    /// Extension: whether `FAUCET` is enabled (absent from older servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faucet: Option<bool>,
    /// Extension: the server closes a connection that sends nothing for this many
    /// seconds (absent from older servers); a client that stays subscribed while idle
    /// sends a request more often than that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout_secs: Option<u64>,
}

/// `GET_ACCOUNT`: confirmed and pending state of one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub address: Address,
    pub balance: u64,
    pub nonce: u64,
    pub pending_balance: u64,
    /// The nonce the next transaction must carry.
    pub pending_nonce: u64,
}

/// Whether a transaction is in a block yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxStatus {
    Pending,
    Confirmed,
}

/// `GET_TRANSACTION`, and each item of `GET_HISTORY`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInfo {
    pub txid: TxId,
    pub status: TxStatus,
    /// The block's height once confirmed.
    pub height: Option<u64>,
    pub transaction: Transaction,
}

/// How many confirmations a learner should wait for on a chain anyone can mine at the
/// play difficulty before treating a payment as settled (docs/SECURITY.md explains the
/// number: it is about hash power, not time).
pub const SUGGESTED_CONFIRMATIONS: u64 = 6;

impl TxInfo {
    /// Blocks on top of the transaction's block, counting it: 1 once it is in the tip,
    /// 0 while pending. `tip_height` is the main chain's height.
    pub fn confirmations(&self, tip_height: u64) -> u64 {
        self.height
            .map_or(0, |h| tip_height.saturating_sub(h).saturating_add(1))
    }
}

/// `GET_HISTORY`: one page of an address's transactions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub address: Address,
    /// All transactions of the address (pending and confirmed), not just this page.
    pub total: u64,
    pub items: Vec<TxInfo>,
}

/// Extension `GET_MEMPOOL`: one page of the pending transactions, oldest first (the
/// order the miner takes them in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mempool {
    /// All pending transactions, not just this page (the `mempool` of `INFO`).
    pub total: u64,
    pub items: Vec<TxInfo>,
}

/// A chain, or a run of blocks: `{"blocks":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainJson {
    pub blocks: Vec<Block>,
}

/// `GET_TEMPLATE`: the next block without `nonce` and `hash`; the miner searches a
/// nonce for [`Template::header`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub height: u64,
    pub prev_hash: BlockHash,
    pub timestamp: u64,
    pub difficulty: u64,
    pub miner: Address,
    pub reward: u64,
    pub tx_root: MerkleRoot,
    pub transactions: Vec<Transaction>,
}

impl Template {
    /// The header to mine, with `nonce`.
    pub fn header(&self, nonce: u64) -> BlockHeader {
        BlockHeader {
            height: self.height,
            prev_hash: self.prev_hash,
            timestamp: self.timestamp,
            difficulty: self.difficulty,
            miner: self.miner,
            reward: self.reward,
            tx_root: self.tx_root,
            nonce,
        }
    }

    /// The block once `header` (this template's, perhaps with a later timestamp) was
    /// mined to `hash`.
    pub fn into_block(self, header: BlockHeader, hash: BlockHash) -> Block {
        Block {
            header,
            hash,
            transactions: self.transactions,
        }
    }
}

/// Where a submitted block went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockStatus {
    /// It is the main chain's tip now.
    Tip,
    /// Valid, kept on a side branch with no more work than the main chain.
    Side,
    /// Already in the tree; nothing changed.
    Known,
}

impl BlockStatus {
    /// The status as written on the wire: `tip`, `side` or `known`.
    pub const fn as_str(self) -> &'static str {
        match self {
            BlockStatus::Tip => "tip",
            BlockStatus::Side => "side",
            BlockStatus::Known => "known",
        }
    }
}

/// `SUBMIT_BLOCK`: what became of the block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    pub hash: BlockHash,
    pub height: u64,
    pub status: BlockStatus,
    /// Main-chain blocks swapped out for the block's branch (0 when it extends the tip).
    pub replaced: u64,
}

/// One block of `GET_TREE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    pub hash: BlockHash,
    pub prev_hash: BlockHash,
    pub height: u64,
    pub timestamp: u64,
    pub miner: Address,
    /// How many transactions the block carries.
    pub transactions: u64,
    /// On the main chain, or on a side branch.
    pub main: bool,
}

/// `GET_TREE`: the blocks of the tree from a height on, lowest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tree {
    pub tip: BlockHash,
    pub blocks: Vec<TreeEntry>,
}

/// `GET_BLOCK`: any block of the tree, and whether it is on the main chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    #[serde(flatten)]
    pub block: Block,
    pub main: bool,
}

/// `GET_PROOF`: a Merkle inclusion proof for a confirmed transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub txid: TxId,
    pub height: u64,
    pub block_hash: BlockHash,
    pub tx_root: MerkleRoot,
    pub index: u64,
    /// Sibling hashes from the leaf level up.
    pub path: Vec<MerkleNode>,
}

impl Proof {
    /// The proof as [`MerkleProof`], to verify or fold.
    pub fn merkle(&self) -> MerkleProof {
        MerkleProof {
            index: self.index,
            path: self.path.clone(),
        }
    }

    /// Whether folding the path from the txid gives `tx_root`.
    pub fn verify(&self) -> bool {
        self.merkle().verify(&self.txid, &self.tx_root)
    }
}
