//! The command line: `simplechain <command>` as clap types ([`Cli`]), the options every
//! command shares, and the dispatch to one function per command:
//!
//! - `account.rs`: your key and your account (keygen, address, balance, send, faucet,
//!   history);
//! - `chain.rs`: reading the chain and talking protocol (info, tx, blocks, chain,
//!   validate, sync, watch, raw);
//! - `block_tree.rs`: the block tree of PROTOCOL §9 (tree, block, proof);
//! - `mine.rs`: `mine`, an external miner over the protocol;
//! - `serve.rs`: the long-running `server`, `relay` and `up`.
//!
//! Each command is a thin layer over the [`crate::client::Client`] or the
//! `simplechain-server` and `simplechain-relay` libraries; their typed errors become
//! `anyhow` errors here, printed as one sentence (`error: what: why`) with a non-zero
//! exit code.

mod account;
mod block_tree;
mod chain;
mod mine;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// SimpleBlockchain: a small, real blockchain to learn from and play with.
#[derive(Debug, Parser)]
#[command(name = "simplechain", version, about)]
pub struct Cli {
    /// The server to talk to (host:port).
    #[arg(
        long,
        global = true,
        env = "SIMPLECHAIN_SERVER",
        default_value = "127.0.0.1:7700"
    )]
    server: String,
    /// Your secret key file [default: ~/.simplechain/key].
    #[arg(long, global = true, env = "SIMPLECHAIN_KEY")]
    key: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the central server.
    Server(serve::ServerArgs),
    /// Run the WebSocket relay that serves the browser wallet (bridging to --server).
    Relay(serve::RelayArgs),
    /// Run the server and the relay together (faucet on): the whole system.
    Up(serve::UpArgs),
    /// Create a new secret key file (mode 0600) and print its address.
    Keygen,
    /// Print the address of your key.
    Address,
    /// Show the chain: id, height, tip, difficulty, mempool.
    Info,
    /// Show the balance of an address (yours by default).
    Balance { address: Option<String> },
    /// Sign a payment locally and submit it.
    Send(account::SendArgs),
    /// Ask the server's faucet for test coins (to your address by default).
    Faucet(account::FaucetArgs),
    /// Show a transaction.
    Tx { txid: String },
    /// Show the transactions of an address (yours by default), newest first.
    History(account::HistoryArgs),
    /// List blocks.
    Blocks(chain::BlocksArgs),
    /// Download the whole chain (GET_BLOCKCHAIN).
    Chain {
        /// Write it to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Ask the server to re-check its whole chain.
    Validate,
    /// Offer a chain (JSON file) to the server (SYNC_BLOCKCHAIN).
    Sync { file: PathBuf },
    /// Print each new block as it arrives.
    Watch,
    /// Mine blocks for an address over the protocol (GET_TEMPLATE, SUBMIT_BLOCK) until
    /// Ctrl-C or --blocks.
    Mine(mine::MineArgs),
    /// Draw the block tree: the main chain and the side branches beside it.
    Tree(block_tree::TreeArgs),
    /// Show any block of the tree, main or side, by its hash.
    Block { hash: String },
    /// Fetch a transaction's Merkle proof and verify it here, step by step.
    Proof { txid: String },
    /// Send one raw protocol line and print the response.
    Raw { line: String },
    /// Measure throughput, latency, validation, sync, memory and disk on a temporary
    /// server (prints a table; --json for the figures).
    Bench(crate::bench::BenchArgs),
}

/// Options every client command shares.
#[derive(Debug)]
struct Ctx {
    server: String,
    key: PathBuf,
    json: bool,
}

/// The default key file: `~/.simplechain/key`.
fn default_key() -> PathBuf {
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".simplechain").join("key")
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(matches!(
        cli.command,
        Command::Server(_) | Command::Relay(_) | Command::Up(_)
    ));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ctx = Ctx {
        server: cli.server,
        key: cli.key.unwrap_or_else(default_key),
        json: cli.json,
    };
    match runtime.block_on(run(cli.command, ctx)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(server: bool) {
    let default = if server { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(log_colours(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        ))
        .try_init();
}

/// Colour codes in the log only on a terminal, and not when `NO_COLOR` is set
/// (no-color.org): a log written to a file or a pipe stays plain text.
fn log_colours(stderr_is_terminal: bool, no_color: bool) -> bool {
    stderr_is_terminal && !no_color
}

async fn run(command: Command, ctx: Ctx) -> anyhow::Result<ExitCode> {
    use Command as C;
    match command {
        C::Server(args) => serve::server(args).await,
        C::Relay(args) => serve::relay(args, ctx.server).await,
        C::Up(args) => serve::up(args).await,
        C::Keygen => account::keygen(&ctx),
        C::Address => account::address(&ctx),
        C::Info => chain::info(&ctx).await,
        C::Balance { address } => account::balance(&ctx, address.as_deref()).await,
        C::Send(args) => account::send(&ctx, args).await,
        C::Faucet(args) => account::faucet(&ctx, args).await,
        C::Tx { txid } => chain::tx(&ctx, &txid).await,
        C::History(args) => account::history(&ctx, args).await,
        C::Blocks(args) => chain::blocks(&ctx, args).await,
        C::Chain { out } => chain::chain(&ctx, out).await,
        C::Validate => chain::validate(&ctx).await,
        C::Sync { file } => chain::sync(&ctx, &file).await,
        C::Watch => chain::watch(&ctx).await,
        C::Mine(args) => mine::mine(&ctx, args).await,
        C::Tree(args) => block_tree::tree(&ctx, args).await,
        C::Block { hash } => block_tree::block(&ctx, &hash).await,
        C::Proof { txid } => block_tree::proof(&ctx, &txid).await,
        C::Raw { line } => chain::raw(&ctx, &line).await,
        C::Bench(args) => {
            let figures = crate::bench::run(args).await?;
            if ctx.json {
                print_json(&figures)?;
            } else {
                print!("{}", figures.table());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints `value` as JSON.
fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Parses an address typed by a person, saying which argument was wrong.
fn parse_address(what: &str, text: &str) -> anyhow::Result<simplechain_core::Address> {
    text.trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{what} `{text}` is not an address (64 hex characters): {e}"))
}

/// Parses a hash or a txid typed by a person (`what`: "a txid", "a block hash").
fn parse_hash<T>(what: &str, text: &str) -> anyhow::Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("`{text}` is not {what}: {e}"))
}

/// The first 12 hex characters of a hash, an id or an address, for tables.
fn short(id: &impl std::fmt::Display) -> String {
    id.to_string().chars().take(12).collect()
}
