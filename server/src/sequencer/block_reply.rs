//! Whom to answer for a block, once it is placed and durable (PROTOCOL §9: `SUBMITTED`
//! only then).

use simplechain_core::protocol::{ProtocolError, Submitted};
use tokio::sync::oneshot;

/// Who sent a block, and so how to answer.
pub(crate) enum BlockReply {
    /// Our own miner: told when the block is placed (or refused).
    Mined(oneshot::Sender<()>),
    /// A client's `SUBMIT_BLOCK`.
    Submit(oneshot::Sender<Result<Submitted, ProtocolError>>),
}

impl BlockReply {
    /// Sends the outcome of placing `height`.
    pub(crate) fn send(self, height: u64, outcome: Result<Submitted, ProtocolError>) {
        match self {
            BlockReply::Mined(reply) => {
                match &outcome {
                    Ok(placed) => tracing::debug!(height, status = ?placed.status, "our own block"),
                    Err(e) => tracing::debug!(height, error = %e, "our own block was refused"),
                }
                let _ = reply.send(());
            }
            BlockReply::Submit(reply) => {
                let _ = reply.send(outcome);
            }
        }
    }
}
