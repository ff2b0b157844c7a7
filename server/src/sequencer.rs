//! The one writer. Every change to the chain or the mempool goes through here, in
//! order: admitted transactions (in batches: one durable write per batch, which is the
//! group commit), blocks (submitted by anyone, or mined by our own miner) and adopted
//! chains. Signatures are verified before a command arrives, so this task only does
//! the cheap state checks and the disk writes.
//!
//! A batch of admitted transactions is made durable by one record of the
//! acknowledgement log (`wal.rs`: one `pwrite`, one `fdatasync`) before anyone gets
//! `SUCCESS`; when the log is full, a checkpoint writes what it holds into redb.
//!
//! A block goes one of three ways (PROTOCOL §9):
//!
//! ```text
//! parent is the tip ──────────────▶ start_tip        check, write (off the admission
//!                                   finish_tip       path), then apply   "tip", 0
//! parent elsewhere in the tree ──▶ checked on its branch's state, then
//!     branch has no more work ───▶ keep_side        write, keep             "side"
//!     branch has more work ──────▶ switch_to        switch, write           "tip", n
//! SYNC_BLOCKCHAIN adopted ────────▶ switch_to        (the same switch)
//! ```
//!
//! A block on the tip is written to redb on a blocking thread while this task goes on
//! admitting transactions; it is applied, and answered (`SUBMITTED` only once it is
//! durable), when the write is done. The next block command waits for it.
//!
//! `switch_to` is the one reorg: the replaced blocks become a side branch, and their
//! transactions and the pending ones are re-admitted in order on the new chain
//! (`ServerState::switch_main`), so nothing acknowledged is lost unless the new chain
//! makes it invalid. Admission is here; the block work is in `sequencer/blocks.rs`,
//! the block write under way in `sequencer/tip_write.rs`.

mod blocks;
mod tip_write;

use crate::inbox::Command;
use crate::mempool::Refusal;
use crate::shared::Shared;
use crate::state::{ServerState, StateWriter};
use crate::storage::{Change, StorageError};
use crate::wal::AckLog;
use crate::wire_error::{not_saved, refusal};
use ed25519_dalek::SigningKey;
use simplechain_core::protocol::{ErrorCode, ProtocolError};
use simplechain_core::validate::PreverifiedBlock;
use simplechain_core::{Address, BlockHash, Transaction, TxId, VerifiedTx};
use std::sync::Arc;
use tip_write::{BlockReply, TipWrite};
use tokio::sync::{mpsc, oneshot};

/// Most commands taken in one batch.
const MAX_BATCH: usize = 8192;

/// An admission waiting for the batch's commit.
enum Admitted {
    Add(oneshot::Sender<Result<(), ProtocolError>>),
    Faucet(oneshot::Sender<Result<TxId, ProtocolError>>, TxId),
}

pub struct Sequencer {
    shared: Arc<Shared>,
    /// The one handle that can change the state.
    state: StateWriter,
    commands: mpsc::Receiver<Command>,
    treasury: Option<SigningKey>,
    /// Side blocks pruned from memory, removed from disk with the next block write.
    pruned: Vec<BlockHash>,
    /// Mempool entries a block made invalid, removed from disk with the next block
    /// write (until then a restart drops them again when it re-admits them).
    stale: Vec<u64>,
    /// Where admitted batches are made durable.
    log: AckLog,
    /// The first mempool sequence number admitted since the last checkpoint: the
    /// entries from there on are in the log, not in redb. `None`: the log is empty.
    unfolded_from: Option<u64>,
    /// The block on the tip being written, if one is.
    tip: Option<TipWrite>,
}

/// What woke the sequencer.
enum Woken {
    Commands(usize),
    TipWritten(Result<(), StorageError>),
}

impl Sequencer {
    pub fn new(
        shared: Arc<Shared>,
        state: StateWriter,
        commands: mpsc::Receiver<Command>,
        treasury: Option<SigningKey>,
        log: AckLog,
    ) -> Self {
        Sequencer {
            shared,
            state,
            commands,
            treasury,
            pruned: Vec::new(),
            stale: Vec::new(),
            log,
            unfolded_from: None,
            tip: None,
        }
    }

    /// Runs until [`Command::Stop`].
    pub async fn run(mut self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut stopping = false;
        while !stopping {
            let woken = tokio::select! {
                written = tip_write::written(&mut self.tip), if self.tip.is_some() => {
                    Woken::TipWritten(written)
                }
                n = self.commands.recv_many(&mut batch, MAX_BATCH) => Woken::Commands(n),
            };
            let n = match woken {
                Woken::TipWritten(written) => {
                    self.finish_tip(written);
                    continue;
                }
                Woken::Commands(n) => n,
            };
            if n == 0 {
                break;
            }
            let mut admissions = Vec::new();
            for command in batch.drain(..) {
                match command {
                    Command::Stop => stopping = true,
                    Command::Add { .. } | Command::Faucet { .. } => admissions.push(command),
                    Command::Mined { block, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        self.settle_tip().await;
                        let block = PreverifiedBlock::from_built(block, self.shared.chain_id);
                        self.submit(block, BlockReply::Mined(reply)).await;
                    }
                    Command::Submit { block, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        self.settle_tip().await;
                        self.submit(block, BlockReply::Submit(reply)).await;
                    }
                    Command::Adopt { chain, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        self.settle_tip().await;
                        let _ = reply.send(self.adopt(chain).await);
                    }
                }
            }
            self.admit(admissions).await;
        }
        self.settle_tip().await;
    }

    /// Admits a batch against pending state, makes the accepted ones durable in one
    /// write, then answers everyone.
    async fn admit(&mut self, commands: Vec<Command>) {
        if commands.is_empty() {
            return;
        }
        let mut accepted: Vec<(u64, Transaction)> = Vec::with_capacity(commands.len());
        let mut waiting = Vec::with_capacity(commands.len());
        {
            let mut state = self.state.write();
            for command in commands {
                match command {
                    Command::Add { tx, reply } => match admit_one(&mut state, tx) {
                        Ok(seq) => {
                            accepted.push((seq, *tx.tx()));
                            waiting.push(Admitted::Add(reply));
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    },
                    Command::Faucet { to, amount, reply } => {
                        match faucet_tx(&state, self.treasury.as_ref(), to, amount)
                            .and_then(|tx| Ok((tx, admit_one(&mut state, tx)?)))
                        {
                            Ok((tx, seq)) => {
                                accepted.push((seq, *tx.tx()));
                                waiting.push(Admitted::Faucet(reply, tx.txid()));
                            }
                            Err(e) => {
                                let _ = reply.send(Err(e));
                            }
                        }
                    }
                    Command::Mined { .. }
                    | Command::Submit { .. }
                    | Command::Adopt { .. }
                    | Command::Stop => {
                        unreachable!("split out by run")
                    }
                }
            }
        }
        if accepted.is_empty() {
            return;
        }
        let first_seq = accepted[0].0;
        let batch = accepted.len();
        let started = std::time::Instant::now();
        let written = self.make_durable(&accepted).await;
        tracing::debug!(
            batch,
            write_ms = started.elapsed().as_secs_f64() * 1e3,
            "admitted"
        );
        let outcome = match written {
            Ok(()) => {
                self.shared.wake_miner.notify_one();
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "could not write admitted transactions; refusing them");
                let mut state = self.state.write();
                let ServerState { mempool, chain, .. } = &mut *state;
                mempool.truncate_from(first_seq, &chain.ledger);
                Err(not_saved(e))
            }
        };
        for w in waiting {
            match w {
                Admitted::Add(reply) => {
                    let _ = reply.send(outcome.clone());
                }
                Admitted::Faucet(reply, txid) => {
                    let _ = reply.send(outcome.clone().map(|()| txid));
                }
            }
        }
    }

    /// One record of the acknowledgement log for the batch `accepted` (already in the
    /// mempool in memory); when the log is full, a checkpoint into redb instead, which
    /// covers the batch too.
    async fn make_durable(&mut self, accepted: &[(u64, Transaction)]) -> Result<(), StorageError> {
        let Ok(append) = self.log.append(accepted) else {
            return self.checkpoint().await;
        };
        let (append, written) = tokio::task::spawn_blocking(move || {
            let written = append.write();
            (append, written)
        })
        .await
        .map_err(|e| StorageError::new("running a disk task", e))?;
        if let Err(e) = written {
            self.log.undo_append(&append);
            return Err(StorageError::new("writing the acknowledgement log", e));
        }
        self.unfolded_from.get_or_insert(accepted[0].0);
        Ok(())
    }

    /// Writes the pending transactions that only the log holds into redb, says so in
    /// the same transaction (`log_applied`), and starts the log again. A block being
    /// written meanwhile is fine: redb runs one write transaction at a time, and a
    /// mined transaction written back here is dropped again at the next start.
    async fn checkpoint(&mut self) -> Result<(), StorageError> {
        let mempool_add: Vec<(u64, Transaction)> = match self.unfolded_from {
            Some(from) => {
                let state = self.state.read();
                let entries = state.mempool.entries().filter(|e| e.seq >= from);
                entries.map(|e| (e.seq, *e.tx())).collect()
            }
            None => Vec::new(),
        };
        let folded = mempool_add.len();
        let started = std::time::Instant::now();
        self.write(Change {
            mempool_add,
            log_applied: Some(self.log.last_seq()),
            ..Change::default()
        })
        .await?;
        self.log_folded();
        tracing::info!(
            folded,
            write_ms = started.elapsed().as_secs_f64() * 1e3,
            "checkpoint: the acknowledgement log is in redb"
        );
        Ok(())
    }

    /// redb holds everything the log does: the log starts again.
    fn log_folded(&mut self) {
        self.log.restart();
        self.unfolded_from = None;
    }

    /// One durable redb write, off the async threads.
    async fn write(&self, change: Change) -> Result<(), StorageError> {
        let storage = self.shared.storage.clone();
        blocking(move || storage.commit(&change)).await
    }
}

/// Admission of one transaction: not already confirmed, then the mempool's rules.
fn admit_one(state: &mut ServerState, tx: VerifiedTx) -> Result<u64, ProtocolError> {
    if state.is_confirmed(&tx.txid()) {
        return Err(refusal(Refusal::AlreadyConfirmed));
    }
    let ServerState { mempool, chain, .. } = state;
    mempool
        .admit(tx, &chain.ledger)
        .map(|e| e.seq)
        .map_err(refusal)
}

/// A signed payment from the treasury, at its next pending nonce.
fn faucet_tx(
    state: &ServerState,
    treasury: Option<&SigningKey>,
    to: Address,
    amount: u64,
) -> Result<VerifiedTx, ProtocolError> {
    let key = treasury.ok_or_else(|| {
        ProtocolError::new(ErrorCode::FaucetDisabled, "this server has no faucet")
    })?;
    let from = simplechain_core::transaction::address_of(key);
    if from == to {
        return Err(ProtocolError::new(
            ErrorCode::BadRequest,
            "the treasury cannot pay itself",
        ));
    }
    let nonce = state.mempool.pending().account(&from).nonce;
    let chain_id = state.chain.chain_id;
    Ok(Transaction::sign_verified(
        key, &chain_id, to, amount, nonce,
    ))
}

/// Runs blocking disk work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::storage::StorageError> + Send + 'static,
) -> Result<T, crate::storage::StorageError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(crate::storage::StorageError::new("running a disk task", e)))
}
