//! `SUBMIT_BLOCK` (PROTOCOL §9): a block mined by anyone. It is checked against the
//! state of its own branch (its parent's balances and nonces), whatever the mempool
//! holds, and placed in the block tree by the sequencer: on the tip, on a side branch,
//! or on a branch that now has more work, which becomes the main chain.
//!
//! ```text
//! > SUBMIT_BLOCK:<block json>
//! < SUBMITTED:{"hash":…,"height":…,"status":"tip"|"side"|"known","replaced":<n>}
//! < ERROR:<code>:…     bad_request, invalid_block, unknown_parent, reorg_too_deep, busy
//! ```
//!
//! Like `SYNC_BLOCKCHAIN`, the line may be 64 MiB, so the request keeps the line it
//! came in. Decoding and the signature checks (on all cores) run on a blocking thread
//! before the block waits for the sequencer; `SUBMITTED` for a block that became the
//! tip is sent once it is durable.

use super::session::Session;
use crate::cost::Cost;
use crate::inbox::Command;
use crate::wire_error::internal;
use simplechain_core::Block;
use simplechain_core::parallel::preverify;
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};
use std::sync::Arc;

/// `SUBMIT_BLOCK:<block json>`: the request line, kept whole.
#[derive(Debug)]
pub struct SubmitBlock {
    /// The line as read, without its `\n`.
    line: String,
    /// Where the JSON payload starts in `line` (just after the first `:`).
    json_start: usize,
}

impl SubmitBlock {
    /// Keeps `line`, whose last `json_len` bytes are the payload the parser found.
    pub fn new(line: String, json_len: usize) -> Self {
        let json_start = line.len() - json_len;
        SubmitBlock { line, json_start }
    }

    /// Charges the payload's size, decodes it, verifies its signatures and has the
    /// sequencer place it.
    pub async fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        let json_len = self.line.len() - self.json_start;
        session.charge("SUBMIT_BLOCK", Cost::blocks_page(json_len))?;
        let shared = &session.shared;
        let chain_id = shared.chain_id;
        let (block, json) = tokio::task::spawn_blocking(move || {
            let block: Block =
                serde_json::from_str(&self.line[self.json_start..]).map_err(|e| {
                    ProtocolError::new(
                        ErrorCode::BadRequest,
                        format!("the payload is not a block: {e}"),
                    )
                })?;
            // Our own encoding (the line's may differ in spacing or field order).
            let json: Arc<str> = serde_json::to_string(&block).unwrap_or_default().into();
            Ok::<_, ProtocolError>((preverify(&chain_id, block), json))
        })
        .await
        .map_err(|e| internal(format!("checking the block failed: {e}")))??;
        let submitted = shared
            .ask(|reply| Command::Submit { block, json, reply })
            .await?;
        Ok(Response::Submitted(submitted))
    }
}
