//! The one writer. Every change to the chain or the mempool goes through here, in
//! order: admitted transactions (in batches: one durable commit per batch, which is the
//! group commit), mined blocks and adopted chains. Signatures are verified before a
//! command arrives, so this task only does the cheap state checks and the disk writes.

use crate::inbox::Command;
use crate::mempool::Entry;
use crate::shared::Shared;
use crate::view::ChainView;
use crate::wire_error::{fork_error, invalid_chain, not_saved};
use ed25519_dalek::SigningKey;
use simplechain_core::fork::{ForkChoice, choose};
use simplechain_core::protocol::{ErrorCode, Event, ProtocolError};
use simplechain_core::validate::{ChainState, SignatureMode, ValidateOptions};
use simplechain_core::{Address, Block, Transaction, TxId};
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
    commands: mpsc::Receiver<Command>,
    treasury: Option<SigningKey>,
}

impl Sequencer {
    pub fn new(
        shared: Arc<Shared>,
        commands: mpsc::Receiver<Command>,
        treasury: Option<SigningKey>,
    ) -> Self {
        Sequencer {
            shared,
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
                    Command::Adopt { blocks, reply } => {
                        self.admit(std::mem::take(&mut admissions)).await;
                        let _ = reply.send(self.adopt(blocks).await);
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
            let mut view = self.shared.view.write().expect("view lock");
            for command in commands {
                match command {
                    Command::Add { tx, txid, reply } => match admit_one(&mut view, tx, txid) {
                        Ok(seq) => {
                            accepted.push((seq, tx));
                            waiting.push(Admitted::Add(reply));
                        }
                        Err(e) => {
                            let _ = reply.send(Err(e));
                        }
                    },
                    Command::Faucet { to, amount, reply } => {
                        match faucet_tx(&view, self.treasury.as_ref(), to, amount)
                            .and_then(|(tx, txid)| Ok((tx, txid, admit_one(&mut view, tx, txid)?)))
                        {
                            Ok((tx, txid, seq)) => {
                                accepted.push((seq, tx));
                                waiting.push(Admitted::Faucet(reply, txid));
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
                let mut view = self.shared.view.write().expect("view lock");
                let ChainView { mempool, state, .. } = &mut *view;
                mempool.truncate_from(first_seq, &state.ledger);
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

    /// Appends a mined block if it still extends the tip.
    async fn append(&mut self, block: Block) {
        let checked = {
            let view = self.shared.view.read().expect("view lock");
            check_mined(&view, &block)
        };
        let (next, txids, remove) = match checked {
            Ok(c) => c,
            Err(why) => {
                tracing::debug!(height = block.height, why, "discarding a mined block");
                return;
            }
        };
        let storage = self.shared.storage.clone();
        let started = std::time::Instant::now();
        let to_store = block.clone();
        let written = blocking(move || {
            storage.commit_blocks(
                to_store.height,
                std::slice::from_ref(&to_store),
                &remove,
                &[],
            )
        })
        .await;
        if let Err(e) = written {
            tracing::error!(error = %e, height = block.height, "could not write a mined block");
            return;
        }
        let event = Event::Tip {
            height: block.height,
            hash: block.hash,
        };
        let write_ms = started.elapsed().as_secs_f64() * 1e3;
        tracing::info!(height = block.height, transactions = block.transactions.len(), hash = %block.hash, write_ms, "block");
        let dropped = {
            let mut view = self.shared.view.write().expect("view lock");
            let before = view.mempool.len();
            view.push_block(block, next, txids.clone());
            before - txids.len() - view.mempool.len()
        };
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "pending transactions no longer applied after a block"
            );
        }
        let _ = self.shared.tips.send(event);
        self.shared.wake_miner.notify_one();
    }

    /// Switches to a validated candidate chain, re-queuing the transactions of the
    /// replaced blocks that still apply.
    async fn adopt(&mut self, blocks: Vec<Block>) -> Result<(), ProtocolError> {
        let (fork_height, new_view, removed_seqs, added) = {
            let view = self.shared.view.read().expect("view lock");
            let theirs: Vec<_> = blocks.iter().map(|b| b.hash).collect();
            let fork_height = match choose(&view.hashes(), &theirs, view.state.difficulty) {
                Ok(ForkChoice::Same) => return Ok(()),
                Ok(ForkChoice::Adopt { fork_height, .. }) => fork_height,
                Err(rejection) => return Err(fork_error(rejection)),
            };
            let mut new_view = ChainView::build(
                blocks.clone(),
                self.shared.limits.mempool_capacity,
                view.faucet,
            )
            .map_err(invalid_chain)?;
            new_view.mempool.continue_after(&view.mempool);
            // Replaced blocks' transactions first (they are older), then the mempool.
            let orphans = view.blocks[fork_height as usize..]
                .iter()
                .flat_map(|b| {
                    b.block
                        .transactions
                        .iter()
                        .zip(&b.txids)
                        .map(|(tx, id)| (*tx, *id))
                })
                .chain(view.mempool.entries().map(|e: &Entry| (e.tx, e.txid)));
            let mut added = Vec::new();
            let mut lost = 0usize;
            for (tx, txid) in orphans {
                if new_view.is_confirmed(&txid) {
                    continue;
                }
                match new_view.mempool.admit(tx, txid, &new_view.state.ledger) {
                    Ok(entry) => added.push((entry.seq, entry.tx)),
                    Err(_) => lost += 1,
                }
            }
            if lost > 0 {
                tracing::warn!(
                    lost,
                    "transactions of the replaced chain no longer apply and were dropped"
                );
            }
            let removed: Vec<u64> = view.mempool.entries().map(|e| e.seq).collect();
            (fork_height, new_view, removed, added)
        };
        let storage = self.shared.storage.clone();
        let new_blocks: Vec<Block> = new_view.blocks[fork_height as usize..]
            .iter()
            .map(|b| b.block.clone())
            .collect();
        blocking(move || storage.commit_blocks(fork_height, &new_blocks, &removed_seqs, &added))
            .await
            .map_err(not_saved)?;
        let event = Event::Tip {
            height: new_view.state.height,
            hash: new_view.state.tip,
        };
        tracing::info!(
            height = new_view.state.height,
            fork_height,
            "adopted a synced chain"
        );
        *self.shared.view.write().expect("view lock") = new_view;
        let _ = self.shared.tips.send(event);
        self.shared.wake_miner.notify_one();
        Ok(())
    }
}

/// Admission of one transaction: not already confirmed, then the mempool's rules.
fn admit_one(view: &mut ChainView, tx: Transaction, txid: TxId) -> Result<u64, ProtocolError> {
    if view.is_confirmed(&txid) {
        return Err(ProtocolError::new(
            ErrorCode::Duplicate,
            "the transaction is already in a block",
        ));
    }
    let ChainView { mempool, state, .. } = view;
    mempool.admit(tx, txid, &state.ledger).map(|e| e.seq)
}

/// A signed payment from the treasury, at its next pending nonce.
fn faucet_tx(
    view: &ChainView,
    treasury: Option<&SigningKey>,
    to: Address,
    amount: u64,
) -> Result<(Transaction, TxId), ProtocolError> {
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
    let nonce = view.mempool.pending().account(&from).nonce;
    let tx = Transaction::sign(key, &view.state.chain_id, to, amount, nonce);
    Ok((tx, tx.txid(&view.state.chain_id)))
}

type Checked = (ChainState, Vec<TxId>, Vec<u64>);

/// Whether a mined block still extends our tip with pending transactions only.
fn check_mined(view: &ChainView, block: &Block) -> Result<Checked, &'static str> {
    if block.prev_hash != view.state.tip {
        return Err("the tip moved while mining");
    }
    let mut next = view.state.clone();
    let opts = ValidateOptions {
        signatures: SignatureMode::Trust,
        now_ms: None,
    };
    let txids = next
        .apply_block(block, &opts)
        .map_err(|_| "the block no longer applies")?;
    let remove = txids
        .iter()
        .map(|id| view.mempool.seq_of(id))
        .collect::<Option<Vec<u64>>>();
    let remove = remove.ok_or("a transaction left the mempool while mining")?;
    Ok((next, txids, remove))
}

/// Runs blocking disk work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::storage::StorageError> + Send + 'static,
) -> Result<T, crate::storage::StorageError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(crate::storage::StorageError {
            doing: "running a disk task",
            source: e.to_string(),
        })
    })
}
