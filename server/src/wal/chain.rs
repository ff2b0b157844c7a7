//! The log's blocks put on top of a chain (at open, and for `VALIDATE_BLOCKCHAIN`):
//! in order, each the next one, their transactions looked up by number.

use super::record::Entry;
use simplechain_core::{Block, Transaction};
use std::collections::HashMap;

/// Why the log's blocks stopped carrying on a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfStep {
    /// A block (at this height) that is not the next one on the chain.
    NotNext { height: u64 },
    /// A block naming a transaction by a mempool sequence number that neither the
    /// log nor redb's mempool holds.
    Missing { height: u64, seq: u64 },
}

impl OutOfStep {
    /// The height of the block where the log's blocks stopped.
    pub fn height(&self) -> u64 {
        match self {
            OutOfStep::NotNext { height } | OutOfStep::Missing { height, .. } => *height,
        }
    }
}

impl std::fmt::Display for OutOfStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutOfStep::NotNext { height } => write!(
                f,
                "the acknowledgement log holds a block at height {height} that does not carry on"
            ),
            OutOfStep::Missing { height, seq } => write!(
                f,
                "the acknowledgement log's block at height {height} names mempool sequence \
                 number {seq}, a transaction neither the log nor the database holds"
            ),
        }
    }
}

/// The blocks of `records` after record `log_applied`, in order, for as long as each
/// carries on `chain` (redb's, never empty) from its tip (the next height, on the last
/// one's hash), with the transactions they name by number looked up in the admitted
/// records after `log_applied` and in `stored`, redb's mempool; and why they stopped,
/// if they did.
///
/// The first of them may be blocks `chain` already holds, the same height and hash: a
/// checkpoint is written in pieces (`sequencer/checkpoint.rs`), and only its last piece
/// says how much of the log redb holds. Those are skipped.
pub fn blocks_on(
    records: &[(u64, Entry)],
    log_applied: u64,
    chain: &[Block],
    stored: &[(u64, Transaction)],
) -> (Vec<Block>, Option<OutOfStep>) {
    let Some(tip) = chain.last() else {
        return (Vec::new(), None);
    };
    let newer = || records.iter().filter(|(seq, _)| *seq > log_applied);
    let mut admitted: HashMap<u64, &Transaction> =
        stored.iter().map(|(seq, tx)| (*seq, tx)).collect();
    for (_, entry) in newer() {
        if let Entry::Admitted(txs) = entry {
            for (seq, tx) in txs {
                // redb's first, as when the pending ones are put back at open.
                admitted.entry(*seq).or_insert(tx);
            }
        }
    }
    let mut out: Vec<Block> = Vec::new();
    for (_, entry) in newer() {
        let Some(logged) = entry.logged_block() else {
            continue;
        };
        let height = logged.header.height;
        if out.is_empty() && already_held(chain, logged) {
            continue;
        }
        let block = match entry {
            Entry::BlockByRef(by_ref) => match by_ref.resolve(&admitted) {
                Ok(block) => block,
                Err(seq) => return (out, Some(OutOfStep::Missing { height, seq })),
            },
            _ => logged.clone(),
        };
        let last = out.last().unwrap_or(tip);
        let carries_on = height == last.header.height + 1 && block.header.prev_hash == last.hash;
        if !carries_on {
            return (out, Some(OutOfStep::NotNext { height }));
        }
        out.push(block);
    }
    (out, None)
}

/// Whether `chain` holds `block` already: a block of that height with that hash.
fn already_held(chain: &[Block], block: &Block) -> bool {
    let height = block.header.height;
    let held = usize::try_from(height).ok().and_then(|i| chain.get(i));
    held.is_some_and(|held| held.header.height == height && held.hash == block.hash)
}
