//! `GET_INFO` (PROTOCOL §6): the chain's identity and where its tip is.
//!
//! ```text
//! > GET_INFO
//! < INFO:{"protocol":1,"chain_id":…,"height":…,"tip":…,"difficulty":…,"block_reward":50,"mempool":…,"faucet":…,"idle_timeout_secs":…}
//! ```
//!
//! `faucet` and `idle_timeout_secs` are extensions (docs/PROTOCOL.md): a tab that stays
//! subscribed while idle pings more often than the idle timeout.

use crate::shared::Shared;
use simplechain_core::protocol::{ProtocolError, Response};

/// `GET_INFO`, which has no fields.
#[derive(Debug)]
pub struct GetInfo;

impl GetInfo {
    /// Reads the answer from the state.
    pub fn apply(self, shared: &Shared) -> Result<Response, ProtocolError> {
        let mut info = shared.state().info();
        info.idle_timeout_secs = Some(shared.limits.idle_timeout.as_secs());
        Ok(Response::Info(info))
    }
}
