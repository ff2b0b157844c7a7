//! Signing a piece of text with a wallet's key, for learners to see what a signature
//! is: only the key's owner can make it, anyone can check it, and changing one
//! character of the text or of the signature makes the check fail.
//!
//! What is signed is not the text alone but
//!
//! ```text
//! simplechain/text/v1:<text>
//! ```
//!
//! A transfer's signing message starts with `simplechain/tx/v1:` (PROTOCOL §3), so no
//! text a wallet is asked to sign can ever be a transfer: someone who gets you to sign
//! "simplechain/tx/v1:…" as text gets a signature over "simplechain/text/v1:simplechain/tx/v1:…",
//! which no server accepts as a payment. This is *domain separation*, and every real
//! wallet that signs messages does it (Bitcoin's "Bitcoin Signed Message:\n",
//! Ethereum's "\x19Ethereum Signed Message:\n").

use crate::ids::{Address, Signature};
use crate::transaction::SignatureError;
use alloc::string::String;
use ed25519_dalek::{SigningKey, VerifyingKey};

/// What every signed text starts with.
pub const TEXT_PREFIX: &str = "simplechain/text/v1:";

/// The exact message signed for `text`.
pub fn text_message(text: &str) -> String {
    let mut message = String::with_capacity(TEXT_PREFIX.len() + text.len());
    message.push_str(TEXT_PREFIX);
    message.push_str(text);
    message
}

/// Signs `text` with `key` (Ed25519, deterministic: the same text always gives the same
/// signature).
pub fn sign_text(key: &SigningKey, text: &str) -> Signature {
    use ed25519_dalek::Signer;
    Signature::from_bytes(key.sign(text_message(text).as_bytes()).to_bytes())
}

/// Strictly checks that `signature` was made over `text` by the key of `signer`.
pub fn verify_text(
    signer: &Address,
    text: &str,
    signature: &Signature,
) -> Result<(), SignatureError> {
    let key =
        VerifyingKey::from_bytes(signer.as_bytes()).map_err(|_| SignatureError::MalformedKey)?;
    let signature = ed25519_dalek::Signature::from_bytes(signature.as_bytes());
    key.verify_strict(text_message(text).as_bytes(), &signature)
        .map_err(|_| SignatureError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::address_of;
    use crate::{ChainId, Transaction};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    #[test]
    fn a_signed_text_verifies_and_any_change_breaks_it() {
        let signature = sign_text(&key(), "I owe Bob 5 coins");
        let signer = address_of(&key());
        assert_eq!(
            verify_text(&signer, "I owe Bob 5 coins", &signature),
            Ok(())
        );
        assert_eq!(
            verify_text(&signer, "I owe Bob 6 coins", &signature),
            Err(SignatureError::Invalid)
        );
        let mut flipped = signature.to_bytes();
        flipped[10] ^= 1;
        assert_eq!(
            verify_text(
                &signer,
                "I owe Bob 5 coins",
                &Signature::from_bytes(flipped)
            ),
            Err(SignatureError::Invalid)
        );
        let other = address_of(&SigningKey::from_bytes(&[8; 32]));
        assert_eq!(
            verify_text(&other, "I owe Bob 5 coins", &signature),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn a_text_signature_is_never_a_transfer_signature() {
        let chain = ChainId::from_bytes([7; 32]);
        let receiver = Address::from_bytes([2; 32]);
        let transfer = Transaction::sign(&key(), &chain, receiver, 5, 0);
        // Asked to sign the transfer's own message as text…
        let text = transfer.message(&chain);
        let signature = sign_text(&key(), text.as_str());
        // …the wallet signs something else, which no server takes as the transfer.
        let forged = Transaction {
            signature,
            ..transfer
        };
        assert_eq!(forged.verify(&chain), Err(SignatureError::Invalid));
        assert_eq!(transfer.verify(&chain), Ok(()));
    }
}
