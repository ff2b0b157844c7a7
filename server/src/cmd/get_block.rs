//! `GET_BLOCK` (PROTOCOL §9): any block of the tree, main or side, as stored, with
//! whether it is on the main chain.
//!
//! ```text
//! > GET_BLOCK:<hash>
//! < BLOCK:{…the block's JSON…,"main":true|false}
//! < ERROR:not_found:no block <hash> in the tree
//! ```

use crate::shared::Shared;
use simplechain_core::BlockHash;
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};

/// `GET_BLOCK:<hash>`.
#[derive(Debug)]
pub struct GetBlock {
    /// The block asked about.
    pub hash: BlockHash,
}

impl GetBlock {
    /// Looks the hash up on the main chain, then among side blocks.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let state = shared.state();
        match state.find_block(&self.hash) {
            Some((block, main)) => Ok(Response::Block(block.json_with_main(main))),
            None => Err(ProtocolError::new(
                ErrorCode::NotFound,
                format!("no block {} in the tree", self.hash),
            )),
        }
    }
}
