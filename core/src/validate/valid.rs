//! What a check produces: a block's [`Effects`] on the chain state, and the types that
//! carry what was checked ([`ValidBlock`], [`ValidChain`]).

use super::{ChainError, ChainState, Rule};
use crate::block::Block;
use crate::ids::{BlockHash, ChainId, TxId};
use crate::ledger::Ledger;
use crate::transaction::SignatureError;
use alloc::vec::Vec;
use core::fmt;

/// Where a block's signatures stand before its rules are checked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signatures<'a> {
    /// Off the wire: verify each one here, strictly.
    VerifyEach,
    /// Verified beforehand (all cores): the index of the first failure, if any.
    Reported(Option<(usize, SignatureError)>),
    /// Carried by the block's type ([`VerifiedTx`](crate::VerifiedTx)), with the txids in block order.
    Carried(&'a [TxId]),
    /// Not checked: a block from our own store, or the rules-only pass that finds where
    /// a chain breaks before signatures are paid for.
    NotChecked,
}

/// What a block that passed every rule changes: the accounts it touches (their new
/// state), its txids and the new tip. Made by a `check_*` method of [`ChainState`],
/// written by [`ChainState::apply`].
#[derive(Debug, Clone)]
pub struct Effects {
    /// The tip the block was checked on top of.
    pub(super) parent: BlockHash,
    pub(super) hash: BlockHash,
    pub(super) height: u64,
    pub(super) timestamp: u64,
    pub(super) txids: Vec<TxId>,
    /// The new state of every account the block touches.
    pub(super) touched: Ledger,
}

impl Effects {
    /// The txids of the block's transactions, in block order.
    pub fn txids(&self) -> &[TxId] {
        &self.txids
    }
}

/// A block that passed every rule of PROTOCOL §5 on top of its parent, with its txids
/// (computed once, kept beside it). Only [`ChainState::apply`] and
/// [`ChainState::start`] make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidBlock {
    pub(super) block: Block,
    pub(super) txids: Vec<TxId>,
}

impl ValidBlock {
    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// Its hash (checked against its header).
    pub fn hash(&self) -> BlockHash {
        self.block.hash
    }

    /// Its height.
    pub fn height(&self) -> u64 {
        self.block.header.height
    }

    /// The txids of its transactions, in block order.
    pub fn txids(&self) -> &[TxId] {
        &self.txids
    }

    /// The block, without its txids.
    pub fn into_block(self) -> Block {
        self.block
    }

    /// Its transactions, each a [`VerifiedTx`](crate::VerifiedTx): a valid block's
    /// signatures all verified on its chain.
    pub fn verified_transactions(&self) -> impl Iterator<Item = crate::VerifiedTx> + '_ {
        let txs = self.block.transactions.iter();
        txs.zip(&self.txids)
            .map(|(tx, txid)| crate::VerifiedTx::in_valid_block(*tx, *txid))
    }
}

/// A block off the wire whose signatures were verified beforehand for one chain (on all
/// cores, by [`crate::parallel::preverify`], before it waits for its turn): the first
/// failure, if any, is kept and reported by the check at its place among the rules.
#[derive(Debug, Clone)]
pub struct PreverifiedBlock {
    pub(super) block: Block,
    chain_id: ChainId,
    first_bad: Option<(usize, SignatureError)>,
    /// The txids, when the block was built from verified transactions (they need not
    /// be hashed again, nor the Merkle root recomputed).
    txids: Option<Vec<TxId>>,
}

impl PreverifiedBlock {
    /// `block`, whose transaction at `first_bad.0` is the first with a bad signature
    /// on `chain_id` (`None`: all verify). Only the verifiers in this crate make one.
    pub(crate) fn new(
        block: Block,
        chain_id: ChainId,
        first_bad: Option<(usize, SignatureError)>,
    ) -> Self {
        PreverifiedBlock {
            block,
            chain_id,
            first_bad,
            txids: None,
        }
    }

    /// Verifies every signature of `block` for `chain_id`, on this thread.
    pub fn verify(chain_id: ChainId, block: Block) -> Self {
        let first_bad = block
            .transactions
            .iter()
            .enumerate()
            .find_map(|(i, tx)| tx.verify(&chain_id).err().map(|e| (i, e)));
        PreverifiedBlock::new(block, chain_id, first_bad)
    }

    /// A block built from verified transactions (a miner's own block): its signatures'
    /// verdicts and its txids travel with it.
    pub fn from_built(built: crate::template::BuiltBlock, chain_id: ChainId) -> Self {
        let (block, txids) = built.into_parts();
        PreverifiedBlock {
            txids: Some(txids),
            ..PreverifiedBlock::new(block, chain_id, None)
        }
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// The block, without what was found about its signatures.
    pub fn into_block(self) -> Block {
        self.block
    }

    /// How the check treats the signatures: carried (a built block) or as reported,
    /// when they were verified for this chain; verified again otherwise.
    pub(super) fn signatures(&self, chain_id: &ChainId) -> Signatures<'_> {
        match &self.txids {
            _ if self.chain_id != *chain_id => Signatures::VerifyEach,
            Some(txids) => Signatures::Carried(txids),
            None => Signatures::Reported(self.first_bad),
        }
    }
}

/// A whole chain whose every block passed every rule: its blocks as [`ValidBlock`]s
/// and the state after the last one.
#[derive(Debug, Clone)]
pub struct ValidChain {
    state: ChainState,
    blocks: Vec<ValidBlock>,
}

impl ValidChain {
    /// The state after the last block.
    pub fn state(&self) -> &ChainState {
        &self.state
    }

    /// The blocks, genesis first.
    pub fn blocks(&self) -> &[ValidBlock] {
        &self.blocks
    }

    /// The state and the blocks.
    pub fn into_parts(self) -> (ChainState, Vec<ValidBlock>) {
        (self.state, self.blocks)
    }

    /// Replays a chain read back from the server's own store (only [`ValidBlock`]s are
    /// written there): every rule but signatures is checked again, so a damaged store
    /// is caught; [`crate::parallel::validate_owned`] checks signatures too.
    pub fn from_store(blocks: Vec<Block>) -> Result<ValidChain, ChainError> {
        ValidChain::replay(blocks)
    }

    /// Builds the chain block by block, every rule checked but signatures (verified
    /// already, or trusted from our store: see the callers).
    pub(crate) fn replay(blocks: Vec<Block>) -> Result<ValidChain, ChainError> {
        let mut iter = blocks.into_iter();
        let genesis = iter.next().ok_or(ChainError {
            height: 0,
            rule: Rule::EmptyChain,
        })?;
        let (mut state, genesis) = ChainState::start(genesis, None)?;
        let mut valid = Vec::with_capacity(iter.len() + 1);
        valid.push(genesis);
        for block in iter {
            let txids = state.advance(&block, Signatures::NotChecked, None)?;
            valid.push(ValidBlock { block, txids });
        }
        state.check_supply()?;
        Ok(ValidChain {
            state,
            blocks: valid,
        })
    }
}

/// [`ChainState::apply`] was given effects checked on top of another tip, or for
/// another block: a bug in the caller, and nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleEffects;

impl fmt::Display for StaleEffects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the block was checked against another tip")
    }
}

impl core::error::Error for StaleEffects {}
