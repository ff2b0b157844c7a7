//! The consensus rules of PROTOCOL §5, applied block by block.
//!
//! [`ChainState`] is what a valid chain leaves behind: its ledger and tip. It grows one
//! block at a time with [`ChainState::apply_block`], which either applies the whole block
//! or changes nothing and names the rule that failed. [`validate_chain`] runs a whole
//! chain from genesis. Signature checks can be done here, one by one, or by the caller
//! beforehand (in parallel, batched) and passed in as [`SignatureMode::Checked`].

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

/// Who checks the signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMode {
    /// Verify each one here, strictly.
    Verify,
    /// The caller verified them all already; `first_bad` is the (height, index) of the
    /// first transaction whose signature failed, if any.
    Checked {
        first_bad: Option<(u64, usize, SignatureError)>,
    },
    /// Trust them (blocks read back from our own database, mined by ourselves).
    Trust,
}

/// How to validate.
#[derive(Debug, Clone, Copy)]
pub struct ValidateOptions {
    pub signatures: SignatureMode,
    /// The validator's clock in ms; blocks more than 2 hours ahead of it are refused.
    /// `None` skips that check (it depends on the clock, not on the chain).
    pub now_ms: Option<u64>,
}

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
    pub fn genesis(block: &Block, opts: &ValidateOptions) -> Result<Self, ChainError> {
        let fail = |rule| Err(ChainError { height: 0, rule });
        if block.height != 0 {
            return fail(Rule::GenesisHeight {
                found: block.height,
            });
        }
        if block.prev_hash != BlockHash::ZERO {
            return fail(Rule::GenesisPrevHash);
        }
        if !block.transactions.is_empty() {
            return fail(Rule::GenesisTransactions);
        }
        if block.difficulty > 255 {
            return fail(Rule::DifficultyOutOfRange {
                found: block.difficulty,
            });
        }
        check_header(block, block.difficulty, opts)
            .map_err(|rule| ChainError { height: 0, rule })?;
        let chain_id = ChainId::from(block.hash);
        if block.tx_root != merkle_root(&[]) {
            return fail(Rule::TxRootMismatch);
        }
        let mut ledger = Ledger::new();
        ledger
            .credit(block.miner, block.reward, &mut UndoLog::default())
            .map_err(|_| ChainError {
                height: 0,
                rule: Rule::RewardOverflow,
            })?;
        Ok(ChainState {
            chain_id,
            difficulty: block.difficulty,
            initial_supply: block.reward,
            ledger,
            height: 0,
            tip: block.hash,
            tip_timestamp: block.timestamp,
        })
    }

    /// The supply after the tip: genesis reward + 50 × height (rule 5).
    pub fn supply(&self) -> u128 {
        u128::from(self.initial_supply) + u128::from(BLOCK_REWARD) * u128::from(self.height)
    }

    /// Checks `block` as the next block (rules 2, 3, 4) and applies it. Returns the
    /// txids in block order. On error nothing changes.
    pub fn apply_block(
        &mut self,
        block: &Block,
        opts: &ValidateOptions,
    ) -> Result<Vec<TxId>, ChainError> {
        let height = self.height + 1;
        let fail = |rule| ChainError { height, rule };
        if block.height != height {
            return Err(fail(Rule::Height {
                expected: height,
                found: block.height,
            }));
        }
        if block.prev_hash != self.tip {
            return Err(fail(Rule::PrevHash));
        }
        if block.difficulty != self.difficulty {
            return Err(fail(Rule::DifficultyChanged {
                expected: self.difficulty,
                found: block.difficulty,
            }));
        }
        if block.reward != BLOCK_REWARD {
            return Err(fail(Rule::Reward {
                found: block.reward,
            }));
        }
        if block.timestamp < self.tip_timestamp {
            return Err(fail(Rule::TimestampDecreased {
                previous: self.tip_timestamp,
                found: block.timestamp,
            }));
        }
        if block.transactions.len() > MAX_BLOCK_TRANSACTIONS {
            return Err(fail(Rule::TooManyTransactions {
                count: block.transactions.len(),
            }));
        }
        check_header(block, self.difficulty, opts).map_err(fail)?;

        let mut txids = Vec::with_capacity(block.transactions.len());
        let mut undo = UndoLog::default();
        let result = self.apply_transactions(block, opts, &mut txids, &mut undo);
        let result = result.and_then(|()| {
            if merkle_root(&txids) != block.tx_root {
                return Err(Rule::TxRootMismatch);
            }
            self.ledger
                .credit(block.miner, block.reward, &mut undo)
                .map_err(|_| Rule::RewardOverflow)
        });
        if let Err(rule) = result {
            self.ledger.undo(undo);
            return Err(fail(rule));
        }
        self.height = height;
        self.tip = block.hash;
        self.tip_timestamp = block.timestamp;
        Ok(txids)
    }

    fn apply_transactions(
        &mut self,
        block: &Block,
        opts: &ValidateOptions,
        txids: &mut Vec<TxId>,
        undo: &mut UndoLog,
    ) -> Result<(), Rule> {
        for (index, tx) in block.transactions.iter().enumerate() {
            let message = tx.message(&self.chain_id);
            match opts.signatures {
                SignatureMode::Verify => tx
                    .verify_message(&message)
                    .map_err(|error| Rule::Signature { index, error })?,
                SignatureMode::Checked {
                    first_bad: Some((h, i, error)),
                } if h == block.height && i == index => {
                    return Err(Rule::Signature { index, error });
                }
                SignatureMode::Checked { .. } | SignatureMode::Trust => {}
            }
            self.ledger
                .apply(tx, undo)
                .map_err(|error| Rule::Transaction { index, error })?;
            txids.push(message.txid());
        }
        Ok(())
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
fn check_header(block: &Block, difficulty: u64, opts: &ValidateOptions) -> Result<(), Rule> {
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
    if let Some(now) = opts.now_ms
        && block.timestamp > now.saturating_add(MAX_FUTURE_DRIFT_MS)
    {
        return Err(Rule::TimestampInFuture {
            found: block.timestamp,
            now,
        });
    }
    Ok(())
}

/// Validates a whole chain from genesis and returns its final state.
pub fn validate_chain(blocks: &[Block], opts: &ValidateOptions) -> Result<ChainState, ChainError> {
    let (genesis, rest) = blocks.split_first().ok_or(ChainError {
        height: 0,
        rule: Rule::EmptyChain,
    })?;
    let mut state = ChainState::genesis(genesis, opts)?;
    for block in rest {
        state.apply_block(block, opts)?;
    }
    state.check_supply()?;
    Ok(state)
}
