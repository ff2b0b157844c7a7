//! What every task of the server shares: the state to read, the storage, the
//! sequencer's inbox, the tip broadcast and the limits. Readers go through the small
//! methods here; only the sequencer's [`crate::state::StateWriter`] changes the state.

use crate::config::{FaucetConfig, Limits};
use crate::cost::CostBucket;
use crate::inbox::Command;
use crate::state::{ServerState, StateCell};
use crate::storage::Storage;
use crate::wire_error::shutting_down;
use simplechain_core::protocol::{Event, ProtocolError};
use simplechain_core::{Address, ChainId};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, RwLockReadGuard};
use std::time::Instant;
use tokio::sync::{Notify, Semaphore, broadcast, mpsc, oneshot};

/// What every task of the server shares.
#[derive(Debug)]
pub struct Shared {
    /// The chain, the indexes and the mempool, to read; only the sequencer's
    /// [`crate::state::StateWriter`] changes them.
    pub(crate) state: Arc<StateCell>,
    /// The chain id, fixed for the server's life (a sync never changes genesis).
    pub(crate) chain_id: ChainId,
    pub(crate) storage: Arc<Storage>,
    /// The sequencer's inbox.
    pub(crate) commands: mpsc::Sender<Command>,
    /// Tip changes, for subscribers.
    pub(crate) tips: broadcast::Sender<Event>,
    /// Wakes the miner when transactions arrive.
    pub(crate) wake_miner: Notify,
    /// Lets one heavy job (validation, sync) run at a time.
    pub(crate) heavy: Semaphore,
    pub(crate) faucet: Option<FaucetConfig>,
    /// When each address last got faucet coins.
    pub(crate) faucet_paid: Mutex<HashMap<Address, Instant>>,
    pub(crate) limits: Limits,
    /// The faucet's global rate, in payouts; taken under the `faucet_paid` lock.
    pub(crate) faucet_rate: Mutex<CostBucket>,
    /// Heavy requests waiting for `heavy` now.
    pub(crate) heavy_waiting: AtomicUsize,
    /// The server-wide budget for the bytes of large request lines
    /// (`large_lines.rs`).
    pub(crate) large_bytes: Arc<Semaphore>,
    /// The server-wide rate of large-line bytes read, in MiB (`large_lines.rs`).
    pub(crate) large_rate: Arc<Mutex<CostBucket>>,
    /// Open connections per client address (trusted addresses are not counted).
    pub(crate) per_address: Mutex<HashMap<IpAddr, usize>>,
}

impl Shared {
    /// The state, read-locked: keep the guard for a moment, never across an `.await`.
    pub fn state(&self) -> RwLockReadGuard<'_, ServerState> {
        self.state.read()
    }

    /// Hands a change to the sequencer; it fails only when the server is stopping.
    pub async fn send(&self, command: Command) -> Result<(), ProtocolError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| shutting_down())
    }

    /// Hands a change to the sequencer and waits for its answer.
    pub async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, ProtocolError>>) -> Command,
    ) -> Result<T, ProtocolError> {
        let (reply, answer) = oneshot::channel();
        self.send(command(reply)).await?;
        answer.await.map_err(|_| shutting_down())?
    }

    /// A receiver of every tip change from now on.
    pub fn subscribe_tips(&self) -> broadcast::Receiver<Event> {
        self.tips.subscribe()
    }
}
