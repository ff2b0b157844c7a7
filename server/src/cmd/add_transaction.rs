//! `ADD_TRANSACTION` (PROTOCOL §3, §6): a signed transaction for the mempool.
//!
//! ```text
//! > ADD_TRANSACTION:<sender>:<receiver>:<amount>:<nonce>:<signature>
//! < SUCCESS                       admitted and durable: it survives a crash from now on
//! < ERROR:<code>:…                invalid_amount, bad_request, bad_signature, bad_nonce,
//!                                 insufficient_funds, duplicate, mempool_full, internal
//! > ADD_TRANSACTION:<sender>:<receiver>:<amount>:<private_key>     the original form
//! < ERROR:private_key_refused:…   always; the parser already dropped the key
//! ```
//!
//! Unlike every other request, this one starts as soon as it is read, on the
//! connection's reader task: the signature is verified there (the expensive part, in
//! parallel across connections), then the transaction joins the sequencer's next
//! batch. Many pipelined transactions therefore share one durable commit (the group
//! commit). Its answer is still written in request order, when its turn comes.

use crate::inbox::Command;
use crate::shared::Shared;
use crate::wire_error::shutting_down;
use simplechain_core::Transaction;
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};
use tokio::sync::oneshot;

/// An `ADD_TRANSACTION` in the sequencer's batch, waiting for its durable commit.
#[derive(Debug)]
pub struct AddTransaction {
    /// The sequencer's verdict, sent once the batch is on disk (or refused).
    admitted: oneshot::Receiver<Result<(), ProtocolError>>,
    /// When its line was read, with debug logging on: the server's own share of its
    /// latency is logged ("answered", `server_ms`), to set beside what a client
    /// measures. Off, the per-transaction path does not read the clock for it.
    read_at: Option<std::time::Instant>,
}

impl AddTransaction {
    /// Read time: the checks that need no state, the signature, then the sequencer's
    /// queue. An error here is the answer.
    pub async fn submit(tx: Transaction, shared: &Shared) -> Result<Self, ProtocolError> {
        let read_at = tracing::enabled!(tracing::Level::DEBUG).then(std::time::Instant::now);
        if tx.amount == 0 {
            return Err(ProtocolError::new(
                ErrorCode::InvalidAmount,
                "amount must be greater than 0",
            ));
        }
        if tx.sender == tx.receiver {
            return Err(ProtocolError::new(
                ErrorCode::BadRequest,
                "sender and receiver are the same address",
            ));
        }
        let tx = tx
            .verified(&shared.chain_id)
            .map_err(|e| ProtocolError::new(ErrorCode::BadSignature, e))?;
        let (reply, admitted) = oneshot::channel();
        shared.send(Command::Add { tx, reply }).await?;
        Ok(AddTransaction { admitted, read_at })
    }

    /// Its turn: `SUCCESS` once the sequencer has written it, or why not.
    pub async fn apply(self) -> Result<Response, ProtocolError> {
        self.admitted.await.map_err(|_| shutting_down())??;
        if let Some(read_at) = self.read_at {
            let server_ms = read_at.elapsed().as_secs_f64() * 1e3;
            tracing::debug!(server_ms, "answered");
        }
        Ok(Response::Success)
    }
}

/// The answer to the original 4-field form, which carried a secret key.
pub fn private_key_refused() -> ProtocolError {
    ProtocolError::new(
        ErrorCode::PrivateKeyRefused,
        "secret keys never travel: sign the transaction yourself and send \
         ADD_TRANSACTION:<sender>:<receiver>:<amount>:<nonce>:<signature>",
    )
}
