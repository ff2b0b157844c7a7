//! `GET_MEMPOOL` (extension, docs/PROTOCOL.md): the pending transactions, oldest first
//! (the order the miner takes them in), one page at a time, for a mempool view.
//!
//! ```text
//! > GET_MEMPOOL[:<offset>:<limit>]                 limit: default and maximum 100
//! < MEMPOOL:{"total":…,"items":[…]}                items as in TX: (all "pending")
//! ```

use crate::shared::Shared;
use simplechain_core::protocol::{Mempool, ProtocolError, Response};

/// `GET_MEMPOOL[:<offset>:<limit>]`.
#[derive(Debug)]
pub struct GetMempool {
    /// Pending transactions to skip, oldest first.
    pub offset: u64,
    /// Items to return, already clamped to 1..=100 by the parser.
    pub limit: u64,
}

impl GetMempool {
    /// Reads the page from the state's mempool; `total` is the whole mempool, as
    /// `INFO`'s `mempool` counts it.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let state = shared.state();
        let items = state
            .mempool
            .entries()
            .skip(usize::try_from(self.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .map(crate::mempool::Entry::info)
            .collect();
        Ok(Response::Mempool(Mempool {
            total: state.mempool.len() as u64,
            items,
        }))
    }
}
