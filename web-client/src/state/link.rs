//! The link to the relay and the requests awaiting an answer.
//!
//! The reducer never touches the socket: it appends request lines to
//! [`State::outbox`] and records what each one awaits in [`State::in_flight`]. The
//! relay hook sends the outbox in order and reports it with `Action::Sent`. Answers
//! come back in request order (PROTOCOL §1), so each answer line belongs to the oldest
//! entry of `in_flight`; `EVENT:` lines answer nothing and may arrive at any time.

use super::{Quest, State, Trial, Validation};
use simplechain_core::protocol::{
    ChainJson, ErrorCode, Event, LineError, ProtocolError, Request, Response, ServerLine,
};
use simplechain_core::{Address, Block, BlockHash, TxId};

/// The WebSocket to the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The first connection is being opened.
    Connecting,
    /// Open; requests can be sent.
    Connected,
    /// Lost; the hook is trying again (`attempt` counts the failures in a row).
    Reconnecting { attempt: u32 },
}

impl Link {
    /// The word shown to people (and to scripts, as `data-testid="connection"`).
    pub fn label(self) -> &'static str {
        match self {
            Link::Connecting => "connecting",
            Link::Connected => "connected",
            Link::Reconnecting { .. } => "reconnecting",
        }
    }
}

/// What a request sent on this connection awaits; its answer, in its turn, is
/// matched to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    Info,
    /// `SUBSCRIBE:BLOCKS`: tips and every block that enters the tree.
    SubscribeBlocks,
    /// Plain `SUBSCRIBE`, for a server without `SUBSCRIBE:BLOCKS`.
    Subscribe,
    Account(Address),
    History {
        address: Address,
        offset: u64,
    },
    RecentBlocks,
    /// The genesis block, for the treasury's address.
    Genesis,
    Block(u64),
    /// Following the wallet's own transfer until it is confirmed.
    TrackTx(TxId),
    /// The explorer's transaction detail.
    ShowTx(TxId),
    /// The search box's 64 hex characters, tried as a txid.
    SearchTx([u8; 32]),
    /// … then as a block hash (`GET_BLOCK`).
    SearchBlock([u8; 32]),
    /// The explorer's address page: its account, then a page of its history.
    ExplorerAccount(Address),
    ExplorerHistory {
        address: Address,
        offset: u64,
    },
    /// The wallet's own pending transfers (the pending head of its history).
    OwnPending(Address),
    Mempool,
    /// The replay's goal block or a side ancestor of it (`GET_BLOCK`).
    ReplayAncestor(BlockHash),
    /// A page of the main chain for the replay, from this height.
    ReplayBlocks(u64),
    /// The tamper lab's blocks, from the one with this hash on.
    LabBlocks(BlockHash),
    /// The lab's `SUBMIT_BLOCK` of its block at this index.
    LabSubmit(usize),
    Submit(TxId),
    Faucet,
    Validate,
    /// A trial of the signature lab (`last`: its last line).
    Trial {
        trial: Trial,
        last: bool,
    },
    /// The Merkle proof of a transaction, then its block's header.
    Proof(TxId),
    ProofBlock(BlockHash),
    /// `GET_TEMPLATE` for the tab's miner.
    Template,
    /// The tab's found block (`SUBMIT_BLOCK`).
    SubmitBlock,
    Tree,
    /// A block of the tree opened in the explorer (`GET_BLOCK`).
    BlockByHash(BlockHash),
}

/// An `ERROR` answer from the server; its sentence is the wallet's own for the code,
/// and the server's error is kept as the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRefusal(pub ProtocolError);

/// What went wrong between the page and the server.
#[derive(Debug)]
pub enum LinkError {
    /// A request while the socket is not open.
    NotConnected,
    /// The socket dropped while a request awaited its answer.
    Dropped,
    /// An answer while no request awaited one.
    Unrequested,
    /// A line that is neither an answer nor an event this page knows (the cause is
    /// the protocol parser's complaint).
    Unreadable(LineError),
    /// Blocks that are not the chain JSON of PROTOCOL §4.
    UnreadableBlocks(serde_json::Error),
    /// An answer of another kind than its request awaits.
    Mismatch(Awaiting),
    /// `SUBSCRIBE` was refused: no live updates on this connection.
    LiveUpdatesOff(ServerRefusal),
    /// Any other request was refused.
    Refused(ServerRefusal),
}

impl std::error::Error for ServerRefusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl std::error::Error for LinkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LinkError::Unreadable(cause) => Some(cause),
            LinkError::UnreadableBlocks(cause) => Some(cause),
            LinkError::LiveUpdatesOff(cause) | LinkError::Refused(cause) => Some(cause),
            _ => None,
        }
    }
}

/// The chain JSON of a `BLOCKS:` answer.
pub(super) fn decode_blocks(raw: &str) -> Result<Vec<Block>, LinkError> {
    serde_json::from_str::<ChainJson>(raw)
        .map(|c| c.blocks)
        .map_err(LinkError::UnreadableBlocks)
}

impl State {
    /// Queues a request if the socket is open; `false` (and a notice) if not.
    pub(super) fn request(&mut self, request: Request<'_>, awaiting: Awaiting) -> bool {
        self.queue_line(request.encode(), awaiting)
    }

    /// Queues an encoded request line if the socket is open; `false` (and a notice)
    /// if not.
    pub(super) fn queue_line(&mut self, line: String, awaiting: Awaiting) -> bool {
        if self.link != Link::Connected {
            self.show(&LinkError::NotConnected);
            return false;
        }
        self.outbox.push((self.next_seq, line));
        self.next_seq += 1;
        self.in_flight.push_back(awaiting);
        true
    }

    pub(super) fn connected(&mut self) {
        self.link = Link::Connected;
        self.in_flight.clear();
        self.outbox.clear();
        self.subscribed = false;
        if self.error == Some(LinkError::NotConnected.to_string()) {
            self.error = None;
        }
        self.request(Request::GetInfo, Awaiting::Info);
        self.request(Request::SubscribeBlocks, Awaiting::SubscribeBlocks);
        self.refresh_wallet();
        self.track_transfer_again();
        self.mining_reconnected();
        if self.tree.tree.is_some() || self.section == super::Section::Tree {
            self.request_tree();
        }
    }

    pub(super) fn disconnected(&mut self) {
        self.link = match self.link {
            Link::Reconnecting { attempt } => Link::Reconnecting {
                attempt: attempt.saturating_add(1),
            },
            _ => Link::Reconnecting { attempt: 1 },
        };
        self.in_flight.clear();
        self.outbox.clear();
        self.subscribed = false;
        self.faucet_dropped();
        self.validation_dropped();
        self.mining_dropped();
        self.tree_failed();
        self.replay_dropped();
        self.lab.submitting = None;
    }

    /// One line from the server.
    pub(super) fn line(&mut self, line: &str) {
        match ServerLine::parse(line) {
            Ok(ServerLine::Event(Event::Tip { height, hash })) => self.tip(height, hash),
            // Sent after SUBSCRIBE:BLOCKS, after the EVENT:TIP it caused (if any).
            Ok(ServerLine::Event(Event::Block { .. })) => self.tree_changed(),
            Ok(ServerLine::Response(response)) => match self.in_flight.pop_front() {
                Some(awaiting) => self.answer(awaiting, response),
                None => self.show(&LinkError::Unrequested),
            },
            // An event this wallet does not know is ignored; any other line still
            // answers the oldest request.
            Err(_) if line.starts_with("EVENT:") => {}
            Err(cause) => {
                self.in_flight.pop_front();
                self.show(&LinkError::Unreadable(cause));
            }
        }
    }

    /// The answer to the oldest request, handed to the concern that asked.
    fn answer(&mut self, awaiting: Awaiting, response: Response) {
        if let Response::Error(error) = response {
            return self.refused(awaiting, ServerRefusal(error));
        }
        match (awaiting, response) {
            (Awaiting::Info, Response::Info(info)) => self.got_info(info),
            (Awaiting::Subscribe | Awaiting::SubscribeBlocks, Response::Success) => {
                self.subscribed = true
            }
            (Awaiting::Template, Response::Template(template)) => self.got_template(template),
            (Awaiting::SubmitBlock, Response::Submitted(answer)) => self.submitted(answer),
            (Awaiting::Tree, Response::Tree(tree)) => self.got_tree(tree),
            (Awaiting::BlockByHash(hash), Response::Block(raw)) => self.got_tree_block(hash, &raw),
            (Awaiting::Account(address), Response::Account(account)) => {
                self.got_account(address, account)
            }
            (Awaiting::History { address, offset }, Response::History(history)) => {
                self.got_history(address, offset, history)
            }
            (Awaiting::OwnPending(address), Response::History(history)) => {
                self.got_own_pending(address, &history)
            }
            (Awaiting::ExplorerAccount(_), Response::Account(account)) => {
                self.got_explorer_account(account)
            }
            (Awaiting::ExplorerHistory { address, offset }, Response::History(history)) => {
                self.got_explorer_history(address, offset, history)
            }
            (Awaiting::SearchTx(_), Response::Tx(info)) => self.got_tx(info),
            (Awaiting::SearchBlock(bytes), Response::Block(raw)) => {
                self.got_block_by_hash(bytes, &raw)
            }
            (Awaiting::Mempool, Response::Mempool(mempool)) => self.got_mempool(mempool),
            (Awaiting::ReplayAncestor(hash), Response::Block(raw)) => {
                self.got_replay_ancestor(hash, &raw)
            }
            (Awaiting::ReplayBlocks(from), Response::Blocks(raw)) => {
                self.got_replay_blocks(from, &raw)
            }
            (Awaiting::LabBlocks(first), Response::Blocks(raw)) => self.got_lab_blocks(first, &raw),
            (Awaiting::LabSubmit(index), Response::Submitted(submitted)) => {
                self.lab_submitted(index, &submitted)
            }
            (Awaiting::RecentBlocks, Response::Blocks(raw)) => self.got_recent_blocks(&raw),
            (Awaiting::Genesis, Response::Blocks(raw)) => {
                if let Ok(blocks) = decode_blocks(&raw) {
                    self.got_genesis(&blocks);
                }
            }
            (Awaiting::Block(height), Response::Blocks(raw)) => self.got_block(height, &raw),
            (Awaiting::TrackTx(txid), Response::Tx(info)) => self.tracked(txid, &info),
            (Awaiting::ShowTx(_), Response::Tx(info)) => self.got_tx(info),
            (Awaiting::Submit(txid), Response::Success) => self.accepted(txid),
            (Awaiting::Faucet, Response::Success) => self.faucet_sent(),
            (Awaiting::Validate, Response::Valid) => {
                self.validation = Validation::Valid;
                self.quest_seen(Quest::Validate);
            }
            (Awaiting::Trial { trial, last }, Response::Success) => {
                self.trial_accepted(trial, last)
            }
            (Awaiting::Proof(_), Response::Proof(proof)) => self.got_proof(proof),
            (Awaiting::ProofBlock(_), Response::Block(raw)) => self.got_proof_block(&raw),
            (Awaiting::Validate, Response::Invalid { height, reason }) => {
                self.validation = Validation::Invalid { height, reason }
            }
            (awaiting, _) => self.show(&LinkError::Mismatch(awaiting)),
        }
    }

    /// An `ERROR` answer to the request awaiting `awaiting`.
    fn refused(&mut self, awaiting: Awaiting, refusal: ServerRefusal) {
        let not_found = refusal.0.code == ErrorCode::NotFound;
        match awaiting {
            Awaiting::Submit(_) => self.submit_refused(refusal),
            Awaiting::LabSubmit(index) => self.lab_refused_by_server(index, &refusal),
            Awaiting::ReplayAncestor(_) | Awaiting::ReplayBlocks(_) => {
                self.replay_failed(super::ReplayError::Missing)
            }
            Awaiting::Faucet => self.faucet_refused(&refusal),
            Awaiting::Validate => self.validation_refused(&refusal),
            Awaiting::Trial { trial, .. } => self.trial_refused(trial, refusal),
            Awaiting::Proof(_) | Awaiting::ProofBlock(_) => self.proof_failed(&refusal.to_string()),
            Awaiting::ShowTx(_) if not_found => self.tx_not_found(),
            Awaiting::SearchTx(bytes) if not_found => self.search_block(bytes),
            // No such block, or a server without `GET_BLOCK`: an address, then.
            Awaiting::SearchBlock(bytes) => self.show_address(Address::from_bytes(bytes)),
            Awaiting::TrackTx(txid) if not_found => self.transfer_not_found(txid),
            // An older server: tips only.
            Awaiting::SubscribeBlocks => {
                self.request(Request::Subscribe, Awaiting::Subscribe);
            }
            Awaiting::Subscribe => self.show(&LinkError::LiveUpdatesOff(refusal)),
            Awaiting::Template => self.template_refused(&refusal),
            Awaiting::SubmitBlock => self.block_refused(&refusal),
            Awaiting::Tree => {
                self.tree_failed();
                self.show(&LinkError::Refused(refusal));
            }
            Awaiting::BlockByHash(hash) if not_found => self.no_such_block_hash(hash),
            _ => self.show(&LinkError::Refused(refusal)),
        }
    }
}
