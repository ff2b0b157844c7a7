//! The signing path, whole: a confirmed transfer from the send form becomes the one
//! line the wallet sends for it. A security reviewer can read this file on its own.
//!
//! What is signed (PROTOCOL §3, `simplechain_core::transaction`): the ASCII message
//!
//! ```text
//! simplechain/tx/v1:<chain id>:<sender>:<receiver>:<amount>:<nonce>
//! ```
//!
//! with Ed25519 (`Transaction::sign`, deterministic per RFC 8032). `<sender>` is the
//! public key of the signing key; `<chain id>` is the one the server reported in
//! `GET_INFO`, so the signature is valid on that chain only; `<nonce>` is the account's
//! `pending_nonce` from `GET_ACCOUNT`, so the transfer cannot be replayed; receiver and
//! amount are exactly those the user confirmed. The txid is SHA-256 of that message.
//!
//! What is sent: `ADD_TRANSACTION:<sender>:<receiver>:<amount>:<nonce>:<signature>`,
//! public values only.
//!
//! The secret key never leaves the tab: [`Transfer::sign`] borrows it for one
//! signature and returns only the txid and that line. Nothing here copies, stores,
//! encodes or logs the key, and the protocol has no request that carries one.

use ed25519_dalek::SigningKey;
use simplechain_core::protocol::Request;
use simplechain_core::{Address, ChainId, Transaction, TxId};

/// A transfer the user confirmed, with what the server told the wallet: everything
/// that is signed except the sender, which is the key's own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    /// The chain the server reported in `GET_INFO`.
    pub chain_id: ChainId,
    /// The receiver, as checked by the send form.
    pub to: Address,
    /// Whole coins, as checked by the send form.
    pub amount: u64,
    /// The account's `pending_nonce` (`GET_ACCOUNT`): the transfers of this wallet
    /// the server already holds, confirmed or waiting in its mempool.
    pub nonce: u64,
}

/// A signed transfer, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The transfer's id on its chain, to follow it to its block.
    pub txid: TxId,
    /// `ADD_TRANSACTION:<sender>:<receiver>:<amount>:<nonce>:<signature>`.
    pub line: String,
}

impl Transfer {
    /// Signs the transfer with `key` (in this tab) and encodes the request line.
    pub fn sign(&self, key: &SigningKey) -> Signed {
        let tx = Transaction::sign(key, &self.chain_id, self.to, self.amount, self.nonce);
        Signed {
            txid: tx.txid(&self.chain_id),
            line: Request::AddTransaction(tx).encode(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::transaction::address_of;

    #[test]
    fn the_line_carries_a_valid_signature_and_no_secret() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let transfer = Transfer {
            chain_id: ChainId::from_bytes([7; 32]),
            to: Address::from_bytes([2; 32]),
            amount: 30,
            nonce: 4,
        };
        let signed = transfer.sign(&key);
        let Ok(Request::AddTransaction(tx)) = Request::parse(&signed.line) else {
            panic!("not a transaction: {}", signed.line);
        };
        assert_eq!(tx.verify(&transfer.chain_id), Ok(()));
        assert_eq!(tx.txid(&transfer.chain_id), signed.txid);
        assert_eq!(
            (tx.sender, tx.receiver, tx.amount, tx.nonce),
            (address_of(&key), transfer.to, 30, 4)
        );
        let secret = crate::wallet_file::to_hex(&key.to_bytes());
        assert!(!signed.line.contains(&secret));
        // Another chain does not accept the signature.
        assert!(tx.verify(&ChainId::from_bytes([8; 32])).is_err());
    }
}
