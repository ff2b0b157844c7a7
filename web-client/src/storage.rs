//! The encrypted wallet in `localStorage` (one per browser profile and origin).

use crate::wallet_file::WalletFile;
use web_sys::Storage;

/// The `localStorage` key of the record.
pub const KEY: &str = "simplechain-wallet";

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored wallet, if there is a readable one.
pub fn load() -> Option<WalletFile> {
    let text = local()?.get_item(KEY).ok().flatten()?;
    WalletFile::parse(&text).ok()
}

/// Stores `file`, replacing any wallet stored before.
pub fn save(file: &WalletFile) -> Result<(), String> {
    local()
        .ok_or("This browser does not allow storage for this page.")?
        .set_item(KEY, &file.to_json())
        .map_err(|_| "The browser refused to store the wallet (storage full or blocked).".into())
}

/// Removes the stored wallet.
pub fn forget() {
    if let Some(storage) = local() {
        let _ = storage.remove_item(KEY);
    }
}
