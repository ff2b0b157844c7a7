//! `GET_TRANSACTION` (PROTOCOL §6): one transaction, pending or confirmed.
//!
//! ```text
//! > GET_TRANSACTION:<txid>
//! < TX:{"txid":…,"status":"pending"|"confirmed","height":<n or null>,"transaction":{…}}
//! < ERROR:not_found:no transaction <txid>
//! < ERROR:not_found:transaction <txid> was dropped when the main chain switched
//!                   branches: <why>        (a reorg made it invalid)
//! ```

use crate::shared::Shared;
use simplechain_core::TxId;
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};

/// `GET_TRANSACTION:<txid>`.
#[derive(Debug)]
pub struct GetTransaction {
    /// The transaction asked about.
    pub txid: TxId,
}

impl GetTransaction {
    /// Looks the txid up among confirmed, then pending transactions.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let txid = self.txid;
        let state = shared.state();
        if let Some(info) = state.transaction(&txid) {
            return Ok(Response::Tx(info));
        }
        let message = match state.dropped_reason(&txid) {
            Some(why) => format!(
                "transaction {txid} was dropped when the main chain switched branches: {why}"
            ),
            None => format!("no transaction {txid}"),
        };
        Err(ProtocolError::new(ErrorCode::NotFound, message))
    }
}
