//! `GET_BLOCKCHAIN` (PROTOCOL §6): the whole chain in one line. It costs the
//! connection's heavy-request budget in proportion to the chain's size.
//!
//! ```text
//! > GET_BLOCKCHAIN
//! < {"blocks":[block0, block1, …]}
//! ```

use super::session::Session;
use crate::cost::Cost;
use crate::state::blocks_json;
use simplechain_core::protocol::{ProtocolError, Response};

/// `GET_BLOCKCHAIN`, which has no fields.
#[derive(Debug)]
pub struct GetBlockchain;

impl GetBlockchain {
    /// Charges the chain's JSON size, then joins every block's JSON.
    pub fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        let json_bytes = session.shared.state().size().1;
        session.charge("GET_BLOCKCHAIN", Cost::chain_bytes(json_bytes))?;
        let blocks = session.shared.state().block_range(0, u64::MAX);
        Ok(Response::Blocks(blocks_json(&blocks, usize::MAX)))
    }
}
