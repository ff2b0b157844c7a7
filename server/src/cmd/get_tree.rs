//! `GET_TREE` (PROTOCOL §9): the block tree from a height on, main chain and side
//! branches, lowest height first, at most 1000 blocks.
//!
//! ```text
//! > GET_TREE[:<from_height>]          default: tip height - 100
//! < TREE:{"tip":…,"blocks":[{"hash":…,"prev_hash":…,"height":…,"timestamp":…,
//!                            "miner":…,"transactions":<n>,"main":true|false},…]}
//! ```

use crate::shared::Shared;
use simplechain_core::MAX_REORG_DEPTH;
use simplechain_core::protocol::{MAX_TREE_ENTRIES, ProtocolError, Response};

/// `GET_TREE[:<from_height>]`.
#[derive(Debug)]
pub struct GetTree {
    /// The lowest height shown; `None`: 100 below the tip.
    pub from: Option<u64>,
}

impl GetTree {
    /// The tree's blocks from the height asked.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let state = shared.state();
        let from = self
            .from
            .unwrap_or_else(|| state.chain.height.saturating_sub(MAX_REORG_DEPTH));
        Ok(Response::Tree(state.tree(from, MAX_TREE_ENTRIES)))
    }
}
