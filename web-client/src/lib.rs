//! SimpleBlockchain's browser wallet.
//!
//! - [`state`]: everything the page knows and every change to it (plain data and a
//!   reducer, tested natively), one concern a file under `state/`;
//! - [`signing`]: the signing path, from a confirmed transfer to its `ADD_TRANSACTION`
//!   line; [`sentences`]: every problem as the sentence the page shows;
//! - [`key_tasks`]: create, unlock, import, export and forget the key;
//!   [`wallet_file`]: the versioned encrypted record; [`vault`]: WebCrypto
//!   (PBKDF2-SHA256 + AES-256-GCM) and the browser's CSPRNG; [`storage`]:
//!   `localStorage`; [`browser`]: clipboard and download;
//! - [`hooks`]: the WebSocket to the relay, auto-lock; [`components`]: the page;
//!   [`app`]: the page put together; [`format`](mod@format): numbers and hashes for people;
//!   [`sign_bench`]: how fast this tab signs.
//!
//! The secret key is created, kept and used only in this tab: it is encrypted before it
//! is stored and no request line ever carries it (the server has no message that takes
//! one).

pub mod app;
pub mod browser;
pub mod components;
pub mod format;
pub mod hooks;
pub mod key_tasks;
pub mod sentences;
pub mod sign_bench;
pub mod signing;
pub mod state;
pub mod storage;
pub mod vault;
pub mod wallet_file;
