//! What the server is told at start.

use simplechain_core::Address;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The default initial supply of a new chain.
pub const DEFAULT_SUPPLY: u64 = 1_000_000_000;
/// The default difficulty of a new chain.
pub const DEFAULT_DIFFICULTY: u64 = 16;

/// Settings of the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where the database and the treasury key live.
    pub data_dir: PathBuf,
    /// Choices for a new chain; each must agree with an existing one.
    pub new_chain: NewChain,
    /// `FAUCET` settings; `None` disables it.
    pub faucet: Option<FaucetConfig>,
    pub limits: Limits,
    /// The server's own miner.
    pub miner: MinerConfig,
}

/// The server's own miner (PROTOCOL §9: it competes with everyone else's on the same
/// terms).
#[derive(Debug, Clone, Default)]
pub struct MinerConfig {
    /// `--no-miner`: the server never mines; only clients do.
    pub disabled: bool,
    /// Threads searching nonces; `None`: one per core.
    pub threads: Option<usize>,
    /// A cap in hashes per second (so that a class or a browser tab can race it
    /// fairly); `None`: as fast as the threads go.
    pub hashrate: Option<u64>,
}

impl MinerConfig {
    /// How many threads search nonces.
    pub fn threads(&self) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1)
    }
}

/// Settings fixed when a chain is created in an empty data dir. `None` = default.
#[derive(Debug, Clone, Default)]
pub struct NewChain {
    /// Leading zero bits of every block hash, as asked (checked against an existing
    /// chain).
    pub difficulty: Option<u64>,
    /// The difficulty of a new chain when none is asked (`None`: 16; `up` plays at 24).
    pub default_difficulty: Option<u64>,
    /// Who receives the initial supply (default: the treasury key).
    pub genesis_address: Option<Address>,
    /// The initial supply (default 1,000,000,000).
    pub supply: Option<u64>,
    /// Who receives block rewards (default: the treasury key).
    pub miner_address: Option<Address>,
}

/// `FAUCET` settings.
#[derive(Debug, Clone)]
pub struct FaucetConfig {
    /// Coins per request.
    pub amount: u64,
    /// Minimum time between two payouts to the same address; zero for none.
    pub cooldown: Duration,
    /// Payouts per minute to everyone together (addresses are free, so the cooldown
    /// alone does not protect the treasury); zero for no global limit.
    pub per_minute: f64,
    /// Payouts that may be made at once before the global rate applies.
    pub burst: f64,
}

impl FaucetConfig {
    /// `amount` per payout, `cooldown` per address, and the default global rate (6 a
    /// minute, 10 at once).
    pub fn new(amount: u64, cooldown: Duration) -> Self {
        FaucetConfig {
            amount,
            cooldown,
            per_minute: 6.0,
            burst: 10.0,
        }
    }
}

/// The limits of PROTOCOL §1 and a few of our own.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_line_bytes: usize,
    pub max_sync_bytes: usize,
    pub max_connections: usize,
    pub idle_timeout: Duration,
    /// Pending transactions the mempool holds before answering `mempool_full`.
    pub mempool_capacity: usize,
    /// Requests one connection may have in flight before the server stops reading it.
    pub max_pipeline: usize,
    /// Cost units of heavy requests (validation, whole-chain transfers) a connection
    /// may spend at once, and how many it gets back per second (see `cost.rs`).
    pub heavy_budget: f64,
    pub heavy_refill_per_sec: f64,
    /// Heavy requests (validation, sync) that may wait for their turn in the whole
    /// server; more are answered `busy`.
    pub max_heavy_queued: usize,
    /// How long one write to a client may wait for it to take data before the
    /// connection is closed (a client that stops reading holds nothing for longer).
    pub write_timeout: Duration,
    /// Connections one client address may hold at once (more get `busy`).
    pub max_connections_per_address: usize,
    /// Addresses exempt from the per-address cap: the relay's, whose connections are
    /// many browsers (the relay caps each browser's address itself).
    pub trusted_addresses: Vec<IpAddr>,
    /// Bytes that request lines over `max_line_bytes` (`SYNC_BLOCKCHAIN`) may hold in
    /// the whole server at once, while they arrive, wait and run.
    pub max_large_bytes: usize,
    /// Bytes of such lines all connections together may read per second (reading
    /// them costs CPU however they are answered); past it, readers wait.
    pub max_large_bytes_per_sec: usize,
    /// Size of the acknowledgement log (`wal.rs`), zero-filled when it is created;
    /// when it is full, its transactions are checkpointed into redb.
    pub ack_log_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 1 << 20,
            max_sync_bytes: simplechain_core::protocol::MAX_SERVER_LINE,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(300),
            mempool_capacity: 200_000,
            max_pipeline: 1024,
            heavy_budget: 60.0,
            heavy_refill_per_sec: 2.0,
            max_heavy_queued: 4,
            write_timeout: Duration::from_secs(30),
            max_connections_per_address: 64,
            trusted_addresses: Vec::new(),
            max_large_bytes: 256 << 20,
            max_large_bytes_per_sec: 32 << 20,
            ack_log_bytes: crate::wal::DEFAULT_LOG_BYTES,
        }
    }
}

impl ServerConfig {
    /// Defaults for everything but the data dir.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        ServerConfig {
            data_dir: data_dir.into(),
            new_chain: NewChain::default(),
            faucet: None,
            limits: Limits::default(),
            miner: MinerConfig::default(),
        }
    }
}
