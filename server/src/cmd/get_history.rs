//! `GET_HISTORY` (PROTOCOL §6): the transactions that involve an address, newest
//! first, pending before confirmed, one page at a time.
//!
//! ```text
//! > GET_HISTORY:<address>[:<offset>:<limit>]      limit: default and maximum 100
//! < HISTORY:{"address":…,"total":…,"items":[…]}   items as in TX:
//! ```

use crate::shared::Shared;
use simplechain_core::Address;
use simplechain_core::protocol::{ProtocolError, Response};

/// `GET_HISTORY:<address>[:<offset>:<limit>]`.
#[derive(Debug)]
pub struct GetHistory {
    /// Whose history.
    pub address: Address,
    /// Items to skip, newest first.
    pub offset: u64,
    /// Items to return, already clamped to 1..=100 by the parser.
    pub limit: u64,
}

impl GetHistory {
    /// Reads the page from the state's by-address index and the mempool.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let history = shared
            .state()
            .history(self.address, self.offset, self.limit);
        Ok(Response::History(history))
    }
}
