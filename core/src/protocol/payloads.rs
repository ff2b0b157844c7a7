//! The JSON bodies of `INFO:`, `ACCOUNT:`, `TX:`, `HISTORY:` and of chains (§6).

use crate::block::Block;
use crate::ids::{Address, BlockHash, ChainId, TxId};
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
