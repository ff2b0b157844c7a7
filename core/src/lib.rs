//! The chain itself: everything SimpleBlockchain agrees on, with no I/O.
//!
//! - [`ids`]: one newtype per meaning of 32 or 64 bytes (addresses, signatures, hashes);
//! - [`transaction`]: the signed transfer, its signing message and txid (PROTOCOL §3);
//!   [`text_signature`]: any text signed with a wallet's key, never mistaken for a
//!   transfer;
//! - [`block`]: headers, block hashes, proof of work and mining (§4), [`merkle`] roots;
//!   [`nonce_search`]: the same search for external miners, with the best hash seen;
//! - [`ledger`]: balances and nonces; [`validate`]: the consensus rules of §5, and
//!   [`ValidBlock`], a block that passed them;
//! - [`template`]: the next block built from verified transactions, for miners;
//! - [`fork`]: cumulative work and fork choice;
//! - [`date`]: block timestamps as `YYYY-MM-DD HH:MM:SS UTC`, for the CLI and the wallet;
//! - [`protocol`]: the request and response lines of §6 and §7, parsed and encoded;
//! - [`parallel`] (with `std`): whole-chain validation with signatures checked on all
//!   cores;
//! - [`line`] (with `codec`): bytes to bounded lines (§1), the one line reader
//!   of the server, the relay and the client.
//!
//! The crate is `no_std` with `alloc`; `std` (the default) adds [`parallel`], and
//! `codec` the tokio-util decoder in [`line`]. Neither does any I/O.
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod block;
pub mod date;
pub mod fork;
pub mod hex;
pub mod ids;
pub mod ledger;
#[cfg(feature = "codec")]
pub mod line;
pub mod merkle;
pub mod nonce_search;
pub mod number;
#[cfg(feature = "std")]
pub mod parallel;
pub mod protocol;
pub mod template;
pub mod text_signature;
pub mod transaction;
pub mod validate;

pub use block::{Block, BlockHeader};
pub use ids::{Address, BlockHash, ChainId, MerkleRoot, Signature, TxId};
pub use ledger::Ledger;
pub use transaction::{Transaction, VerifiedTx};
pub use validate::ValidBlock;

/// The fixed reward of every block after genesis (PROTOCOL §5 rule 3).
pub const BLOCK_REWARD: u64 = 50;
/// The most transactions one block may carry (§5 rule 2).
pub const MAX_BLOCK_TRANSACTIONS: usize = 4096;
/// How far below the tip a `SYNC_BLOCKCHAIN` chain may fork (§5 rule 6).
pub const MAX_REORG_DEPTH: u64 = 100;
/// How far in the future (server clock) a block's timestamp may be, in ms (§5 rule 6).
pub const MAX_FUTURE_DRIFT_MS: u64 = 2 * 60 * 60 * 1000;
/// The protocol version reported by `GET_INFO`.
pub const PROTOCOL_VERSION: u64 = 1;

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}
