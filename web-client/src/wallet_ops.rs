//! What the wallet buttons do that takes time or touches the browser: create, unlock,
//! import and export. Each reports back through the reducer's actions, and none of
//! them ever puts the secret key into a request line, a log or the DOM (except the
//! explicit "reveal secret key", which shows it on screen only).

use crate::state::Action;
use crate::storage;
use crate::vault::{self, VaultError};
use crate::wallet_file::{WalletFile, check_new_passphrase, to_hex};
use ed25519_dalek::SigningKey;
use simplechain_core::hex;
use wasm_bindgen::JsCast;
use yew::Callback;

/// Runs `job` with a busy notice, then dispatches its outcome.
fn run<F>(dispatch: Callback<Action>, busy: &str, job: F)
where
    F: Future<Output = Result<Action, String>> + 'static,
{
    dispatch.emit(Action::Busy(Some(busy.into())));
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = job.await;
        dispatch.emit(Action::Busy(None));
        dispatch.emit(outcome.unwrap_or_else(Action::Error));
    });
}

/// Seals `key` under `passphrase`, stores it and unlocks it.
async fn store_and_unlock(key: SigningKey, passphrase: String) -> Result<Action, String> {
    let file = vault::seal(&key, &passphrase)
        .await
        .map_err(|e| e.to_string())?;
    storage::save(&file)?;
    Ok(Action::Unlocked(key))
}

/// Creates a new wallet from the browser's CSPRNG.
pub fn create(dispatch: Callback<Action>, passphrase: String) {
    if let Err(why) = check_new_passphrase(&passphrase) {
        return dispatch.emit(Action::Error(why));
    }
    let key = match vault::new_key() {
        Ok(key) => key,
        Err(e) => return dispatch.emit(Action::Error(e.to_string())),
    };
    run(
        dispatch,
        "Encrypting the new key with your passphrase…",
        store_and_unlock(key, passphrase),
    );
}

/// Opens the stored wallet.
pub fn unlock(dispatch: Callback<Action>, passphrase: String) {
    let Some(file) = storage::load() else {
        return dispatch.emit(Action::Error("No wallet is stored in this browser.".into()));
    };
    run(dispatch, "Checking the passphrase…", async move {
        match vault::open(&file, &passphrase).await {
            Ok(key) => Ok(Action::Unlocked(key)),
            Err(VaultError::WrongPassphrase) => {
                Err("Wrong passphrase: the wallet stays locked.".into())
            }
            Err(e) => Err(e.to_string()),
        }
    });
}

/// Imports a secret key given as 64 hex characters, under a new passphrase.
pub fn import_key(dispatch: Callback<Action>, secret_hex: String, passphrase: String) {
    let mut seed = [0u8; 32];
    if hex::decode_into(secret_hex.trim(), &mut seed).is_err() {
        return dispatch.emit(Action::Error(
            "A secret key is 64 hexadecimal characters.".into(),
        ));
    }
    if let Err(why) = check_new_passphrase(&passphrase) {
        return dispatch.emit(Action::Error(why));
    }
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    run(
        dispatch,
        "Encrypting the imported key with your passphrase…",
        store_and_unlock(key, passphrase),
    );
}

/// Imports an encrypted backup file; the wallet is then locked under the backup's
/// own passphrase.
pub fn import_backup(dispatch: Callback<Action>, text: String) {
    match WalletFile::parse(&text) {
        Ok(file) => match storage::save(&file) {
            Ok(()) => dispatch.emit(Action::Stored(file.address)),
            Err(why) => dispatch.emit(Action::Error(why)),
        },
        Err(why) => dispatch.emit(Action::Error(why.0)),
    }
}

/// Forgets the stored wallet (after the user confirmed).
pub fn forget(dispatch: Callback<Action>) {
    storage::forget();
    dispatch.emit(Action::Forgotten);
}

/// Downloads the encrypted wallet as a backup file.
pub fn export_backup(dispatch: Callback<Action>) {
    let Some(file) = storage::load() else {
        return dispatch.emit(Action::Error("No wallet is stored in this browser.".into()));
    };
    let name = format!("simplechain-wallet-{}.json", &file.address.to_string()[..8]);
    if download(&name, &file.to_json()).is_none() {
        dispatch.emit(Action::Error("The browser refused the download.".into()));
    }
}

/// Offers `text` as a file download.
fn download(name: &str, text: &str) -> Option<()> {
    let document = web_sys::window()?.document()?;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let anchor: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Some(())
}

/// The secret key as hex, for the explicit "reveal" (shown on screen, never sent).
pub fn secret_hex(key: &SigningKey) -> String {
    to_hex(&key.to_bytes())
}

/// Copies `text` to the clipboard.
pub fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}
