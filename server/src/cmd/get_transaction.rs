//! `GET_TRANSACTION` (PROTOCOL §6): one transaction, pending or confirmed.
//!
//! ```text
//! > GET_TRANSACTION:<txid>
//! < TX:{"txid":…,"status":"pending"|"confirmed","height":<n or null>,"transaction":{…}}
//! < ERROR:not_found:no transaction <txid>
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
        match shared.state().transaction(&txid) {
            Some(info) => Ok(Response::Tx(info)),
            None => Err(ProtocolError::new(
                ErrorCode::NotFound,
                format!("no transaction {txid}"),
            )),
        }
    }
}
