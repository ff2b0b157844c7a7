//! The sequencer's inbox: every change to the chain or the mempool, as a message. It
//! has a module of its own so that `Shared` (which holds the sender) and the sequencer
//! (which holds `Shared`) do not import each other.

use simplechain_core::protocol::{ProtocolError, Submitted};
use simplechain_core::template::BuiltBlock;
use simplechain_core::validate::{PreverifiedBlock, ValidChain};
use simplechain_core::{Address, TxId, VerifiedTx};
use std::sync::Arc;
use tokio::sync::oneshot;

/// A change to make.
#[derive(Debug)]
pub enum Command {
    /// Admit a transaction whose signature was verified.
    Add {
        tx: VerifiedTx,
        reply: oneshot::Sender<Result<(), ProtocolError>>,
    },
    /// Pay `amount` from the treasury to `to`.
    Faucet {
        to: Address,
        amount: u64,
        reply: oneshot::Sender<Result<TxId, ProtocolError>>,
    },
    /// A block from the server's own miner: placed in the tree like any other.
    /// (`json`, here and below: the block's one JSON encoding, made before it is sent
    /// so that the sequencer does not spend its time on it.)
    Mined {
        block: BuiltBlock,
        json: Arc<str>,
        reply: oneshot::Sender<()>,
    },
    /// A block from anyone (`SUBMIT_BLOCK`), its signatures verified already.
    Submit {
        block: PreverifiedBlock,
        json: Arc<str>,
        reply: oneshot::Sender<Result<Submitted, ProtocolError>>,
    },
    /// Switch to a candidate chain that was validated in full.
    Adopt {
        chain: ValidChain,
        reply: oneshot::Sender<Result<(), ProtocolError>>,
    },
    /// Finish what came before, then stop (sent once nothing else can send).
    Stop,
}
