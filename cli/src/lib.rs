//! The `simplechain` command line, behind the thin `main.rs`:
//!
//! - [`commands`]: one subcommand each, parsed by clap; `server`, `relay` and `up` start
//!   the libraries `simplechain-server` and `simplechain-relay`;
//! - [`client`]: a typed TCP client for the line protocol, with typed errors
//!   ([`client::ClientError`]); the commands and the tests use it;
//! - [`bench`]: `simplechain bench`, the load generator, and [`bench::child`], the
//!   harness that runs the real binary as a child process (the end-to-end tests use it
//!   too).

pub mod bench;
pub mod client;
mod commands;

pub use commands::main;
