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
//! - [`ChainState::check_stored`]: a block read back from the server's own store,
//!   which only ever writes a [`ValidBlock`];
//! - [`crate::parallel`] verifies a whole chain's signatures on all cores first.
//!
//! [`validate_chain`] runs a whole chain from genesis.

use crate::block::{Block, leading_zero_bits};
use crate::ids::{BlockHash, ChainId, TxId};
use crate::ledger::{Ledger, TxRuleError, UndoLog};
use crate::merkle::merkle_root;
use crate::transaction::SignatureError;
use crate::{BLOCK_REWARD, MAX_BLOCK_TRANSACTIONS, MAX_FUTURE_DRIFT_MS};
use alloc::vec::Vec;
use core::fmt;

/// The rule a block broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A chain needs at least its genesis block.
    EmptyChain,
    /// Rule 1: genesis has height 0.
    GenesisHeight { found: u64 },
    /// Rule 1: genesis has `prev_hash` = 64 zeros.
    GenesisPrevHash,
    /// Rule 1: genesis has no transactions.
    GenesisTransactions,
    /// Rule 1: difficulty is 0 to 255.
    DifficultyOutOfRange { found: u64 },
    /// Rule 2: the claimed hash is not the header's SHA-256.
    HashMismatch {
        claimed: BlockHash,
        computed: BlockHash,
    },
    /// Rule 2: not enough leading zero bits.
    ProofOfWork { zero_bits: u64, difficulty: u64 },
    /// Rule 2: `tx_root` is not the Merkle root of the txids.
    TxRootMismatch,
    /// Rule 2: more than 4096 transactions.
    TooManyTransactions { count: usize },
    /// Rule 3: height is not the block's position.
    Height { expected: u64, found: u64 },
    /// Rule 3: `prev_hash` is not the previous block's hash.
    PrevHash,
    /// Rule 3: difficulty differs from genesis.
    DifficultyChanged { expected: u64, found: u64 },
    /// Rule 3: reward is not 50.
    Reward { found: u64 },
    /// Rule 3: timestamp below the previous block's.
    TimestampDecreased { previous: u64, found: u64 },
    /// Rule 6: more than 2 hours ahead of the validator's clock.
    TimestampInFuture { found: u64, now: u64 },
    /// Rule 4: a transaction's signature.
    Signature { index: usize, error: SignatureError },
    /// Rule 4: a transaction's amount, nonce, balance or overflow.
    Transaction { index: usize, error: TxRuleError },
    /// Rule 4: crediting the reward would overflow the miner's balance.
    RewardOverflow,
    /// Rule 5: the balances do not add up to genesis reward + 50 × height.
    Supply { expected: u128, found: u128 },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::EmptyChain => f.write_str("the chain has no genesis block"),
            Rule::GenesisHeight { found } => write!(f, "genesis height is {found}, must be 0"),
            Rule::GenesisPrevHash => f.write_str("genesis prev_hash must be 64 zeros"),
            Rule::GenesisTransactions => f.write_str("genesis must have no transactions"),
            Rule::DifficultyOutOfRange { found } => write!(f, "difficulty {found} is not 0 to 255"),
            Rule::HashMismatch { claimed, computed } => {
                write!(
                    f,
                    "hash {claimed} does not match the header, which hashes to {computed}"
                )
            }
            Rule::ProofOfWork {
                zero_bits,
                difficulty,
            } => {
                write!(
                    f,
                    "proof of work: hash has {zero_bits} leading zero bits, difficulty is {difficulty}"
                )
            }
            Rule::TxRootMismatch => {
                f.write_str("tx_root is not the Merkle root of the transactions")
            }
            Rule::TooManyTransactions { count } => {
                write!(
                    f,
                    "{count} transactions, at most {MAX_BLOCK_TRANSACTIONS} allowed"
                )
            }
            Rule::Height { expected, found } => write!(f, "height is {found}, expected {expected}"),
            Rule::PrevHash => f.write_str("prev_hash is not the hash of the previous block"),
            Rule::DifficultyChanged { expected, found } => {
                write!(
                    f,
                    "difficulty is {found}, the chain's difficulty is {expected}"
                )
            }
            Rule::Reward { found } => write!(f, "reward is {found}, must be {BLOCK_REWARD}"),
            Rule::TimestampDecreased { previous, found } => {
                write!(
                    f,
                    "timestamp {found} is before the previous block's {previous}"
                )
            }
            Rule::TimestampInFuture { found, now } => {
                write!(
                    f,
                    "timestamp {found} is more than 2 hours ahead of the server clock {now}"
                )
            }
            Rule::Signature { index, error } => write!(f, "transaction {index}: {error}"),
            Rule::Transaction { index, error } => write!(f, "transaction {index}: {error}"),
            Rule::RewardOverflow => {
                f.write_str("the block reward would overflow the miner's balance")
            }
            Rule::Supply { expected, found } => {
                write!(f, "balances add up to {found}, the supply is {expected}")
            }
        }
    }
}

/// A broken rule and the height of the block that broke it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainError {
    pub height: u64,
    pub rule: Rule,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {}: {}", self.height, self.rule)
    }
}

impl core::error::Error for ChainError {}

/// Where a block's signatures stand before its rules are checked.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signatures<'a> {
    /// Off the wire: verify each one here, strictly.
    VerifyEach,
    /// Verified beforehand (all cores): the index of the first failure, if any.
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
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
    parent: BlockHash,
    hash: BlockHash,
    height: u64,
    timestamp: u64,
    txids: Vec<TxId>,
    /// The new state of every account the block touches.
    touched: Ledger,
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
    block: Block,
    txids: Vec<TxId>,
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

/// A whole chain whose every block passed every rule: its blocks as [`ValidBlock`]s
/// and the state after the last one.
#[derive(Debug, Clone)]
pub struct ValidChain {
    pub state: ChainState,
    pub blocks: Vec<ValidBlock>,
}

impl ValidChain {
    /// Replays a chain read back from the server's own store (only [`ValidBlock`]s are
    /// written there): every rule but signatures is checked again, so a damaged store
    /// is caught; [`crate::parallel::validate_owned`] checks signatures too.
    pub fn from_store(blocks: Vec<Block>) -> Result<ValidChain, ChainError> {
        ValidChain::replay(blocks, |_| Signatures::NotChecked)
    }

    /// Builds the chain block by block, with the signatures of the block at each
    /// position as `signatures` says.
    pub(crate) fn replay(
        blocks: Vec<Block>,
        signatures: impl Fn(usize) -> Signatures<'static>,
    ) -> Result<ValidChain, ChainError> {
        let mut iter = blocks.into_iter();
        let genesis = iter.next().ok_or(ChainError {
            height: 0,
            rule: Rule::EmptyChain,
        })?;
        let (mut state, genesis) = ChainState::start(genesis, None)?;
        let mut valid = Vec::with_capacity(iter.len() + 1);
        valid.push(genesis);
        for (position, block) in iter.enumerate() {
            let effects = state.check(&block, signatures(position + 1), None)?;
            let txids = effects.txids.clone();
            state.write(effects);
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
        let fail = |rule| Err(ChainError { height: 0, rule });
        let header = &block.header;
        if header.height != 0 {
            return fail(Rule::GenesisHeight {
                found: header.height,
            });
        }
        if header.prev_hash != BlockHash::ZERO {
            return fail(Rule::GenesisPrevHash);
        }
        if !block.transactions.is_empty() {
            return fail(Rule::GenesisTransactions);
        }
        if header.difficulty > 255 {
            return fail(Rule::DifficultyOutOfRange {
                found: header.difficulty,
            });
        }
        check_header(block, header.difficulty, now_ms)
            .map_err(|rule| ChainError { height: 0, rule })?;
        let chain_id = ChainId::from(block.hash);
        if header.tx_root != merkle_root(&[]) {
            return fail(Rule::TxRootMismatch);
        }
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
    /// was made, so neither is done again. Every other rule is checked.
    pub fn check_built(&self, built: &crate::template::BuiltBlock) -> Result<Effects, ChainError> {
        self.check(built.block(), Signatures::Carried(built.txids()), None)
    }

    /// Checks a block read back from the server's own store as the next block. Only
    /// [`ValidBlock`]s are ever written there, so signatures are not verified again;
    /// every other rule is, so a damaged store is caught.
    pub fn check_stored(&self, block: &Block) -> Result<Effects, ChainError> {
        self.check(block, Signatures::NotChecked, None)
    }

    /// Checks `block` as the next block and applies it, verifying every signature.
    /// Returns the txids in block order. On error nothing changes.
    pub fn apply_block(
        &mut self,
        block: &Block,
        now_ms: Option<u64>,
    ) -> Result<Vec<TxId>, ChainError> {
        let effects = self.check_block(block, now_ms)?;
        let txids = effects.txids.clone();
        self.write(effects);
        Ok(txids)
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

    fn write(&mut self, effects: Effects) {
        self.ledger.overwrite(effects.touched);
        self.height = effects.height;
        self.tip = effects.hash;
        self.tip_timestamp = effects.timestamp;
    }

    /// Rules 2, 3 and 4 for the next block, with signatures as `signatures` says.
    pub(crate) fn check(
        &self,
        block: &Block,
        signatures: Signatures<'_>,
        now_ms: Option<u64>,
    ) -> Result<Effects, ChainError> {
        let height = self.height + 1;
        let fail = |rule| ChainError { height, rule };
        let header = &block.header;
        if header.height != height {
            return Err(fail(Rule::Height {
                expected: height,
                found: header.height,
            }));
        }
        if header.prev_hash != self.tip {
            return Err(fail(Rule::PrevHash));
        }
        if header.difficulty != self.difficulty {
            return Err(fail(Rule::DifficultyChanged {
                expected: self.difficulty,
                found: header.difficulty,
            }));
        }
        if header.reward != BLOCK_REWARD {
            return Err(fail(Rule::Reward {
                found: header.reward,
            }));
        }
        if header.timestamp < self.tip_timestamp {
            return Err(fail(Rule::TimestampDecreased {
                previous: self.tip_timestamp,
                found: header.timestamp,
            }));
        }
        if block.transactions.len() > MAX_BLOCK_TRANSACTIONS {
            return Err(fail(Rule::TooManyTransactions {
                count: block.transactions.len(),
            }));
        }
        check_header(block, self.difficulty, now_ms).map_err(fail)?;
        let (txids, touched) = self.check_transactions(block, signatures).map_err(fail)?;
        Ok(Effects {
            parent: self.tip,
            hash: block.hash,
            height,
            timestamp: header.timestamp,
            txids,
            touched,
        })
    }

    /// Rule 4 and the reward, on a copy of just the accounts the block touches.
    fn check_transactions(
        &self,
        block: &Block,
        signatures: Signatures<'_>,
    ) -> Result<(Vec<TxId>, Ledger), Rule> {
        let touched_addresses = block
            .transactions
            .iter()
            .flat_map(|tx| [tx.sender, tx.receiver])
            .chain([block.header.miner]);
        let mut touched = self.ledger.subset(touched_addresses);
        let mut undo = UndoLog::default();
        let mut txids = Vec::with_capacity(block.transactions.len());
        for (index, tx) in block.transactions.iter().enumerate() {
            let txid = match signatures {
                Signatures::VerifyEach => {
                    let message = tx.message(&self.chain_id);
                    tx.verify_message(&message)
                        .map_err(|error| Rule::Signature { index, error })?;
                    message.txid()
                }
                Signatures::Reported(Some((i, error))) if i == index => {
                    return Err(Rule::Signature { index, error });
                }
                Signatures::Carried(ids) if ids.len() == block.transactions.len() => ids[index],
                _ => tx.txid(&self.chain_id),
            };
            touched
                .apply(tx, &mut undo)
                .map_err(|error| Rule::Transaction { index, error })?;
            txids.push(txid);
        }
        if merkle_root(&txids) != block.header.tx_root {
            return Err(Rule::TxRootMismatch);
        }
        touched
            .credit(block.header.miner, block.header.reward, &mut undo)
            .map_err(|_| Rule::RewardOverflow)?;
        Ok((txids, touched))
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

/// Rule 2 for one block's header: the hash, proof of work and the future-time limit.
fn check_header(block: &Block, difficulty: u64, now_ms: Option<u64>) -> Result<(), Rule> {
    let computed = block.compute_hash();
    if computed != block.hash {
        return Err(Rule::HashMismatch {
            claimed: block.hash,
            computed,
        });
    }
    let zero_bits = leading_zero_bits(&computed);
    if zero_bits < difficulty {
        return Err(Rule::ProofOfWork {
            zero_bits,
            difficulty,
        });
    }
    if let Some(now) = now_ms
        && block.header.timestamp > now.saturating_add(MAX_FUTURE_DRIFT_MS)
    {
        return Err(Rule::TimestampInFuture {
            found: block.header.timestamp,
            now,
        });
    }
    Ok(())
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
        let effects = state.check(block, signatures(position + 1, block), now_ms)?;
        state.write(effects);
    }
    state.check_supply()?;
    Ok(state)
}
