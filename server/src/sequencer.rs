//! The one writer. Every change to the chain or the mempool goes through here, in
//! order: admitted transactions (in batches: one durable commit per batch, which is the
//! group commit), mined blocks and adopted chains. Signatures are verified before a
//! command arrives, so this task only does the cheap state checks and the disk writes.

use crate::inbox::Command;
use crate::mempool::Refusal;
use crate::shared::Shared;
use crate::state::{ServerState, StateWriter};
use crate::wire_error::{fork_error, not_saved, refusal};
use ed25519_dalek::SigningKey;
use simplechain_core::fork::{ForkChoice, choose};
use simplechain_core::protocol::{ErrorCode, Event, ProtocolError};
use simplechain_core::template::BuiltBlock;
use simplechain_core::validate::{Effects, ValidChain};
use simplechain_core::{Address, Transaction, TxId, VerifiedTx};
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
                        self.append(block).await;
                        let _ = reply.send(());
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
                    Command::Mined { .. } | Command::Adopt { .. } | Command::Stop => {
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

    /// Appends a mined block if it still extends the tip: checked on the current state
    /// (no copy of it), made durable, then applied.
    async fn append(&mut self, built: BuiltBlock) {
        let checked = check_mined(&self.state.read(), &built);
        let (effects, remove) = match checked {
            Ok(c) => c,
            Err(why) => {
                let height = built.block().header.height;
                tracing::debug!(height, why, "discarding a mined block");
                return;
            }
        };
        let block = built.into_block();
        let (height, hash) = (block.header.height, block.hash);
        let json: Arc<str> = serde_json::to_string(&block).unwrap_or_default().into();
        let storage = self.shared.storage.clone();
        let started = std::time::Instant::now();
        let to_write = json.clone();
        let written =
            blocking(move || storage.commit_blocks(height, &[(height, &to_write)], &remove, &[]))
                .await;
        if let Err(e) = written {
            tracing::error!(error = %e, height, "could not write a mined block");
            return;
        }
        let write_ms = started.elapsed().as_secs_f64() * 1e3;
        let transactions = block.transactions.len();
        tracing::info!(height, transactions, %hash, write_ms, "block");
        let dropped = {
            let mut state = self.state.write();
            let before = state.mempool.len();
            if let Err(e) = state.push_block(block, effects, json) {
                tracing::error!(error = %e, height, "a mined block no longer applied after its write");
                return;
            }
            before - transactions - state.mempool.len()
        };
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "pending transactions no longer applied after a block"
            );
        }
        let _ = self.shared.tips.send(Event::Tip { height, hash });
        self.shared.wake_miner.notify_one();
    }

    /// Switches to a validated candidate chain, re-queuing the transactions of the
    /// replaced blocks that still apply.
    async fn adopt(&mut self, chain: ValidChain) -> Result<(), ProtocolError> {
        let (fork_height, new_state, removed_seqs, added) = {
            let state = self.state.read();
            let theirs: Vec<_> = chain.blocks().iter().map(|b| b.hash()).collect();
            let fork_height = match choose(&state.hashes(), &theirs, state.chain.difficulty) {
                Ok(ForkChoice::Same) => return Ok(()),
                Ok(ForkChoice::Adopt { fork_height, .. }) => fork_height,
                Err(rejection) => return Err(fork_error(rejection)),
            };
            let mut new_state =
                ServerState::new(chain, self.shared.limits.mempool_capacity, state.faucet);
            new_state.mempool.continue_after(&state.mempool);
            // Replaced blocks' transactions first (they are older), then the mempool.
            let orphans = state
                .blocks_from(fork_height)
                .iter()
                .flat_map(|b| b.valid.verified_transactions())
                .chain(state.mempool.entries().map(|e| e.verified));
            let mut added = Vec::new();
            let mut lost = 0usize;
            for verified in orphans {
                if new_state.is_confirmed(&verified.txid()) {
                    continue;
                }
                let ServerState { mempool, chain, .. } = &mut new_state;
                match mempool.admit(verified, &chain.ledger) {
                    Ok(entry) => added.push((entry.seq, *entry.tx())),
                    Err(_) => lost += 1,
                }
            }
            if lost > 0 {
                tracing::warn!(
                    lost,
                    "transactions of the replaced chain no longer apply and were dropped"
                );
            }
            let removed: Vec<u64> = state.mempool.entries().map(|e| e.seq).collect();
            (fork_height, new_state, removed, added)
        };
        let storage = self.shared.storage.clone();
        let new_blocks: Vec<(u64, Arc<str>)> = new_state
            .blocks_from(fork_height)
            .iter()
            .map(|b| (b.height(), b.json.clone()))
            .collect();
        blocking(move || {
            let blocks: Vec<(u64, &str)> = new_blocks.iter().map(|(h, j)| (*h, &**j)).collect();
            storage.commit_blocks(fork_height, &blocks, &removed_seqs, &added)
        })
        .await
        .map_err(not_saved)?;
        let event = Event::Tip {
            height: new_state.chain.height,
            hash: new_state.chain.tip,
        };
        tracing::info!(
            height = new_state.chain.height,
            fork_height,
            "adopted a synced chain"
        );
        *self.state.write() = new_state;
        let _ = self.shared.tips.send(event);
        self.shared.wake_miner.notify_one();
        Ok(())
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

/// Whether a mined block still extends our tip with pending transactions only: its
/// effects on the chain state and the mempool entries it removes.
fn check_mined(
    state: &ServerState,
    built: &BuiltBlock,
) -> Result<(Effects, Vec<u64>), &'static str> {
    if built.block().header.prev_hash != state.chain.tip {
        return Err("the tip moved while mining");
    }
    let effects = state
        .chain
        .check_built(built)
        .map_err(|_| "the block no longer applies")?;
    let remove = built
        .txids()
        .iter()
        .map(|id| state.mempool.seq_of(id))
        .collect::<Option<Vec<u64>>>();
    let remove = remove.ok_or("a transaction left the mempool while mining")?;
    Ok((effects, remove))
}

/// Runs blocking disk work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::storage::StorageError> + Send + 'static,
) -> Result<T, crate::storage::StorageError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(crate::storage::StorageError::new("running a disk task", e)))
}
