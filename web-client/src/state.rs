//! The wallet's whole state and every change to it, in the Yew `function_todomvc` model:
//! plain data ([`State`]), the changes ([`Action`], in `action`) and a reducer
//! ([`State::apply`], behind `yew::Reducible`). No components and no browser calls, so
//! all of it is tested natively (`state/tests.rs`).
//!
//! One concern a file, each adding its part of `impl State`:
//!
//! - `link`: the WebSocket's state, the outbox of request lines and the requests
//!   awaiting an answer ([`Awaiting`]); every answer is routed from there;
//! - `keys`: the key (none, locked, unlocked), lock and unlock;
//! - `account`: the unlocked wallet's account, history page and faucet;
//! - `chain`: the chain at a glance, tip events and "validate chain";
//! - `send`: a transfer from review to confirmation (signing itself is
//!   [`crate::signing`]); `send_form`: what the send form accepts;
//! - `explorer`: blocks paged back to genesis; a block, a transaction or an address,
//!   from a link or the search box;
//! - `mempool`: the tick that keeps the page live, the mempool, the wallet's own
//!   pending transfers and the notice when coins arrive;
//! - `labels`: names for addresses (the server's treasury and miner, the learner's
//!   labels);
//! - `section`: which section of the page is open;
//! - `signatures`: the signature lab (sign and verify text, transfers the server must
//!   refuse); `proof`: a Merkle proof folded in the tab; `quests`: the missions and
//!   what completes each;
//! - `mining`: mining in the tab (template, the workers' reports, the found block and
//!   its fate); `tree` and `tree_layout`: the block tree, live, and how it is drawn.
//! - `replay`: the chain replayed in the tab up to a block's parent, a slice at a
//!   time (`Action::Work`); `glass`: every rule checked in the tab for the open
//!   block; `lab`: the tamper lab's sandbox, its re-mine and its submission.
//!
//! Problems are typed where they happen ([`LinkError`], [`ServerRefusal`],
//! [`SendError`], [`SendFormError`], [`ExplorerError`], and [`VaultError`] from the key
//! tasks) and become the sentences the page shows in one place, [`crate::sentences`];
//! the state keeps the sentence it shows.

mod account;
mod action;
mod chain;
mod explorer;
mod glass;
mod keys;
mod lab;
mod lab_field;
mod labels;
mod link;
mod mempool;
mod mining;
mod proof;
mod quests;
mod replay;
mod section;
mod send;
mod send_form;
mod signatures;
mod tree;
mod tree_layout;

pub use account::{FaucetStep, HISTORY_PAGE};
pub use action::Action;
pub use chain::Validation;
pub use explorer::{ADDRESS_PAGE, Detail, Explorer, ExplorerError, RECENT_BLOCKS, SearchKey};
pub use glass::Glass;
pub use keys::{Secret, Wallet};
pub use lab::{LAB_BLOCKS, Lab, LabError, Remine};
pub use lab_field::{Expected, LabField, LabInputError};
pub use labels::MAX_LABEL_CHARS;
pub use link::{Awaiting, Link, LinkError, ServerRefusal};
pub use mempool::{MAX_TICK_MS, MEMPOOL_PAGE, OwnPending, tick_ms};
pub use mining::{
    Fate, Found, MAX_THREADS, MineError, MineRun, MineStep, Mining, Progress, WorkerRate,
    expected_secs, read_cap, read_threads,
};
pub use proof::{DRAWN_LEAVES, Folded, ProofView};
pub use quests::Quest;
pub use replay::{REPLAY_PAGE, REPLAY_SLICE_TXS, Replay, ReplayError};
pub use section::Section;
pub use send::{SendError, SendStep};
pub use send_form::{SendFormError, check_amount, check_receiver};
pub use signatures::{SigField, SigLab, Trial, TrialStep};
pub use tree::{BlockTree, Reorg, replaced};
pub use tree_layout::{Branch, Layout, layout, work};

use simplechain_core::protocol::{AccountInfo, History, Info, Mempool};
use simplechain_core::{Address, BlockHash, TxId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// The open section of the page (`section`).
    pub section: Section,
    // The link to the relay (`link`).
    pub link: Link,
    /// Whether `SUBSCRIBE` succeeded on the current connection.
    pub subscribed: bool,
    /// Request lines to send, with their sequence numbers, oldest first.
    pub outbox: Vec<(u64, String)>,
    /// The sequence number of the next request line.
    pub next_seq: u64,
    /// What each request sent (or queued) on this connection awaits, oldest first.
    pub in_flight: VecDeque<Awaiting>,
    // The chain (`chain`).
    /// The chain at a glance (`GET_INFO`).
    pub info: Option<Info>,
    /// The last `EVENT:TIP` received: the last block synced.
    pub last_event: Option<(u64, BlockHash)>,
    pub validation: Validation,
    // The key (`keys`) and its account (`account`).
    pub wallet: Wallet,
    /// The unlocked wallet's account.
    pub account: Option<AccountInfo>,
    /// The open page of the wallet's history.
    pub history: Option<History>,
    pub history_offset: u64,
    pub faucet: FaucetStep,
    /// After creating a wallet: the backup is asked for before anything else.
    pub backup_prompt: bool,
    /// The wallet's own transfers still pending, both ways (`mempool`).
    pub own_pending: Option<OwnPending>,
    /// The payments to this wallet already known; `None` until the first read.
    pub incoming_seen: Option<BTreeSet<TxId>>,
    /// The notice for the last payment received (`data-testid="received"`).
    pub received: Option<String>,
    // The mempool and the clock (`mempool`).
    /// The first page of the mempool (`GET_MEMPOOL`).
    pub mempool: Option<Mempool>,
    /// Milliseconds since the epoch at the last tick.
    pub now_ms: u64,
    // Names (`labels`).
    /// Who got the genesis supply (the treasury, which pays the faucet).
    pub treasury: Option<Address>,
    /// Who paid this wallet's last faucet request (the faucet's key).
    pub faucet_payer: Option<Address>,
    /// Who gets the rewards of the newest blocks (the server's miner).
    pub miner: Option<Address>,
    /// The learner's labels, kept in the tab.
    pub labels: Rc<BTreeMap<Address, String>>,
    // The transfer under way (`send`) and the explorer (`explorer`).
    pub send: SendStep,
    pub explorer: Explorer,
    /// Mining in the tab (`mining`) and the block tree (`tree`).
    pub mining: Mining,
    pub tree: BlockTree,
    // The glass box (`glass`, `replay`) and the tamper lab (`lab`).
    /// The checklist of the explorer's open block.
    pub glass: Glass,
    /// The chain replayed in the tab up to the open block's parent.
    pub replay: Replay,
    pub lab: Lab,
    /// Counts the slices of work done (`Action::Work`), so the page schedules the
    /// next one after each.
    pub slices: u64,
    // Notices.
    /// The sentence for the last problem to tell the user about
    /// (`data-testid="error"`), made from an error type by `State::show`.
    pub error: Option<String>,
    /// A slow local job under way (key derivation), shown as a notice.
    pub busy: Option<String>,
    // Learning (`signatures`, `proof`, `quests`).
    pub sig_lab: SigLab,
    pub proof: ProofView,
    /// The quests the chain and the server have completed, kept in the tab.
    pub quests: BTreeSet<Quest>,
}

impl Default for State {
    fn default() -> Self {
        State {
            section: Section::default(),
            link: Link::Connecting,
            subscribed: false,
            outbox: Vec::new(),
            next_seq: 0,
            in_flight: VecDeque::new(),
            info: None,
            last_event: None,
            validation: Validation::Idle,
            wallet: Wallet::None,
            account: None,
            history: None,
            history_offset: 0,
            faucet: FaucetStep::Idle,
            backup_prompt: false,
            own_pending: None,
            incoming_seen: None,
            received: None,
            mempool: None,
            now_ms: 0,
            treasury: None,
            faucet_payer: None,
            miner: None,
            labels: Rc::default(),
            send: SendStep::Idle,
            explorer: Explorer::default(),
            mining: Mining::default(),
            tree: BlockTree::default(),
            glass: Glass::default(),
            replay: Replay::default(),
            lab: Lab::default(),
            slices: 0,
            error: None,
            busy: None,
            sig_lab: SigLab::default(),
            proof: ProofView::default(),
            quests: BTreeSet::new(),
        }
    }
}

impl State {
    /// A state for a page that found `stored` in its storage, and these labels in
    /// the tab.
    pub fn new(stored: Option<Address>, labels: BTreeMap<Address, String>) -> Self {
        State {
            wallet: match stored {
                Some(address) => Wallet::Locked { address },
                None => Wallet::None,
            },
            labels: Rc::new(labels),
            ..State::default()
        }
    }

    /// Applies one action.
    pub fn apply(mut self, action: Action) -> Self {
        match action {
            Action::Connecting => self.link = Link::Connecting,
            Action::Connected => self.connected(),
            Action::Disconnected => self.disconnected(),
            Action::Line(line) => self.line(&line),
            Action::Sent(upto) => self.outbox.retain(|(seq, _)| *seq >= upto),
            Action::Stored(address) => self.stored(address),
            Action::Forgotten => self.forgotten(),
            Action::Unlocked(key) => self.unlocked(key),
            Action::Lock => self.lock(),
            Action::VaultFailed(error) => self.show(&error),
            Action::Faucet => self.ask_faucet(),
            Action::Validate => self.validate(),
            Action::HistoryPage(offset) => {
                self.history_offset = offset;
                self.request_history();
            }
            Action::ShowBlock(height) => self.show_block(height),
            Action::ShowTx(txid) => self.show_tx(txid),
            Action::ShowAddress(address) => self.show_address(address),
            Action::AddressPage(offset) => self.address_page(offset),
            Action::Search(text) => self.search(&text),
            Action::BlocksPage(top) => self.blocks_page(top),
            Action::CloseDetail => self.close_detail(),
            Action::Label(address, label) => self.set_label(address, &label),
            Action::Tick(now_ms) => self.tick(now_ms),
            Action::Created(key) => {
                self.unlocked(key);
                self.backup_prompt = true;
            }
            Action::BackupDone => self.backup_prompt = false,
            Action::DismissReceived => self.received = None,
            Action::Review { to, amount } => self.review(&to, &amount),
            Action::Confirm => self.confirm(),
            Action::ResetSend => self.reset_send(),
            Action::DismissError => self.error = None,
            Action::Busy(what) => self.busy = what,
            Action::Open(section) => self.open_section(section),
            Action::SigEdit(field) => self.sig_edit(field),
            Action::SigSign => self.sig_sign(),
            Action::SigVerify => self.sig_verify(),
            Action::SigFlipText => self.sig_flip_text(),
            Action::SigFlipSignature => self.sig_flip_signature(),
            Action::Trial(trial) => self.sig_trial(trial),
            Action::AskProof(txid) => self.ask_proof(txid),
            Action::MineStart { keep } => self.mine_start(keep),
            Action::MineStop => self.mine_stop(),
            Action::MineThreads(text) => self.mine_threads(&text),
            Action::MineCap(text) => self.mine_cap(&text),
            Action::MinerReport {
                worker,
                report,
                wall_ms,
                at_ms,
            } => self.miner_report(worker, report, wall_ms, at_ms),
            Action::MinerFailed => self.miner_failed(),
            Action::ShowBlockHash(hash) => self.show_block_hash(hash),
            Action::Work(now_ms) => self.work(now_ms),
            Action::LabOpen => self.lab_open(),
            Action::LabEdit {
                block,
                tx,
                field,
                text,
            } => self.lab_edit(block, tx, field, &text),
            Action::LabReset => self.lab_reset(),
            Action::LabRemine => self.lab_remine(),
            Action::LabSubmit => self.lab_submit(),
        }
        self
    }

    /// The page's first state also knows how many workers to offer: `cores`, the
    /// browser's `navigator.hardwareConcurrency`.
    pub fn with_cores(mut self, cores: u32) -> Self {
        self.mining.threads = cores.clamp(1, MAX_THREADS);
        self
    }

    /// Whether a slice of heavy work is waiting for `Action::Work`.
    pub fn has_work(&self) -> bool {
        self.replay.has_work() || self.lab.mining.is_some()
    }

    /// One slice: the replay first (the lab judges on its result), then the re-mine.
    fn work(&mut self, now_ms: u64) {
        if self.replay.has_work() {
            self.replay_step();
        } else {
            self.lab_mine_step(now_ms);
        }
        self.slices += 1;
    }

    /// Tells the user about `problem`: its sentence becomes the error notice.
    fn show(&mut self, problem: &dyn std::error::Error) {
        self.error = Some(problem.to_string());
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
