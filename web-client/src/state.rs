//! The wallet's whole state and every change to it: plain data and a reducer, no
//! components and no browser calls, so all of it is tested natively.
//!
//! Talking to the server is part of the state too. The reducer never touches the
//! socket: it appends request lines to [`State::outbox`] and records what each was for
//! in [`State::in_flight`]. The relay hook sends the outbox in order and reports it
//! with [`Action::Sent`]. Responses come back in request order (PROTOCOL §1), so each
//! response line answers the oldest entry of `in_flight`; `EVENT:` lines answer
//! nothing and may arrive at any time.

use crate::errors::explain;
use ed25519_dalek::SigningKey;
use simplechain_core::protocol::{
    AccountInfo, ChainJson, ErrorCode, Event, History, Info, ProtocolError, Request, Response,
    ServerLine, TxInfo, TxStatus,
};
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Block, BlockHash, Transaction, TxId};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

/// History items per page.
pub const HISTORY_PAGE: u64 = 10;
/// Blocks shown by the explorer's recent list.
pub const RECENT_BLOCKS: u64 = 10;

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

/// What a request in flight asked for; the response in its turn is matched to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Info,
    Subscribe,
    Account(Address),
    History {
        address: Address,
        offset: u64,
    },
    RecentBlocks,
    Block(u64),
    /// Following the wallet's own transfer until it is confirmed.
    TrackTx(TxId),
    /// The explorer's transaction detail.
    ShowTx(TxId),
    Submit(TxId),
    Faucet,
    Validate,
}

/// An unlocked secret key. Its `Debug` never shows the key; it is zeroed when the last
/// copy of the state holding it is dropped (ed25519-dalek's `zeroize`).
#[derive(Clone)]
pub struct Secret(pub Rc<SigningKey>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.verifying_key() == other.0.verifying_key()
    }
}

/// The wallet's key, as far as this tab knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Wallet {
    /// No wallet is stored in this browser.
    None,
    /// A wallet is stored, encrypted; its address is public.
    Locked { address: Address },
    /// The key is in memory and can sign.
    Unlocked { address: Address, key: Secret },
}

impl Wallet {
    /// The address, locked or not.
    pub fn address(&self) -> Option<Address> {
        match self {
            Wallet::None => None,
            Wallet::Locked { address } | Wallet::Unlocked { address, .. } => Some(*address),
        }
    }

    /// The address when the wallet is unlocked.
    pub fn unlocked(&self) -> Option<Address> {
        match self {
            Wallet::Unlocked { address, .. } => Some(*address),
            _ => None,
        }
    }
}

/// The send form's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendStep {
    /// Nothing under way.
    Idle,
    /// Checked, waiting for the user's confirmation.
    Confirming {
        to: Address,
        amount: u64,
        /// The pending balance once this transfer is accepted.
        balance_after: u64,
    },
    /// Signed and sent; the server has not answered yet.
    Submitting {
        txid: TxId,
        to: Address,
        amount: u64,
    },
    /// Accepted (durable, in the mempool), waiting for a block.
    Pending {
        txid: TxId,
        to: Address,
        amount: u64,
    },
    /// In a block.
    Confirmed {
        txid: TxId,
        to: Address,
        amount: u64,
        height: u64,
    },
    /// Refused or lost; the sentence says why.
    Failed { message: String },
}

/// The "validate chain" button's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    Idle,
    Running,
    Valid,
    Invalid { height: u64, reason: String },
    Failed(String),
}

/// The faucet button's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaucetStep {
    Idle,
    Requesting,
    Sent,
    Failed(String),
}

/// The block explorer's data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explorer {
    /// The most recent blocks, newest first.
    pub recent: Rc<Vec<Block>>,
    /// The block whose detail is open.
    pub block: Option<Rc<Block>>,
    /// The transaction whose detail is open.
    pub tx: Option<TxInfo>,
    /// Why the last detail could not be shown.
    pub message: Option<String>,
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub link: Link,
    /// Whether `SUBSCRIBE` succeeded on the current connection.
    pub subscribed: bool,
    /// Request lines to send, with their sequence numbers, oldest first.
    pub outbox: Vec<(u64, String)>,
    /// The sequence number of the next request line.
    pub next_seq: u64,
    /// What each request sent (or queued) on this connection asked for, oldest first.
    pub in_flight: VecDeque<Pending>,
    /// The chain at a glance (`GET_INFO`).
    pub info: Option<Info>,
    /// The last `EVENT:TIP` received: the last block synced.
    pub last_event: Option<(u64, BlockHash)>,
    pub wallet: Wallet,
    /// The unlocked wallet's account.
    pub account: Option<AccountInfo>,
    /// The open page of the wallet's history.
    pub history: Option<History>,
    pub history_offset: u64,
    pub send: SendStep,
    pub faucet: FaucetStep,
    pub validation: Validation,
    pub explorer: Explorer,
    /// The last problem to tell the user about (`data-testid="error"`).
    pub error: Option<String>,
    /// A slow local job under way (key derivation), shown as a notice.
    pub busy: Option<String>,
}

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
    Faucet,
    Validate,
    HistoryPage(u64),
    ShowBlock(u64),
    ShowTx(TxId),
    CloseDetail,
    /// Check the send form and ask for confirmation: receiver and amount as typed.
    Review {
        to: String,
        amount: String,
    },
    /// Sign and send the transfer under confirmation.
    Confirm,
    /// Back from the confirmation, or start a new transfer.
    ResetSend,
    /// Show a problem to the user.
    Error(String),
    DismissError,
    Busy(Option<String>),
}

impl Default for State {
    fn default() -> Self {
        State {
            link: Link::Connecting,
            subscribed: false,
            outbox: Vec::new(),
            next_seq: 0,
            in_flight: VecDeque::new(),
            info: None,
            last_event: None,
            wallet: Wallet::None,
            account: None,
            history: None,
            history_offset: 0,
            send: SendStep::Idle,
            faucet: FaucetStep::Idle,
            validation: Validation::Idle,
            explorer: Explorer::default(),
            error: None,
            busy: None,
        }
    }
}

/// Checks a receiver as typed; the address, or a sentence saying what is wrong.
pub fn check_receiver(text: &str, own: Option<Address>) -> Result<Address, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter the receiver's address.".into());
    }
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "An address is 64 hexadecimal characters (0-9, a-f); this has {}.",
            text.chars().count()
        ));
    }
    let address: Address = text
        .parse()
        .map_err(|_| String::from("That is not a valid address."))?;
    if Some(address) == own {
        return Err("That is this wallet's own address.".into());
    }
    Ok(address)
}

/// Checks an amount as typed against what the wallet can spend.
pub fn check_amount(text: &str, available: u64) -> Result<u64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter an amount.".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Use whole coins: digits only.".into());
    }
    let amount: u64 = text
        .parse()
        .map_err(|_| String::from("That amount is far too large."))?;
    if amount == 0 {
        return Err("The amount must be more than zero.".into());
    }
    if amount > available {
        return Err(format!(
            "That is more than the {available} coins this wallet can spend."
        ));
    }
    Ok(amount)
}

impl State {
    /// A state for a page that found `stored` in its storage.
    pub fn new(stored: Option<Address>) -> Self {
        State {
            wallet: match stored {
                Some(address) => Wallet::Locked { address },
                None => Wallet::None,
            },
            ..State::default()
        }
    }

    /// Whether the server has a faucet (the `faucet` extension of `GET_INFO`).
    pub fn faucet_available(&self) -> bool {
        self.info.as_ref().and_then(|i| i.faucet).unwrap_or(false)
    }

    /// What the wallet can spend now: the pending balance.
    pub fn spendable(&self) -> u64 {
        self.account.as_ref().map_or(0, |a| a.pending_balance)
    }

    /// Applies one action.
    pub fn apply(mut self, action: Action) -> Self {
        match action {
            Action::Connecting => self.link = Link::Connecting,
            Action::Connected => self.connected(),
            Action::Disconnected => self.disconnected(),
            Action::Line(line) => self.line(&line),
            Action::Sent(upto) => self.outbox.retain(|(seq, _)| *seq >= upto),
            Action::Stored(address) => {
                self.forget_key();
                self.wallet = Wallet::Locked { address };
            }
            Action::Forgotten => {
                self.forget_key();
                self.wallet = Wallet::None;
            }
            Action::Unlocked(key) => self.unlocked(key),
            Action::Lock => {
                if let Some(address) = self.wallet.address() {
                    self.forget_key();
                    self.wallet = Wallet::Locked { address };
                }
            }
            Action::Faucet => {
                if let Some(address) = self.wallet.unlocked()
                    && self.request(Request::Faucet(address), Pending::Faucet)
                {
                    self.faucet = FaucetStep::Requesting;
                }
            }
            Action::Validate => {
                if self.request(Request::ValidateBlockchain, Pending::Validate) {
                    self.validation = Validation::Running;
                }
            }
            Action::HistoryPage(offset) => {
                self.history_offset = offset;
                self.request_history();
            }
            Action::ShowBlock(height) => {
                self.explorer.tx = None;
                self.explorer.message = None;
                match self
                    .explorer
                    .recent
                    .iter()
                    .find(|b| b.header.height == height)
                {
                    Some(block) => self.explorer.block = Some(Rc::new(block.clone())),
                    None => {
                        self.request(
                            Request::GetBlocks {
                                from: height,
                                limit: 1,
                            },
                            Pending::Block(height),
                        );
                    }
                }
            }
            Action::ShowTx(txid) => {
                self.explorer.message = None;
                self.request(Request::GetTransaction(txid), Pending::ShowTx(txid));
            }
            Action::CloseDetail => {
                self.explorer.block = None;
                self.explorer.tx = None;
                self.explorer.message = None;
            }
            Action::Review { to, amount } => self.review(&to, &amount),
            Action::Confirm => self.confirm(),
            Action::ResetSend => {
                if !matches!(self.send, SendStep::Submitting { .. }) {
                    self.send = SendStep::Idle;
                }
            }
            Action::Error(message) => self.error = Some(message),
            Action::DismissError => self.error = None,
            Action::Busy(what) => self.busy = what,
        }
        self
    }

    /// Queues a request if the socket is open; `false` (and a message) if not.
    fn request(&mut self, request: Request<'_>, pending: Pending) -> bool {
        if self.link != Link::Connected {
            self.error = Some("Not connected to the server; reconnecting…".into());
            return false;
        }
        self.outbox.push((self.next_seq, request.encode()));
        self.next_seq += 1;
        self.in_flight.push_back(pending);
        true
    }

    fn connected(&mut self) {
        self.link = Link::Connected;
        self.in_flight.clear();
        self.outbox.clear();
        self.subscribed = false;
        if self.error.as_deref() == Some("Not connected to the server; reconnecting…") {
            self.error = None;
        }
        self.request(Request::GetInfo, Pending::Info);
        self.request(Request::Subscribe, Pending::Subscribe);
        self.refresh_wallet();
        match self.send {
            SendStep::Submitting { txid, .. } | SendStep::Pending { txid, .. } => {
                self.request(Request::GetTransaction(txid), Pending::TrackTx(txid));
            }
            _ => {}
        }
    }

    fn disconnected(&mut self) {
        self.link = match self.link {
            Link::Reconnecting { attempt } => Link::Reconnecting {
                attempt: attempt.saturating_add(1),
            },
            _ => Link::Reconnecting { attempt: 1 },
        };
        self.in_flight.clear();
        self.outbox.clear();
        self.subscribed = false;
        if self.faucet == FaucetStep::Requesting {
            self.faucet = FaucetStep::Failed("The connection dropped; try again.".into());
        }
        if self.validation == Validation::Running {
            self.validation = Validation::Failed("The connection dropped; try again.".into());
        }
    }

    /// Asks for the unlocked wallet's account and history page.
    fn refresh_wallet(&mut self) {
        if let Some(address) = self.wallet.unlocked() {
            self.request(Request::GetAccount(address), Pending::Account(address));
            self.request_history();
        }
    }

    fn request_history(&mut self) {
        if let Some(address) = self.wallet.unlocked() {
            let offset = self.history_offset;
            self.request(
                Request::GetHistory {
                    address,
                    offset,
                    limit: HISTORY_PAGE,
                },
                Pending::History { address, offset },
            );
        }
    }

    fn forget_key(&mut self) {
        self.account = None;
        self.history = None;
        self.history_offset = 0;
        self.send = SendStep::Idle;
        self.faucet = FaucetStep::Idle;
    }

    fn unlocked(&mut self, key: SigningKey) {
        let address = address_of(&key);
        self.forget_key();
        self.wallet = Wallet::Unlocked {
            address,
            key: Secret(Rc::new(key)),
        };
        self.error = None;
        if self.link == Link::Connected {
            self.refresh_wallet();
        }
    }

    /// One line from the server.
    fn line(&mut self, line: &str) {
        match ServerLine::parse(line) {
            Ok(ServerLine::Event(Event::Tip { height, hash })) => self.tip(height, hash),
            Ok(ServerLine::Response(response)) => match self.in_flight.pop_front() {
                Some(pending) => self.response(pending, response),
                None => self.error = Some("The server sent an answer nobody asked for.".into()),
            },
            // An event this wallet does not know is ignored; any other line still
            // answers the oldest request.
            Err(_) if line.starts_with("EVENT:") => {}
            Err(_) => {
                self.in_flight.pop_front();
                self.error =
                    Some("The server sent an answer this page does not understand.".into());
            }
        }
    }

    /// A new tip: refresh everything that may have changed.
    fn tip(&mut self, height: u64, hash: BlockHash) {
        self.last_event = Some((height, hash));
        // Faucet coins are in the block that follows the request.
        if self.faucet == FaucetStep::Sent {
            self.faucet = FaucetStep::Idle;
        }
        self.request(Request::GetInfo, Pending::Info);
        self.refresh_wallet();
        if let SendStep::Pending { txid, .. } = self.send {
            self.request(Request::GetTransaction(txid), Pending::TrackTx(txid));
        }
    }

    fn response(&mut self, pending: Pending, response: Response) {
        if let Response::Error(error) = response {
            return self.refused(pending, error);
        }
        match (pending, response) {
            (Pending::Info, Response::Info(info)) => {
                let from = info.height.saturating_sub(RECENT_BLOCKS - 1);
                self.info = Some(info);
                self.request(
                    Request::GetBlocks {
                        from,
                        limit: RECENT_BLOCKS,
                    },
                    Pending::RecentBlocks,
                );
            }
            (Pending::Subscribe, Response::Success) => self.subscribed = true,
            (Pending::Account(address), Response::Account(account)) => {
                if self.wallet.unlocked() == Some(address) && account.address == address {
                    self.account = Some(account);
                }
            }
            (Pending::History { address, offset }, Response::History(history)) => {
                if self.wallet.unlocked() == Some(address) && self.history_offset == offset {
                    self.history = Some(history);
                }
            }
            (Pending::RecentBlocks, Response::Blocks(raw)) => match decode_blocks(&raw) {
                Some(mut blocks) => {
                    blocks.reverse();
                    self.explorer.recent = Rc::new(blocks);
                }
                None => self.error = Some("The server sent blocks this page cannot read.".into()),
            },
            (Pending::Block(height), Response::Blocks(raw)) => {
                match decode_blocks(&raw).and_then(|b| b.into_iter().next()) {
                    Some(block) => self.explorer.block = Some(Rc::new(block)),
                    None => {
                        self.explorer.message = Some(format!("There is no block {height} yet."))
                    }
                }
            }
            (Pending::TrackTx(txid), Response::Tx(info)) => self.tracked(txid, &info),
            (Pending::ShowTx(_), Response::Tx(info)) => {
                self.explorer.block = None;
                self.explorer.tx = Some(info);
            }
            (Pending::Submit(txid), Response::Success) => self.accepted(txid),
            (Pending::Faucet, Response::Success) => {
                self.faucet = FaucetStep::Sent;
                self.refresh_wallet();
            }
            (Pending::Validate, Response::Valid) => self.validation = Validation::Valid,
            (Pending::Validate, Response::Invalid { height, reason }) => {
                self.validation = Validation::Invalid { height, reason }
            }
            (pending, _) => {
                self.error = Some(format!(
                    "The server's answer did not fit the request ({}).",
                    pending_name(&pending)
                ));
            }
        }
    }

    /// An `ERROR` answer to `pending`.
    fn refused(&mut self, pending: Pending, error: ProtocolError) {
        let sentence = explain(error.code).to_string();
        match pending {
            Pending::Submit(_) => {
                self.send = SendStep::Failed { message: sentence };
                // The nonce or balance the wallet used may be stale.
                self.refresh_wallet();
            }
            Pending::Faucet => self.faucet = FaucetStep::Failed(sentence),
            Pending::Validate => self.validation = Validation::Failed(sentence),
            Pending::ShowTx(_) if error.code == ErrorCode::NotFound => {
                self.explorer.message = Some("The server does not know that transaction.".into());
            }
            Pending::TrackTx(txid) if error.code == ErrorCode::NotFound => {
                // Sent just before the connection dropped, and never arrived.
                if matches!(self.send, SendStep::Submitting { txid: t, .. } if t == txid) {
                    self.send = SendStep::Failed {
                        message: "The connection dropped before the transfer reached the server; it was not sent.".into(),
                    };
                }
            }
            Pending::Subscribe => {
                self.error = Some(format!("Live updates are off: {sentence}"));
            }
            _ => self.error = Some(sentence),
        }
    }

    /// `SUCCESS` for the wallet's transfer: pending now.
    fn accepted(&mut self, txid: TxId) {
        let SendStep::Submitting {
            txid: sent,
            to,
            amount,
        } = self.send
        else {
            return;
        };
        if sent != txid {
            return;
        }
        self.send = SendStep::Pending { txid, to, amount };
        // Until the account is read again, count the transfer as the server does.
        if let Some(account) = self.account.as_mut() {
            account.pending_balance = account.pending_balance.saturating_sub(amount);
            account.pending_nonce += 1;
        }
        self.refresh_wallet();
        self.request(Request::GetTransaction(txid), Pending::TrackTx(txid));
    }

    /// `TX:` for the wallet's transfer.
    fn tracked(&mut self, txid: TxId, info: &TxInfo) {
        let (to, amount) = match self.send {
            SendStep::Submitting {
                txid: t,
                to,
                amount,
            }
            | SendStep::Pending {
                txid: t,
                to,
                amount,
            } if t == txid => (to, amount),
            _ => return,
        };
        self.send = match (info.status, info.height) {
            (TxStatus::Confirmed, Some(height)) => SendStep::Confirmed {
                txid,
                to,
                amount,
                height,
            },
            _ => SendStep::Pending { txid, to, amount },
        };
    }

    fn review(&mut self, to: &str, amount: &str) {
        let own = self.wallet.unlocked();
        if own.is_none() {
            self.error = Some("Unlock the wallet first.".into());
            return;
        }
        let checked = check_receiver(to, own)
            .and_then(|to| check_amount(amount, self.spendable()).map(|amount| (to, amount)));
        match checked {
            Ok((to, amount)) => {
                self.error = None;
                self.send = SendStep::Confirming {
                    to,
                    amount,
                    balance_after: self.spendable() - amount,
                };
            }
            Err(message) => self.error = Some(message),
        }
    }

    fn confirm(&mut self) {
        let SendStep::Confirming { to, amount, .. } = self.send else {
            return;
        };
        let Wallet::Unlocked { key, .. } = &self.wallet else {
            self.error = Some("Unlock the wallet first.".into());
            return;
        };
        let (Some(info), Some(account)) = (&self.info, &self.account) else {
            self.error = Some("Still loading the chain; try again in a moment.".into());
            return;
        };
        if self.link != Link::Connected {
            self.error = Some("Not connected to the server; reconnecting…".into());
            return;
        }
        // Signed here, in the tab, with the chain id the server reported: the key never
        // leaves this function.
        let tx = Transaction::sign(&key.0, &info.chain_id, to, amount, account.pending_nonce);
        let txid = tx.txid(&info.chain_id);
        if self.request(Request::AddTransaction(tx), Pending::Submit(txid)) {
            self.send = SendStep::Submitting { txid, to, amount };
        }
    }
}

fn decode_blocks(raw: &str) -> Option<Vec<Block>> {
    serde_json::from_str::<ChainJson>(raw)
        .ok()
        .map(|c| c.blocks)
}

fn pending_name(pending: &Pending) -> &'static str {
    match pending {
        Pending::Info => "chain info",
        Pending::Subscribe => "subscription",
        Pending::Account(_) => "account",
        Pending::History { .. } => "history",
        Pending::RecentBlocks | Pending::Block(_) => "blocks",
        Pending::TrackTx(_) | Pending::ShowTx(_) => "transaction",
        Pending::Submit(_) => "transfer",
        Pending::Faucet => "faucet",
        Pending::Validate => "validation",
    }
}

impl yew::Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(Rc::unwrap_or_clone(self).apply(action))
    }
}

#[cfg(test)]
mod tests;
