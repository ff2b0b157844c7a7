//! `GET_INFO` (PROTOCOL §6): the chain's identity and where its tip is.
//!
//! ```text
//! > GET_INFO
//! < INFO:{"protocol":1,"chain_id":…,"height":…,"tip":…,"difficulty":…,"block_reward":50,"mempool":…}
//! ```

use crate::shared::Shared;
use simplechain_core::protocol::{ProtocolError, Response};

/// `GET_INFO`, which has no fields.
#[derive(Debug)]
pub struct GetInfo;

impl GetInfo {
    /// Reads the answer from the state.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        Ok(Response::Info(shared.state().info()))
    }
}
