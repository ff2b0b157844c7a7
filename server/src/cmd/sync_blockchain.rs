//! `SYNC_BLOCKCHAIN` (PROTOCOL §5, §6): a client offers a whole chain; the server adopts
//! it if it is valid, has the same genesis, has strictly more work and forks no more
//! than 100 blocks below our tip. The payload is everything after the first `:` (JSON
//! has colons) and may be 64 MiB, so the request keeps the line it came in and points
//! into it rather than copying it.
//!
//! ```text
//! > SYNC_BLOCKCHAIN:{"blocks":[block0, block1, …]}
//! < SUCCESS                 adopted, or already our chain
//! < ERROR:<code>:…          bad_request, invalid_chain, genesis_mismatch, not_better,
//!                           reorg_too_deep
//! ```
//!
//! Decoding and full validation run on a blocking thread, one heavy job at a time in
//! the whole server (at most `max_heavy_queued` waiting, more are `busy`), priced by
//! the payload's size (when it is read) and then by the time they took. While it arrives, waits and
//! runs, the line holds its bytes of the server-wide budget for large lines
//! (`server/src/large_lines.rs`); once read, the connection keeps the line alone
//! (its decoder's grown buffer is given back), and the decoded chain is made only on
//! its turn; the switch itself is the sequencer's (`Command::Adopt`), which
//! checks the fork choice again against the chain as it is then.

use super::session::Session;
use crate::clock::now_ms;
use crate::cost::Cost;
use crate::inbox::Command;
use crate::wire_error::{fork_error, invalid_chain};
use simplechain_core::BlockHash;
use simplechain_core::fork::{ForkChoice, choose};
use simplechain_core::parallel::{validate_chain_parallel, validate_owned};
use simplechain_core::protocol::{ChainJson, ErrorCode, ProtocolError, Response};
use simplechain_core::validate::ValidChain;

/// `SYNC_BLOCKCHAIN:<chain json>`: the request line, kept whole.
#[derive(Debug)]
pub struct SyncBlockchain {
    /// The line as read, without its `\n`.
    line: String,
    /// Where the JSON payload starts in `line` (just after the first `:`).
    json_start: usize,
}

impl SyncBlockchain {
    /// Keeps `line`, whose last `json_len` bytes are the payload the parser found.
    pub fn new(line: String, json_len: usize) -> Self {
        let json_start = line.len() - json_len;
        SyncBlockchain { line, json_start }
    }

    /// The chain JSON.
    fn json(&self) -> &str {
        &self.line[self.json_start..]
    }

    /// Checks the candidate (charging the time it takes), and has the sequencer adopt it.
    pub async fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        // The line's bytes were charged as it was read (`connection.rs`); here only
        // the time the check takes.
        let shared = session.shared.clone();
        let checked = session
            .run_heavy("SYNC_BLOCKCHAIN", Cost(0.0), move || {
                // Our chain as it is on our turn.
                let (ours, difficulty) = {
                    let state = shared.state();
                    (state.hashes(), state.chain.difficulty)
                };
                check_candidate(self.json(), &ours, difficulty)
            })
            .await?;
        if let Some(chain) = checked? {
            session
                .shared
                .ask(|reply| Command::Adopt { chain, reply })
                .await?;
        }
        Ok(Response::Success)
    }
}

/// Decodes and checks a candidate chain: `None` if it is our chain (and valid), the
/// valid chain if it should be adopted.
fn check_candidate(
    json: &str,
    ours: &[BlockHash],
    difficulty: u64,
) -> Result<Option<ValidChain>, ProtocolError> {
    let chain: ChainJson = serde_json::from_str(json).map_err(|e| {
        ProtocolError::new(
            ErrorCode::BadRequest,
            format!("the payload is not a chain: {e}"),
        )
    })?;
    if chain.blocks.is_empty() {
        return Err(ProtocolError::new(
            ErrorCode::InvalidChain,
            "the chain has no blocks",
        ));
    }
    let theirs: Vec<_> = chain.blocks.iter().map(|b| b.hash).collect();
    let same = match choose(ours, &theirs, difficulty).map_err(fork_error)? {
        ForkChoice::Same => true,
        ForkChoice::Adopt { .. } => false,
    };
    // Validated even when the claimed hashes are ours: signatures are not part of the
    // txid, so a copy of our chain with forged signatures has exactly our hashes.
    if same {
        validate_chain_parallel(&chain.blocks, Some(now_ms())).map_err(invalid_chain)?;
        return Ok(None);
    }
    validate_owned(chain.blocks, Some(now_ms()))
        .map(Some)
        .map_err(invalid_chain)
}
