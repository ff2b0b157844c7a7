//! A laboratory for the half-rate tail (issue 13): the least a server can do for a
//! durable `ADD_TRANSACTION`, driven by the bench's load, so that our server's figures
//! can be set beside what the same per-transaction work costs on this machine with
//! nothing else around it.
//!
//! The lab server does what ours does on the acknowledgement path and nothing more:
//! each connection's reader parses the line and checks the signature strictly
//! (`Transaction::verified`), a sequencer task takes every checked transaction waiting
//! (up to 8,192), writes them as one record with one `pwrite` + `fdatasync` on a
//! blocking thread, and each connection's writer answers `SUCCESS` in order. No state,
//! no mempool, no miner, no checkpoint. Options add those costs back one at a time.
//!
//! ```text
//! cargo run --release -p simplechain --example admission_lab -- [--seconds 6]
//!     [--no-sync] [--no-verify] [--idle-spinners N [--spinner-duty S] [--pause-on-sync]]
//!     [--checkpoint-mbps M]
//! ```
//!
//! It prints the peak rate (100,000 transactions, 16 connections, 256 in flight each)
//! and the latency paced at half that rate, as `simplechain bench` measures them
//! (`cli/src/bench/load.rs`). The server is a child process (this same program with
//! `--serve`), as the bench's is.

mod costs;
mod load;
mod server;

use std::path::PathBuf;

/// The lab's chain: any id will do, the server only checks signatures against it.
const CHAIN: [u8; 32] = [7; 32];

/// The lab: the load, and its server as a child process.
#[derive(Debug, clap::Parser)]
#[command(
    about = "The least a server can do for a durable ADD_TRANSACTION, under the bench's load"
)]
struct Lab {
    /// Seconds of the half-rate phase (as `simplechain bench --transactions 240000`'s).
    #[arg(long, default_value_t = 6.0, value_parser = positive)]
    seconds: f64,
    /// Where the lab's files go (a folder of its own is made in it, and removed).
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    dir: PathBuf,
    #[command(flatten)]
    server: Options,
    /// Run as the lab's server, with its files in `--dir` (the load starts it so).
    #[arg(long, hide = true)]
    serve: bool,
}

/// What the lab server does besides the acknowledgement path.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Skip the `fdatasync` (the record is still written).
    #[arg(long)]
    pub no_sync: bool,
    /// Skip the signature check.
    #[arg(long)]
    pub no_verify: bool,
    /// Threads hashing in the idle scheduling class, as our miner's do.
    #[arg(long, default_value_t = 0)]
    pub idle_spinners: usize,
    /// The share of each 10 ms the spinners hash (1: all the time); they sleep the rest.
    #[arg(long, default_value_t = 1.0, value_parser = share)]
    pub spinner_duty: f64,
    /// The spinners stop while a log write is on its way to the disk.
    #[arg(long)]
    pub pause_on_sync: bool,
    /// A writer of 1 MiB `fsync`'ed pieces at this many MB/s beside the log, as a
    /// checkpoint into redb (0: none).
    #[arg(long, default_value_t = 0.0, value_parser = at_least_zero)]
    pub checkpoint_mbps: f64,
}

impl Options {
    /// The same options as the child's arguments.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--idle-spinners={}", self.idle_spinners),
            format!("--spinner-duty={}", self.spinner_duty),
            format!("--checkpoint-mbps={}", self.checkpoint_mbps),
        ];
        for (on, flag) in [
            (self.no_sync, "--no-sync"),
            (self.no_verify, "--no-verify"),
            (self.pause_on_sync, "--pause-on-sync"),
        ] {
            if on {
                args.push(flag.into());
            }
        }
        args
    }
}

fn number(text: &str) -> Result<f64, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a number"))
}

fn positive(text: &str) -> Result<f64, String> {
    let value = number(text)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(format!("{value} is not above 0"))
    }
}

fn at_least_zero(text: &str) -> Result<f64, String> {
    let value = number(text)?;
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("{value} is below 0"))
    }
}

fn share(text: &str) -> Result<f64, String> {
    let value = number(text)?;
    if value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(format!(
            "{value} is not a share: give a number above 0 and at most 1"
        ))
    }
}

fn main() -> anyhow::Result<()> {
    let lab = <Lab as clap::Parser>::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    if lab.serve {
        runtime.block_on(server::serve(&lab.dir, lab.server))
    } else {
        runtime.block_on(load::drive(&lab.dir, &lab.server, lab.seconds))
    }
}
