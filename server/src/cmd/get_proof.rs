//! `GET_PROOF` (PROTOCOL §9): the Merkle inclusion proof of a transaction confirmed on
//! the main chain: its index in its block and the sibling hashes from the leaf up.
//! Folding the path from the txid gives the block's `tx_root`.
//!
//! ```text
//! > GET_PROOF:<txid>
//! < PROOF:{"txid":…,"height":…,"block_hash":…,"tx_root":…,"index":…,"path":[…]}
//! < ERROR:not_found:…        unknown, or still pending
//! ```

use crate::shared::Shared;
use simplechain_core::TxId;
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};

/// `GET_PROOF:<txid>`.
#[derive(Debug)]
pub struct GetProof {
    /// The transaction to prove.
    pub txid: TxId,
}

impl GetProof {
    /// Builds the proof from the block's txids.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let state = shared.state();
        if let Some(proof) = state.proof(&self.txid) {
            return Ok(Response::Proof(proof));
        }
        let why = if state.mempool.contains(&self.txid) {
            "is still pending: a proof exists once it is in a block"
        } else {
            "is not on the main chain"
        };
        Err(ProtocolError::new(
            ErrorCode::NotFound,
            format!("transaction {} {why}", self.txid),
        ))
    }
}
