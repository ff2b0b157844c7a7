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

use serde::{Deserialize, Serialize};
use simplechain_core::Address;
use simplechain_core::hex;

/// The `format` field of every record.
pub const FORMAT: &str = "simplechain-wallet";
/// The record version this wallet writes and reads.
pub const VERSION: u32 = 1;
/// PBKDF2-SHA256 iterations for new records (OWASP's 2023 figure).
pub const ITERATIONS: u32 = 600_000;
/// The fewest iterations a record may claim (an attacker-made file must not weaken
/// the key derivation below this).
pub const MIN_ITERATIONS: u32 = 600_000;
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

/// Why a record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError(pub String);

impl core::fmt::Display for FileError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
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
    pub fn parse(text: &str) -> Result<WalletFile, FileError> {
        let file: WalletFile = serde_json::from_str(text)
            .map_err(|_| FileError("This is not a SimpleBlockchain wallet file.".into()))?;
        if file.format != FORMAT {
            return Err(FileError(
                "This is not a SimpleBlockchain wallet file.".into(),
            ));
        }
        if file.version != VERSION {
            return Err(FileError(format!(
                "This wallet file has version {}; this page reads version {VERSION}.",
                file.version
            )));
        }
        if file.kdf != "PBKDF2-SHA256" || file.cipher != "AES-256-GCM" {
            return Err(FileError(
                "This wallet file uses an encryption this page does not know.".into(),
            ));
        }
        if file.iterations < MIN_ITERATIONS {
            return Err(FileError(
                "This wallet file's key derivation is too weak.".into(),
            ));
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
    pub fn salt(&self) -> Result<[u8; SALT_BYTES], FileError> {
        decode(&self.salt, "salt")
    }

    /// The nonce bytes.
    pub fn nonce(&self) -> Result<[u8; NONCE_BYTES], FileError> {
        decode(&self.nonce, "nonce")
    }

    /// The sealed key with its tag.
    pub fn ciphertext(&self) -> Result<[u8; CIPHERTEXT_BYTES], FileError> {
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

fn decode<const N: usize>(text: &str, what: &str) -> Result<[u8; N], FileError> {
    let mut out = [0u8; N];
    hex::decode_into(text, &mut out)
        .map_err(|_| FileError(format!("This wallet file has a damaged {what}.")))?;
    Ok(out)
}

/// Whether a passphrase is good enough for a new wallet; the reason if not.
pub fn check_new_passphrase(passphrase: &str) -> Result<(), String> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(format!(
            "Use a passphrase of at least {MIN_PASSPHRASE_CHARS} characters."
        ));
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
        assert_eq!(WalletFile::parse(&text), Ok(file.clone()));
        assert_eq!(file.salt(), Ok([1; SALT_BYTES]));
        assert_eq!(file.nonce(), Ok([2; NONCE_BYTES]));
    }

    #[test]
    fn refuses_other_versions_weak_kdf_and_damage() {
        let mut file = sample();
        file.version = 2;
        assert!(
            WalletFile::parse(&file.to_json())
                .unwrap_err()
                .0
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
