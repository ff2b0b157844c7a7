//! The quests: missions in a learning order, each marked done by what the chain and the
//! server said (an account's balance, a confirmed transfer, a refusal's code, a proof
//! folded to its block's root), never by a click. Progress is kept in the tab.

use super::State;
use super::signatures::Trial;
use simplechain_core::Address;
use simplechain_core::protocol::{BlockStatus, History, Tree, TxStatus};

/// A mission, in the order a learner takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quest {
    GetCoins,
    SendPayment,
    Overspend,
    DoubleSpend,
    Replay,
    OtherChain,
    Prove,
    MineBlock,
    ForkRace,
    Tamper,
    Validate,
}

impl Quest {
    /// Every quest, in the learning order.
    pub const ALL: [Quest; 11] = [
        Quest::GetCoins,
        Quest::SendPayment,
        Quest::Overspend,
        Quest::DoubleSpend,
        Quest::Replay,
        Quest::OtherChain,
        Quest::Prove,
        Quest::MineBlock,
        Quest::ForkRace,
        Quest::Tamper,
        Quest::Validate,
    ];

    /// The quest's key (`data-quest`, and how progress is stored).
    pub fn key(self) -> &'static str {
        match self {
            Quest::GetCoins => "get-coins",
            Quest::SendPayment => "send-payment",
            Quest::Overspend => "overspend",
            Quest::DoubleSpend => "double-spend",
            Quest::Replay => "replay",
            Quest::OtherChain => "other-chain",
            Quest::Prove => "prove",
            Quest::MineBlock => "mine-block",
            Quest::ForkRace => "fork-race",
            Quest::Tamper => "tamper",
            Quest::Validate => "validate",
        }
    }

    /// The quest whose key is `key`.
    pub fn from_key(key: &str) -> Option<Quest> {
        Quest::ALL.into_iter().find(|q| q.key() == key)
    }

    /// The quest a trial of the signature lab completes.
    pub fn from_trial(trial: Trial) -> Quest {
        match trial {
            Trial::Replay => Quest::Replay,
            Trial::OtherChain => Quest::OtherChain,
            Trial::Overspend => Quest::Overspend,
            Trial::DoubleSpend => Quest::DoubleSpend,
        }
    }

    /// The mission.
    pub fn title(self) -> &'static str {
        match self {
            Quest::GetCoins => "Get your first coins",
            Quest::SendPayment => "Send a payment and follow it into a block",
            Quest::Overspend => "Try to spend more than you have",
            Quest::DoubleSpend => "Try to spend the same coins twice",
            Quest::Replay => "Replay one of your transfers",
            Quest::OtherChain => "Sign a transfer for another chain",
            Quest::Prove => "Prove your payment is in a block",
            Quest::MineBlock => "Mine a block",
            Quest::ForkRace => "Race a fork: win a block, or see yours become a side block",
            Quest::Tamper => "Tamper with a block and offer it to the server",
            Quest::Validate => "Have the server validate the whole chain",
        }
    }

    /// Where to go and what to do.
    pub fn hint(self) -> &'static str {
        match self {
            Quest::GetCoins => {
                "Wallet: create a wallet, then “Get coins from the faucet”. Done when the server reports a balance above 0."
            }
            Quest::SendPayment => {
                "Wallet: send a few coins to any address (a second wallet in a private window). Done when your transfer is confirmed in a block."
            }
            Quest::Overspend => {
                "Signatures: “Spend one coin more than you have”. Done when the server refuses it for insufficient funds."
            }
            Quest::DoubleSpend => {
                "Signatures: “Spend the same nonce twice”. Done when the server refuses the second transfer."
            }
            Quest::Replay => {
                "Signatures: once a payment of yours is confirmed, “Replay one of your confirmed transfers”. Done when the server refuses the copy."
            }
            Quest::OtherChain => {
                "Signatures: “Sign a transfer for another chain”. Done when the server refuses its signature."
            }
            Quest::Prove => {
                "Wallet: open one of your confirmed transfers in the explorer and ask for its Merkle proof. Done when the proof folds to the block's root in this tab."
            }
            Quest::MineBlock => {
                "Mine: start mining. Done when a block you mined is the tip of the main chain."
            }
            Quest::ForkRace => {
                "Mine with a second tab (or `simplechain mine`) at the same time, or let the server's miner race you. Done when a block of yours lands on a side branch, or wins by replacing another."
            }
            Quest::Tamper => {
                "Tamper lab: change a field of a real block, re-mine it and submit it. Done when the server refuses it and names the broken rule."
            }
            Quest::Validate => {
                "Wallet: “Validate chain” in the Chain card. Done when the server answers VALID."
            }
        }
    }
}

impl State {
    /// The chain or the server said something that completes `quest`.
    pub(super) fn quest_seen(&mut self, quest: Quest) {
        self.quests.insert(quest);
    }

    /// An account of this wallet was read: coins completes the first quest.
    pub(super) fn quests_from_account(&mut self, balance: u64) {
        if balance > 0 {
            self.quest_seen(Quest::GetCoins);
        }
    }

    /// A page of this wallet's history: a confirmed transfer it sent completes
    /// "send a payment".
    pub(super) fn quests_from_history(&mut self, own: Address, history: &History) {
        let sent_and_confirmed = history
            .items
            .iter()
            .any(|item| item.status == TxStatus::Confirmed && item.transaction.sender == own);
        if sent_and_confirmed {
            self.quest_seen(Quest::SendPayment);
        }
    }

    /// `SUBMITTED` for a block this tab mined: the tip completes "mine a block"; a side
    /// block, or a tip that replaced another branch's blocks, completes the fork race.
    pub(super) fn quests_from_mined(&mut self, status: BlockStatus, replaced: u64) {
        if status == BlockStatus::Tip {
            self.quest_seen(Quest::MineBlock);
        }
        if status == BlockStatus::Side || (status == BlockStatus::Tip && replaced > 0) {
            self.quest_seen(Quest::ForkRace);
        }
    }

    /// The block tree: a block of this wallet's on a side branch (its block lost a race,
    /// or was replaced by a heavier branch) completes the fork race.
    pub(super) fn quests_from_tree(&mut self, tree: &Tree) {
        let Some(own) = self.wallet.address() else {
            return;
        };
        if tree.blocks.iter().any(|b| b.miner == own && !b.main) {
            self.quest_seen(Quest::ForkRace);
        }
    }
}
