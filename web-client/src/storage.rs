//! The encrypted wallet in `localStorage` (one per browser profile and origin), and
//! the learner's address labels and quests in `sessionStorage` (kept in the tab).

use crate::browser::JsCause;
use crate::state::Quest;
use crate::wallet_file::WalletFile;
use simplechain_core::Address;
use std::collections::{BTreeMap, BTreeSet};
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

/// The `sessionStorage` key of the learner's address labels.
pub const LABELS_KEY: &str = "simplechain-labels";

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The labels kept in this tab (none if there are none, or they are unreadable).
pub fn load_labels() -> BTreeMap<Address, String> {
    session()
        .and_then(|s| s.get_item(LABELS_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Keeps the labels in this tab (they go when the tab closes).
pub fn save_labels(labels: &BTreeMap<Address, String>) {
    if let (Some(storage), Ok(text)) = (session(), serde_json::to_string(labels)) {
        let _ = storage.set_item(LABELS_KEY, &text);
    }
}

/// The `sessionStorage` key of the quests done in this tab.
pub const QUESTS_KEY: &str = "simplechain-quests";

/// The quests done in this tab (their keys, space-separated; unknown keys are skipped).
pub fn load_quests() -> BTreeSet<Quest> {
    session()
        .and_then(|s| s.get_item(QUESTS_KEY).ok().flatten())
        .map(|text| {
            text.split_whitespace()
                .filter_map(Quest::from_key)
                .collect()
        })
        .unwrap_or_default()
}

/// Keeps the quests done in this tab.
pub fn save_quests(quests: &BTreeSet<Quest>) {
    if let Some(storage) = session() {
        let keys: Vec<&str> = quests.iter().map(|q| q.key()).collect();
        let _ = storage.set_item(QUESTS_KEY, &keys.join(" "));
    }
}
