//! `GET_BLOCKCHAIN` (PROTOCOL §6): the whole chain in one line, written by the
//! connection straight from each block's stored JSON (no copy of the chain per
//! request). It costs the connection's heavy-request budget in proportion to the
//! chain's size.
//!
//! ```text
//! > GET_BLOCKCHAIN
//! < {"blocks":[block0, block1, …]}
//! ```

use super::Answer;
use super::session::Session;
use crate::cost::Cost;
use simplechain_core::protocol::ProtocolError;

/// `GET_BLOCKCHAIN`, which has no fields.
#[derive(Debug)]
pub struct GetBlockchain;

impl GetBlockchain {
    /// Charges the chain's JSON size, then hands every block to the writer.
    pub fn apply(self, session: &mut Session) -> Result<Answer, ProtocolError> {
        let json_bytes = session.shared.state().size().1;
        session.charge("GET_BLOCKCHAIN", Cost::chain_bytes(json_bytes))?;
        let blocks = session.shared.state().block_range(0, u64::MAX);
        Ok(Answer::Blocks {
            blocks,
            max_bytes: usize::MAX,
        })
    }
}
