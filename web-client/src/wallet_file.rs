//! The encrypted wallet as stored in `localStorage` and in backup files: a versioned
//! JSON record. Encryption itself is WebCrypto's ([`crate::vault`]); this module only
//! says what a record holds and refuses a malformed one.
//!
//! ```text
//! {"format":"simplechain-wallet","version":1,"address":"<64 hex>",
//!  "kdf":"PBKDF2-SHA256","iterations":600000,"salt":"<32 hex>",
//!  "cipher":"AES-256-GCM","nonce":"<24 hex>","ciphertext":"<96 hex>"}
//! ```
//!
//! The ciphertext is the 32-byte Ed25519 secret key plus the 16-byte GCM tag; the
//! additional authenticated data is [`WalletFile::aad`], which binds the address in
//! clear to the key inside.
//!
//! [`WalletFileError`] says why a record is refused; its sentences are in
//! [`crate::sentences`].

use serde::{Deserialize, Serialize};
use simplechain_core::Address;
use simplechain_core::hex::{self, HexError};
use std::rc::Rc;

/// The `format` field of every record.
pub const FORMAT: &str = "simplechain-wallet";
/// The record version this wallet writes and reads.
pub const VERSION: u32 = 1;
/// PBKDF2-SHA256 iterations for new records (OWASP's 2023 figure).
pub const ITERATIONS: u32 = 600_000;
/// The fewest iterations a record may claim (an attacker-made file must not weaken
/// the key derivation below this).
pub const MIN_ITERATIONS: u32 = 600_000;
/// The most iterations a record may claim: PBKDF2 runs on the page's thread, and a
/// file that asks for billions (the field holds up to 4.29e9) would hang the tab on
/// unlock. About 15 times [`ITERATIONS`], some seconds on a slow phone.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Salt length in bytes.
pub const SALT_BYTES: usize = 16;
/// AES-GCM nonce length in bytes.
pub const NONCE_BYTES: usize = 12;
/// The sealed secret key: 32 bytes and the 16-byte tag.
pub const CIPHERTEXT_BYTES: usize = 32 + 16;
/// The shortest passphrase accepted for a new wallet.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// One encrypted wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletFile {
    pub format: String,
    pub version: u32,
    /// The public address, in clear, so a locked wallet can say whose it is.
    pub address: Address,
    pub kdf: String,
    pub iterations: u32,
    pub salt: String,
    pub cipher: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// Why a record cannot be used (from storage or a backup file), or cannot be made.
#[derive(Debug, Clone)]
pub enum WalletFileError {
    /// Not JSON of a record's shape.
    NotJson(Rc<serde_json::Error>),
    /// JSON, but its `format` is not [`FORMAT`].
    NotAWalletFile,
    /// A record version this page does not read.
    UnsupportedVersion(u32),
    /// A key derivation or cipher other than PBKDF2-SHA256 and AES-256-GCM.
    UnknownEncryption,
    /// Fewer than [`MIN_ITERATIONS`] PBKDF2 iterations.
    WeakKeyDerivation,
    /// More than [`MAX_ITERATIONS`] PBKDF2 iterations: unlocking would hang the tab.
    ExcessiveKeyDerivation(u32),
    /// The salt, nonce or ciphertext is not hex of its length.
    Damaged {
        field: &'static str,
        cause: HexError,
    },
    /// A new record's passphrase is shorter than [`MIN_PASSPHRASE_CHARS`].
    ShortPassphrase,
}

impl std::error::Error for WalletFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WalletFileError::NotJson(cause) => Some(cause.as_ref()),
            WalletFileError::Damaged { cause, .. } => Some(cause),
            _ => None,
        }
    }
}

impl WalletFile {
    /// A version 1 record from its parts.
    pub fn new(
        address: Address,
        salt: &[u8; SALT_BYTES],
        nonce: &[u8; NONCE_BYTES],
        ciphertext: &[u8],
    ) -> Self {
        WalletFile {
            format: FORMAT.into(),
            version: VERSION,
            address,
            kdf: "PBKDF2-SHA256".into(),
            iterations: ITERATIONS,
            salt: to_hex(salt),
            cipher: "AES-256-GCM".into(),
            nonce: to_hex(nonce),
            ciphertext: to_hex(ciphertext),
        }
    }

    /// Parses and checks a record (from storage or a backup file).
    pub fn parse(text: &str) -> Result<WalletFile, WalletFileError> {
        let file: WalletFile =
            serde_json::from_str(text).map_err(|e| WalletFileError::NotJson(Rc::new(e)))?;
        if file.format != FORMAT {
            return Err(WalletFileError::NotAWalletFile);
        }
        if file.version != VERSION {
            return Err(WalletFileError::UnsupportedVersion(file.version));
        }
        if file.kdf != "PBKDF2-SHA256" || file.cipher != "AES-256-GCM" {
            return Err(WalletFileError::UnknownEncryption);
        }
        if file.iterations < MIN_ITERATIONS {
            return Err(WalletFileError::WeakKeyDerivation);
        }
        if file.iterations > MAX_ITERATIONS {
            return Err(WalletFileError::ExcessiveKeyDerivation(file.iterations));
        }
        file.salt()?;
        file.nonce()?;
        file.ciphertext()?;
        Ok(file)
    }

    /// The record as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The salt bytes.
    pub fn salt(&self) -> Result<[u8; SALT_BYTES], WalletFileError> {
        decode(&self.salt, "salt")
    }

    /// The nonce bytes.
    pub fn nonce(&self) -> Result<[u8; NONCE_BYTES], WalletFileError> {
        decode(&self.nonce, "nonce")
    }

    /// The sealed key with its tag.
    pub fn ciphertext(&self) -> Result<[u8; CIPHERTEXT_BYTES], WalletFileError> {
        decode(&self.ciphertext, "ciphertext")
    }

    /// The additional authenticated data of the AES-GCM seal.
    pub fn aad(&self) -> Vec<u8> {
        format!("{FORMAT}/v{}:{}", self.version, self.address).into_bytes()
    }
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    let _ = hex::write_hex(&mut text, bytes);
    text
}

fn decode<const N: usize>(text: &str, field: &'static str) -> Result<[u8; N], WalletFileError> {
    let mut out = [0u8; N];
    hex::decode_into(text, &mut out).map_err(|cause| WalletFileError::Damaged { field, cause })?;
    Ok(out)
}

/// Whether a passphrase is good enough for a new wallet's record.
pub fn check_new_passphrase(passphrase: &str) -> Result<(), WalletFileError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(WalletFileError::ShortPassphrase);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> WalletFile {
        WalletFile::new(
            Address::from_bytes([3; 32]),
            &[1; SALT_BYTES],
            &[2; NONCE_BYTES],
            &[9; CIPHERTEXT_BYTES],
        )
    }

    #[test]
    fn round_trip() {
        let file = sample();
        let text = file.to_json();
        assert!(text.contains("\"version\":1"));
        assert!(text.contains("\"iterations\":600000"));
        assert_eq!(WalletFile::parse(&text).unwrap(), file);
        assert_eq!(file.salt().unwrap(), [1; SALT_BYTES]);
        assert_eq!(file.nonce().unwrap(), [2; NONCE_BYTES]);
    }

    #[test]
    fn refuses_other_versions_weak_kdf_and_damage() {
        let mut file = sample();
        file.version = 2;
        assert!(
            WalletFile::parse(&file.to_json())
                .unwrap_err()
                .to_string()
                .contains("version 2")
        );
        let mut file = sample();
        file.iterations = 1000;
        assert!(WalletFile::parse(&file.to_json()).is_err());
        let mut file = sample();
        file.nonce = "zz".into();
        assert!(WalletFile::parse(&file.to_json()).is_err());
        let mut file = sample();
        file.ciphertext.pop();
        assert!(WalletFile::parse(&file.to_json()).is_err());
        assert!(WalletFile::parse("{}").is_err());
        assert!(WalletFile::parse("not json").is_err());
    }

    #[test]
    fn refuses_a_key_derivation_that_would_hang_the_tab() {
        let mut file = sample();
        file.iterations = u32::MAX;
        let refused = WalletFile::parse(&file.to_json()).unwrap_err();
        assert!(matches!(
            refused,
            WalletFileError::ExcessiveKeyDerivation(u32::MAX)
        ));
        let sentence = refused.to_string();
        assert!(
            sentence.contains("at most 10\u{202f}000\u{202f}000"),
            "{sentence}"
        );
        assert!(sentence.contains("freeze"), "{sentence}");
        file.iterations = MAX_ITERATIONS;
        assert!(WalletFile::parse(&file.to_json()).is_ok());
        file.iterations = MAX_ITERATIONS + 1;
        assert!(WalletFile::parse(&file.to_json()).is_err());
    }

    #[test]
    fn aad_binds_the_address() {
        let a = sample();
        let mut b = sample();
        b.address = Address::from_bytes([4; 32]);
        assert_ne!(a.aad(), b.aad());
    }

    #[test]
    fn passphrase_rules() {
        assert!(check_new_passphrase("short").is_err());
        assert!(check_new_passphrase("long enough").is_ok());
    }
}
