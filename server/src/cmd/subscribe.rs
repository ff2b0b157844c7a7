//! `SUBSCRIBE` (PROTOCOL §6) and `SUBSCRIBE:BLOCKS` (§9): from now on, the connection
//! also gets an event line on every tip change, between responses, and with `BLOCKS`
//! one for every block that enters the tree. The connection delivers them
//! ([`Session::next_event`]); a subscriber that fell behind gets the current tip.
//!
//! ```text
//! > SUBSCRIBE                        > SUBSCRIBE:BLOCKS
//! < SUCCESS                          < SUCCESS
//! < EVENT:TIP:<height>:<hash>        < EVENT:TIP:<height>:<hash>
//!                                    < EVENT:BLOCK:<height>:<hash>:<prev_hash>:<main|side>
//! ```

use super::session::Session;
use simplechain_core::protocol::{ProtocolError, Response};

/// `SUBSCRIBE` or `SUBSCRIBE:BLOCKS`.
#[derive(Debug)]
pub struct Subscribe {
    /// Whether block events are wanted too.
    pub blocks: bool,
}

impl Subscribe {
    /// Starts the connection's feed of events (subscribing again only adds block
    /// events, if asked).
    pub fn apply(self, session: &mut Session) -> Result<Response, ProtocolError> {
        session.subscribe(self.blocks);
        Ok(Response::Success)
    }
}
