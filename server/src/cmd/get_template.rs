//! `GET_TEMPLATE` (PROTOCOL §9): the next block for a miner to search a nonce for,
//! built exactly as the server's own miner builds its own.
//!
//! ```text
//! > GET_TEMPLATE:<miner_address>
//! < TEMPLATE:{"height":…,"prev_hash":…,"timestamp":…,"difficulty":…,"miner":…,
//!             "reward":50,"tx_root":…,"transactions":[…]}
//! ```

use crate::clock::now_ms;
use crate::shared::Shared;
use simplechain_core::Address;
use simplechain_core::protocol::{ProtocolError, Response};

/// `GET_TEMPLATE:<miner_address>`.
#[derive(Debug)]
pub struct GetTemplate {
    /// Who the block's reward goes to.
    pub miner: Address,
}

impl GetTemplate {
    /// The block on top of the tip with the oldest pending transactions.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let template = shared.state().template(self.miner, now_ms());
        Ok(Response::Template(template.to_wire()))
    }
}
