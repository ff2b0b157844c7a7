//! `GET_BLOCKS` (PROTOCOL §6): a page of the chain, for clients that catch up
//! gradually. Each page costs a little of the connection's heavy-request budget.
//!
//! ```text
//! > GET_BLOCKS:<from_height>[:<limit>]     limit: default and maximum 500
//! < {"blocks":[…]}                         fewer blocks when the line would pass 16 MiB;
//!                                          {"blocks":[]} past the tip
//! ```

use super::session::Session;
use crate::cost::Cost;
use crate::state::blocks_json;
use simplechain_core::protocol::{ProtocolError, Response};

/// Responses larger than this are cut short (PROTOCOL §6).
pub const MAX_BLOCKS_RESPONSE: usize = 16 << 20;

/// `GET_BLOCKS:<from_height>[:<limit>]`.
#[derive(Debug)]
pub struct GetBlocks {
    /// The first height sent.
    pub from: u64,
    /// Blocks to send at most, already clamped to 1..=500 by the parser.
    pub limit: u64,
}

impl GetBlocks {
    /// Charges one page, then joins the blocks' JSON (encoded once, when each block
    /// was added).
    pub fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        session.charge("GET_BLOCKS", Cost::BLOCKS_PAGE)?;
        let blocks = session.shared.state().block_range(self.from, self.limit);
        Ok(Response::Blocks(blocks_json(&blocks, MAX_BLOCKS_RESPONSE)))
    }
}
