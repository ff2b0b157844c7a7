//! `server`, `relay` and `up`: the long-running commands, their flags, and the
//! shutdown on Ctrl-C or SIGTERM.

use anyhow::Context;
use simplechain_server::{
    DEFAULT_DIFFICULTY, FaucetConfig, Limits, MinerConfig, NewChain, Server, ServerConfig,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7700")]
    listen: String,
    #[command(flatten)]
    chain: ChainArgs,
}

/// Everything about the chain and the server's limits, shared by `server` and `up`.
#[derive(Debug, clap::Args)]
pub struct ChainArgs {
    /// Where the chain and the treasury key are kept.
    #[arg(long, default_value = "./simplechain-data")]
    data_dir: PathBuf,
    /// New chain only: leading zero bits of every block hash [default: 16 for
    /// `server`, 24 for `up`].
    #[arg(long)]
    difficulty: Option<u64>,
    /// New chain only: who gets the initial supply [default: the treasury key].
    #[arg(long)]
    genesis_address: Option<String>,
    /// New chain only: the initial supply [default: 1000000000].
    #[arg(long)]
    supply: Option<u64>,
    /// New chain only: who gets block rewards [default: the treasury key].
    #[arg(long)]
    miner_address: Option<String>,
    /// Enable FAUCET (pays from the treasury key).
    #[arg(long)]
    faucet: bool,
    /// Coins per faucet request.
    #[arg(long, default_value_t = 1000)]
    faucet_amount: u64,
    /// Seconds between two faucet payments to one address (0 = none).
    #[arg(long, default_value_t = 60)]
    faucet_cooldown_secs: u64,
    /// Faucet payouts per minute to everyone together (0 = no global limit).
    #[arg(long, default_value_t = 6.0)]
    faucet_per_minute: f64,
    /// Faucet payouts that may be made at once before the global rate applies.
    #[arg(long, default_value_t = 10.0)]
    faucet_burst: f64,
    /// Longest request line, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_line_bytes: usize,
    /// Longest SYNC_BLOCKCHAIN line, in bytes.
    #[arg(long, default_value_t = simplechain_core::protocol::MAX_SERVER_LINE)]
    max_sync_bytes: usize,
    /// Most connections at once; more get ERROR:busy.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Close connections that send nothing for this long.
    #[arg(long, default_value_t = 300)]
    idle_timeout_secs: u64,
    /// Most connections from one client address at once; more get ERROR:busy.
    #[arg(long, default_value_t = 64)]
    max_connections_per_address: usize,
    /// An address exempt from the per-address cap: a relay's, whose connections are
    /// many browsers (repeatable).
    #[arg(long)]
    trusted_address: Vec<std::net::IpAddr>,
    /// Close a connection when one write to it waits this long for the client to read.
    #[arg(long, default_value_t = 30)]
    write_timeout_secs: u64,
    /// Bytes that SYNC_BLOCKCHAIN lines may hold in the whole server at once.
    #[arg(long, default_value_t = 256 << 20)]
    max_large_bytes: usize,
    /// Cost units of heavy requests (validation, whole-chain transfers, sync) one
    /// connection may spend at once.
    #[arg(long, default_value_t = 60.0)]
    heavy_budget: f64,
    /// Cost units a connection gets back per second.
    #[arg(long, default_value_t = 2.0)]
    heavy_refill_per_sec: f64,
    /// Most pending transactions before ERROR:mempool_full.
    #[arg(long, default_value_t = 200_000)]
    mempool_capacity: usize,
    /// Size of the acknowledgement log in MiB (written full of zeros when the data
    /// dir is created; when full, its transactions are checkpointed into the database).
    #[arg(long, default_value_t = 64)]
    ack_log_mib: u64,
    /// The server never mines: only clients do (GET_TEMPLATE, SUBMIT_BLOCK).
    #[arg(long)]
    no_miner: bool,
    /// Threads of the server's miner [default: one per core].
    #[arg(long, conflicts_with = "no_miner")]
    miner_threads: Option<usize>,
    /// Cap on the server's miner, in hashes per second (to race it fairly).
    #[arg(long, conflicts_with = "no_miner")]
    miner_hashrate: Option<u64>,
}

/// The default difficulty of a chain created by `simplechain up`, for play: a browser
/// tab on a laptop (several workers at a few million hashes per second each) finds a
/// block in a few seconds, and the server's miner on two cores of this kind of machine
/// (about 10 million hashes per second each) in about a second on average.
pub const PLAY_DIFFICULTY: u64 = 24;

impl ChainArgs {
    /// The server's settings; `default_difficulty` for a new chain when no
    /// `--difficulty` is given.
    fn config(&self, force_faucet: bool, default_difficulty: u64) -> anyhow::Result<ServerConfig> {
        let address = |flag: &str, v: &Option<String>| {
            v.as_deref()
                .map(|t| super::parse_address(flag, t))
                .transpose()
        };
        Ok(ServerConfig {
            data_dir: self.data_dir.clone(),
            new_chain: NewChain {
                difficulty: self.difficulty,
                default_difficulty: Some(default_difficulty),
                genesis_address: address("--genesis-address", &self.genesis_address)?,
                supply: self.supply,
                miner_address: address("--miner-address", &self.miner_address)?,
            },
            faucet: (self.faucet || force_faucet).then(|| FaucetConfig {
                per_minute: self.faucet_per_minute,
                burst: self.faucet_burst,
                ..FaucetConfig::new(
                    self.faucet_amount,
                    Duration::from_secs(self.faucet_cooldown_secs),
                )
            }),
            limits: Limits {
                max_line_bytes: self.max_line_bytes,
                max_sync_bytes: self.max_sync_bytes,
                max_connections: self.max_connections,
                idle_timeout: Duration::from_secs(self.idle_timeout_secs),
                mempool_capacity: self.mempool_capacity,
                max_connections_per_address: self.max_connections_per_address,
                trusted_addresses: self.trusted_address.clone(),
                write_timeout: Duration::from_secs(self.write_timeout_secs),
                max_large_bytes: self.max_large_bytes,
                heavy_budget: self.heavy_budget,
                heavy_refill_per_sec: self.heavy_refill_per_sec,
                ack_log_bytes: self.ack_log_mib << 20,
                ..Limits::default()
            },
            miner: MinerConfig {
                disabled: self.no_miner,
                threads: self.miner_threads,
                hashrate: self.miner_hashrate,
            },
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct RelayArgs {
    /// Address of the relay's HTTP and WebSocket port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    #[command(flatten)]
    web: WebArgs,
}

/// The relay's web options, shared by `relay` and `up`.
#[derive(Debug, clap::Args)]
pub struct WebArgs {
    /// The built wallet to serve.
    #[arg(long, default_value = "dist")]
    web_root: PathBuf,
    /// Another origin allowed to open the WebSocket (repeatable).
    #[arg(long)]
    allowed_origin: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Address of the wallet (HTTP and WebSocket).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Address of the central TCP server.
    #[arg(long, default_value = "127.0.0.1:7700")]
    server_listen: String,
    #[command(flatten)]
    web: WebArgs,
    #[command(flatten)]
    chain: ChainArgs,
}

/// Cancelled on Ctrl-C or SIGTERM.
pub(super) fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("installing a SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
        t.cancel();
    });
    token
}

async fn bind(address: &str, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} for the {what}"))
}

pub async fn server(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let config = args.chain.config(false, DEFAULT_DIFFICULTY)?;
    let server = tokio::task::spawn_blocking(move || Server::open(config)).await??;
    let listener = bind(&args.listen, "server").await?;
    println!("Server: {}", listener.local_addr()?);
    server.run(listener, shutdown_on_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

/// The relay bridges to the global `--server`.
pub async fn relay(args: RelayArgs, upstream: String) -> anyhow::Result<ExitCode> {
    let listener = bind(&args.listen, "relay").await?;
    let config = relay_config(&args.web, upstream);
    println!("Wallet: http://{}/", listener.local_addr()?);
    simplechain_relay::run(listener, config, shutdown_on_signal()).await?;
    Ok(ExitCode::SUCCESS)
}

fn relay_config(web: &WebArgs, upstream: String) -> simplechain_relay::RelayConfig {
    simplechain_relay::RelayConfig {
        server: upstream,
        web_root: web.web_root.clone(),
        allowed_origins: web.allowed_origin.clone(),
        ..simplechain_relay::RelayConfig::default()
    }
}

/// How to run this CLI from where `up` was started, as the hint prints it: the
/// repository's `./simplechain` wrapper when it is here (as under `make run`), else
/// this binary's full path, so that the hint works when pasted as printed.
fn cli_command() -> String {
    let wrapper = std::path::Path::new("simplechain");
    if wrapper.is_file() && std::path::Path::new("Cargo.toml").is_file() {
        return "./simplechain".into();
    }
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "simplechain".into())
}

pub async fn up(args: UpArgs) -> anyhow::Result<ExitCode> {
    let mut config = args.chain.config(true, PLAY_DIFFICULTY)?;
    // The relay's connections are many browsers, not one client: they come from an
    // address of their own that the server trusts (the relay caps each browser's
    // address itself). On Linux all of 127.0.0.0/8 is local, so 127.0.0.2 is the
    // relay's; elsewhere the relay shares 127.0.0.1 with local programs.
    let relay_source: std::net::IpAddr = if cfg!(target_os = "linux") {
        std::net::Ipv4Addr::new(127, 0, 0, 2).into()
    } else {
        std::net::Ipv4Addr::LOCALHOST.into()
    };
    config.limits.trusted_addresses.push(relay_source);
    if !args.web.web_root.join("index.html").exists() {
        tracing::warn!(
            web_root = %args.web.web_root.display(),
            "the wallet is not built here; run `make run` (or scripts/build-wallet.sh) to build it"
        );
    }
    let server = tokio::task::spawn_blocking(move || Server::open(config)).await??;
    let server_listener = bind(&args.server_listen, "server").await?;
    let relay_listener = bind(&args.listen, "wallet").await?;
    let server_address = server_listener.local_addr()?;
    println!("Server: {server_address}");
    println!("Wallet: http://{}/", relay_listener.local_addr()?);
    println!("CLI:    {} --server {server_address} info", cli_command());
    let shutdown = shutdown_on_signal();
    let mut relay = relay_config(&args.web, server_address.to_string());
    if server_address.ip().is_loopback() && cfg!(target_os = "linux") {
        relay.source_address = Some(relay_source);
    }
    let (served, relayed) = tokio::join!(
        server.run(server_listener, shutdown.clone()),
        simplechain_relay::run(relay_listener, relay, shutdown.clone()),
    );
    served?;
    relayed?;
    Ok(ExitCode::SUCCESS)
}
