//! The key's tasks outside the reducer, because they take time (WebCrypto) or touch
//! the browser (`localStorage`, a download): create, unlock, import, export and
//! forget the wallet. Each reports back through an action (`Action::Unlocked`,
//! `Action::Stored`, `Action::Forgotten`, or `Action::VaultFailed` with a
//! [`VaultError`]), and none ever puts the secret key into a request line, a log or
//! the DOM (except the explicit "reveal secret key", which shows it on screen only).

use crate::browser::download;
use crate::state::Action;
use crate::storage;
use crate::vault::{self, VaultError};
use crate::wallet_file::{WalletFile, check_new_passphrase, to_hex};
use ed25519_dalek::SigningKey;
use simplechain_core::hex;
use yew::Callback;

/// Runs `job` with a busy notice, then dispatches its outcome.
fn run<F>(dispatch: Callback<Action>, busy: &str, job: F)
where
    F: Future<Output = Result<Action, VaultError>> + 'static,
{
    dispatch.emit(Action::Busy(Some(busy.into())));
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = job.await;
        dispatch.emit(Action::Busy(None));
        dispatch.emit(outcome.unwrap_or_else(Action::VaultFailed));
    });
}

/// Seals `key` under `passphrase`, stores it and unlocks it (`then` says how).
async fn store_and_unlock(
    key: SigningKey,
    passphrase: String,
    then: fn(SigningKey) -> Action,
) -> Result<Action, VaultError> {
    let file = vault::seal(&key, &passphrase).await?;
    storage::save(&file)?;
    Ok(then(key))
}

/// A new passphrase, typed twice: long enough, and the same both times.
fn check_typed_twice(passphrase: &str, again: &str) -> Result<(), VaultError> {
    check_new_passphrase(passphrase)?;
    if passphrase != again {
        return Err(VaultError::PassphraseMismatch);
    }
    Ok(())
}

/// Creates a new wallet from the browser's CSPRNG; the page then asks for its backup.
pub fn create(dispatch: Callback<Action>, passphrase: String, again: String) {
    if let Err(why) = check_typed_twice(&passphrase, &again) {
        return dispatch.emit(Action::VaultFailed(why));
    }
    let key = match vault::new_key() {
        Ok(key) => key,
        Err(why) => return dispatch.emit(Action::VaultFailed(why)),
    };
    run(
        dispatch,
        "Encrypting the new key with your passphrase…",
        store_and_unlock(key, passphrase, Action::Created),
    );
}

/// Opens the stored wallet.
pub fn unlock(dispatch: Callback<Action>, passphrase: String) {
    let Some(file) = storage::load() else {
        return dispatch.emit(Action::VaultFailed(VaultError::NoWallet));
    };
    run(dispatch, "Checking the passphrase…", async move {
        let key = vault::open(&file, &passphrase).await?;
        Ok(Action::Unlocked(key))
    });
}

/// Imports a secret key given as 64 hex characters, under a new passphrase.
pub fn import_key(
    dispatch: Callback<Action>,
    secret_hex: String,
    passphrase: String,
    again: String,
) {
    let mut seed = [0u8; 32];
    if let Err(why) = hex::decode_into(secret_hex.trim(), &mut seed) {
        return dispatch.emit(Action::VaultFailed(VaultError::BadSecretKey(why)));
    }
    if let Err(why) = check_typed_twice(&passphrase, &again) {
        seed.fill(0);
        return dispatch.emit(Action::VaultFailed(why));
    }
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    run(
        dispatch,
        "Encrypting the imported key with your passphrase…",
        store_and_unlock(key, passphrase, Action::Unlocked),
    );
}

/// Imports an encrypted backup file; the wallet is then locked under the backup's
/// own passphrase.
pub fn import_backup(dispatch: Callback<Action>, text: String) {
    let file = match WalletFile::parse(&text) {
        Ok(file) => file,
        Err(why) => return dispatch.emit(Action::VaultFailed(why.into())),
    };
    dispatch.emit(match storage::save(&file) {
        Ok(()) => Action::Stored(file.address),
        Err(why) => Action::VaultFailed(why.into()),
    });
}

/// Forgets the stored wallet (after the user confirmed).
pub fn forget(dispatch: Callback<Action>) {
    storage::forget();
    dispatch.emit(Action::Forgotten);
}

/// Downloads the encrypted wallet as a backup file.
pub fn export_backup(dispatch: Callback<Action>) {
    let Some(file) = storage::load() else {
        return dispatch.emit(Action::VaultFailed(VaultError::NoWallet));
    };
    let name = format!("simplechain-wallet-{}.json", &file.address.to_string()[..8]);
    if download(&name, &file.to_json()).is_none() {
        dispatch.emit(Action::VaultFailed(VaultError::DownloadRefused));
    }
}

/// The secret key as hex, for the explicit "reveal" (shown on screen, never sent).
pub fn secret_hex(key: &SigningKey) -> String {
    to_hex(&key.to_bytes())
}
