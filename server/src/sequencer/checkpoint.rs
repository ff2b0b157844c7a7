//! Checkpoints: what only the acknowledgement log holds (pending transactions, blocks
//! on the main tip, side blocks), written into redb in one transaction that also says how much of
//! the log it covers (`log_applied`), so that the log's space can be used again.
//!
//! ```text
//! a half is full ──▶ its checkpoint starts on a blocking thread, written in pieces
//!                    of about a block each, and records go on into the other half
//!                    at once
//! that one is full ─▶ wait for the first checkpoint if it is still running (it
//!                    frees the half to go back to), then the same the other way
//! ```
//!
//! So admissions never wait for a redb commit, unless the disk is slower than the load
//! for a whole half. A checkpoint that fails leaves its half in use: what it covered
//! is folded into the next one, which is then written before the log goes on (and
//! refuses the admission if it fails too; nothing is lost, the log still holds it
//! all). A switch of branches writes everything into redb itself, after the
//! checkpoint under way.

use super::Sequencer;
use crate::storage::{Change, Storage, StorageError};
use crate::wal::AckLog;
use simplechain_core::{BlockHash, Transaction};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The most a background checkpoint writes in one redb commit, in blocks' JSON and
/// mempool entries: a 32nd of a half of the log, at most 1 MiB (about one block of
/// the most transactions, with the default log) and at least 4 KiB. A small log (the
/// crash loop's) has small pieces, so that kills fall between them.
fn piece_bytes(log: &AckLog) -> usize {
    let bytes = (log.half_bytes() / 32).clamp(4 << 10, 1 << 20);
    usize::try_from(bytes).unwrap_or(1 << 20)
}

/// What redb lacks, or still holds but should not, compared with memory: what the
/// next checkpoint writes.
#[derive(Debug, Default)]
pub(super) struct Unfolded {
    /// The first mempool sequence number the log holds and redb does not (those after
    /// it too). `None`: none.
    pub mempool_from: Option<u64>,
    /// The height of the first main-chain block the log holds and redb does not.
    /// `None`: redb has the whole main chain.
    pub blocks_from: Option<u64>,
    /// Mempool entries redb holds that the mempool no longer does (mined, or made
    /// invalid by a block). Until they are removed, a restart drops them again when
    /// it re-admits them.
    pub stale: Vec<u64>,
    /// Side blocks the log holds and redb does not, by hash (those still in the tree
    /// when the checkpoint is made are written).
    pub side: Vec<BlockHash>,
    /// Side blocks pruned from memory, to remove from redb.
    pub pruned: Vec<BlockHash>,
}

impl Unfolded {
    /// Puts back what a failed checkpoint covered, beside what came since.
    fn merge(&mut self, failed: Unfolded) {
        let lowest = |a: Option<u64>, b: Option<u64>| a.into_iter().chain(b).min();
        self.mempool_from = lowest(self.mempool_from, failed.mempool_from);
        self.blocks_from = lowest(self.blocks_from, failed.blocks_from);
        self.stale.extend(failed.stale);
        self.side.extend(failed.side);
        self.pruned.extend(failed.pruned);
    }
}

/// A checkpoint being written on a blocking thread, and what it covers (given back if
/// it fails).
#[derive(Debug)]
pub(super) struct Checkpointing {
    written: JoinHandle<Result<(), StorageError>>,
    covers: Unfolded,
    /// Set when the sequencer waits for this checkpoint: its remaining pieces are
    /// written without resting.
    hurry: Arc<AtomicBool>,
}

/// Writes a background checkpoint's `change` into redb in pieces of `piece_bytes`
/// ([`Change::into_pieces`]), resting after each as long as it took: the log's writes,
/// which wait behind a commit's in the disk's queue, never wait long, and never twice
/// in a row. (One commit of a few dozen blocks took over a second here, and held up
/// each `fdatasync` of the log behind it for tens of milliseconds: `docs/PERFORMANCE.md`,
/// issue 13.) Once `hurry` is set (the sequencer is waiting for this checkpoint), it
/// no longer rests.
fn write_in_pieces(
    storage: &Storage,
    change: Change,
    piece_bytes: usize,
    hurry: &AtomicBool,
) -> Result<(), StorageError> {
    let started = Instant::now();
    let (blocks, transactions) = (change.main.len(), change.mempool_add.len());
    let pieces = change.into_pieces(piece_bytes);
    let count = pieces.len();
    let mut longest = Duration::ZERO;
    for (i, piece) in pieces.into_iter().enumerate() {
        let piece_started = Instant::now();
        storage.commit(&piece)?;
        let took = piece_started.elapsed();
        longest = longest.max(took);
        if i + 1 < count && !hurry.load(Ordering::Relaxed) {
            std::thread::sleep(took);
        }
    }
    tracing::info!(
        blocks,
        transactions,
        pieces = count,
        longest_ms = longest.as_secs_f64() * 1e3,
        total_ms = started.elapsed().as_secs_f64() * 1e3,
        "checkpoint: half of the acknowledgement log is in redb"
    );
    Ok(())
}

impl Sequencer {
    /// Makes room in the log for a record that did not fit in the half being written:
    /// the other half, once free, takes the records while this one is checkpointed
    /// in the background; if the other half is not free (its checkpoint failed),
    /// everything is checkpointed now and the log starts again. Pending transactions
    /// from `below` on (the batch waiting for this room) are not covered.
    pub(super) async fn make_room(&mut self, below: Option<u64>) -> Result<(), StorageError> {
        if self.settle_checkpoint().await {
            self.other_half_free = true;
        }
        if !self.other_half_free {
            return self.checkpoint_now(below).await;
        }
        let (change, covers) = self.fold_change(below);
        let storage = self.shared.storage.clone();
        let piece_bytes = piece_bytes(&self.log);
        let hurry = Arc::new(AtomicBool::new(false));
        let written = tokio::task::spawn_blocking({
            let hurry = hurry.clone();
            move || write_in_pieces(&storage, change, piece_bytes, &hurry)
        });
        self.checkpointing = Some(Checkpointing {
            written,
            covers,
            hurry,
        });
        self.log.switch_halves();
        self.other_half_free = false;
        Ok(())
    }

    /// Waits for the checkpoint under way, if there is one, its remaining pieces written
    /// without resting. Whether one finished well (if it failed, what it covered is to
    /// be folded in again).
    pub(super) async fn settle_checkpoint(&mut self) -> bool {
        let Some(Checkpointing {
            written,
            covers,
            hurry,
        }) = self.checkpointing.take()
        else {
            return false;
        };
        hurry.store(true, Ordering::Relaxed);
        let written = written
            .await
            .unwrap_or_else(|e| Err(StorageError::new("running a disk task", e)));
        match written {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "a checkpoint failed; the log keeps what it covered");
                self.unfolded.merge(covers);
                false
            }
        }
    }

    /// Everything only the log holds, into redb now (after the checkpoint under way);
    /// then the log starts again from the beginning of its first half. Pending
    /// transactions from `below` on are not covered.
    pub(super) async fn checkpoint_now(&mut self, below: Option<u64>) -> Result<(), StorageError> {
        self.settle_checkpoint().await;
        let (change, covers) = self.fold_change(below);
        let started = std::time::Instant::now();
        let (blocks, transactions) = (change.main.len(), change.mempool_add.len());
        if let Err(e) = self.write(change).await {
            self.unfolded.merge(covers);
            return Err(e);
        }
        tracing::info!(
            blocks,
            transactions,
            write_ms = started.elapsed().as_secs_f64() * 1e3,
            "checkpoint: the acknowledgement log is in redb"
        );
        self.log_folded();
        Ok(())
    }

    /// The change that writes into redb what [`Unfolded`] says, from memory now, up to
    /// the log's last record; what it covers is taken out of `self.unfolded`. Pending
    /// transactions from `below` on are left out: a batch admitted in memory, not yet
    /// durable, which may still be refused.
    fn fold_change(&mut self, below: Option<u64>) -> (Change, Unfolded) {
        let covers = std::mem::take(&mut self.unfolded);
        let state = self.state.read();
        let main: Vec<(u64, Arc<str>)> = match covers.blocks_from {
            Some(from) => state
                .blocks_from(from)
                .iter()
                .map(|b| (b.height(), b.json.clone()))
                .collect(),
            None => Vec::new(),
        };
        let mempool_add: Vec<(u64, Transaction)> = match covers.mempool_from {
            Some(from) => {
                let below = below.unwrap_or(u64::MAX);
                let entries = state.mempool.entries();
                let entries = entries.filter(|e| e.seq >= from && e.seq < below);
                entries.map(|e| (e.seq, *e.tx())).collect()
            }
            None => Vec::new(),
        };
        let change = Change {
            main_from: covers.blocks_from.unwrap_or(u64::MAX),
            main,
            side_add: state.side.held_of(&covers.side, &[]),
            side_remove: covers.pruned.clone(),
            mempool_remove: covers.stale.clone(),
            mempool_add,
            log_applied: Some(self.log.last_seq()),
            ..Change::default()
        };
        (change, covers)
    }

    /// Mempool entries that left the mempool (mined, or made invalid): those redb holds
    /// are taken out of it at the next checkpoint.
    pub(super) fn forget_pending(&mut self, seqs: impl IntoIterator<Item = u64>) {
        let in_redb = self.unfolded.mempool_from.unwrap_or(u64::MAX);
        let in_redb = seqs.into_iter().filter(|seq| *seq < in_redb);
        self.unfolded.stale.extend(in_redb);
    }

    /// redb holds everything the log does: the log starts again.
    pub(super) fn log_folded(&mut self) {
        self.log.restart();
        self.unfolded = Unfolded::default();
        self.other_half_free = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::{Address, Block, ChainId};

    #[test]
    fn a_failed_checkpoint_gives_back_all_it_covered_beside_what_came_since() {
        let hash = |n: u8| BlockHash::from_bytes([n; 32]);
        let failed = Unfolded {
            mempool_from: Some(10),
            blocks_from: Some(4),
            stale: vec![1, 2],
            side: vec![hash(1)],
            pruned: vec![hash(2)],
        };
        let mut since = Unfolded {
            mempool_from: Some(25),
            blocks_from: None,
            stale: vec![12],
            side: vec![hash(3)],
            pruned: vec![hash(1)],
        };
        since.merge(failed);
        // From the lowest of either: the failed checkpoint's start.
        assert_eq!(since.mempool_from, Some(10));
        assert_eq!(since.blocks_from, Some(4));
        assert_eq!(since.stale, [12, 1, 2]);
        // The failed checkpoint's side block is written by the next one (if the tree
        // still holds it: this one was pruned since, and is removed instead).
        assert_eq!(since.side, [hash(3), hash(1)]);
        assert_eq!(since.pruned, [hash(1), hash(2)]);

        let mut nothing_since = Unfolded::default();
        nothing_since.merge(Unfolded {
            mempool_from: None,
            blocks_from: Some(7),
            ..Unfolded::default()
        });
        assert_eq!(nothing_since.mempool_from, None);
        assert_eq!(nothing_since.blocks_from, Some(7));
    }

    #[test]
    fn a_checkpoint_written_in_pieces_leaves_redb_with_all_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path()).unwrap();
        let (chain, miner) = (ChainId::from_bytes([1; 32]), Address::from_bytes([3; 32]));
        let genesis = Block::genesis(miner, 1000, 0, 1);
        let mut blocks = vec![genesis];
        for nonce in 0..4 {
            let next = Block::next(blocks.last().unwrap(), &chain, miner, nonce, Vec::new());
            blocks.push(next);
        }
        let json = |b: &Block| -> Arc<str> { serde_json::to_string(b).unwrap().into() };
        let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        let pending = Transaction::sign(&key, &chain, miner, 1, 0);
        let change = Change {
            main_from: 0,
            main: blocks.iter().map(|b| (b.header.height, json(b))).collect(),
            mempool_add: vec![(7, pending)],
            log_applied: Some(12),
            ..Change::default()
        };
        // A block a piece (and a rest after each, as the sequencer is not waiting).
        write_in_pieces(&storage, change, 1, &AtomicBool::new(false)).unwrap();
        let loaded = storage.load().unwrap();
        assert_eq!(loaded.blocks, blocks);
        assert_eq!(loaded.mempool, [(7, pending)]);
        assert_eq!(loaded.log_applied, 12);
    }
}
