//! Building a block from verified transactions: what a miner does before the nonce
//! search (PROTOCOL §4).
//!
//! A [`BlockTemplate`] is the next block's header with nonce 0 and its transactions,
//! each a [`VerifiedTx`]; the Merkle root is computed once here, from the txids the
//! transactions carry. Once a nonce is found, [`BlockTemplate::into_block`] gives a
//! [`BuiltBlock`], which [`ChainState::check_built`] checks without verifying a
//! signature or hashing a transaction again.

use crate::block::{Block, BlockHeader};
use crate::ids::{Address, BlockHash, TxId};
use crate::merkle::merkle_root;
use crate::transaction::VerifiedTx;
use crate::validate::ChainState;
use alloc::vec::Vec;

/// The next block, ready for the nonce search.
#[derive(Debug, Clone)]
pub struct BlockTemplate {
    header: BlockHeader,
    transactions: Vec<VerifiedTx>,
}

/// A block built from a template and its found nonce, with its txids kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltBlock {
    block: Block,
    txids: Vec<TxId>,
}

impl BlockTemplate {
    /// The block after `state`'s tip paying `reward` to `miner`, with these
    /// transactions in order. The timestamp never goes below the tip's.
    pub fn new(
        state: &ChainState,
        miner: Address,
        reward: u64,
        timestamp: u64,
        transactions: Vec<VerifiedTx>,
    ) -> Self {
        let txids: Vec<TxId> = transactions.iter().map(VerifiedTx::txid).collect();
        let header = BlockHeader {
            height: state.height + 1,
            prev_hash: state.tip,
            timestamp: timestamp.max(state.tip_timestamp),
            difficulty: state.difficulty,
            miner,
            reward,
            tx_root: merkle_root(&txids),
            nonce: 0,
        };
        BlockTemplate {
            header,
            transactions,
        }
    }

    /// The template as `GET_TEMPLATE` sends it (PROTOCOL §9).
    pub fn to_wire(&self) -> crate::protocol::Template {
        let h = &self.header;
        crate::protocol::Template {
            height: h.height,
            prev_hash: h.prev_hash,
            timestamp: h.timestamp,
            difficulty: h.difficulty,
            miner: h.miner,
            reward: h.reward,
            tx_root: h.tx_root,
            transactions: self.transactions.iter().map(|v| *v.tx()).collect(),
        }
    }

    /// The header to mine (nonce 0).
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// The block with the found `nonce`, whose header hashes to `hash` (the miner's
    /// claim, checked with the other rules by [`ChainState::check_built`]). The Merkle
    /// root stays the one computed in [`BlockTemplate::new`], from these very txids.
    pub fn into_block(self, nonce: u64, hash: BlockHash) -> BuiltBlock {
        let header = BlockHeader {
            nonce,
            ..self.header
        };
        let txids = self.transactions.iter().map(VerifiedTx::txid).collect();
        let transactions = self.transactions.iter().map(|v| *v.tx()).collect();
        BuiltBlock {
            block: Block::from_mined(header, hash, transactions),
            txids,
        }
    }
}

impl BuiltBlock {
    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// Its txids, in block order.
    pub fn txids(&self) -> &[TxId] {
        &self.txids
    }

    /// The block, without its txids.
    pub fn into_block(self) -> Block {
        self.block
    }

    /// The block and its txids.
    pub fn into_parts(self) -> (Block, Vec<TxId>) {
        (self.block, self.txids)
    }
}
