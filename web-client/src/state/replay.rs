//! The chain replayed in the tab, up to a block's parent: the balances and nonces the
//! glass box and the tamper lab judge a block's transactions on. Nothing is taken
//! from the server on trust: every block is checked by `core` as it is applied.
//!
//! ```text
//! GET_BLOCK:<parent hash>        the parent; main or side?
//!   side: GET_BLOCK:<its prev_hash> … until a main block: the branch, kept
//! GET_BLOCKS:<from>:500 …        the main chain from genesis up to the fork
//! Action::Work, again and again  a slice of blocks applied each time (the page
//!                                yields to the browser between slices), then the branch
//! ```
//!
//! A replay that already stands on the main chain below the new goal carries on from
//! where it is; any other goal starts again from genesis.

use super::link::decode_blocks;
use super::{Awaiting, State};
use simplechain_core::protocol::{BlockInfo, Request};
use simplechain_core::validate::ChainState;
use simplechain_core::{Block, BlockHash};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

/// Blocks asked for in one `GET_BLOCKS` (the protocol's maximum).
pub const REPLAY_PAGE: u64 = 500;
/// Transactions checked in one slice of work, so that the page never freezes (about
/// 20 ms of signatures in the tab).
pub const REPLAY_SLICE_TXS: usize = 150;
/// How far back a side branch is followed (the server keeps no deeper fork).
const MAX_BRANCH: usize = simplechain_core::MAX_REORG_DEPTH as usize + 1;

/// Where a replay is.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// The parent whose state is wanted.
    pub goal: Option<BlockHash>,
    /// The goal block itself, once it arrives (`GET_BLOCK`).
    pub parent: Option<Rc<Block>>,
    /// Side blocks from the fork up to the goal, lowest first.
    branch: Vec<Block>,
    /// The main chain's height the branch forks from (the goal's own height if it
    /// is on the main chain), once known.
    fork: Option<u64>,
    /// The state after the blocks applied so far (`None` before genesis).
    pub state: Option<Rc<ChainState>>,
    /// Whether `state` left the main chain (a branch was applied to it).
    off_main: bool,
    /// Blocks fetched, not applied yet.
    queue: VecDeque<Block>,
    /// The next main-chain height to ask for.
    next_ask: u64,
    /// Whether a `GET_BLOCKS` is awaiting its answer.
    asking: bool,
    /// Why the replay stopped, if it did.
    pub error: Option<ReplayError>,
}

/// Why the tab could not replay the chain to a block's parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// A block of the server's chain broke a rule in the tab (the chain changed under
    /// the replay, or the server is wrong).
    Invalid(String),
    /// The server did not send what was asked.
    Missing,
    /// The side branch is deeper than the server keeps.
    TooDeep,
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Invalid(why) => write!(
                f,
                "the chain replayed in this tab broke a rule ({why}); if a reorg just happened, open the block again"
            ),
            ReplayError::Missing => {
                f.write_str("the server did not send the blocks asked for; open the block again")
            }
            ReplayError::TooDeep => f.write_str("the side branch is deeper than the server keeps"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Two replays are the same when they stand at the same place (the ledger itself is
/// never compared: only the reducer changes it).
impl PartialEq for Replay {
    fn eq(&self, other: &Self) -> bool {
        self.goal == other.goal
            && self.parent == other.parent
            && self.height() == other.height()
            && self.state.as_ref().map(|s| s.tip) == other.state.as_ref().map(|s| s.tip)
            && self.queue.len() == other.queue.len()
            && self.error == other.error
            && self.fork == other.fork
    }
}

impl Replay {
    /// The height of the last block applied.
    pub fn height(&self) -> Option<u64> {
        self.state.as_ref().map(|s| s.height)
    }

    /// The state after the goal, once reached.
    pub fn ready(&self) -> Option<&ChainState> {
        let state = self.state.as_deref()?;
        (Some(state.tip) == self.goal).then_some(state)
    }

    /// Whether a slice of work is waiting (`Action::Work`).
    pub fn has_work(&self) -> bool {
        self.error.is_none() && (!self.queue.is_empty() || self.branch_due())
    }

    /// Whether the main chain stands at the fork and the side branch is next.
    fn branch_due(&self) -> bool {
        self.queue.is_empty() && !self.branch.is_empty() && self.height() == self.fork
    }

    /// Progress for the page: blocks applied and the height to reach (the goal's).
    pub fn progress(&self) -> Option<(u64, u64)> {
        let goal = self.parent.as_ref()?.header.height;
        let done = self.height().map_or(0, |h| h + 1);
        Some((done.min(goal + 1), goal + 1))
    }
}

impl State {
    /// Starts (or carries on) replaying the chain up to the block `parent`.
    pub(super) fn replay_to(&mut self, parent: BlockHash) {
        if self.replay.goal == Some(parent) && self.replay.error.is_none() {
            return;
        }
        let kept = self.replay.state.take().filter(|_| !self.replay.off_main);
        self.replay = Replay {
            goal: Some(parent),
            state: kept,
            ..Replay::default()
        };
        self.request(Request::GetBlock(parent), Awaiting::ReplayAncestor(parent));
    }

    /// `GET_BLOCK` for the goal or one of its side ancestors.
    pub(super) fn got_replay_ancestor(&mut self, hash: BlockHash, json: &str) {
        let Ok(info) = serde_json::from_str::<BlockInfo>(json) else {
            return self.replay_failed(ReplayError::Missing);
        };
        if info.block.hash != hash || self.replay.goal.is_none() {
            return self.replay_failed(ReplayError::Missing);
        }
        if Some(hash) == self.replay.goal {
            self.replay.parent = Some(Rc::new(info.block.clone()));
            self.refresh_checks();
        }
        if info.main {
            self.replay.fork = Some(info.block.header.height);
            let from = match &self.replay.state {
                Some(state) if state.height <= info.block.header.height => state.height + 1,
                _ => {
                    self.replay.state = None;
                    0
                }
            };
            self.replay.next_ask = from;
            self.ask_replay_blocks();
            self.replay_step();
        } else if self.replay.branch.len() >= MAX_BRANCH {
            self.replay_failed(ReplayError::TooDeep);
        } else {
            let prev = info.block.header.prev_hash;
            self.replay.branch.insert(0, info.block);
            self.request(Request::GetBlock(prev), Awaiting::ReplayAncestor(prev));
        }
    }

    /// Asks for the next page of the main chain, if one is still missing.
    fn ask_replay_blocks(&mut self) {
        let Some(fork) = self.replay.fork else { return };
        if self.replay.asking || self.replay.next_ask > fork {
            return;
        }
        let from = self.replay.next_ask;
        let limit = (fork - from + 1).min(REPLAY_PAGE);
        if self.request(
            Request::GetBlocks { from, limit },
            Awaiting::ReplayBlocks(from),
        ) {
            self.replay.asking = true;
        }
    }

    pub(super) fn got_replay_blocks(&mut self, from: u64, raw: &str) {
        self.replay.asking = false;
        let blocks = decode_blocks(raw).unwrap_or_default();
        if from != self.replay.next_ask || blocks.is_empty() {
            return self.replay_failed(ReplayError::Missing);
        }
        self.replay.next_ask = from + blocks.len() as u64;
        self.replay.queue.extend(blocks);
        // One page ahead while this one is applied.
        self.ask_replay_blocks();
    }

    /// One slice of the replay: blocks applied until [`REPLAY_SLICE_TXS`]
    /// transactions were checked; the branch once the main chain reached the fork.
    pub(super) fn replay_step(&mut self) {
        let mut budget = REPLAY_SLICE_TXS;
        while budget > 0 && self.replay.error.is_none() {
            if self.replay.branch_due() {
                let branch = std::mem::take(&mut self.replay.branch);
                self.replay.off_main = true;
                self.replay.queue.extend(branch);
            }
            let Some(block) = self.replay.queue.pop_front() else {
                break;
            };
            budget = budget.saturating_sub(block.transactions.len().max(1));
            let applied = match self.replay.state.as_mut() {
                None => ChainState::genesis(&block, None)
                    .map(|state| self.replay.state = Some(Rc::new(state))),
                Some(state) => Rc::make_mut(state).apply_block(&block, None).map(|_| ()),
            };
            if let Err(error) = applied {
                return self.replay_failed(ReplayError::Invalid(error.to_string()));
            }
        }
        if self.replay.ready().is_some() {
            self.refresh_checks();
        }
    }

    /// The connection dropped: what was awaited will not come.
    pub(super) fn replay_dropped(&mut self) {
        if self.replay.goal.is_some() && self.replay.ready().is_none() {
            self.replay_failed(ReplayError::Missing);
        }
    }

    pub(super) fn replay_failed(&mut self, error: ReplayError) {
        self.replay.queue.clear();
        self.replay.error = Some(error);
        self.refresh_checks();
    }
}
