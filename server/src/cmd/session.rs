//! One connection's state that its requests may change: its allowance of heavy
//! requests (see `cost.rs`) and, after `SUBSCRIBE`, its feed of tip events. The
//! connection owns one `Session` and hands it to each request in turn.

use crate::cost::{Cost, CostBucket};
use crate::shared::Shared;
use simplechain_core::protocol::{ErrorCode, Event, ProtocolError};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::broadcast;

/// The state of one connection that requests can see and change.
#[derive(Debug)]
pub struct Session {
    /// The server's state.
    pub shared: Arc<Shared>,
    /// Cost units left for heavy requests on this connection.
    budget: CostBucket,
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
            budget,
            events: None,
            block_events: false,
        }
    }

    /// Charges a heavy request to this connection's budget, or refuses it with
    /// `rate_limited`, naming the `command` to retry and when.
    pub fn charge(&mut self, command: &str, cost: Cost) -> Result<(), ProtocolError> {
        self.budget.take(cost, Instant::now()).map_err(|wait| {
            ProtocolError::new(
                ErrorCode::RateLimited,
                format!(
                    "this connection has used its share of heavy requests; retry {command} in {:.1} s",
                    wait.as_secs_f64()
                ),
            )
        })
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
