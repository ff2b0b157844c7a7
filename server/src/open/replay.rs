//! What the acknowledgement log held, put back at open: its main-chain blocks on top
//! of redb's chain, its side blocks, then the pending transactions of redb and of the
//! log, in admission order, each admitted again on that chain.

use super::OpenError;
use crate::state::ServerState;
use crate::wal::record::Entry;
use crate::wal::{Replayed, blocks_on};
use simplechain_core::{Block, Transaction};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Puts the main-chain blocks only the log holds (after record `log_applied`, and not
/// already written by a piece of a checkpoint) on top of `chain`, redb's, their
/// transactions looked up in the log and in `stored` (redb's mempool); returns them as
/// the checkpoint at open writes them. A log block that does not carry on the chain, or
/// names a transaction nobody holds, is an error: the data dir is damaged.
pub(super) fn blocks(
    chain: &mut Vec<Block>,
    replayed: &Replayed,
    log_applied: u64,
    stored: &[(u64, Transaction)],
) -> Result<Vec<(u64, Arc<str>)>, OpenError> {
    let (on_top, stopped) = blocks_on(&replayed.records, log_applied, chain, stored);
    let tip = chain.last().map_or(0, |b| b.header.height);
    if let Some(why) = stopped {
        return Err(OpenError::LogOutOfStep { why, tip });
    }
    let held = replayed
        .records
        .iter()
        .filter(|(seq, _)| *seq > log_applied)
        .filter_map(|(_, entry)| entry.logged_block())
        .filter(|block| block.header.height <= tip)
        .count();
    if held > 0 {
        tracing::info!(
            held,
            "the log's first blocks were in redb already: a checkpoint was cut between its pieces"
        );
    }
    if !on_top.is_empty() {
        tracing::info!(
            blocks = on_top.len(),
            "main-chain blocks read back from the acknowledgement log"
        );
    }
    let json = |b: &Block| -> Arc<str> { serde_json::to_string(b).unwrap_or_default().into() };
    let main = on_top.iter().map(|b| (b.header.height, json(b))).collect();
    chain.extend(on_top);
    Ok(main)
}

/// The side blocks only the log holds (after record `log_applied`), in the log's order:
/// they go back into the tree beside redb's.
pub(super) fn side_blocks(replayed: &Replayed, log_applied: u64) -> Vec<Block> {
    replayed
        .records
        .iter()
        .filter(|(seq, _)| *seq > log_applied)
        .filter_map(|(_, entry)| match entry {
            Entry::Side(block) => Some(block.clone()),
            _ => None,
        })
        .collect()
}

/// The pending transactions put back, and what the checkpoint at open must write.
#[derive(Default)]
pub(super) struct Replay {
    /// Entries read back from the log only (not yet in redb), restored.
    pub restored: Vec<(u64, Transaction)>,
    /// Sequence numbers of entries that no longer apply (already in a block, or made
    /// invalid), to remove from redb.
    pub dropped: Vec<u64>,
}

impl Replay {
    pub fn is_empty(&self) -> bool {
        self.restored.is_empty() && self.dropped.is_empty()
    }
}

/// Puts the pending transactions back into the mempool, in admission order: those in
/// redb, then those of the log's records after `log_applied` (both keyed by mempool
/// sequence number). Each goes back through admission (its signature verified again,
/// on all cores); those that no longer apply are dropped.
pub(super) fn pending(
    state: &mut ServerState,
    stored: Vec<(u64, Transaction)>,
    replayed: Replayed,
    log_applied: u64,
) -> Replay {
    let mut pending: BTreeMap<u64, (Transaction, bool)> = stored
        .into_iter()
        .map(|(seq, tx)| (seq, (tx, false)))
        .collect();
    let newer = replayed
        .records
        .into_iter()
        .filter(|(seq, _)| *seq > log_applied);
    for (_, entry) in newer {
        let Entry::Admitted(txs) = entry else {
            continue;
        };
        for (seq, tx) in txs {
            pending.entry(seq).or_insert((tx, true));
        }
    }
    let chain_id = state.chain.chain_id;
    let (seqs, entries): (Vec<u64>, Vec<(Transaction, bool)>) = pending.into_iter().unzip();
    let (txs, logged): (Vec<Transaction>, Vec<bool>) = entries.into_iter().unzip();
    let verified = simplechain_core::parallel::verify_transactions(&chain_id, txs);
    let mut out = Replay::default();
    for ((seq, logged), verified) in seqs.into_iter().zip(logged).zip(verified) {
        let restored = match verified {
            Ok(v) if !state.is_confirmed(&v.txid()) => {
                let tx = *v.tx();
                let ServerState { mempool, chain, .. } = &mut *state;
                mempool.restore(seq, v, &chain.ledger).is_ok().then_some(tx)
            }
            _ => None,
        };
        match (restored, logged) {
            (Some(tx), true) => out.restored.push((seq, tx)),
            (Some(_), false) | (None, true) => {}
            (None, false) => out.dropped.push(seq),
        }
    }
    if !out.dropped.is_empty() {
        tracing::warn!(
            dropped = out.dropped.len(),
            "stored pending transactions no longer apply; removing them"
        );
    }
    if !out.restored.is_empty() {
        tracing::info!(
            restored = out.restored.len(),
            "pending transactions read back from the acknowledgement log"
        );
    }
    out
}
