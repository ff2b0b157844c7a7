//! `GET_ACCOUNT` (PROTOCOL §6): an address's balance and nonce, on the chain and with
//! the mempool applied. A wallet signs its next transaction with `pending_nonce`.
//!
//! ```text
//! > GET_ACCOUNT:<address>
//! < ACCOUNT:{"address":…,"balance":…,"nonce":…,"pending_balance":…,"pending_nonce":…}
//! ```

use crate::shared::Shared;
use simplechain_core::Address;
use simplechain_core::protocol::{ProtocolError, Response};

/// `GET_ACCOUNT:<address>`.
#[derive(Debug)]
pub struct GetAccount {
    /// The account asked about.
    pub address: Address,
}

impl GetAccount {
    /// Reads the answer from the state (an unknown address has zeros everywhere).
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        Ok(Response::Account(shared.state().account(self.address)))
    }
}
