//! The rules of PROTOCOL §5 by name ([`Rule`]), and the error that names the block
//! that broke one ([`ChainError`]).

use crate::ids::BlockHash;
use crate::ledger::TxRuleError;
use crate::transaction::SignatureError;
use crate::{BLOCK_REWARD, MAX_BLOCK_TRANSACTIONS};
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
