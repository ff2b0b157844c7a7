//! The line protocol of PROTOCOL §6 and §7 as types, with pure parsing and encoding.
//! No I/O: framing (finding the lines) belongs to whoever owns the socket.

mod error;
mod payloads;
mod request;
mod response;

pub use error::{ErrorCode, ProtocolError};
pub use payloads::{AccountInfo, ChainJson, History, Info, TxInfo, TxStatus};
pub use request::{DEFAULT_BLOCKS_LIMIT, DEFAULT_HISTORY_LIMIT, Request};
pub use response::{Event, Response, ServerLine};
