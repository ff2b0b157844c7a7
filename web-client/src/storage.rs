//! The encrypted wallet in `localStorage` (one per browser profile and origin).

use crate::browser::JsCause;
use crate::wallet_file::WalletFile;
use web_sys::Storage;

/// Why the record could not be stored.
#[derive(Debug, Clone)]
pub enum StorageError {
    /// The browser gives this page no `localStorage` (a setting or a private mode).
    Unavailable,
    /// `setItem` threw: storage full or blocked.
    Refused(JsCause),
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StorageError::Refused(cause) => Some(cause),
            StorageError::Unavailable => None,
        }
    }
}

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
pub fn save(file: &WalletFile) -> Result<(), StorageError> {
    local()
        .ok_or(StorageError::Unavailable)?
        .set_item(KEY, &file.to_json())
        .map_err(|cause| StorageError::Refused(JsCause(cause)))
}

/// Removes the stored wallet.
pub fn forget() {
    if let Some(storage) = local() {
        let _ = storage.remove_item(KEY);
    }
}
