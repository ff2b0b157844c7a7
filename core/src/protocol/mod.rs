//! The line protocol of PROTOCOL §6, §7 and §9 as types, with pure parsing and encoding.
//! No I/O: framing (finding the lines) belongs to whoever owns the socket.

mod error;
mod payloads;
mod request;
mod response;

pub use error::{ErrorCode, ProtocolError};
pub use payloads::{
    AccountInfo, BlockInfo, BlockStatus, ChainJson, History, Info, Mempool, Proof,
    SUGGESTED_CONFIRMATIONS, Submitted, Template, Tree, TreeEntry, TxInfo, TxStatus,
};
pub use request::{
    DEFAULT_BLOCKS_LIMIT, DEFAULT_HISTORY_LIMIT, DEFAULT_MEMPOOL_LIMIT, MAX_TREE_ENTRIES, Request,
};
pub use response::{Event, LineError, Response, ServerLine};

/// The longest line a client accepts from the server, in bytes, and the longest
/// `SYNC_BLOCKCHAIN` the server takes by default (`--max-sync-bytes`): a chain that
/// can be offered can be read back. The relay and the CLI's client read with it, so a hostile server
/// costs them at most this much memory per connection.
pub const MAX_SERVER_LINE: usize = 64 << 20;
