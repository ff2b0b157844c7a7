//! `PING` (PROTOCOL §6): is the server there?
//!
//! ```text
//! > PING
//! < PONG
//! ```

use simplechain_core::protocol::{ProtocolError, Response};

/// `PING`, which has no fields.
#[derive(Debug)]
pub struct Ping;

impl Ping {
    /// Answers `PONG`.
    pub fn apply(self) -> Result<Response, ProtocolError> {
        Ok(Response::Pong)
    }
}
