//! The signed transfer (PROTOCOL §3).
//!
//! ```text
//! tx_message = "simplechain/tx/v1:" chain_id ":" sender ":" receiver ":" amount ":" nonce
//! signature  = Ed25519-Sign(sender_secret_key, tx_message)
//! txid       = SHA-256(tx_message)
//! ```
//!
//! Security invariant: signatures are checked with `verify_strict` only (canonical `S`,
//! no small-order key or `R`), so one transaction has exactly one valid encoding of its
//! signature and no key can sign for a whole class of messages. The chain id inside the
//! message ties a signature to one chain.

use crate::ids::{Address, ChainId, Signature, TxId};
use core::fmt::{self, Write as _};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// A transfer of `amount` from `sender` to `receiver`, signed by the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Who pays, and whose key signed.
    pub sender: Address,
    /// Who is paid.
    pub receiver: Address,
    /// How much moves; always > 0 on a valid chain.
    pub amount: u64,
    /// How many transactions the sender sent before this one; prevents replay.
    pub nonce: u64,
    /// The sender's signature over the signing message.
    pub signature: Signature,
}

/// A transaction whose signature verified (strictly) on one chain, with its txid
/// computed once and kept beside it. Only [`Transaction::verified`] makes one, so a
/// block built from these needs no second signature check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedTx {
    tx: Transaction,
    txid: TxId,
}

impl VerifiedTx {
    /// A transaction of a [`crate::ValidBlock`], whose signatures all verified.
    pub(crate) fn in_valid_block(tx: Transaction, txid: TxId) -> Self {
        VerifiedTx { tx, txid }
    }

    /// The transaction.
    pub fn tx(&self) -> &Transaction {
        &self.tx
    }

    /// Its txid on the chain it was verified for.
    pub fn txid(&self) -> TxId {
        self.txid
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The sender is not a valid Ed25519 public key encoding.
    MalformedKey,
    /// Strict verification failed (wrong key or message, non-canonical or weak signature).
    Invalid,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::MalformedKey => f.write_str("sender is not a valid Ed25519 public key"),
            SignatureError::Invalid => f.write_str("signature does not verify for this chain"),
        }
    }
}

impl core::error::Error for SignatureError {}

/// The exact bytes that are signed and hashed, built on the stack.
#[derive(Clone)]
pub struct TxMessage {
    buf: [u8; Self::CAPACITY],
    len: usize,
}

impl TxMessage {
    /// The longest message: prefix, three 64-char hex values, two 20-digit numbers, colons.
    const CAPACITY: usize = 256;
    const PREFIX: &'static str = "simplechain/tx/v1:";

    /// Builds the message for these fields.
    pub fn new(
        chain: &ChainId,
        sender: &Address,
        receiver: &Address,
        amount: u64,
        nonce: u64,
    ) -> Self {
        let mut m = TxMessage {
            buf: [0; Self::CAPACITY],
            len: 0,
        };
        // Cannot fail: CAPACITY bounds the longest possible message.
        let _ = write!(
            m,
            "{}{chain}:{sender}:{receiver}:{amount}:{nonce}",
            Self::PREFIX
        );
        m
    }

    /// The message bytes (ASCII, no newline).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The message as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII was written.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// SHA-256 of the message: the txid.
    pub fn txid(&self) -> TxId {
        TxId::from_bytes(crate::sha256(self.as_bytes()))
    }
}

impl fmt::Write for TxMessage {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > Self::CAPACITY {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl fmt::Debug for TxMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TxMessage").field(&self.as_str()).finish()
    }
}

impl Transaction {
    /// Signs a transfer with `key` on the chain `chain`.
    pub fn sign(
        key: &SigningKey,
        chain: &ChainId,
        receiver: Address,
        amount: u64,
        nonce: u64,
    ) -> Self {
        *Transaction::sign_verified(key, chain, receiver, amount, nonce).tx()
    }

    /// [`Transaction::sign`], kept as a [`VerifiedTx`]: a signature just made with the
    /// sender's own key over this very message verifies by construction, so it is not
    /// checked again (what a faucet or a wallet signs for itself).
    pub fn sign_verified(
        key: &SigningKey,
        chain: &ChainId,
        receiver: Address,
        amount: u64,
        nonce: u64,
    ) -> VerifiedTx {
        use ed25519_dalek::Signer;
        let sender = address_of(key);
        let message = TxMessage::new(chain, &sender, &receiver, amount, nonce);
        let signature = Signature::from_bytes(key.sign(message.as_bytes()).to_bytes());
        let tx = Transaction {
            sender,
            receiver,
            amount,
            nonce,
            signature,
        };
        VerifiedTx {
            tx,
            txid: message.txid(),
        }
    }

    /// The signing message on `chain`.
    pub fn message(&self, chain: &ChainId) -> TxMessage {
        TxMessage::new(chain, &self.sender, &self.receiver, self.amount, self.nonce)
    }

    /// The txid on `chain`.
    pub fn txid(&self, chain: &ChainId) -> TxId {
        self.message(chain).txid()
    }

    /// Strict Ed25519 verification of the signature on `chain`.
    pub fn verify(&self, chain: &ChainId) -> Result<(), SignatureError> {
        self.verify_message(&self.message(chain))
    }

    /// Strict verification on `chain`; the result carries the txid, computed from the
    /// same signing message.
    pub fn verified(self, chain: &ChainId) -> Result<VerifiedTx, SignatureError> {
        let message = self.message(chain);
        self.verify_message(&message)?;
        Ok(VerifiedTx {
            tx: self,
            txid: message.txid(),
        })
    }

    /// Strict verification against an already built message (saves rebuilding it when
    /// the caller also needs the txid).
    pub fn verify_message(&self, message: &TxMessage) -> Result<(), SignatureError> {
        let key = VerifyingKey::from_bytes(self.sender.as_bytes())
            .map_err(|_| SignatureError::MalformedKey)?;
        let signature = ed25519_dalek::Signature::from_bytes(self.signature.as_bytes());
        key.verify_strict(message.as_bytes(), &signature)
            .map_err(|_| SignatureError::Invalid)
    }
}

/// The address (public key) of a signing key.
pub fn address_of(key: &SigningKey) -> Address {
    Address::from_bytes(key.verifying_key().to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_transaction_signed_for_oneself_is_what_verification_gives() {
        let chain = ChainId::from_bytes([5; 32]);
        let to = Address::from_bytes([6; 32]);
        let own = Transaction::sign_verified(&key(1), &chain, to, 7, 3);
        assert_eq!(own.tx().verified(&chain), Ok(own));
        assert_eq!(own.txid(), own.tx().txid(&chain));
    }

    #[test]
    fn sign_then_verify() {
        let chain = ChainId::from_bytes([7; 32]);
        let tx = Transaction::sign(&key(1), &chain, address_of(&key(2)), 5, 0);
        assert_eq!(tx.verify(&chain), Ok(()));
        assert_eq!(
            tx.verify(&ChainId::from_bytes([8; 32])),
            Err(SignatureError::Invalid)
        );
        let mut changed = tx;
        changed.amount = 6;
        assert_eq!(changed.verify(&chain), Err(SignatureError::Invalid));
    }

    #[test]
    fn message_format() {
        let chain = ChainId::from_bytes([0; 32]);
        let a = Address::from_bytes([0x11; 32]);
        let b = Address::from_bytes([0x22; 32]);
        let m = TxMessage::new(&chain, &a, &b, u64::MAX, u64::MAX);
        let expected = alloc::format!(
            "simplechain/tx/v1:{}:{}:{}:18446744073709551615:18446744073709551615",
            "00".repeat(32),
            "11".repeat(32),
            "22".repeat(32)
        );
        assert_eq!(m.as_str(), expected);
    }

    #[test]
    fn non_canonical_s_is_refused() {
        // Adding the group order L to S gives a signature that lax verifiers accept.
        let chain = ChainId::from_bytes([7; 32]);
        let mut tx = Transaction::sign(&key(1), &chain, address_of(&key(2)), 5, 0);
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut sig = tx.signature.to_bytes();
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
            sig[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        tx.signature = Signature::from_bytes(sig);
        assert_eq!(tx.verify(&chain), Err(SignatureError::Invalid));
    }

    #[test]
    fn small_order_key_is_refused() {
        // The identity point: every signature with R = identity and S = 0 "verifies"
        // under cofactorless lax rules; strict verification refuses the key.
        let chain = ChainId::from_bytes([7; 32]);
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut sig = [0u8; 64];
        sig[0] = 1;
        let tx = Transaction {
            sender: Address::from_bytes(identity),
            receiver: Address::from_bytes([2; 32]),
            amount: 1,
            nonce: 0,
            signature: Signature::from_bytes(sig),
        };
        assert!(tx.verify(&chain).is_err());
    }
}
