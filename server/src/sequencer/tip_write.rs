//! A block on the main tip whose redb write is under way on a blocking thread, so that
//! the sequencer goes on admitting transactions meanwhile; and whom to answer once it
//! is durable (PROTOCOL §9: `SUBMITTED` only then).

use crate::storage::StorageError;
use simplechain_core::protocol::{ProtocolError, Submitted};
use simplechain_core::validate::Effects;
use simplechain_core::{Block, BlockHash};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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

/// A block on the tip, checked, being written.
pub(crate) struct TipWrite {
    /// The write (the block, the removal of its transactions from the stored mempool).
    pub written: JoinHandle<Result<(), StorageError>>,
    pub block: Block,
    pub effects: Effects,
    pub json: Arc<str>,
    /// Side blocks and stale mempool entries whose removal this write carries (given
    /// back to the sequencer if it fails).
    pub pruned: Vec<BlockHash>,
    pub stale: Vec<u64>,
    pub started: std::time::Instant,
    /// The answer once it is durable, and to whom.
    pub answer: Submitted,
    pub reply: BlockReply,
}

/// Waits for the write under way (for ever if there is none: `select!` guards it).
pub(crate) async fn written(tip: &mut Option<TipWrite>) -> Result<(), StorageError> {
    match tip {
        Some(tip) => (&mut tip.written)
            .await
            .unwrap_or_else(|e| Err(StorageError::new("running a disk task", e))),
        None => std::future::pending().await,
    }
}
