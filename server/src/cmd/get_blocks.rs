//! `GET_BLOCKS` (PROTOCOL §6): a page of the chain, for clients that catch up
//! gradually. Each page costs the connection's heavy-request budget in proportion to
//! the bytes it sends (a flat price let 600 bytes of requests ask for 636 MB).
//!
//! ```text
//! > GET_BLOCKS:<from_height>[:<limit>]     limit: default and maximum 500
//! < {"blocks":[…]}                         fewer blocks when the line would pass 16 MiB;
//!                                          {"blocks":[]} past the tip
//! ```

use super::Answer;
use super::session::Session;
use crate::cost::Cost;
use simplechain_core::protocol::ProtocolError;

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
    /// Charges the page's bytes, then hands the blocks (encoded once, when each was
    /// added) to the writer.
    pub fn apply(self, session: &mut Session) -> Result<Answer, ProtocolError> {
        let blocks = session.shared.state().block_range(self.from, self.limit);
        let mut bytes = 0;
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 && bytes + block.json.len() + 3 > MAX_BLOCKS_RESPONSE {
                break;
            }
            bytes += block.json.len() + 1;
        }
        session.charge("GET_BLOCKS", Cost::blocks_page(bytes))?;
        Ok(Answer::Blocks {
            blocks,
            max_bytes: MAX_BLOCKS_RESPONSE,
        })
    }
}
