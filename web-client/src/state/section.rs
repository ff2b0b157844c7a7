//! Which section of the page the learner is in: the wallet (with the chain, the
//! mempool and the explorer) or one of the learning sections. Kept in the state, so a
//! link in one section (a block in the tree) can open another (the explorer).

use super::State;

/// A section of the page, as the tab bar lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    /// The wallet, the chain at a glance, the mempool and the explorer.
    #[default]
    Wallet,
    /// Mining in the tab.
    Mine,
    /// The block tree: main chain and side branches.
    Tree,
    /// Sign and verify; the transfers the server refuses.
    Signatures,
    /// The missions.
    Quests,
    /// The tamper lab: real blocks in a sandbox, changed, re-mined and offered to
    /// the server.
    Lab,
}

impl Section {
    /// Every section, in the tab bar's order.
    pub const ALL: [Section; 6] = [
        Section::Wallet,
        Section::Mine,
        Section::Tree,
        Section::Lab,
        Section::Signatures,
        Section::Quests,
    ];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Section::Wallet => "Wallet & explorer",
            Section::Mine => "Mine",
            Section::Tree => "Block tree",
            Section::Signatures => "Signatures",
            Section::Quests => "Quests",
            Section::Lab => "Tamper lab",
        }
    }

    /// The tab's `data-testid`.
    pub fn testid(self) -> &'static str {
        match self {
            Section::Wallet => "wallet-tab",
            Section::Mine => "mine-tab",
            Section::Tree => "tree-tab",
            Section::Signatures => "sig-tab",
            Section::Quests => "quests-tab",
            Section::Lab => "lab-tab",
        }
    }
}

impl State {
    /// Opens a section.
    /// Opens a section; the tree is asked for whenever its section opens.
    pub(super) fn open_section(&mut self, section: Section) {
        self.section = section;
        if section == Section::Tree {
            self.request_tree();
        }
    }
}
