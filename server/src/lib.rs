//! The central server (PROTOCOL §1–§7): the library behind `simplechain server`.
//!
//! ```text
//! connections ──verify──▶ sequencer ──group commit──▶ acks.log ──checkpoint──▶ redb
//!      ▲                     │   ▲
//!      │ read lock           ▼   │ mined blocks
//!      └─────────────── ServerState ◀── miner
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
//! lib (Server) → open, connection, sequencer, miner, shared, state, inbox,
//!                storage, config, clock, cost, wal
//! open         → state, storage, keyfile,     a data dir read back or created,
//!                config, clock, wal           the log replayed
//! connection   → cmd, shared, large_lines,    frames in, answers out, in order
//!                cost
//! cmd/         → shared, inbox, state, cost,  one file per request; mod.rs
//!                storage, clock, wire_error   dispatches, session.rs is the
//!                                             connection's budget and subscription
//! sequencer    → shared, inbox, state,        the one writer (group commit)
//!                mempool, storage, wire_error,
//!                wal
//! miner        → shared, inbox, clock         proof of work
//! shared       → state, inbox, storage,       what every task shares
//!                config, cost, wire_error
//! state        → mempool, tree, stored        the main chain and mempool in memory;
//!                                             the one StateWriter
//! tree         → stored                       the side branches of the block tree
//! wire_error   → mempool                      internal errors → wire codes
//! large_lines  → cost                         the budget for large request lines
//! config       → wal                          the log's default size
//! clock, cost, inbox, keyfile, mempool, storage, stored, wal → nothing in this
//! crate
//! ```
//!
//! `server/tests/module_dag.rs` checks that there is no cycle.

mod clock;
mod cmd;
mod config;
mod connection;
pub mod cost;
mod inbox;
pub mod keyfile;
mod large_lines;
pub mod mempool;
mod miner;
mod open;
mod sequencer;
mod shared;
mod state;
pub mod storage;
mod stored;
mod tree;
pub mod wal;
mod wire_error;

pub use clock::now_ms;
pub use config::{
    DEFAULT_DIFFICULTY, DEFAULT_SUPPLY, FaucetConfig, Limits, MinerConfig, NewChain, ServerConfig,
};
pub use open::OpenError;

use ed25519_dalek::SigningKey;
use inbox::Command;
use sequencer::Sequencer;
use shared::Shared;
use simplechain_core::{Address, ChainId};
use state::{StateCell, StateWriter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The treasury key's file inside the data dir.
pub const TREASURY_FILE: &str = "treasury.key";

/// A loaded server, ready to run.
#[derive(Debug)]
pub struct Server {
    shared: Arc<Shared>,
    /// The one writer of the state, handed to the sequencer by [`Server::run`].
    writer: StateWriter,
    commands: mpsc::Receiver<Command>,
    treasury: Option<SigningKey>,
    miner: Address,
    miner_config: MinerConfig,
    /// The acknowledgement log, handed to the sequencer by [`Server::run`].
    log: wal::AckLog,
}

impl Server {
    /// Opens the data dir, creating a new chain there if it is empty.
    pub fn open(config: ServerConfig) -> Result<Server, OpenError> {
        let opened = open::open(&config)?;
        let (commands_tx, commands) = mpsc::channel(65_536);
        let chain_id = opened.state.chain.chain_id;
        let (state, writer) = StateCell::new(opened.state);
        let shared = Arc::new(Shared {
            state,
            chain_id,
            storage: Arc::new(opened.storage),
            commands: commands_tx,
            tips: broadcast::channel(1024).0,
            wake_miner: Notify::new(),
            heavy: Semaphore::new(1),
            faucet_rate: Mutex::new(cost::CostBucket::new(
                config.faucet.as_ref().map_or(0.0, |f| f.burst.max(1.0)),
                config.faucet.as_ref().map_or(0.0, |f| f.per_minute / 60.0),
                std::time::Instant::now(),
            )),
            faucet: config.faucet.clone(),
            faucet_paid: Mutex::new(HashMap::new()),
            heavy_waiting: std::sync::atomic::AtomicUsize::new(0),
            large_bytes: Arc::new(Semaphore::new(
                config.limits.max_large_bytes.min(Semaphore::MAX_PERMITS),
            )),
            large_rate: Arc::new(Mutex::new(cost::CostBucket::new(
                (config.limits.max_large_bytes_per_sec as f64 / (1 << 20) as f64).max(1.0) * 2.0,
                (config.limits.max_large_bytes_per_sec as f64 / (1 << 20) as f64).max(1.0),
                std::time::Instant::now(),
            ))),
            per_address: Mutex::new(HashMap::new()),
            limits: config.limits.clone(),
        });
        Ok(Server {
            shared,
            writer,
            commands,
            treasury: opened.treasury,
            miner: opened.miner,
            miner_config: config.miner.clone(),
            log: opened.log,
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
    ) -> std::io::Result<()> {
        let Server {
            shared,
            writer,
            commands,
            treasury,
            miner,
            miner_config,
            log,
        } = self;
        let tasks = TaskTracker::new();
        let sequencer =
            tokio::spawn(Sequencer::new(shared.clone(), writer, commands, treasury, log).run());
        let miner_task = tokio::spawn(miner::run(
            shared.clone(),
            miner,
            miner_config,
            shutdown.clone(),
        ));
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
                let line = format!(
                    "the server is at its limit of {} connections; try again later",
                    shared.limits.max_connections
                );
                tasks.spawn(refuse(socket, line));
                continue;
            };
            let Some(slot) = AddressSlot::take(&shared, peer.ip()) else {
                tracing::info!(%peer, "connection refused: too many from this address");
                let line = format!(
                    "this address already has {} connections open; close one and try again",
                    shared.limits.max_connections_per_address
                );
                tasks.spawn(refuse(socket, line));
                continue;
            };
            let (shared, shutdown) = (shared.clone(), shutdown.clone());
            tasks.spawn(async move {
                connection::serve(socket, peer, shared, shutdown).await;
                drop((permit, slot));
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

/// One connection of a client address, counted against the per-address cap (unless
/// the address is trusted); dropping it frees the slot.
struct AddressSlot {
    shared: Arc<Shared>,
    ip: Option<std::net::IpAddr>,
}

impl AddressSlot {
    /// A slot for `ip`, or `None` when it holds the per-address cap already.
    fn take(shared: &Arc<Shared>, ip: std::net::IpAddr) -> Option<AddressSlot> {
        let ip = ip.to_canonical();
        if shared.limits.trusted_addresses.contains(&ip) {
            return Some(AddressSlot {
                shared: shared.clone(),
                ip: None,
            });
        }
        let mut counts = shared.per_address.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(ip).or_default();
        if *count >= shared.limits.max_connections_per_address {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            shared: shared.clone(),
            ip: Some(ip),
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut counts = self
            .shared
            .per_address
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }
}

/// Answers a connection over a cap with `busy` and closes it.
async fn refuse(mut socket: tokio::net::TcpStream, why: String) {
    use tokio::io::AsyncWriteExt;
    let line = format!("ERROR:busy:{why}\n");
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        socket.write_all(line.as_bytes()),
    )
    .await;
    let _ = socket.shutdown().await;
}
