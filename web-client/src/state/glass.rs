//! The glass box: every rule of PROTOCOL §5 checked in the tab, by `core`, for the
//! block the explorer has open (main or side), and for each block of the tamper lab.
//!
//! A block is judged against its parent: the parent's header as soon as `GET_BLOCK`
//! brings it, the parent's balances and nonces once the chain is replayed up to it
//! ([`super::replay`]). Until then the rules that need them say so.

use super::{Detail, State};
use simplechain_core::validate::checklist::{Context, Parent, RuleCheck, checklist};
use simplechain_core::{Block, BlockHash};
use std::rc::Rc;

/// The checklist of the explorer's open block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Glass {
    /// The block the list is about.
    pub block: Option<BlockHash>,
    pub checks: Rc<Vec<RuleCheck>>,
}

impl State {
    /// What a block whose parent is `parent` is judged against: the chain's id and
    /// difficulty, the parent and its state when the replay has them.
    pub(super) fn context_after(&self, parent: BlockHash) -> Option<Context<'_>> {
        let info = self.info.as_ref()?;
        let ready = self.replay.ready().filter(|s| s.tip == parent);
        let header = || {
            let block = self.replay.parent.as_ref().filter(|b| b.hash == parent)?;
            Some(Parent::of(block))
        };
        Some(Context {
            chain_id: info.chain_id,
            difficulty: info.difficulty,
            parent: ready.map(Parent::tip_of).or_else(header),
            ledger: ready.map(|s| &s.ledger),
            now_ms: (self.now_ms > 0).then_some(self.now_ms),
        })
    }

    /// The checklist of `block` on what is known of its parent.
    pub(super) fn checks_of(&self, block: &Block) -> Vec<RuleCheck> {
        let parent = block.header.prev_hash;
        self.context_after(parent)
            .map(|context| checklist(block, &context))
            .unwrap_or_default()
    }

    /// A block opened in the explorer: its checklist now, and its parent's state
    /// fetched and replayed for the rest.
    pub(super) fn glass_open(&mut self, block: &Block) {
        if block.header.height > 0 {
            self.replay_to(block.header.prev_hash);
        }
        self.refresh_checks();
    }

    /// Judges the open block (and the lab's blocks) again with what is known now.
    pub(super) fn refresh_checks(&mut self) {
        let glass = match &self.explorer.detail {
            Some(Detail::Block(block)) => Glass {
                block: Some(block.hash),
                checks: Rc::new(self.checks_of(block)),
            },
            _ => Glass::default(),
        };
        self.glass = glass;
        self.refresh_lab();
    }
}
