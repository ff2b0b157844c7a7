//! One small function per block rule of PROTOCOL §5, each saying only whether its rule
//! holds. [`ChainState`](super::ChainState) calls them in order and stops at the first
//! that fails; the explorer's [`checklist`](super::checklist) calls every one of them,
//! so both always judge a block alike. The transaction rules are
//! [`crate::ledger::check_amount`], [`crate::ledger::check_not_to_self`],
//! [`Ledger::check_nonce`](crate::Ledger::check_nonce) and
//! [`Ledger::check_funds`](crate::Ledger::check_funds), and the signature
//! [`Transaction::verify_message`](crate::Transaction::verify_message).

use super::Rule;
use crate::block::{Block, BlockHeader, leading_zero_bits};
use crate::ids::{BlockHash, TxId};
use crate::merkle::merkle_root;
use crate::{BLOCK_REWARD, MAX_BLOCK_TRANSACTIONS, MAX_FUTURE_DRIFT_MS};

/// Rule 1: genesis has height 0.
pub(crate) fn genesis_height(header: &BlockHeader) -> Result<(), Rule> {
    match header.height {
        0 => Ok(()),
        found => Err(Rule::GenesisHeight { found }),
    }
}

/// Rule 1: genesis has `prev_hash` = 64 zeros.
pub(crate) fn genesis_prev_hash(header: &BlockHeader) -> Result<(), Rule> {
    if header.prev_hash != BlockHash::ZERO {
        return Err(Rule::GenesisPrevHash);
    }
    Ok(())
}

/// Rule 1: genesis has no transactions.
pub(crate) fn genesis_transactions(block: &Block) -> Result<(), Rule> {
    if !block.transactions.is_empty() {
        return Err(Rule::GenesisTransactions);
    }
    Ok(())
}

/// Rule 1: the chain's difficulty is 0 to 255.
pub(crate) fn difficulty_in_range(header: &BlockHeader) -> Result<(), Rule> {
    if header.difficulty > 255 {
        return Err(Rule::DifficultyOutOfRange {
            found: header.difficulty,
        });
    }
    Ok(())
}

/// Rule 2: the claimed hash is SHA-256 of the header message; returns that hash.
pub(crate) fn hash(block: &Block) -> Result<BlockHash, Rule> {
    let computed = block.compute_hash();
    if computed != block.hash {
        return Err(Rule::HashMismatch {
            claimed: block.hash,
            computed,
        });
    }
    Ok(computed)
}

/// Rule 2: the header's real hash has at least `difficulty` leading zero bits.
pub(crate) fn proof_of_work(computed: &BlockHash, difficulty: u64) -> Result<(), Rule> {
    let zero_bits = leading_zero_bits(computed);
    if zero_bits < difficulty {
        return Err(Rule::ProofOfWork {
            zero_bits,
            difficulty,
        });
    }
    Ok(())
}

/// Rule 2: `tx_root` is the Merkle root of the txids, in block order.
pub(crate) fn tx_root(header: &BlockHeader, txids: &[TxId]) -> Result<(), Rule> {
    if merkle_root(txids) != header.tx_root {
        return Err(Rule::TxRootMismatch);
    }
    Ok(())
}

/// Rule 2: at most 4096 transactions.
pub(crate) fn transaction_count(block: &Block) -> Result<(), Rule> {
    let count = block.transactions.len();
    if count > MAX_BLOCK_TRANSACTIONS {
        return Err(Rule::TooManyTransactions { count });
    }
    Ok(())
}

/// Rule 3: the height is the parent's + 1.
pub(crate) fn height(header: &BlockHeader, expected: u64) -> Result<(), Rule> {
    if header.height != expected {
        return Err(Rule::Height {
            expected,
            found: header.height,
        });
    }
    Ok(())
}

/// Rule 3: `prev_hash` is the parent's hash.
pub(crate) fn prev_hash(header: &BlockHeader, parent: &BlockHash) -> Result<(), Rule> {
    if header.prev_hash != *parent {
        return Err(Rule::PrevHash);
    }
    Ok(())
}

/// Rule 3: the difficulty is the chain's.
pub(crate) fn difficulty(header: &BlockHeader, chain: u64) -> Result<(), Rule> {
    if header.difficulty != chain {
        return Err(Rule::DifficultyChanged {
            expected: chain,
            found: header.difficulty,
        });
    }
    Ok(())
}

/// Rule 3: the reward is 50.
pub(crate) fn reward(header: &BlockHeader) -> Result<(), Rule> {
    if header.reward != BLOCK_REWARD {
        return Err(Rule::Reward {
            found: header.reward,
        });
    }
    Ok(())
}

/// Rule 3: the timestamp is not below the parent's.
pub(crate) fn timestamp(header: &BlockHeader, previous: u64) -> Result<(), Rule> {
    if header.timestamp < previous {
        return Err(Rule::TimestampDecreased {
            previous,
            found: header.timestamp,
        });
    }
    Ok(())
}

/// Rule 6: not more than 2 hours ahead of the validator's clock `now`.
pub(crate) fn not_in_future(header: &BlockHeader, now: u64) -> Result<(), Rule> {
    if header.timestamp > now.saturating_add(MAX_FUTURE_DRIFT_MS) {
        return Err(Rule::TimestampInFuture {
            found: header.timestamp,
            now,
        });
    }
    Ok(())
}
