//! One change of what redb holds, as a value: written whole or not at all by
//! `Storage::commit`.

use simplechain_core::{BlockHash, Transaction};
use std::sync::Arc;

/// One change of the stored block tree and mempool, written atomically by
/// [`Storage::commit`].
#[derive(Debug)]
pub struct Change {
    /// Main-chain blocks at this height and above are removed first
    /// (`u64::MAX`: none).
    pub main_from: u64,
    /// Then these are written: (height, JSON).
    pub main: Vec<(u64, Arc<str>)>,
    /// Side blocks written, by hash.
    pub side_add: Vec<(BlockHash, Arc<str>)>,
    /// Side blocks removed (pruned, or now on the main chain).
    pub side_remove: Vec<BlockHash>,
    /// Mempool entries removed, by sequence number.
    pub mempool_remove: Vec<u64>,
    /// Mempool entries written.
    pub mempool_add: Vec<(u64, Transaction)>,
    /// A checkpoint: redb now holds every acknowledgement-log record up to this one.
    pub log_applied: Option<u64>,
    /// The data dir's format, written when it is upgraded.
    pub format: Option<u64>,
}

impl Default for Change {
    /// Changes nothing.
    fn default() -> Self {
        Change {
            main_from: u64::MAX,
            main: Vec::new(),
            side_add: Vec::new(),
            side_remove: Vec::new(),
            mempool_remove: Vec::new(),
            mempool_add: Vec::new(),
            log_applied: None,
            format: None,
        }
    }
}
