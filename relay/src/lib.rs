//! SimpleBlockchain's native side, behind one binary `simplechain`:
//!
//! - [`server`]: the central TCP server (PROTOCOL §1–§7), with storage and the miner;
//! - [`ws`]: the WebSocket relay that bridges browser tabs onto the TCP protocol (§8);
//! - [`client`]: a typed TCP client, used by the CLI and the tests;
//! - [`cli`]: the command-line interface; `main.rs` only calls [`cli::main`].

pub mod bench;
pub mod cli;
pub mod client;
pub mod keyfile;
pub mod server;
pub mod tools;
pub mod ws;
