//! The block tree (`GET_TREE`, PROTOCOL §9): the last blocks, main chain and side
//! branches, kept live by `EVENT:BLOCK` and `EVENT:TIP` once it was opened; a reorg is
//! seen by comparing two trees (main-chain blocks that are main no more).
//!
//! Requests do not pile up: an event while a `GET_TREE` is out asks for one more once
//! it is answered.

use super::{Awaiting, Section, State};
use simplechain_core::BlockHash;
use simplechain_core::protocol::{Request, Tree, TreeEntry};
use std::collections::BTreeSet;
use std::rc::Rc;

/// Main-chain blocks that left it in one reorg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reorg {
    /// Height and hash of each, lowest first.
    pub blocks: Vec<(u64, BlockHash)>,
    /// The transactions they carried (those still valid went back to pending).
    pub transactions: u64,
}

/// The tree as the page knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockTree {
    /// The last `TREE:` answer; `None` until the tree is first opened.
    pub tree: Option<Rc<Tree>>,
    /// A `GET_TREE` is out.
    pub loading: bool,
    /// Something changed while it was out: ask again once answered.
    pub again: bool,
    /// The last reorg seen, drawn until the next one.
    pub reorg: Option<Reorg>,
}

/// The blocks that were main in `old` and are side in `new`.
pub fn replaced(old: &Tree, new: &Tree) -> Option<Reorg> {
    let was_main: BTreeSet<BlockHash> = old
        .blocks
        .iter()
        .filter(|b| b.main)
        .map(|b| b.hash)
        .collect();
    let lost: Vec<&TreeEntry> = new
        .blocks
        .iter()
        .filter(|b| !b.main && was_main.contains(&b.hash))
        .collect();
    (!lost.is_empty()).then(|| Reorg {
        blocks: lost.iter().map(|b| (b.height, b.hash)).collect(),
        transactions: lost.iter().map(|b| b.transactions).sum(),
    })
}

impl State {
    /// Asks for the tree, or for one more once the one out is answered.
    pub(super) fn request_tree(&mut self) {
        if self.tree.loading {
            self.tree.again = true;
        } else if self.request(Request::GetTree { from: None }, Awaiting::Tree) {
            self.tree.loading = true;
        }
    }

    /// A block entered the tree or the tip moved: the tree follows once it was opened.
    pub(super) fn tree_changed(&mut self) {
        if self.tree.tree.is_some() || self.section == Section::Tree {
            self.request_tree();
        }
    }

    pub(super) fn got_tree(&mut self, tree: Tree) {
        self.tree.loading = false;
        if let Some(old) = &self.tree.tree
            && let Some(reorg) = replaced(old, &tree)
        {
            self.tree.reorg = Some(reorg);
        }
        self.quests_from_tree(&tree);
        self.tree.tree = Some(Rc::new(tree));
        if std::mem::take(&mut self.tree.again) {
            self.request_tree();
        }
    }

    pub(super) fn tree_failed(&mut self) {
        self.tree.loading = false;
        self.tree.again = false;
    }
}
