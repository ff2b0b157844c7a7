//! What is waiting for a block, kept live by a tick: the mempool (`GET_MEMPOOL`, an
//! extension), the wallet's own pending transfers both ways (the pending items of
//! `GET_HISTORY`), and the notice when coins arrive.
//!
//! The server sends an event only when the tip moves, and a payment to this wallet
//! moves no tip until it is mined; so every tick (`Action::Tick`, a few seconds apart
//! and well below the server's idle timeout, which it also keeps from firing) asks for
//! the mempool and the wallet's pending transfers. `INFO`'s `mempool` count is taken
//! from the same answer, so every pending count on the page is the server's one
//! number.

use super::{Awaiting, FaucetStep, State};
use crate::format::{coins, short};
use simplechain_core::protocol::{History, Mempool, Request, TxInfo, TxStatus};
use simplechain_core::{Address, TxId};
use std::collections::BTreeSet;

/// Pending transactions shown by the mempool view.
pub const MEMPOOL_PAGE: u64 = 20;
/// The wallet's own pending transfers read each tick (the server's maximum page).
pub const OWN_PENDING_PAGE: u64 = 100;
/// The longest time between two ticks, in milliseconds.
pub const MAX_TICK_MS: u32 = 2_000;

/// The wallet's own transfers still in the mempool.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnPending {
    /// Payments to this wallet, newest first.
    pub incoming: Vec<TxInfo>,
    /// The sum of this wallet's payments still waiting (what the server holds back
    /// from its balance).
    pub outgoing: u64,
}

impl OwnPending {
    /// The sum of the payments to this wallet still waiting.
    pub fn incoming_total(&self) -> u64 {
        self.incoming
            .iter()
            .fold(0, |sum, i| sum.saturating_add(i.transaction.amount))
    }
}

/// How long between two ticks, in milliseconds: at most [`MAX_TICK_MS`], and a third
/// of the server's idle timeout when that is shorter (never below 250 ms).
pub fn tick_ms(idle_timeout_secs: Option<u64>) -> u32 {
    let third = idle_timeout_secs.map_or(u64::MAX, |s| s.saturating_mul(1000) / 3);
    third.clamp(250, u64::from(MAX_TICK_MS)) as u32
}

impl State {
    /// A tick: the time, and the requests that keep the page live.
    pub(super) fn tick(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        self.faucet_expired();
        if self.link != super::Link::Connected
            || self.in_flight.iter().any(|a| *a == Awaiting::Mempool)
        {
            return;
        }
        self.request(
            Request::GetMempool {
                offset: 0,
                limit: MEMPOOL_PAGE,
            },
            Awaiting::Mempool,
        );
        self.request_own_pending();
    }

    /// Asks for the unlocked wallet's pending transfers (they come first in its
    /// history).
    pub(super) fn request_own_pending(&mut self) {
        if let Some(address) = self.wallet.unlocked() {
            self.request(
                Request::GetHistory {
                    address,
                    offset: 0,
                    limit: OWN_PENDING_PAGE,
                },
                Awaiting::OwnPending(address),
            );
        }
    }

    pub(super) fn got_mempool(&mut self, mempool: Mempool) {
        if let Some(info) = self.info.as_mut() {
            info.mempool = mempool.total;
        }
        self.mempool = Some(mempool);
    }

    pub(super) fn got_own_pending(&mut self, address: Address, history: &History) {
        if self.wallet.unlocked() != Some(address) {
            return;
        }
        let pending = history
            .items
            .iter()
            .take_while(|i| i.status == TxStatus::Pending);
        let mut own = OwnPending::default();
        for item in pending {
            if item.transaction.sender == address {
                own.outgoing = own.outgoing.saturating_add(item.transaction.amount);
            } else {
                own.incoming.push(item.clone());
            }
        }
        // A change since the last read (the first read came with the account).
        let changed = self.own_pending.as_ref().is_some_and(|p| *p != own);
        if self.incoming_seen.is_none() {
            self.incoming_seen = Some(
                history
                    .items
                    .iter()
                    .filter(|i| i.transaction.receiver == address)
                    .map(|i| i.txid)
                    .collect::<BTreeSet<TxId>>(),
            );
        }
        self.note_incoming(address, &history.items);
        self.own_pending = Some(own);
        if changed {
            // The account's pending figures and the history's pending rows moved.
            self.request(Request::GetAccount(address), Awaiting::Account(address));
            self.request_history();
        }
    }

    /// Tells about the payments to this wallet it had not seen. What the first read
    /// of the wallet's pending transfers after unlocking finds is only remembered.
    pub(super) fn note_incoming(&mut self, own: Address, items: &[TxInfo]) {
        let incoming = items.iter().filter(|i| i.transaction.receiver == own);
        let Some(seen) = self.incoming_seen.as_mut() else {
            return;
        };
        let fresh: Vec<TxInfo> = incoming.filter(|i| seen.insert(i.txid)).cloned().collect();
        if self.faucet == FaucetStep::Sent
            && let Some(payment) = fresh.first()
        {
            self.faucet_payer = Some(payment.transaction.sender);
        }
        for item in fresh.iter().rev() {
            let from = self
                .name_of(&item.transaction.sender)
                .unwrap_or_else(|| short(&item.transaction.sender.to_string()));
            let when = match (item.status, item.height) {
                (TxStatus::Confirmed, Some(h)) => format!("confirmed in block {h}"),
                _ => "pending: it counts once a block includes it".into(),
            };
            self.received = Some(format!(
                "You received {} coins from {from} ({when}).",
                coins(item.transaction.amount)
            ));
        }
    }
}
