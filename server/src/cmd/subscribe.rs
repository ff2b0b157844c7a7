//! `SUBSCRIBE` (PROTOCOL §6): from now on, the connection also gets an event line on
//! every tip change, between responses. The connection delivers them
//! ([`Session::next_event`]); a subscriber that fell behind gets the current tip.
//!
//! ```text
//! > SUBSCRIBE
//! < SUCCESS
//! < EVENT:TIP:<height>:<hash>      on every new block or adopted chain
//! ```

use super::session::Session;
use simplechain_core::protocol::{ProtocolError, Response};

/// `SUBSCRIBE`, which has no fields.
#[derive(Debug)]
pub struct Subscribe;

impl Subscribe {
    /// Starts the connection's feed of tip events (once; subscribing again changes
    /// nothing).
    pub fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        session.subscribe();
        Ok(Response::Success)
    }
}
