//! Names for addresses: the server's own (the treasury, which holds the genesis supply;
//! the faucet, which pays test coins, by default the same key; the server's miner, which
//! gets the block rewards) and the learner's labels, kept in the tab (`sessionStorage`,
//! by the page).

use super::State;
use simplechain_core::{Address, Block};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The longest label kept, in characters.
pub const MAX_LABEL_CHARS: usize = 40;

impl State {
    /// The genesis block: its miner field names who got the supply (the treasury).
    pub(super) fn got_genesis(&mut self, blocks: &[Block]) {
        if let Some(genesis) = blocks.first().filter(|b| b.header.height == 0) {
            self.treasury = Some(genesis.header.miner);
        }
    }

    /// The newest mined block names the server's miner.
    pub(super) fn note_miner(&mut self, newest_first: &[Block]) {
        if let Some(block) = newest_first.iter().find(|b| b.header.height > 0) {
            self.miner = Some(block.header.miner);
        }
    }

    /// Sets (or, when blank, removes) the learner's label for `address`.
    pub(super) fn set_label(&mut self, address: Address, label: &str) {
        let label: String = label.trim().chars().take(MAX_LABEL_CHARS).collect();
        let mut labels = (*self.labels).clone();
        if label.is_empty() {
            labels.remove(&address);
        } else {
            labels.insert(address, label);
        }
        self.labels = Rc::new(labels);
    }

    /// What the page calls `address`: the learner's label, else the server's roles
    /// ("treasury and faucet", "miner"), else `None` (shown as hex).
    pub fn name_of(&self, address: &Address) -> Option<String> {
        if let Some(label) = self.labels.get(address) {
            return Some(label.clone());
        }
        let mut roles = Vec::new();
        // The faucet pays from the server's treasury key, which holds the genesis
        // supply unless the chain was made with another `--genesis-address`: once a
        // faucet payment has been seen, its sender is the faucet.
        let faucet = match self.faucet_payer {
            Some(payer) => Some(payer),
            None => self.treasury.filter(|_| self.faucet_available()),
        };
        match (
            self.treasury.as_ref() == Some(address),
            faucet.as_ref() == Some(address),
        ) {
            (true, true) => roles.push("treasury and faucet"),
            (true, false) => roles.push("treasury"),
            (false, true) => roles.push("faucet"),
            (false, false) => {}
        }
        if self.miner.as_ref() == Some(address) {
            roles.push("miner");
        }
        if self.wallet.address().as_ref() == Some(address) {
            roles.push("you");
        }
        (!roles.is_empty()).then(|| roles.join(", "))
    }

    /// Every address the page has a name for, with that name.
    pub fn names(&self) -> Rc<BTreeMap<Address, String>> {
        let mut known: Vec<Address> = self.labels.keys().copied().collect();
        known.extend(self.treasury);
        known.extend(self.faucet_payer);
        known.extend(self.miner);
        known.extend(self.wallet.address());
        Rc::new(
            known
                .into_iter()
                .filter_map(|a| self.name_of(&a).map(|name| (a, name)))
                .collect(),
        )
    }
}
