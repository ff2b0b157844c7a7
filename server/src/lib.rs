//! The central server (PROTOCOL §1–§7): the library behind `simplechain server`.
//!
//! ```text
//! connections ──verify──▶ sequencer ──group commit──▶ redb
//!      ▲                     │   ▲
//!      │ read lock           ▼   │ mined blocks
//!      └──────────────── ChainView ◀── miner
//! ```
//!
//! [`Server::open`] loads (or creates) the chain; [`Server::run`] serves a listener until
//! its shutdown token is cancelled. The binary passes Ctrl-C and SIGTERM; tests bind
//! `127.0.0.1:0` and pass their own token.
//!
//! # Modules
//!
//! Who imports whom. Each line names only modules on the lines below it, so the
//! imports form a DAG (no cycle); nothing imports this file.
//!
//! ```text
//! lib (Server) → connection, sequencer, miner, shared, view, inbox, storage,
//!                keyfile, config, clock
//! connection   → cmd, shared                  frames in, answers out, in order
//! cmd/         → shared, inbox, view, cost,   one file per request; mod.rs
//!                storage, clock, wire_error   dispatches, session.rs is the
//!                                             connection's budget and subscription
//! sequencer    → shared, inbox, view,         the one writer (group commit)
//!                mempool, storage, wire_error
//! miner        → shared, inbox, clock         proof of work
//! shared       → view, inbox, storage,        what every task shares
//!                config, wire_error
//! view         → mempool                      the chain as readers see it
//! mempool      → wire_error                   pending transactions
//! clock, config, cost, inbox, keyfile, storage, wire_error → nothing in this crate
//! ```

mod clock;
mod cmd;
mod config;
mod connection;
pub mod cost;
mod inbox;
pub mod keyfile;
pub mod mempool;
mod miner;
mod sequencer;
mod shared;
pub mod storage;
mod view;
mod wire_error;

pub use clock::now_ms;
pub use config::{
    DEFAULT_DIFFICULTY, DEFAULT_SUPPLY, FaucetConfig, Limits, NewChain, ServerConfig,
};

use anyhow::{Context, bail};
use ed25519_dalek::SigningKey;
use inbox::Command;
use sequencer::Sequencer;
use shared::Shared;
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Block, ChainId};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use storage::{META_MINER, Storage};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use view::ChainView;

/// The treasury key's file inside the data dir.
pub const TREASURY_FILE: &str = "treasury.key";

/// A loaded server, ready to run.
#[derive(Debug)]
pub struct Server {
    shared: Arc<Shared>,
    commands: mpsc::Receiver<Command>,
    treasury: Option<SigningKey>,
    miner: Address,
}

impl Server {
    /// Opens the data dir, creating a new chain there if it is empty.
    pub fn open(config: ServerConfig) -> anyhow::Result<Server> {
        let data_dir = &config.data_dir;
        let storage = Storage::open(data_dir)
            .with_context(|| format!("cannot open the data dir {}", data_dir.display()))?;
        let mut loaded = storage
            .load()
            .with_context(|| format!("cannot read {}", storage.path().display()))?;
        if loaded.blocks.is_empty() {
            let (genesis, miner) = create_chain(&storage, data_dir, &config.new_chain)?;
            loaded.blocks.push(genesis);
            tracing::info!(%miner, "created a new chain");
        }
        let miner = stored_miner(&storage)?;
        check_flags(&config.new_chain, &loaded.blocks[0], miner)?;
        let treasury = match &config.faucet {
            Some(_) => Some(crate::keyfile::read(&data_dir.join(TREASURY_FILE)).context(
                "the faucet pays from the treasury key, which this data dir does not have",
            )?),
            None => None,
        };
        let mut view = ChainView::build(
            loaded.blocks,
            config.limits.mempool_capacity,
            config.faucet.is_some(),
        )
        .map_err(|e| anyhow::anyhow!("the stored chain is damaged: {e}"))?;
        let chain_id = view.state.chain_id;
        // Stored pending transactions go back through admission; those that no longer
        // apply (already in a block, or made invalid) are dropped, on disk too.
        let mut dropped = Vec::new();
        for (seq, tx) in loaded.mempool {
            let txid = tx.txid(&chain_id);
            if view.is_confirmed(&txid)
                || view
                    .mempool
                    .restore(seq, tx, txid, &view.state.ledger)
                    .is_err()
            {
                dropped.push(seq);
            }
        }
        if !dropped.is_empty() {
            tracing::warn!(
                dropped = dropped.len(),
                "stored pending transactions no longer apply; removing them"
            );
            storage
                .commit_blocks(view.blocks.len() as u64, &[], &dropped, &[])
                .context("cannot remove stale pending transactions")?;
        }
        tracing::info!(
            chain_id = %chain_id,
            height = view.state.height,
            mempool = view.mempool.len(),
            "chain loaded"
        );
        let (commands_tx, commands) = mpsc::channel(65_536);
        let shared = Arc::new(Shared {
            view: RwLock::new(view),
            chain_id,
            storage: Arc::new(storage),
            commands: commands_tx,
            tips: broadcast::channel(1024).0,
            wake_miner: Notify::new(),
            heavy: Semaphore::new(1),
            faucet: config.faucet.clone(),
            faucet_paid: Mutex::new(HashMap::new()),
            limits: config.limits.clone(),
        });
        Ok(Server {
            shared,
            commands,
            treasury,
            miner,
        })
    }

    /// The chain id.
    pub fn chain_id(&self) -> ChainId {
        self.shared.chain_id
    }

    /// Serves `listener` until `shutdown` is cancelled, then lets every connection
    /// finish what it has read and waits for the last disk write.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let Server {
            shared,
            commands,
            treasury,
            miner,
        } = self;
        let tasks = TaskTracker::new();
        let sequencer = tokio::spawn(Sequencer::new(shared.clone(), commands, treasury).run());
        let miner_task = tokio::spawn(miner::run(shared.clone(), miner, shutdown.clone()));
        let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
        tracing::info!(address = %listener.local_addr()?, "listening");
        loop {
            let (socket, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                tasks.spawn(refuse(socket, shared.limits.max_connections));
                continue;
            };
            let (shared, shutdown) = (shared.clone(), shutdown.clone());
            tasks.spawn(async move {
                connection::serve(socket, peer, shared, shutdown).await;
                drop(permit);
            });
        }
        drop(listener);
        tasks.close();
        tasks.wait().await;
        let _ = miner_task.await;
        // Nothing else can send now: let the sequencer finish its queue and stop.
        let _ = shared.commands.send(Command::Stop).await;
        let _ = sequencer.await;
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Answers a connection over the cap with `busy` and closes it.
async fn refuse(mut socket: tokio::net::TcpStream, cap: usize) {
    use tokio::io::AsyncWriteExt;
    let line =
        format!("ERROR:busy:the server is at its limit of {cap} connections; try again later\n");
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        socket.write_all(line.as_bytes()),
    )
    .await;
    let _ = socket.shutdown().await;
}

/// Creates the treasury key and the genesis block of a new chain.
fn create_chain(
    storage: &Storage,
    data_dir: &Path,
    new: &NewChain,
) -> anyhow::Result<(Block, Address)> {
    let treasury_path = data_dir.join(TREASURY_FILE);
    let treasury = if treasury_path.exists() {
        crate::keyfile::read(&treasury_path)?
    } else {
        let key = crate::keyfile::generate();
        crate::keyfile::write_new(&treasury_path, &key)?;
        key
    };
    let treasury = address_of(&treasury);
    let difficulty = new.difficulty.unwrap_or(DEFAULT_DIFFICULTY);
    if difficulty > 255 {
        bail!("--difficulty must be 0 to 255, got {difficulty}");
    }
    let owner = new.genesis_address.unwrap_or(treasury);
    let supply = new.supply.unwrap_or(DEFAULT_SUPPLY);
    let miner = new.miner_address.unwrap_or(treasury);
    tracing::info!(difficulty, supply, %owner, "mining the genesis block");
    let genesis = Block::genesis(owner, supply, difficulty, now_ms());
    storage.initialize(&genesis, &[(META_MINER, miner.as_bytes())])?;
    Ok((genesis, miner))
}

fn stored_miner(storage: &Storage) -> anyhow::Result<Address> {
    let bytes = storage
        .meta(META_MINER)?
        .context("the data dir has no miner address")?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("the stored miner address is damaged"))?;
    Ok(Address::from_bytes(bytes))
}

/// Refuses flags that contradict the chain in the data dir.
fn check_flags(new: &NewChain, genesis: &Block, miner: Address) -> anyhow::Result<()> {
    let mut wrong = Vec::new();
    if let Some(d) = new.difficulty.filter(|d| *d != genesis.difficulty) {
        wrong.push(format!(
            "--difficulty {d} (the chain's difficulty is {})",
            genesis.difficulty
        ));
    }
    if let Some(a) = new.genesis_address.filter(|a| *a != genesis.miner) {
        wrong.push(format!(
            "--genesis-address {a} (the chain's genesis address is {})",
            genesis.miner
        ));
    }
    if let Some(s) = new.supply.filter(|s| *s != genesis.reward) {
        wrong.push(format!(
            "--supply {s} (the chain's supply is {})",
            genesis.reward
        ));
    }
    if let Some(m) = new.miner_address.filter(|m| *m != miner) {
        wrong.push(format!(
            "--miner-address {m} (the chain's miner address is {miner})"
        ));
    }
    if !wrong.is_empty() {
        bail!(
            "these flags contradict the chain already in the data dir: {}. They only apply to a new data dir; \
             drop them, or use another --data-dir",
            wrong.join("; ")
        );
    }
    Ok(())
}
