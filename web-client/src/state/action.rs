//! Every change to the wallet's state, as a value: what the page, the relay hook, the
//! workers and the clock ask of the reducer ([`super::State::apply`]).

use super::{LabField, Section, SigField, Trial};
use crate::vault::VaultError;
use ed25519_dalek::SigningKey;
use simplechain_core::{Address, BlockHash, TxId};

/// Every change to the state.
#[derive(Debug, Clone)]
pub enum Action {
    /// The relay hook is opening a socket.
    Connecting,
    /// The socket is open.
    Connected,
    /// The socket closed or failed.
    Disconnected,
    /// One line (message) from the server.
    Line(String),
    /// The outbox was sent up to (not including) this sequence number.
    Sent(u64),
    /// A stored, locked wallet (on load, after import of a backup or after lock).
    Stored(Address),
    /// No wallet is stored any more.
    Forgotten,
    /// The key was decrypted or created.
    Unlocked(SigningKey),
    /// Forget the key in memory.
    Lock,
    /// A key task (create, unlock, import, export) failed.
    VaultFailed(VaultError),
    Faucet,
    Validate,
    HistoryPage(u64),
    ShowBlock(u64),
    ShowTx(TxId),
    ShowAddress(Address),
    /// The open address's history page at this offset.
    AddressPage(u64),
    /// What was typed in the explorer's search box.
    Search(String),
    /// The page of blocks whose newest is this height (`None`: the newest).
    BlocksPage(Option<u64>),
    CloseDetail,
    /// The learner's label for an address (blank removes it).
    Label(Address, String),
    /// The time (milliseconds since the epoch), every few seconds.
    Tick(u64),
    /// A wallet was just created: unlock it and ask for its backup first.
    Created(SigningKey),
    /// The backup prompt is done (downloaded, or skipped knowingly).
    BackupDone,
    DismissReceived,
    /// Check the send form and ask for confirmation: receiver and amount as typed.
    Review {
        to: String,
        amount: String,
    },
    /// Sign and send the transfer under confirmation.
    Confirm,
    /// Back from the confirmation, or start a new transfer.
    ResetSend,
    DismissError,
    Busy(Option<String>),
    /// Open a section of the page.
    Open(Section),
    /// A field of the signature lab, as typed.
    SigEdit(SigField),
    SigSign,
    SigVerify,
    SigFlipText,
    SigFlipSignature,
    /// Send a transfer the server must refuse.
    Trial(Trial),
    /// Ask for the Merkle proof of a confirmed transaction.
    AskProof(TxId),
    /// "Mine one block" (`keep: false`) or "Keep mining".
    MineStart {
        keep: bool,
    },
    MineStop,
    /// The workers field as typed.
    MineThreads(String),
    /// The hash-rate cap field as typed (empty: no cap).
    MineCap(String),
    /// A worker's report on its slice: `wall_ms` since the slice was sent, `at_ms` the
    /// time it arrived (milliseconds since the epoch).
    MinerReport {
        worker: usize,
        report: simplechain_miner::Report,
        wall_ms: f64,
        at_ms: u64,
    },
    /// A worker could not start or run.
    MinerFailed,
    /// Open a block of the tree (main or side) in the explorer.
    ShowBlockHash(BlockHash),
    /// One slice of the tab's heavy work (replaying the chain, re-mining), at this
    /// time (milliseconds since the epoch); the page yields between slices.
    Work(u64),
    /// Take the explorer's open block (and the blocks after it) into the tamper lab.
    LabOpen,
    /// A lab input: block index, transaction index (for a transaction's field), the
    /// field and what was typed.
    LabEdit {
        block: usize,
        tx: Option<usize>,
        field: LabField,
        text: String,
    },
    /// Put the sandbox back as the real blocks are.
    LabReset,
    LabRemine,
    LabSubmit,
}
