//! What the server is told at start.

use simplechain_core::Address;
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
