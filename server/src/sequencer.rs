//! The one writer. Every change to the chain or the mempool goes through here, in
//! order: admitted transactions (in batches: one durable commit per batch, which is the
//! group commit), blocks (submitted by anyone, or mined by our own miner) and adopted
//! chains. Signatures are verified before a command arrives, so this task only does
//! the cheap state checks and the disk writes.
//!
//! A block goes one of three ways (PROTOCOL §9):
//!
//! ```text
//! parent is the tip ──────────────▶ extend_tip       check, write, apply    "tip", 0
//! parent elsewhere in the tree ──▶ checked on its branch's state, then
//!     branch has no more work ───▶ keep_side        write, keep             "side"
//!     branch has more work ──────▶ switch_to        switch, write           "tip", n
//! SYNC_BLOCKCHAIN adopted ────────▶ switch_to        (the same switch)
//! ```
//!
//! `switch_to` is the one reorg: the replaced blocks become a side branch, and their
//! transactions and the pending ones are re-admitted in order on the new chain
//! (`ServerState::switch_main`), so nothing acknowledged is lost unless the new chain
//! makes it invalid. Admission is here; the block work is in `sequencer/blocks.rs`.

mod blocks;

use crate::inbox::Command;
use crate::mempool::Refusal;
use crate::shared::Shared;
use crate::state::{ServerState, StateWriter};
use crate::wire_error::{not_saved, refusal};
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
    /// Side blocks pruned from memory, removed from disk with the next block write.
    pruned: Vec<BlockHash>,
    /// Mempool entries a block made invalid, removed from disk with the next block
    /// write (until then a restart drops them again when it re-admits them).
    stale: Vec<u64>,
}

impl Sequencer {
    pub fn new(
        shared: Arc<Shared>,
        state: StateWriter,
        commands: mpsc::Receiver<Command>,
        treasury: Option<SigningKey>,
    ) -> Self {
        Sequencer {
            shared,
            state,
            commands,
            treasury,
            pruned: Vec::new(),
            stale: Vec::new(),
        }
    }

    /// Runs until [`Command::Stop`].
    pub async fn run(mut self) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut stopping = false;
        while !stopping && self.commands.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let mut admissions = Vec::new();
            for command in batch.drain(..) {
                match command {
                    Command::Stop => stopping = true,
                    Command::Add { .. } | Command::Faucet { .. } => admissions.push(command),
                    Command::Mined { block, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        let height = block.block().header.height;
                        let block = PreverifiedBlock::from_built(block, self.shared.chain_id);
                        match self.submit(block).await {
                            Ok(placed) => {
                                tracing::debug!(height, status = ?placed.status, "our own block")
                            }
                            Err(e) => {
                                tracing::debug!(height, error = %e, "our own block was refused")
                            }
                        }
                        let _ = reply.send(());
                    }
                    Command::Submit { block, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        let _ = reply.send(self.submit(block).await);
                    }
                    Command::Adopt { chain, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        let _ = reply.send(self.adopt(chain).await);
                    }
                }
            }
            self.admit(admissions).await;
        }
    }

    /// Admits a batch against pending state, writes the accepted ones in one durable
    /// commit, then answers everyone.
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
        let storage = self.shared.storage.clone();
        let batch = accepted.len();
        let started = std::time::Instant::now();
        let written = blocking(move || storage.add_to_mempool(&accepted)).await;
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
