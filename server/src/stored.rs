//! A block as the server keeps it: checked ([`ValidBlock`]) and with its JSON encoded
//! once, written to disk as is and sent as is by `GET_BLOCKCHAIN`, `GET_BLOCKS` and
//! `GET_BLOCK`. Main-chain blocks (`state.rs`) and side blocks (`tree.rs`) alike.

use simplechain_core::ValidBlock;
use simplechain_core::protocol::TreeEntry;
use std::sync::Arc;

/// A block of our chain, with its JSON encoded once: written to disk as is, and sent
/// as is by `GET_BLOCKCHAIN` and `GET_BLOCKS`.
#[derive(Debug)]
pub struct StoredBlock {
    pub valid: ValidBlock,
    pub json: Arc<str>,
}

impl StoredBlock {
    /// Encodes `valid` (the one JSON encoding of this block).
    pub fn new(valid: ValidBlock) -> StoredBlock {
        let json = serde_json::to_string(valid.block()).unwrap_or_default();
        StoredBlock {
            valid,
            json: json.into(),
        }
    }

    /// The block's height.
    pub fn height(&self) -> u64 {
        self.valid.height()
    }

    /// `GET_BLOCK`'s JSON: the stored encoding with `"main"` added.
    pub fn json_with_main(&self, main: bool) -> String {
        let body = self.json.strip_suffix('}').unwrap_or(&self.json);
        format!("{body},\"main\":{main}}}")
    }

    /// The block's line in `GET_TREE`.
    pub fn tree_entry(&self, main: bool) -> TreeEntry {
        let block = self.valid.block();
        TreeEntry {
            hash: block.hash,
            prev_hash: block.header.prev_hash,
            height: block.header.height,
            timestamp: block.header.timestamp,
            miner: block.header.miner,
            transactions: block.transactions.len() as u64,
            main,
        }
    }
}
