//! The key as far as this tab knows it: none, stored and locked, or unlocked in memory.
//!
//! Sealing and opening the key (WebCrypto) happen outside the reducer, in
//! [`crate::key_tasks`] and [`crate::vault`]; they report back with `Action::Stored`,
//! `Action::Unlocked` or `Action::VaultFailed`. Locking forgets the key and everything
//! read for it.

use super::{FaucetStep, Link, SendStep, State};
use ed25519_dalek::SigningKey;
use simplechain_core::Address;
use simplechain_core::transaction::address_of;
use std::fmt;
use std::rc::Rc;

/// An unlocked secret key. Its `Debug` never shows the key; it is zeroed when the last
/// copy of the state holding it is dropped (ed25519-dalek's `zeroize`).
#[derive(Clone)]
pub struct Secret(pub Rc<SigningKey>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.verifying_key() == other.0.verifying_key()
    }
}

/// The wallet's key, as far as this tab knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Wallet {
    /// No wallet is stored in this browser.
    None,
    /// A wallet is stored, encrypted; its address is public.
    Locked { address: Address },
    /// The key is in memory and can sign.
    Unlocked { address: Address, key: Secret },
}

impl Wallet {
    /// The address, locked or not.
    pub fn address(&self) -> Option<Address> {
        match self {
            Wallet::None => None,
            Wallet::Locked { address } | Wallet::Unlocked { address, .. } => Some(*address),
        }
    }

    /// The address when the wallet is unlocked.
    pub fn unlocked(&self) -> Option<Address> {
        match self {
            Wallet::Unlocked { address, .. } => Some(*address),
            _ => None,
        }
    }
}

impl State {
    /// A wallet is stored, locked.
    pub(super) fn stored(&mut self, address: Address) {
        self.forget_key();
        self.wallet = Wallet::Locked { address };
    }

    /// No wallet is stored any more.
    pub(super) fn forgotten(&mut self) {
        self.forget_key();
        self.wallet = Wallet::None;
    }

    /// Forgets the key in memory; the stored wallet stays.
    pub(super) fn lock(&mut self) {
        self.mine_stop();
        if let Some(address) = self.wallet.address() {
            self.stored(address);
        }
    }

    pub(super) fn unlocked(&mut self, key: SigningKey) {
        let address = address_of(&key);
        self.forget_key();
        self.wallet = Wallet::Unlocked {
            address,
            key: Secret(Rc::new(key)),
        };
        self.error = None;
        if self.link == Link::Connected {
            self.refresh_wallet();
        }
    }

    /// Drops everything read or started for the key.
    fn forget_key(&mut self) {
        self.account = None;
        self.history = None;
        self.history_offset = 0;
        self.send = SendStep::Idle;
        self.faucet = FaucetStep::Idle;
        self.backup_prompt = false;
        self.own_pending = None;
        self.incoming_seen = None;
        self.received = None;
    }
}
