//! One connection's state that its requests may change: its allowance of heavy
//! requests (see `cost.rs`) and, after `SUBSCRIBE`, its feed of tip events. The
//! connection owns one `Session` and hands it to each request in turn.

use crate::cost::{Cost, CostBucket};
use crate::shared::Shared;
use simplechain_core::protocol::{ErrorCode, Event, ProtocolError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{SemaphorePermit, broadcast};

/// Counts one heavy request waiting for its turn, until dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The state of one connection that requests can see and change.
#[derive(Debug)]
pub struct Session {
    /// The server's state.
    pub shared: Arc<Shared>,
    /// Cost units left for heavy requests on this connection.
    /// Shared with the connection's reader, which charges large lines as they are read.
    budget: Arc<Mutex<CostBucket>>,
    /// Tip changes, once the client sent `SUBSCRIBE`.
    events: Option<broadcast::Receiver<Event>>,
    /// Whether `EVENT:BLOCK` lines are wanted (`SUBSCRIBE:BLOCKS`).
    block_events: bool,
}

impl Session {
    /// A new connection's session: a full budget, no subscription.
    pub fn new(shared: Arc<Shared>) -> Self {
        let limits = &shared.limits;
        let budget = CostBucket::new(
            limits.heavy_budget,
            limits.heavy_refill_per_sec,
            Instant::now(),
        );
        Session {
            shared,
            budget: Arc::new(Mutex::new(budget)),
            events: None,
            block_events: false,
        }
    }

    fn bucket(&self) -> std::sync::MutexGuard<'_, CostBucket> {
        self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection's budget, for its reader: a large request line (a
    /// `SYNC_BLOCKCHAIN`) is charged its bytes as soon as it is read, and the reader
    /// waits until the budget holds them before reading on, so that a client sending
    /// large lines faster than its budget allows is slowed down at the socket (reading
    /// them costs the server CPU even when they are refused).
    pub fn budget(&self) -> Arc<Mutex<CostBucket>> {
        self.budget.clone()
    }

    /// Charges a heavy request to this connection's budget, or refuses it with
    /// `rate_limited`, naming the `command` to retry and when.
    pub fn charge(&mut self, command: &str, cost: Cost) -> Result<(), ProtocolError> {
        self.bucket().take(cost, Instant::now()).map_err(|wait| {
            ProtocolError::new(
                ErrorCode::RateLimited,
                format!(
                    "this connection has used its share of heavy requests; retry {command} in {:.1} s",
                    wait.as_secs_f64()
                ),
            )
        })
    }

    /// A heavy request's work: charges `estimate`, waits for the server's one heavy
    /// turn (giving the charge back when refused `busy`), runs `job` on a blocking
    /// thread, then charges the time it really took beyond the estimate, so that the
    /// connection's next heavy request waits until it is paid back.
    pub async fn run_heavy<T: Send + 'static>(
        &mut self,
        command: &str,
        estimate: Cost,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ProtocolError> {
        self.charge(command, estimate)?;
        let shared = self.shared.clone();
        let turn = match Self::heavy_turn(&shared, command).await {
            Ok(turn) => turn,
            Err(busy) => {
                self.bucket().refund(estimate);
                return Err(busy);
            }
        };
        let started = Instant::now();
        let done = tokio::task::spawn_blocking(job).await;
        drop(turn);
        let beyond = Cost::heavy_time(started.elapsed()).0 - estimate.0;
        self.bucket().charge(Cost(beyond.max(0.0)), Instant::now());
        done.map_err(|e| crate::wire_error::internal(format!("{command} failed: {e}")))
    }

    /// Waits for the server's one heavy-job turn, or refuses with `busy` when
    /// `max_heavy_queued` heavy requests are already waiting (a bound on the heavy
    /// work queued in the whole server, whatever the number of connections).
    async fn heavy_turn<'a>(
        shared: &'a Shared,
        command: &str,
    ) -> Result<SemaphorePermit<'a>, ProtocolError> {
        if let Ok(turn) = shared.heavy.try_acquire() {
            return Ok(turn);
        }
        let waiting = shared.heavy_waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&shared.heavy_waiting);
        if waiting >= shared.limits.max_heavy_queued {
            return Err(ProtocolError::new(
                ErrorCode::Busy,
                format!(
                    "{waiting} heavy requests are already waiting; retry {command} in a few seconds"
                ),
            ));
        }
        shared
            .heavy
            .acquire()
            .await
            .map_err(|_| crate::wire_error::shutting_down())
    }

    /// Starts the feed of tip events; a second `SUBSCRIBE` keeps the first feed.
    pub fn subscribe(&mut self, blocks: bool) {
        if self.events.is_none() {
            self.events = Some(self.shared.subscribe_tips());
        }
        self.block_events |= blocks;
    }

    /// The next tip event for a subscriber; pending forever without a subscription. A
    /// subscriber that fell behind gets the current tip instead of the missed ones.
    pub async fn next_event(&mut self) -> Event {
        let Some(rx) = self.events.as_mut() else {
            return std::future::pending().await;
        };
        loop {
            match rx.recv().await {
                Ok(Event::Block { .. }) if !self.block_events => continue,
                Ok(event) => return event,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let state = self.shared.state();
                    return Event::Tip {
                        height: state.chain.height,
                        hash: state.chain.tip,
                    };
                }
                Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
            }
        }
    }
}
