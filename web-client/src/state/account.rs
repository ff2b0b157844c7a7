//! The unlocked wallet's account (`GET_ACCOUNT`), its history a page at a time
//! (`GET_HISTORY`) and the faucet (`FAUCET`).
//!
//! What the wallet can spend is what the server accepts: the confirmed balance less
//! this wallet's payments still waiting in the mempool ([`State::spendable`]; the
//! server's `spendable` in `server/src/mempool.rs`). The account's `pending_balance`
//! also counts payments still coming in, which cannot be spent before they are mined.

use super::{Awaiting, LinkError, ServerRefusal, State};
use simplechain_core::Address;
use simplechain_core::protocol::{AccountInfo, ErrorCode, History, Request};

/// History items per page.
pub const HISTORY_PAGE: u64 = 10;

/// How long a faucet refusal other than the cooldown stays on screen.
pub const FAUCET_NOTE_MS: u64 = 15_000;

/// The faucet button's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaucetStep {
    Idle,
    Requesting,
    Sent,
    /// Paid recently: the faucet pays again at `until_ms` (the tab's clock).
    Cooling {
        until_ms: u64,
    },
    /// The sentence saying why, shown until `until_ms`.
    Failed {
        message: String,
        until_ms: u64,
    },
}

/// The seconds in the server's "try again in N s".
fn retry_after_secs(message: &str) -> Option<u64> {
    let rest = &message[message.find("try again in ")? + "try again in ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl State {
    /// Whether the server has a faucet (the `faucet` extension of `GET_INFO`).
    pub fn faucet_available(&self) -> bool {
        self.info.as_ref().and_then(|i| i.faucet).unwrap_or(false)
    }

    /// What the wallet can spend now, as the server counts it: the confirmed balance
    /// less this wallet's pending payments.
    pub fn spendable(&self) -> u64 {
        let outgoing = self.own_pending.as_ref().map_or(0, |p| p.outgoing);
        self.account
            .as_ref()
            .map_or(0, |a| a.balance.saturating_sub(outgoing))
    }

    /// Asks for the unlocked wallet's account, history page and pending transfers.
    pub(super) fn refresh_wallet(&mut self) {
        if let Some(address) = self.wallet.unlocked() {
            self.request(Request::GetAccount(address), Awaiting::Account(address));
            self.request_history();
            self.request_own_pending();
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
            self.quests_from_account(account.balance);
            self.account = Some(account);
        }
    }

    pub(super) fn got_history(&mut self, address: Address, offset: u64, history: History) {
        if self.wallet.unlocked() == Some(address) && self.history_offset == offset {
            if offset == 0 {
                self.note_incoming(address, &history.items);
            }
            self.quests_from_history(address, &history);
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
        let cooling = (refusal.0.code == ErrorCode::RateLimited)
            .then(|| retry_after_secs(&refusal.0.message))
            .flatten();
        self.faucet = match cooling {
            Some(secs) => FaucetStep::Cooling {
                until_ms: self.now_ms + secs * 1000,
            },
            None => FaucetStep::Failed {
                message: refusal.to_string(),
                until_ms: self.now_ms + FAUCET_NOTE_MS,
            },
        };
    }

    pub(super) fn faucet_dropped(&mut self) {
        if self.faucet == FaucetStep::Requesting {
            self.faucet = FaucetStep::Failed {
                message: LinkError::Dropped.to_string(),
                until_ms: self.now_ms + FAUCET_NOTE_MS,
            };
        }
    }

    /// A tick: a refusal whose time is up goes away.
    pub(super) fn faucet_expired(&mut self) {
        if let FaucetStep::Cooling { until_ms } | FaucetStep::Failed { until_ms, .. } = self.faucet
            && self.now_ms >= until_ms
        {
            self.faucet = FaucetStep::Idle;
        }
    }

    /// A new block: faucet coins are in the block that follows the request.
    pub(super) fn faucet_mined(&mut self) {
        if self.faucet == FaucetStep::Sent {
            self.faucet = FaucetStep::Idle;
        }
    }
}
