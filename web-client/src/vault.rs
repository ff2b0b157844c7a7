//! The key at rest: created from the browser's CSPRNG, sealed with WebCrypto.
//!
//! ```text
//! aes_key    = PBKDF2-SHA256(passphrase, salt[16], 600,000 iterations) → AES-256-GCM key
//! ciphertext = AES-256-GCM(aes_key, nonce[12], secret_key[32], aad = "simplechain-wallet/v1:" address)
//! ```
//!
//! Salt and nonce are fresh random bytes for every seal. The AES key is not extractable
//! and lives only inside WebCrypto for the duration of one call. A wrong passphrase
//! fails the GCM tag check; nothing else is needed to detect it.
//!
//! [`VaultError`] is every way the key tasks can fail; its sentences are in
//! [`crate::sentences`].

use crate::browser::JsCause;
use crate::storage::StorageError;
use crate::wallet_file::{NONCE_BYTES, SALT_BYTES, WalletFile, WalletFileError};
use ed25519_dalek::SigningKey;
use js_sys::{Array, ArrayBuffer, Uint8Array};
use simplechain_core::hex::HexError;
use simplechain_core::transaction::address_of;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesDerivedKeyParams, AesGcmParams, Crypto, CryptoKey, Pbkdf2Params};

/// Why the key could not be created, sealed, opened, imported, stored or exported:
/// everything the key tasks ([`crate::key_tasks`]) report.
#[derive(Debug, Clone)]
pub enum VaultError {
    /// No wallet is stored in this browser.
    NoWallet,
    /// A new passphrase is too short, or a record or backup file is unusable.
    File(WalletFileError),
    /// A secret key to import is not 64 hexadecimal characters.
    BadSecretKey(HexError),
    /// The new passphrase and its confirmation differ.
    PassphraseMismatch,
    /// The passphrase does not open this wallet (the AES-GCM tag check failed).
    WrongPassphrase,
    /// The page has no browser window (it is not running in a browser).
    NoWindow,
    /// WebCrypto or the CSPRNG failed at one step.
    Browser {
        could_not: CryptoStep,
        cause: JsCause,
    },
    /// The decrypted secret key does not have 32 bytes.
    DamagedKey,
    /// The decrypted key is not the key of the record's address.
    KeyMismatch,
    /// `localStorage` refused the record.
    Storage(StorageError),
    /// The browser refused to offer the backup file.
    DownloadRefused,
}

/// The WebCrypto or CSPRNG step that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoStep {
    ProvideWebCrypto,
    ProduceRandomNumbers,
    UsePassphrase,
    DeriveKey,
    EncryptKey,
    DecryptKey,
}

impl std::error::Error for VaultError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VaultError::File(cause) => Some(cause),
            VaultError::BadSecretKey(cause) => Some(cause),
            VaultError::Browser { cause, .. } => Some(cause),
            VaultError::Storage(cause) => Some(cause),
            _ => None,
        }
    }
}

impl From<WalletFileError> for VaultError {
    fn from(error: WalletFileError) -> Self {
        VaultError::File(error)
    }
}

impl From<StorageError> for VaultError {
    fn from(error: StorageError) -> Self {
        VaultError::Storage(error)
    }
}

/// Turns the browser's exception at `step` into a [`VaultError`].
fn failed(could_not: CryptoStep) -> impl Fn(JsValue) -> VaultError {
    move |cause| VaultError::Browser {
        could_not,
        cause: JsCause(cause),
    }
}

fn crypto() -> Result<Crypto, VaultError> {
    web_sys::window()
        .ok_or(VaultError::NoWindow)?
        .crypto()
        .map_err(failed(CryptoStep::ProvideWebCrypto))
}

/// `N` bytes from the browser's CSPRNG (`crypto.getRandomValues`).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut bytes = [0u8; N];
    crypto()?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(failed(CryptoStep::ProduceRandomNumbers))?;
    Ok(bytes)
}

/// A new Ed25519 key from the browser's CSPRNG.
pub fn new_key() -> Result<SigningKey, VaultError> {
    let mut seed = random_bytes::<32>()?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    Ok(key)
}

/// Derives the AES-256-GCM key from the passphrase.
async fn derive(passphrase: &str, salt: &[u8], iterations: u32) -> Result<CryptoKey, VaultError> {
    let subtle = crypto()?.subtle();
    let usages = Array::of1(&JsValue::from_str("deriveKey"));
    let raw = Uint8Array::from(passphrase.as_bytes());
    let base = JsFuture::from(
        subtle
            .import_key_with_str("raw", &raw, "PBKDF2", false, &usages)
            .map_err(failed(CryptoStep::UsePassphrase))?,
    )
    .await
    .map_err(failed(CryptoStep::UsePassphrase))?;
    raw.fill(0, 0, raw.length());
    let params =
        Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &Uint8Array::from(salt));
    let usages = Array::of2(&JsValue::from_str("encrypt"), &JsValue::from_str("decrypt"));
    let key = JsFuture::from(
        subtle
            .derive_key_with_object_and_object(
                &params,
                &base.unchecked_into(),
                &AesDerivedKeyParams::new("AES-GCM", 256),
                false,
                &usages,
            )
            .map_err(failed(CryptoStep::DeriveKey))?,
    )
    .await
    .map_err(failed(CryptoStep::DeriveKey))?;
    Ok(key.unchecked_into())
}

fn gcm(nonce: &[u8], aad: &[u8]) -> AesGcmParams {
    let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(nonce));
    params.set_additional_data(&Uint8Array::from(aad));
    params
}

/// Encrypts `key` under `passphrase` into a new record.
pub async fn seal(key: &SigningKey, passphrase: &str) -> Result<WalletFile, VaultError> {
    let salt = random_bytes::<SALT_BYTES>()?;
    let nonce = random_bytes::<NONCE_BYTES>()?;
    let address = address_of(key);
    // The record's AAD depends only on its version and address.
    let mut file = WalletFile::new(address, &salt, &nonce, &[]);
    let aes = derive(passphrase, &salt, file.iterations).await?;
    let mut secret = key.to_bytes();
    let sealed = JsFuture::from(
        crypto()?
            .subtle()
            .encrypt_with_object_and_u8_array(&gcm(&nonce, &file.aad()), &aes, &secret)
            .map_err(failed(CryptoStep::EncryptKey))?,
    )
    .await;
    secret.fill(0);
    let sealed = Uint8Array::new(&sealed.map_err(failed(CryptoStep::EncryptKey))?).to_vec();
    file = WalletFile::new(address, &salt, &nonce, &sealed);
    Ok(file)
}

/// Decrypts a record with `passphrase`.
pub async fn open(file: &WalletFile, passphrase: &str) -> Result<SigningKey, VaultError> {
    let salt = file.salt()?;
    let nonce = file.nonce()?;
    let ciphertext = file.ciphertext()?;
    let aes = derive(passphrase, &salt, file.iterations).await?;
    let plain = JsFuture::from(
        crypto()?
            .subtle()
            .decrypt_with_object_and_u8_array(&gcm(&nonce, &file.aad()), &aes, &ciphertext)
            .map_err(failed(CryptoStep::DecryptKey))?,
    )
    .await
    // The GCM tag fails for a wrong passphrase (and for a tampered record).
    .map_err(|_| VaultError::WrongPassphrase)?;
    let view = Uint8Array::new(&plain.unchecked_into::<ArrayBuffer>());
    let mut secret = [0u8; 32];
    if view.length() != 32 {
        return Err(VaultError::DamagedKey);
    }
    view.copy_to(&mut secret);
    view.fill(0, 0, 32);
    let key = SigningKey::from_bytes(&secret);
    secret.fill(0);
    if address_of(&key) != file.address {
        return Err(VaultError::KeyMismatch);
    }
    Ok(key)
}
