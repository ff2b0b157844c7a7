//! `VALIDATE_BLOCKCHAIN` (PROTOCOL §6): a full re-check of the stored chain from
//! genesis, signatures included, read back from the disk (not from memory). It runs on
//! a blocking thread, one heavy job at a time in the whole server (with at most
//! `max_heavy_queued` waiting; more are `busy`), and costs the connection's
//! heavy-request budget: an estimate from the chain's transactions first, then the
//! time it really took.
//!
//! ```text
//! > VALIDATE_BLOCKCHAIN
//! < VALID
//! < INVALID:<height>:<reason>
//! ```

use super::session::Session;
use crate::clock::now_ms;
use crate::cost::Cost;
use crate::storage::StorageError;
use crate::wire_error::internal;
use simplechain_core::parallel::validate_chain_parallel;
use simplechain_core::protocol::{ProtocolError, Response};
use std::time::Instant;

/// `VALIDATE_BLOCKCHAIN`, which has no fields.
#[derive(Debug)]
pub struct ValidateBlockchain;

impl ValidateBlockchain {
    /// Charges, waits for the heavy-job turn, then validates what the disk holds.
    pub async fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        let transactions = session.shared.state().size().0;
        let estimate = Cost::validate(transactions);
        session.charge("VALIDATE_BLOCKCHAIN", estimate)?;
        let shared = session.shared.clone();
        let turn = match Session::heavy_turn(&shared, "VALIDATE_BLOCKCHAIN").await {
            Ok(turn) => turn,
            Err(busy) => {
                session.refund(estimate);
                return Err(busy);
            }
        };
        let storage = session.shared.storage.clone();
        let started = Instant::now();
        let checked = tokio::task::spawn_blocking(move || {
            let blocks = storage.read_blocks()?;
            Ok::<_, StorageError>(validate_chain_parallel(&blocks, Some(now_ms())))
        })
        .await;
        drop(turn);
        let used = Cost::heavy_time(started.elapsed());
        session.charge_done(Cost((used.0 - estimate.0).max(0.0)));
        match checked {
            Ok(Ok(Ok(_))) => Ok(Response::Valid),
            Ok(Ok(Err(e))) => Ok(Response::Invalid {
                height: e.height,
                reason: e.rule.to_string(),
            }),
            Ok(Err(e)) => Err(internal(e)),
            Err(e) => Err(internal(format!("validation failed: {e}"))),
        }
    }
}
