//! The signature lab: sign any text with the wallet's key and check it, then four
//! trials that send the real server a transfer it must refuse, and show its answer.
//!
//! - *Sign and verify* runs in the tab with core's [`text_signature`]: the text is
//!   signed under its own prefix, so it can never be taken for a transfer.
//! - *Trials*: each sends one real `ADD_TRANSACTION` line (two for the double spend)
//!   and keeps the server's answer, code and message as it came:
//!   - [`Trial::Replay`]: one of this wallet's confirmed transfers, sent again byte for
//!     byte;
//!   - [`Trial::OtherChain`]: a transfer signed for a chain whose id differs by one bit;
//!   - [`Trial::Overspend`]: one coin more than the wallet can spend;
//!   - [`Trial::DoubleSpend`]: two transfers with the same nonce.

use super::{Awaiting, ServerRefusal, State, Wallet};
use simplechain_core::protocol::{ErrorCode, Request};
use simplechain_core::text_signature::{sign_text, verify_text};
use simplechain_core::{Address, ChainId, Signature, Transaction};
use std::collections::BTreeMap;

/// A transfer the server must refuse, sent to see which rule refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trial {
    Replay,
    OtherChain,
    Overspend,
    DoubleSpend,
}

impl Trial {
    /// Every trial, in the page's order.
    pub const ALL: [Trial; 4] = [
        Trial::Replay,
        Trial::OtherChain,
        Trial::Overspend,
        Trial::DoubleSpend,
    ];

    /// The button's `data-testid` suffix and the quest's key.
    pub fn key(self) -> &'static str {
        match self {
            Trial::Replay => "replay",
            Trial::OtherChain => "other-chain",
            Trial::Overspend => "overspend",
            Trial::DoubleSpend => "double-spend",
        }
    }

    /// What the trial sends.
    pub fn title(self) -> &'static str {
        match self {
            Trial::Replay => "Replay one of your confirmed transfers",
            Trial::OtherChain => "Sign a transfer for another chain",
            Trial::Overspend => "Spend one coin more than you have",
            Trial::DoubleSpend => "Spend the same nonce twice",
        }
    }

    /// Why the server must refuse it, for the learner to compare with its answer.
    pub fn why(self) -> &'static str {
        match self {
            Trial::Replay => {
                "The copy is signed and valid, but it carries a nonce this account already used: each nonce is spent once, so a signed transfer cannot be cashed twice."
            }
            Trial::OtherChain => {
                "The signature covers the chain id (the hash of this chain's genesis block). Signed for a chain whose id differs by one bit, it verifies nowhere here."
            }
            Trial::Overspend => {
                "Every server replays the same transfers and keeps the same balances: an amount above the sender's balance breaks rule 4 everywhere."
            }
            Trial::DoubleSpend => {
                "Two transfers with one nonce: the first is accepted, the second reuses a spent nonce. Only one of two conflicting payments can ever be on the chain."
            }
        }
    }

    /// The codes that mean the server refused the trial for the reason it teaches.
    pub fn expected(self) -> &'static [ErrorCode] {
        match self {
            Trial::Replay => &[ErrorCode::Duplicate, ErrorCode::BadNonce],
            Trial::OtherChain => &[ErrorCode::BadSignature],
            Trial::Overspend => &[ErrorCode::InsufficientFunds],
            Trial::DoubleSpend => &[ErrorCode::BadNonce, ErrorCode::Duplicate],
        }
    }
}

/// Where a trial stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrialStep {
    /// Sent; the server's answer is awaited.
    Sent,
    /// The double spend's first transfer was accepted; the second is awaited.
    FirstAccepted,
    /// The server refused it: its code and message, as sent.
    Refused { code: ErrorCode, message: String },
    /// The server accepted what it should have refused (never expected).
    Accepted,
    /// The trial could not be sent; the sentence says why.
    NotSent(String),
}

impl TrialStep {
    /// Whether the server refused `trial` for the reason it teaches.
    pub fn taught(&self, trial: Trial) -> bool {
        matches!(self, TrialStep::Refused { code, .. } if trial.expected().contains(code))
    }
}

/// The signature lab's fields and results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SigLab {
    /// The text to sign, as typed.
    pub text: String,
    /// The signature, 128 hex characters, as made or edited.
    pub signature: String,
    /// The address the signature is checked against, as made or edited.
    pub signer: String,
    /// The last check: `Ok` with nothing, or the sentence saying why it failed.
    pub verdict: Option<Result<(), String>>,
    /// Each trial sent on this page, with where it stands.
    pub trials: BTreeMap<Trial, TrialStep>,
}

/// A field of the signature lab the learner edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigField {
    Text(String),
    Signature(String),
    Signer(String),
}

impl State {
    pub(super) fn sig_edit(&mut self, field: SigField) {
        match field {
            SigField::Text(text) => self.sig_lab.text = text,
            SigField::Signature(hex) => self.sig_lab.signature = hex,
            SigField::Signer(hex) => self.sig_lab.signer = hex,
        }
        self.sig_lab.verdict = None;
    }

    /// Signs the text with the wallet's key, in this tab.
    pub(super) fn sig_sign(&mut self) {
        let Wallet::Unlocked { address, key } = &self.wallet else {
            self.sig_lab.verdict =
                Some(Err("Unlock the wallet first: signing needs its key.".into()));
            return;
        };
        self.sig_lab.signature = sign_text(&key.0, &self.sig_lab.text).to_string();
        self.sig_lab.signer = address.to_string();
        self.sig_lab.verdict = None;
    }

    /// Checks the signature against the text and the signer, in this tab.
    pub(super) fn sig_verify(&mut self) {
        let lab = &self.sig_lab;
        let verdict = match (lab.signer.trim().parse::<Address>(), lab.signature.trim().parse::<Signature>()) {
            (Err(_), _) => Err("The signer is not an address (64 hex characters).".to_string()),
            (_, Err(_)) => Err("The signature is not 128 hex characters.".to_string()),
            (Ok(signer), Ok(signature)) => verify_text(&signer, &lab.text, &signature)
                .map_err(|e| format!("Invalid: {e}. The text, the signature or the signer is not what was signed.")),
        };
        self.sig_lab.verdict = Some(verdict);
    }

    /// Changes one character of the text (the first letter's case, or a trailing "!").
    pub(super) fn sig_flip_text(&mut self) {
        let text = &mut self.sig_lab.text;
        match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
            Some((i, c)) => {
                let flipped = if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                };
                text.replace_range(i..i + 1, &flipped.to_string());
            }
            None => text.push('!'),
        }
        self.sig_lab.verdict = None;
    }

    /// Flips the lowest bit of the signature's first byte.
    pub(super) fn sig_flip_signature(&mut self) {
        if let Ok(signature) = self.sig_lab.signature.trim().parse::<Signature>() {
            let mut bytes = signature.to_bytes();
            bytes[0] ^= 1;
            self.sig_lab.signature = Signature::from_bytes(bytes).to_string();
        }
        self.sig_lab.verdict = None;
    }

    /// Sends `trial` to the server.
    pub(super) fn sig_trial(&mut self, trial: Trial) {
        match self.trial_lines(trial) {
            Ok(lines) => {
                let last = lines.len() - 1;
                for (i, line) in lines.into_iter().enumerate() {
                    if !self.queue_line(
                        line,
                        Awaiting::Trial {
                            trial,
                            last: i == last,
                        },
                    ) {
                        return;
                    }
                }
                self.sig_lab.trials.insert(trial, TrialStep::Sent);
            }
            Err(why) => {
                self.sig_lab.trials.insert(trial, TrialStep::NotSent(why));
            }
        }
    }

    /// The request lines of `trial`, signed in this tab.
    fn trial_lines(&self, trial: Trial) -> Result<Vec<String>, String> {
        let Wallet::Unlocked { address, key } = &self.wallet else {
            return Err("Unlock the wallet first: the trials sign with its key.".into());
        };
        let (Some(info), Some(account)) = (&self.info, &self.account) else {
            return Err("Still reading the chain and the account; try again in a moment.".into());
        };
        let line = |tx: Transaction| Request::AddTransaction(tx).encode();
        // Paid to the treasury: a trial's coins, if any move, go back where the faucet's came from.
        let receiver = self
            .treasury
            .filter(|t| t != address)
            .unwrap_or(Address::from_bytes([0x11; 32]));
        let nonce = account.pending_nonce;
        match trial {
            Trial::Replay => self
                .own_confirmed_transfer()
                .map(|tx| vec![line(tx)])
                .ok_or_else(|| "Send a payment and wait for its block first: there is nothing of yours to replay yet.".into()),
            Trial::OtherChain => {
                let mut other = info.chain_id.to_bytes();
                other[31] ^= 1;
                let tx = Transaction::sign(&key.0, &ChainId::from_bytes(other), receiver, 1, nonce);
                Ok(vec![line(tx)])
            }
            Trial::Overspend => {
                let amount = self.spendable().checked_add(1).ok_or("This wallet holds every coin there is.")?;
                Ok(vec![line(Transaction::sign(&key.0, &info.chain_id, receiver, amount, nonce))])
            }
            Trial::DoubleSpend => {
                if self.spendable() < 3 {
                    return Err("The double spend sends 1 coin, then 2 with the same nonce: get 3 coins first (the faucet).".into());
                }
                let first = Transaction::sign(&key.0, &info.chain_id, receiver, 1, nonce);
                let second = Transaction::sign(&key.0, &info.chain_id, receiver, 2, nonce);
                Ok(vec![line(first), line(second)])
            }
        }
    }

    /// The newest confirmed transfer this wallet sent, from the history page read.
    fn own_confirmed_transfer(&self) -> Option<Transaction> {
        let own = self.wallet.unlocked()?;
        self.history.as_ref()?.items.iter().find_map(|item| {
            let confirmed = item.status == simplechain_core::protocol::TxStatus::Confirmed;
            (confirmed && item.transaction.sender == own).then_some(item.transaction)
        })
    }

    /// `SUCCESS` for a trial's line.
    pub(super) fn trial_accepted(&mut self, trial: Trial, last: bool) {
        let step = if last {
            TrialStep::Accepted
        } else {
            TrialStep::FirstAccepted
        };
        self.sig_lab.trials.insert(trial, step);
        self.refresh_wallet();
    }

    /// An `ERROR` for a trial's line: the answer the trial is for.
    pub(super) fn trial_refused(&mut self, trial: Trial, refusal: ServerRefusal) {
        let step = TrialStep::Refused {
            code: refusal.0.code,
            message: refusal.0.message,
        };
        if step.taught(trial) {
            self.quest_seen(super::Quest::from_trial(trial));
        }
        self.sig_lab.trials.insert(trial, step);
    }
}
