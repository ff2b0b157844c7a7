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

use crate::wallet_file::{NONCE_BYTES, SALT_BYTES, WalletFile};
use ed25519_dalek::SigningKey;
use js_sys::{Array, ArrayBuffer, Uint8Array};
use simplechain_core::transaction::address_of;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesDerivedKeyParams, AesGcmParams, Crypto, CryptoKey, Pbkdf2Params};

/// Why a wallet could not be opened or sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultError {
    /// The passphrase does not open this wallet.
    WrongPassphrase,
    /// Anything else, as a sentence.
    Other(String),
}

impl core::fmt::Display for VaultError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            VaultError::WrongPassphrase => f.write_str("Wrong passphrase."),
            VaultError::Other(why) => f.write_str(why),
        }
    }
}

fn other(what: &str) -> impl Fn(JsValue) -> VaultError + '_ {
    move |_| VaultError::Other(format!("The browser could not {what}."))
}

fn crypto() -> Result<Crypto, VaultError> {
    web_sys::window()
        .ok_or_else(|| VaultError::Other("No browser window.".into()))?
        .crypto()
        .map_err(other("provide WebCrypto (use https or localhost)"))
}

/// `N` bytes from the browser's CSPRNG (`crypto.getRandomValues`).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut bytes = [0u8; N];
    crypto()?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(other("produce random numbers"))?;
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
            .map_err(other("use the passphrase"))?,
    )
    .await
    .map_err(other("use the passphrase"))?;
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
            .map_err(other("derive a key from the passphrase"))?,
    )
    .await
    .map_err(other("derive a key from the passphrase"))?;
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
            .map_err(other("encrypt the key"))?,
    )
    .await;
    secret.fill(0);
    let sealed = Uint8Array::new(&sealed.map_err(other("encrypt the key"))?).to_vec();
    file = WalletFile::new(address, &salt, &nonce, &sealed);
    Ok(file)
}

/// Decrypts a record with `passphrase`.
pub async fn open(file: &WalletFile, passphrase: &str) -> Result<SigningKey, VaultError> {
    let bad = |e: crate::wallet_file::FileError| VaultError::Other(e.0);
    let salt = file.salt().map_err(bad)?;
    let nonce = file.nonce().map_err(bad)?;
    let ciphertext = file.ciphertext().map_err(bad)?;
    let aes = derive(passphrase, &salt, file.iterations).await?;
    let plain = JsFuture::from(
        crypto()?
            .subtle()
            .decrypt_with_object_and_u8_array(&gcm(&nonce, &file.aad()), &aes, &ciphertext)
            .map_err(other("decrypt the key"))?,
    )
    .await
    // The GCM tag fails for a wrong passphrase (and for a tampered record).
    .map_err(|_| VaultError::WrongPassphrase)?;
    let view = Uint8Array::new(&plain.unchecked_into::<ArrayBuffer>());
    let mut secret = [0u8; 32];
    if view.length() != 32 {
        return Err(VaultError::Other("The wallet file is damaged.".into()));
    }
    view.copy_to(&mut secret);
    view.fill(0, 0, 32);
    let key = SigningKey::from_bytes(&secret);
    secret.fill(0);
    if address_of(&key) != file.address {
        return Err(VaultError::Other(
            "The wallet file is damaged: its key does not match its address.".into(),
        ));
    }
    Ok(key)
}
