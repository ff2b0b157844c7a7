//! A transfer from the send form to its block: review (checked, with the balance
//! after), confirm (signed in the tab by [`crate::signing`] and sent), accepted by the
//! server (in its mempool), confirmed in a block, or failed.

use super::{
    Awaiting, Link, LinkError, ServerRefusal, State, Wallet, check_amount, check_receiver,
};
use crate::signing::Transfer;
use simplechain_core::protocol::{Request, TxInfo, TxStatus};
use simplechain_core::{Address, TxId};

/// The send form's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendStep {
    /// Nothing under way.
    Idle,
    /// Checked, waiting for the user's confirmation.
    Confirming {
        to: Address,
        amount: u64,
        /// What the wallet can spend once this transfer is accepted.
        balance_after: u64,
    },
    /// Signed and sent; the server has not answered yet.
    Submitting {
        txid: TxId,
        to: Address,
        amount: u64,
    },
    /// Accepted by the server (durable, in its mempool), waiting for a block; the page
    /// shows it as "pending", the server's word for it.
    Accepted {
        txid: TxId,
        to: Address,
        amount: u64,
    },
    /// In a block.
    Confirmed {
        txid: TxId,
        to: Address,
        amount: u64,
        height: u64,
    },
    /// Refused or lost; the sentence says why.
    Failed { message: String },
}

/// Why a transfer cannot be reviewed, signed or sent.
#[derive(Debug)]
pub enum SendError {
    /// Only an unlocked wallet can send.
    Locked,
    /// The chain id (`GET_INFO`) or the nonce (`GET_ACCOUNT`) has not arrived yet.
    StillLoading,
    /// The transfer was sent just before the connection dropped and never arrived.
    LostInTransit,
    /// The server refused the transfer.
    Refused(ServerRefusal),
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendError::Refused(cause) => Some(cause),
            _ => None,
        }
    }
}

impl State {
    /// Checks the form and asks for confirmation.
    pub(super) fn review(&mut self, to: &str, amount: &str) {
        let own = self.wallet.unlocked();
        if own.is_none() {
            return self.show(&SendError::Locked);
        }
        let checked = check_receiver(to, own)
            .and_then(|to| check_amount(amount, self.spendable()).map(|amount| (to, amount)));
        match checked {
            Ok((to, amount)) => {
                self.error = None;
                self.send = SendStep::Confirming {
                    to,
                    amount,
                    balance_after: self.spendable() - amount,
                };
            }
            Err(problem) => self.show(&problem),
        }
    }

    /// Signs the transfer under confirmation and queues its `ADD_TRANSACTION` line.
    pub(super) fn confirm(&mut self) {
        let SendStep::Confirming { to, amount, .. } = self.send else {
            return;
        };
        let Wallet::Unlocked { key, .. } = &self.wallet else {
            return self.show(&SendError::Locked);
        };
        let (Some(info), Some(account)) = (&self.info, &self.account) else {
            return self.show(&SendError::StillLoading);
        };
        if self.link != Link::Connected {
            return self.show(&LinkError::NotConnected);
        }
        let transfer = Transfer {
            chain_id: info.chain_id,
            to,
            amount,
            nonce: account.pending_nonce,
        };
        let signed = transfer.sign(&key.0);
        if self.queue_line(signed.line, Awaiting::Submit(signed.txid)) {
            self.send = SendStep::Submitting {
                txid: signed.txid,
                to,
                amount,
            };
        }
    }

    pub(super) fn reset_send(&mut self) {
        if !matches!(self.send, SendStep::Submitting { .. }) {
            self.send = SendStep::Idle;
        }
    }

    /// `SUCCESS` for the wallet's transfer: accepted, waiting for a block.
    pub(super) fn accepted(&mut self, txid: TxId) {
        let SendStep::Submitting {
            txid: sent,
            to,
            amount,
        } = self.send
        else {
            return;
        };
        if sent != txid {
            return;
        }
        self.send = SendStep::Accepted { txid, to, amount };
        // Until the account is read again, count the transfer as the server does.
        if let Some(account) = self.account.as_mut() {
            account.pending_balance = account.pending_balance.saturating_sub(amount);
            account.pending_nonce += 1;
        }
        if let Some(own) = self.own_pending.as_mut() {
            own.outgoing = own.outgoing.saturating_add(amount);
        }
        self.refresh_wallet();
        self.request(Request::GetTransaction(txid), Awaiting::TrackTx(txid));
    }

    /// `ERROR` for the wallet's transfer.
    pub(super) fn submit_refused(&mut self, refusal: ServerRefusal) {
        self.send_failed(SendError::Refused(refusal));
        // The nonce or balance the wallet used may be stale.
        self.refresh_wallet();
    }

    /// `TX:` for the wallet's transfer.
    pub(super) fn tracked(&mut self, txid: TxId, info: &TxInfo) {
        let (to, amount) = match self.send {
            SendStep::Submitting {
                txid: t,
                to,
                amount,
            }
            | SendStep::Accepted {
                txid: t,
                to,
                amount,
            } if t == txid => (to, amount),
            _ => return,
        };
        self.send = match (info.status, info.height) {
            (TxStatus::Confirmed, Some(height)) => SendStep::Confirmed {
                txid,
                to,
                amount,
                height,
            },
            _ => SendStep::Accepted { txid, to, amount },
        };
    }

    /// The server does not know the wallet's transfer.
    pub(super) fn transfer_not_found(&mut self, txid: TxId) {
        // Sent just before the connection dropped, and never arrived.
        if matches!(self.send, SendStep::Submitting { txid: t, .. } if t == txid) {
            self.send_failed(SendError::LostInTransit);
        }
    }

    /// On a new connection: asks again about a transfer sent or accepted before.
    pub(super) fn track_transfer_again(&mut self) {
        if let SendStep::Submitting { txid, .. } | SendStep::Accepted { txid, .. } = self.send {
            self.request(Request::GetTransaction(txid), Awaiting::TrackTx(txid));
        }
    }

    /// On a new block: asks whether the accepted transfer is in it.
    pub(super) fn track_accepted_transfer(&mut self) {
        if let SendStep::Accepted { txid, .. } = self.send {
            self.request(Request::GetTransaction(txid), Awaiting::TrackTx(txid));
        }
    }

    fn send_failed(&mut self, problem: SendError) {
        self.send = SendStep::Failed {
            message: problem.to_string(),
        };
    }
}
