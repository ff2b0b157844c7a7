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
    /// Sign and verify; the transfers the server refuses.
    Signatures,
    /// The missions.
    Quests,
}

impl Section {
    /// Every section, in the tab bar's order.
    pub const ALL: [Section; 3] = [Section::Wallet, Section::Signatures, Section::Quests];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Section::Wallet => "Wallet & explorer",
            Section::Signatures => "Signatures",
            Section::Quests => "Quests",
        }
    }

    /// The tab's `data-testid`.
    pub fn testid(self) -> &'static str {
        match self {
            Section::Wallet => "wallet-tab",
            Section::Signatures => "sig-tab",
            Section::Quests => "quests-tab",
        }
    }
}

impl State {
    /// Opens a section.
    pub(super) fn open_section(&mut self, section: Section) {
        self.section = section;
    }
}
