//! The requests of PROTOCOL §6 and §9, one file each: what a request holds once parsed, how it
//! is applied, what it answers (and, for the heavy ones, what it costs). This module
//! only dispatches: [`Request::read`] turns a line into a request, once, when it is
//! read; [`Request::apply`] runs it when its turn comes. Adding a message is adding a
//! file and one arm to each of those two `match`es.
//!
//! ```text
//!           read time (the reader task)              its turn (the writer task)
//! line ──▶ Request::read ──▶ Request ──▶ queue ──▶ Request::apply ──▶ Response
//!          parses once; ADD_TRANSACTION               in the request's own file
//!          is verified and joins the batch
//! ```

mod add_transaction;
mod faucet;
mod get_account;
mod get_block;
mod get_blockchain;
mod get_blocks;
mod get_history;
mod get_info;
mod get_mempool;
mod get_proof;
mod get_template;
mod get_transaction;
mod get_tree;
mod ping;
mod session;
mod submit_block;
mod subscribe;
mod sync_blockchain;
mod validate_blockchain;

pub use session::Session;

use crate::shared::Shared;
use crate::state::StoredBlock;
use add_transaction::AddTransaction;
use faucet::Faucet;
use get_account::GetAccount;
use get_block::GetBlock;
use get_blockchain::GetBlockchain;
use get_blocks::GetBlocks;
use get_history::GetHistory;
use get_info::GetInfo;
use get_mempool::GetMempool;
use get_proof::GetProof;
use get_template::GetTemplate;
use get_transaction::GetTransaction;
use get_tree::GetTree;
use ping::Ping;
use simplechain_core::protocol::{self, ErrorCode, ProtocolError, Response};
use std::sync::Arc;
use submit_block::SubmitBlock;
use subscribe::Subscribe;
use sync_blockchain::SyncBlockchain;
use validate_blockchain::ValidateBlockchain;

/// What a request answers: one line, or a list of blocks that the connection writes
/// as `{"blocks":[…]}` straight from their stored encodings (no copy of the chain is
/// made per request, however long it is).
#[derive(Debug)]
pub enum Answer {
    Line(Response),
    /// `{"blocks":[…]}` of these blocks, stopping before the line would pass
    /// `max_bytes` (always at least one block).
    Blocks {
        blocks: Vec<Arc<StoredBlock>>,
        max_bytes: usize,
    },
}

impl From<Response> for Answer {
    fn from(response: Response) -> Answer {
        Answer::Line(response)
    }
}

/// A request line, parsed once, owning what it needs until its answer is written.
/// (The borrowed [`protocol::Request`] is what the parser gives; this is what waits in
/// a connection's queue.)
#[derive(Debug)]
pub enum Request {
    /// Answered with this error, decided when the line was read: a malformed line, an
    /// unknown command, the private-key form, a transaction refused before the
    /// sequencer.
    Refused(ProtocolError),
    /// Already in the sequencer's batch; waits for its commit.
    AddTransaction(AddTransaction),
    GetBlockchain(GetBlockchain),
    GetBlocks(GetBlocks),
    SyncBlockchain(SyncBlockchain),
    ValidateBlockchain(ValidateBlockchain),
    GetInfo(GetInfo),
    GetAccount(GetAccount),
    GetTransaction(GetTransaction),
    GetHistory(GetHistory),
    Subscribe(Subscribe),
    Faucet(Faucet),
    Ping(Ping),
    GetMempool(GetMempool),
    GetTemplate(GetTemplate),
    SubmitBlock(SubmitBlock),
    GetTree(GetTree),
    GetBlock(GetBlock),
    GetProof(GetProof),
}

impl Request {
    /// Read time: parses `line` (the only time it is parsed) and does what must happen
    /// as soon as a request arrives, which is only `ADD_TRANSACTION`'s admission.
    pub async fn read(line: String, shared: &Shared) -> Request {
        Request::start(line, shared)
            .await
            .unwrap_or_else(Request::Refused)
    }

    async fn start(line: String, shared: &Shared) -> Result<Request, ProtocolError> {
        use protocol::Request as Parsed;
        Ok(match Parsed::parse(&line)? {
            Parsed::AddTransaction(tx) => {
                Request::AddTransaction(AddTransaction::submit(tx, shared).await?)
            }
            Parsed::AddTransactionWithPrivateKey => {
                return Err(add_transaction::private_key_refused());
            }
            Parsed::GetBlockchain => Request::GetBlockchain(GetBlockchain),
            Parsed::GetBlocks { from, limit } => Request::GetBlocks(GetBlocks { from, limit }),
            Parsed::SyncBlockchain(json) => {
                let json_len = json.len();
                Request::SyncBlockchain(SyncBlockchain::new(line, json_len))
            }
            Parsed::ValidateBlockchain => Request::ValidateBlockchain(ValidateBlockchain),
            Parsed::GetInfo => Request::GetInfo(GetInfo),
            Parsed::GetAccount(address) => Request::GetAccount(GetAccount { address }),
            Parsed::GetTransaction(txid) => Request::GetTransaction(GetTransaction { txid }),
            Parsed::GetHistory {
                address,
                offset,
                limit,
            } => Request::GetHistory(GetHistory {
                address,
                offset,
                limit,
            }),
            Parsed::Subscribe => Request::Subscribe(Subscribe { blocks: false }),
            Parsed::SubscribeBlocks => Request::Subscribe(Subscribe { blocks: true }),
            Parsed::Faucet(to) => Request::Faucet(Faucet { to }),
            Parsed::Ping => Request::Ping(Ping),
            Parsed::GetMempool { offset, limit } => {
                Request::GetMempool(GetMempool { offset, limit })
            }
            Parsed::GetTemplate(miner) => Request::GetTemplate(GetTemplate { miner }),
            Parsed::SubmitBlock(json) => {
                let json_len = json.len();
                Request::SubmitBlock(SubmitBlock::new(line, json_len))
            }
            Parsed::GetTree { from } => Request::GetTree(GetTree { from }),
            Parsed::GetBlock(hash) => Request::GetBlock(GetBlock { hash }),
            Parsed::GetProof(txid) => Request::GetProof(GetProof { txid }),
        })
    }

    /// Whether the request's work is still ahead of it: not for a refusal, nor for an
    /// `ADD_TRANSACTION` already handed to the sequencer. Until such a request has run,
    /// the connection counts its line against the budget of queued bytes.
    pub fn waits_to_run(&self) -> bool {
        !matches!(self, Request::Refused(_) | Request::AddTransaction(_))
    }

    /// Whether this is a transaction whose signature was refused (a strike against
    /// the connection, see `connection.rs`).
    pub fn is_bad_signature(&self) -> bool {
        matches!(self, Request::Refused(e) if e.code == ErrorCode::BadSignature)
    }

    /// Its turn (everything before it on the connection is answered): runs the request
    /// and gives its answer.
    pub async fn apply(self, session: &mut Session) -> Answer {
        let answer = match self {
            Request::GetBlockchain(get) => {
                return get
                    .apply(session)
                    .unwrap_or_else(|e| Response::Error(e).into());
            }
            Request::GetBlocks(get) => {
                return get
                    .apply(session)
                    .unwrap_or_else(|e| Response::Error(e).into());
            }
            Request::Refused(error) => Err(error),
            Request::AddTransaction(add) => add.apply().await,
            Request::SyncBlockchain(sync) => sync.apply(session).await,
            Request::ValidateBlockchain(validate) => validate.apply(session).await,
            Request::GetInfo(get) => get.apply(&session.shared),
            Request::GetAccount(get) => get.apply(&session.shared),
            Request::GetTransaction(get) => get.apply(&session.shared),
            Request::GetHistory(get) => get.apply(&session.shared),
            Request::Subscribe(subscribe) => subscribe.apply(session),
            Request::Faucet(faucet) => faucet.apply(&session.shared).await,
            Request::Ping(ping) => ping.apply(),
            Request::GetMempool(get) => get.apply(&session.shared),
            Request::GetTemplate(get) => get.apply(&session.shared),
            Request::SubmitBlock(submit) => submit.apply(session).await,
            Request::GetTree(get) => get.apply(&session.shared),
            Request::GetBlock(get) => get.apply(&session.shared),
            Request::GetProof(get) => get.apply(&session.shared),
        };
        answer.unwrap_or_else(Response::Error).into()
    }
}
