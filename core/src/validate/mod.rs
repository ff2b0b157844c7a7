//! The consensus rules of PROTOCOL §5, applied block by block.
//!
//! [`ChainState`] is what a valid chain leaves behind: its ledger and tip. A block is
//! checked against it in two steps: a `check_*` method reads the state and returns the
//! block's [`Effects`] (or the rule that failed, changing nothing), then
//! [`ChainState::apply`] writes those effects and returns the [`ValidBlock`]. Between
//! the two a server can make the block durable; nothing is cloned.
//!
//! Who checks the signatures is in the types, never a flag:
//! - [`ChainState::check_block`]: a block off the wire; every signature is verified
//!   here, strictly;
//! - [`ChainState::check_built`]: a block built from [`VerifiedTx`](crate::VerifiedTx) (a server's own
//!   block, see [`crate::template`]); the signatures and txids travel with it;
//! - [`ChainState::extend_stored`]: a block read back from the server's own store,
//!   which only ever writes a [`ValidBlock`];
//! - [`crate::parallel`] verifies a whole chain's signatures on all cores first.
//!
//! [`validate_chain`] runs a whole chain from genesis. Each rule is a small function
//! of `checks.rs`; [`checklist`] runs every one of them on one block, without
//! stopping at the first that fails, for the wallet's glass-box explorer.

mod branch;
pub mod checklist;
mod checks;
mod rule;
mod valid;

pub use rule::{ChainError, Rule};
pub(crate) use valid::Signatures;
pub use valid::{Effects, PreverifiedBlock, StaleEffects, ValidBlock, ValidChain};

use crate::BLOCK_REWARD;
use crate::block::Block;
use crate::ids::{BlockHash, ChainId, TxId};
use crate::ledger::{Ledger, UndoLog};
use alloc::vec::Vec;

/// What a valid chain leaves behind.
#[derive(Debug, Clone)]
pub struct ChainState {
    pub chain_id: ChainId,
    pub difficulty: u64,
    /// The genesis reward: the initial supply.
    pub initial_supply: u64,
    pub ledger: Ledger,
    pub height: u64,
    pub tip: BlockHash,
    pub tip_timestamp: u64,
}

impl ChainState {
    /// Checks a genesis block (rule 1 and rule 2) and starts a chain from it.
    /// `now_ms` is the validator's clock (blocks more than 2 hours ahead of it are
    /// refused); `None` skips that check, which depends on the clock, not the chain.
    pub fn genesis(block: &Block, now_ms: Option<u64>) -> Result<Self, ChainError> {
        let fail = |rule| ChainError { height: 0, rule };
        let header = &block.header;
        checks::genesis_height(header).map_err(fail)?;
        checks::genesis_prev_hash(header).map_err(fail)?;
        checks::genesis_transactions(block).map_err(fail)?;
        checks::difficulty_in_range(header).map_err(fail)?;
        check_header(block, header.difficulty, now_ms).map_err(fail)?;
        let chain_id = ChainId::from(block.hash);
        checks::tx_root(header, &[]).map_err(fail)?;
        let mut ledger = Ledger::new();
        ledger
            .credit(header.miner, header.reward, &mut UndoLog::default())
            .map_err(|_| ChainError {
                height: 0,
                rule: Rule::RewardOverflow,
            })?;
        Ok(ChainState {
            chain_id,
            difficulty: header.difficulty,
            initial_supply: header.reward,
            ledger,
            height: 0,
            tip: block.hash,
            tip_timestamp: header.timestamp,
        })
    }

    /// [`ChainState::genesis`], keeping the genesis block as a [`ValidBlock`].
    pub fn start(block: Block, now_ms: Option<u64>) -> Result<(Self, ValidBlock), ChainError> {
        let state = ChainState::genesis(&block, now_ms)?;
        let txids = Vec::new();
        Ok((state, ValidBlock { block, txids }))
    }

    /// The supply after the tip: genesis reward + 50 × height (rule 5).
    pub fn supply(&self) -> u128 {
        u128::from(self.initial_supply) + u128::from(BLOCK_REWARD) * u128::from(self.height)
    }

    /// Checks a block off the wire as the next block (rules 2, 3, 4), verifying every
    /// signature strictly. Changes nothing.
    pub fn check_block(&self, block: &Block, now_ms: Option<u64>) -> Result<Effects, ChainError> {
        self.check(block, Signatures::VerifyEach, now_ms)
    }

    /// Checks a block built from verified transactions (a [`crate::template::BuiltBlock`]):
    /// its signatures were verified and its txids computed when each [`VerifiedTx`](crate::VerifiedTx)
    /// was made, and its Merkle root by its template from those txids, so none of
    /// them is done again. Every other rule is checked.
    pub fn check_built(&self, built: &crate::template::BuiltBlock) -> Result<Effects, ChainError> {
        self.check(built.block(), Signatures::Carried(built.txids()), None)
    }

    /// Checks `block` as the next block and applies it, verifying every signature.
    /// Returns the txids in block order. On error nothing changes.
    pub fn apply_block(
        &mut self,
        block: &Block,
        now_ms: Option<u64>,
    ) -> Result<Vec<TxId>, ChainError> {
        self.advance(block, Signatures::VerifyEach, now_ms)
    }

    /// Writes the effects of `block`, checked by a `check_*` method on this very
    /// state, and returns it as a [`ValidBlock`].
    pub fn apply(
        &mut self,
        block: Block,
        mut effects: Effects,
    ) -> Result<ValidBlock, StaleEffects> {
        if effects.parent != self.tip || effects.hash != block.hash {
            return Err(StaleEffects);
        }
        let txids = core::mem::take(&mut effects.txids);
        self.write(effects);
        Ok(ValidBlock { block, txids })
    }

    pub(super) fn write(&mut self, effects: Effects) {
        self.ledger.overwrite(effects.touched);
        self.height = effects.height;
        self.tip = effects.hash;
        self.tip_timestamp = effects.timestamp;
    }

    /// Rules 2, 3 and 4 for the next block, with signatures as `signatures` says,
    /// on a copy of just the accounts the block touches: nothing here changes.
    pub(crate) fn check(
        &self,
        block: &Block,
        signatures: Signatures<'_>,
        now_ms: Option<u64>,
    ) -> Result<Effects, ChainError> {
        let height = self.check_header_rules(block, now_ms)?;
        let touched_addresses = block
            .transactions
            .iter()
            .flat_map(|tx| [tx.sender, tx.receiver])
            .chain([block.header.miner]);
        let mut touched = self.ledger.subset(touched_addresses);
        let txids = run_transactions(
            &self.chain_id,
            &mut touched,
            block,
            signatures,
            &mut UndoLog::default(),
        )
        .map_err(|rule| ChainError { height, rule })?;
        Ok(Effects {
            parent: self.tip,
            hash: block.hash,
            height,
            timestamp: block.header.timestamp,
            txids,
            touched,
        })
    }

    /// [`ChainState::check`] and the write in one step, on the ledger itself (with an
    /// undo log: on error nothing changes): for validating a whole chain.
    pub(crate) fn advance(
        &mut self,
        block: &Block,
        signatures: Signatures<'_>,
        now_ms: Option<u64>,
    ) -> Result<Vec<TxId>, ChainError> {
        let height = self.check_header_rules(block, now_ms)?;
        let mut undo = UndoLog::default();
        let run = run_transactions(
            &self.chain_id,
            &mut self.ledger,
            block,
            signatures,
            &mut undo,
        );
        let txids = run.map_err(|rule| {
            self.ledger.undo(core::mem::take(&mut undo));
            ChainError { height, rule }
        })?;
        self.height = height;
        self.tip = block.hash;
        self.tip_timestamp = block.header.timestamp;
        Ok(txids)
    }

    /// Rules 2 and 3 for the next block's header; returns its height.
    fn check_header_rules(&self, block: &Block, now_ms: Option<u64>) -> Result<u64, ChainError> {
        let height = self.height + 1;
        let fail = |rule| ChainError { height, rule };
        let header = &block.header;
        checks::height(header, height).map_err(fail)?;
        checks::prev_hash(header, &self.tip).map_err(fail)?;
        checks::difficulty(header, self.difficulty).map_err(fail)?;
        checks::reward(header).map_err(fail)?;
        checks::timestamp(header, self.tip_timestamp).map_err(fail)?;
        checks::transaction_count(block).map_err(fail)?;
        check_header(block, self.difficulty, now_ms).map_err(fail)?;
        Ok(height)
    }

    /// Rule 5: the sum of all balances equals the supply.
    pub fn check_supply(&self) -> Result<(), ChainError> {
        let found = self.ledger.total_balance();
        let expected = self.supply();
        if found != expected {
            return Err(ChainError {
                height: self.height,
                rule: Rule::Supply { expected, found },
            });
        }
        Ok(())
    }
}

/// Rule 4 and the reward: applies the block's transactions to `ledger` in order,
/// recording what changed in `undo`, and returns their txids.
fn run_transactions(
    chain_id: &ChainId,
    ledger: &mut Ledger,
    block: &Block,
    signatures: Signatures<'_>,
    undo: &mut UndoLog,
) -> Result<Vec<TxId>, Rule> {
    let mut txids = Vec::with_capacity(block.transactions.len());
    for (index, tx) in block.transactions.iter().enumerate() {
        let txid = match signatures {
            Signatures::VerifyEach => {
                let message = tx.message(chain_id);
                tx.verify_message(&message)
                    .map_err(|error| Rule::Signature { index, error })?;
                message.txid()
            }
            Signatures::Reported(Some((i, error))) if i == index => {
                return Err(Rule::Signature { index, error });
            }
            Signatures::Carried(ids) if ids.len() == block.transactions.len() => ids[index],
            _ => tx.txid(chain_id),
        };
        ledger
            .apply(tx, undo)
            .map_err(|error| Rule::Transaction { index, error })?;
        txids.push(txid);
    }
    // A built block's root was computed from these txids by its template, once.
    let root_by_construction = matches!(signatures, Signatures::Carried(_));
    if !root_by_construction {
        checks::tx_root(&block.header, &txids)?;
    }
    ledger
        .credit(block.header.miner, block.header.reward, undo)
        .map_err(|_| Rule::RewardOverflow)?;
    Ok(txids)
}

/// Rule 2 for one block's header: the hash, proof of work and the future-time limit.
fn check_header(block: &Block, difficulty: u64, now_ms: Option<u64>) -> Result<(), Rule> {
    let computed = checks::hash(block)?;
    checks::proof_of_work(&computed, difficulty)?;
    match now_ms {
        Some(now) => checks::not_in_future(&block.header, now),
        None => Ok(()),
    }
}

/// Validates a whole chain from genesis, verifying every signature, and returns its
/// final state. `now_ms` as in [`ChainState::genesis`].
pub fn validate_chain(blocks: &[Block], now_ms: Option<u64>) -> Result<ChainState, ChainError> {
    validate_chain_with(blocks, now_ms, |_, _| Signatures::VerifyEach)
}

/// Every rule of PROTOCOL §5 except signatures, over a whole chain: where the chain
/// breaks, if it does, before any signature is paid for. Passing this says nothing
/// about validity; [`crate::parallel`] uses it to bound the signature work.
pub fn check_rules_except_signatures(
    blocks: &[Block],
    now_ms: Option<u64>,
) -> Result<(), ChainError> {
    validate_chain_with(blocks, now_ms, |_, _| Signatures::NotChecked).map(|_| ())
}

/// A whole chain, with the signatures of the block at each position as `signatures`
/// says.
pub(crate) fn validate_chain_with<'a>(
    blocks: &'a [Block],
    now_ms: Option<u64>,
    signatures: impl Fn(usize, &'a Block) -> Signatures<'a>,
) -> Result<ChainState, ChainError> {
    let (genesis, rest) = blocks.split_first().ok_or(ChainError {
        height: 0,
        rule: Rule::EmptyChain,
    })?;
    let mut state = ChainState::genesis(genesis, now_ms)?;
    for (position, block) in rest.iter().enumerate() {
        state.advance(block, signatures(position + 1, block), now_ms)?;
    }
    state.check_supply()?;
    Ok(state)
}
