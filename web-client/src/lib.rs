//! SimpleBlockchain's browser wallet.
//!
//! - [`state`]: everything the page knows and every change to it (plain data, tested
//!   natively); [`errors`]: the server's error codes as sentences;
//! - [`wallet_file`]: the versioned encrypted record; [`vault`]: WebCrypto
//!   (PBKDF2-SHA256 + AES-256-GCM) and the browser's CSPRNG; [`storage`]: `localStorage`;
//! - [`hooks`]: the WebSocket to the relay, auto-lock; [`components`]: the page.
//!
//! The secret key is created, kept and used only in this tab: it is encrypted before it
//! is stored and no request line ever carries it (the server has no message that takes
//! one).

pub mod app;
pub mod components;
pub mod errors;
pub mod format;
pub mod hooks;
pub mod sign_bench;
pub mod state;
pub mod storage;
pub mod vault;
pub mod wallet_file;
pub mod wallet_ops;
