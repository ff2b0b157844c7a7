//! The one writer. Every change to the chain or the mempool goes through here, in
//! order: admitted transactions (in batches: one durable write per batch, which is the
//! group commit), blocks (submitted by anyone, or mined by our own miner) and adopted
//! chains. Signatures are verified before a command arrives, so this task only does
//! the cheap state checks and the disk writes.
//!
//! A batch of admitted transactions is made durable by one record of the
//! acknowledgement log (`wal.rs`: one `pwrite`, one `fdatasync`) before anyone gets
//! `SUCCESS`; so is a block on top of the main tip before `SUBMITTED`. The log is
//! written in two halves: when one is full, writing moves to the other and what the
//! log holds is checkpointed into redb in the background (`sequencer/checkpoint.rs`).
//!
//! A block goes one of three ways (PROTOCOL §9):
//!
//! ```text
//! parent is the tip ──────────────▶ extend_tip       check, log, apply     "tip", 0
//! parent elsewhere in the tree ──▶ checked on its branch's state, then
//!     branch has no more work ───▶ keep_side        log, keep               "side"
//!     branch has more work ──────▶ switch_to        switch, write           "tip", n
//! SYNC_BLOCKCHAIN adopted ────────▶ switch_to        (the same switch)
//! ```
//!
//! A block on the tip, and a side block, costs the admissions behind it one log write
//! (the same cost as a batch of theirs): each used to be a redb commit, which made
//! every log write behind it wait for the disk (`docs/PERFORMANCE.md`, issue 13). A
//! switch is written into redb (with the whole mempool: a checkpoint too).
//!
//! `switch_to` is the one reorg: the replaced blocks become a side branch, and their
//! transactions and the pending ones are re-admitted in order on the new chain
//! (`ServerState::switch_main`), so nothing acknowledged is lost unless the new chain
//! makes it invalid. Admission and the log are here; the block work is in
//! `sequencer/blocks.rs`, the switch in `sequencer/switch.rs`, and who is answered for
//! a block in `sequencer/block_reply.rs`.

mod block_reply;
mod blocks;
mod checkpoint;
mod switch;

use crate::inbox::Command;
use crate::mempool::Refusal;
use crate::shared::Shared;
use crate::state::{ServerState, StateWriter};
use crate::storage::{Change, StorageError};
use crate::wal::record::LoggedBlock;
use crate::wal::{AckLog, Append, LogFull};
use crate::wire_error::{not_saved, refusal};
use block_reply::BlockReply;
use checkpoint::{Checkpointing, Unfolded};
use ed25519_dalek::SigningKey;
use simplechain_core::protocol::{ErrorCode, ProtocolError};
use simplechain_core::validate::PreverifiedBlock;
use simplechain_core::{Address, BlockHash, Transaction, TxId, VerifiedTx};
use std::sync::Arc;
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
    /// Where admitted batches, blocks on the tip and side blocks are made durable.
    log: AckLog,
    /// What the next checkpoint must write into redb (`sequencer/checkpoint.rs`).
    unfolded: Unfolded,
    /// The checkpoint being written in the background, if one is.
    checkpointing: Option<Checkpointing>,
    /// Whether the half of the log not being written holds nothing redb lacks.
    other_half_free: bool,
}

/// What one log record holds, to be written.
#[derive(Clone, Copy)]
enum Record<'a> {
    Admitted(&'a [(u64, Transaction)]),
    /// A block on top of the tip (not applied in memory yet): its height, its JSON,
    /// and the record's form of it (its transactions by mempool sequence number).
    Block {
        height: u64,
        json: &'a Arc<str>,
        logged: &'a LoggedBlock,
    },
    /// A block kept on a side branch (already checked on its branch): its hash and
    /// its JSON.
    Side {
        hash: BlockHash,
        json: &'a Arc<str>,
    },
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
            log,
            unfolded: Unfolded::default(),
            checkpointing: None,
            other_half_free: true,
        }
    }

    /// Runs until [`Command::Stop`].
    pub async fn run(mut self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut stopping = false;
        while !stopping {
            let n = self.commands.recv_many(&mut batch, MAX_BATCH).await;
            if n == 0 {
                break;
            }
            let mut admissions = Vec::new();
            for command in batch.drain(..) {
                match command {
                    Command::Stop => stopping = true,
                    Command::Add { .. } | Command::Faucet { .. } => admissions.push(command),
                    Command::Mined { block, json, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        let block = PreverifiedBlock::from_built(block, self.shared.chain_id);
                        self.submit(block, json, BlockReply::Mined(reply)).await;
                    }
                    Command::Submit { block, json, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        self.submit(block, json, BlockReply::Submit(reply)).await;
                    }
                    Command::Adopt { chain, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        let _ = reply.send(self.adopt(chain).await);
                    }
                }
            }
            self.admit(admissions).await;
        }
        self.settle_checkpoint().await;
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
        let written = self.make_durable(Record::Admitted(&accepted)).await;
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

    /// One record of the acknowledgement log, written and on the disk. When the half
    /// being written is full, the other one takes it (`sequencer/checkpoint.rs`); a
    /// record larger than a whole half goes straight into redb instead, after a
    /// checkpoint of everything else.
    async fn make_durable(&mut self, record: Record<'_>) -> Result<(), StorageError> {
        let append = match self.append(record) {
            Ok(append) => append,
            Err(LogFull) => {
                let below = match record {
                    Record::Admitted(txs) => Some(txs[0].0),
                    Record::Block { .. } | Record::Side { .. } => None,
                };
                self.make_room(below).await?;
                match self.append(record) {
                    Ok(append) => append,
                    Err(LogFull) => {
                        self.checkpoint_now(below).await?;
                        return self.write(larger_than_the_log(record)).await;
                    }
                }
            }
        };
        let spawned = std::time::Instant::now();
        let (append, written) = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let written = append.write();
            // Waiting for a blocking thread, then the disk (`pwrite` + `fdatasync`).
            let queued_ms = (started - spawned).as_secs_f64() * 1e3;
            let io_ms = started.elapsed().as_secs_f64() * 1e3;
            tracing::debug!(queued_ms, io_ms, "log write");
            (append, written)
        })
        .await
        .map_err(|e| StorageError::new("running a disk task", e))?;
        if let Err(e) = written {
            if let Err(zeroing) = self.log.undo_append(&append) {
                tracing::warn!(error = %zeroing, "could not zero a log record whose write failed");
            }
            return Err(StorageError::new("writing the acknowledgement log", e));
        }
        let unfolded = &mut self.unfolded;
        match record {
            Record::Admitted(txs) => unfolded.mempool_from.get_or_insert(txs[0].0),
            Record::Block { height, .. } => unfolded.blocks_from.get_or_insert(height),
            Record::Side { hash, .. } => {
                unfolded.side.push(hash);
                return Ok(());
            }
        };
        Ok(())
    }

    fn append(&mut self, record: Record<'_>) -> Result<Append, LogFull> {
        match record {
            Record::Admitted(txs) => self.log.append(txs),
            Record::Block { logged, .. } => self.log.append_block(logged),
            Record::Side { json, .. } => self.log.append_side(json),
        }
    }

    /// One durable redb write, off the async threads.
    async fn write(&self, change: Change) -> Result<(), StorageError> {
        let storage = self.shared.storage.clone();
        blocking(move || storage.commit(&change)).await
    }
}

/// A record that does not fit even in an empty half of the log, as a redb write of its
/// own (everything before it was just checkpointed).
fn larger_than_the_log(record: Record<'_>) -> Change {
    match record {
        Record::Admitted(txs) => Change {
            mempool_add: txs.to_vec(),
            ..Change::default()
        },
        Record::Block { height, json, .. } => Change {
            main_from: height,
            main: vec![(height, json.clone())],
            ..Change::default()
        },
        Record::Side { hash, json } => Change {
            side_add: vec![(hash, json.clone())],
            ..Change::default()
        },
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
