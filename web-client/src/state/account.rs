//! The unlocked wallet's account (`GET_ACCOUNT`), its history a page at a time
//! (`GET_HISTORY`) and the faucet (`FAUCET`).
//!
//! The server's `pending_balance` (the balance less the transfers still waiting in its
//! mempool) is what the wallet can spend: [`State::spendable`].

use super::{Awaiting, LinkError, ServerRefusal, State};
use simplechain_core::Address;
use simplechain_core::protocol::{AccountInfo, History, Request};

/// History items per page.
pub const HISTORY_PAGE: u64 = 10;

/// The faucet button's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaucetStep {
    Idle,
    Requesting,
    Sent,
    /// The sentence saying why.
    Failed(String),
}

impl State {
    /// Whether the server has a faucet (the `faucet` extension of `GET_INFO`).
    pub fn faucet_available(&self) -> bool {
        self.info.as_ref().and_then(|i| i.faucet).unwrap_or(false)
    }

    /// What the wallet can spend now: the server's pending balance.
    pub fn spendable(&self) -> u64 {
        self.account.as_ref().map_or(0, |a| a.pending_balance)
    }

    /// Asks for the unlocked wallet's account and history page.
    pub(super) fn refresh_wallet(&mut self) {
        if let Some(address) = self.wallet.unlocked() {
            self.request(Request::GetAccount(address), Awaiting::Account(address));
            self.request_history();
        }
    }

    pub(super) fn request_history(&mut self) {
        if let Some(address) = self.wallet.unlocked() {
            let offset = self.history_offset;
            self.request(
                Request::GetHistory {
                    address,
                    offset,
                    limit: HISTORY_PAGE,
                },
                Awaiting::History { address, offset },
            );
        }
    }

    pub(super) fn got_account(&mut self, address: Address, account: AccountInfo) {
        if self.wallet.unlocked() == Some(address) && account.address == address {
            self.account = Some(account);
        }
    }

    pub(super) fn got_history(&mut self, address: Address, offset: u64, history: History) {
        if self.wallet.unlocked() == Some(address) && self.history_offset == offset {
            self.history = Some(history);
        }
    }

    pub(super) fn ask_faucet(&mut self) {
        if let Some(address) = self.wallet.unlocked()
            && self.request(Request::Faucet(address), Awaiting::Faucet)
        {
            self.faucet = FaucetStep::Requesting;
        }
    }

    pub(super) fn faucet_sent(&mut self) {
        self.faucet = FaucetStep::Sent;
        self.refresh_wallet();
    }

    pub(super) fn faucet_refused(&mut self, refusal: &ServerRefusal) {
        self.faucet = FaucetStep::Failed(refusal.to_string());
    }

    pub(super) fn faucet_dropped(&mut self) {
        if self.faucet == FaucetStep::Requesting {
            self.faucet = FaucetStep::Failed(LinkError::Dropped.to_string());
        }
    }

    /// A new block: faucet coins are in the block that follows the request.
    pub(super) fn faucet_mined(&mut self) {
        if self.faucet == FaucetStep::Sent {
            self.faucet = FaucetStep::Idle;
        }
    }
}
