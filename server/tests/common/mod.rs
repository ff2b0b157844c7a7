//! Shared by the server's tests: a server on a real socket (port 0, temp data dir) and
//! a raw line connection that sends bytes and reads exact lines.
#![allow(dead_code)]

pub mod blocks;

use ed25519_dalek::SigningKey;
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, ChainId, Transaction};
use simplechain_server::{FaucetConfig, Server, ServerConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_util::sync::CancellationToken;

/// The key that owns the genesis supply in test chains.
pub fn rich_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn addr(seed: u8) -> Address {
    address_of(&key(seed))
}

/// A server running in this process.
pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: PathBuf,
    pub chain_id: ChainId,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _temp: Option<tempfile::TempDir>,
}

/// A config for a test chain: difficulty 4, supply 1,000,000 to [`rich_key`], faucet on
/// with no cooldown.
pub fn test_config(dir: &Path) -> ServerConfig {
    let mut config = ServerConfig::new(dir);
    config.new_chain.difficulty = Some(4);
    config.new_chain.genesis_address = Some(address_of(&rich_key()));
    config.new_chain.supply = Some(1_000_000);
    config.faucet = Some(FaucetConfig {
        per_minute: 0.0,
        ..FaucetConfig::new(1000, Duration::ZERO)
    });
    // Every test client comes from 127.0.0.1; the per-address cap is tested on its own.
    config.limits.max_connections_per_address = usize::MAX;
    // Most tests send many heavy requests on one connection on purpose; the per-connection
    // budget itself is tested with its defaults in server_abuse.rs.
    config.limits.heavy_budget = 1e12;
    config
}

impl TestServer {
    /// A new chain in a new temp dir.
    pub async fn start() -> TestServer {
        let temp = tempfile::tempdir().unwrap();
        let config = test_config(temp.path());
        let mut server = TestServer::start_with(config).await;
        server._temp = Some(temp);
        server
    }

    /// A server with this config (its data dir is kept by the caller).
    pub async fn start_with(config: ServerConfig) -> TestServer {
        let dir = config.data_dir.clone();
        let server = tokio::task::spawn_blocking(move || Server::open(config))
            .await
            .unwrap()
            .unwrap();
        let chain_id = server.chain_id();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(server.run(listener, shutdown.clone()));
        TestServer {
            addr,
            dir,
            chain_id,
            shutdown,
            task,
            _temp: None,
        }
    }

    /// Keeps `temp` (the server's data dir) alive as long as the server.
    pub fn keep(&mut self, temp: tempfile::TempDir) {
        self._temp = Some(temp);
    }

    /// Stops the server and waits for it; returns the temp dir so that it can be reopened.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        self.shutdown.cancel();
        (&mut self.task).await.unwrap().unwrap();
        self._temp.take()
    }

    pub async fn connect(&self) -> Conn {
        Conn::connect(self.addr).await
    }

    /// Pays `amount` from the rich key to the treasury (the faucet's key) and waits
    /// until it is confirmed.
    pub async fn fund_treasury(&self, amount: u64) {
        let treasury =
            simplechain_server::keyfile::read(&self.dir.join(simplechain_server::TREASURY_FILE))
                .unwrap();
        let mut c = self.connect().await;
        let rich = address_of(&rich_key());
        let account = payload(&c.ask(&format!("GET_ACCOUNT:{rich}")).await, "ACCOUNT");
        let nonce = account["pending_nonce"].as_u64().unwrap();
        let tx = self.tx(&rich_key(), address_of(&treasury), amount, nonce);
        assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
        wait_confirmed(&mut c, &tx.txid(&self.chain_id)).await;
    }

    /// A transaction signed on this chain.
    pub fn tx(&self, from: &SigningKey, to: Address, amount: u64, nonce: u64) -> Transaction {
        Transaction::sign(from, &self.chain_id, to, amount, nonce)
    }
}

/// A raw connection: lines in, lines out.
pub struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

pub fn add_line(tx: &Transaction) -> String {
    format!(
        "ADD_TRANSACTION:{}:{}:{}:{}:{}",
        tx.sender, tx.receiver, tx.amount, tx.nonce, tx.signature
    )
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Conn {
        Conn::from_stream(TcpStream::connect(addr).await.unwrap())
    }

    pub fn from_stream(stream: TcpStream) -> Conn {
        let (r, w) = stream.into_split();
        Conn {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    /// Sends bytes; an error (the server already closed) is returned, not a panic.
    pub async fn try_send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes).await
    }

    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes()).await;
    }

    /// The next line, or `None` at EOF; panics after 20 s.
    pub async fn read_line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(20), self.reader.read_line(&mut line))
            .await
            .expect("no line from the server within 20 s")
            .ok()?;
        if n == 0 {
            return None;
        }
        Some(line.trim_end_matches('\n').to_string())
    }

    /// Sends a line and returns the response.
    pub async fn ask(&mut self, line: &str) -> String {
        self.send(line).await;
        self.read_line()
            .await
            .expect("the server closed the connection")
    }

    /// Whether the server closed the connection (EOF or reset) within `within`.
    pub async fn is_closed_within(&mut self, within: Duration) -> bool {
        let mut buf = String::new();
        matches!(
            tokio::time::timeout(within, self.reader.read_line(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// The code of an `ERROR:<code>:<text>` line.
pub fn error_code(line: &str) -> &str {
    line.strip_prefix("ERROR:")
        .and_then(|r| r.split(':').next())
        .unwrap_or_else(|| panic!("not an error: {line}"))
}

/// Waits until `GET_TRANSACTION` reports `txid` confirmed; returns its height.
pub async fn wait_confirmed(conn: &mut Conn, txid: &simplechain_core::TxId) -> u64 {
    for _ in 0..400 {
        let line = conn.ask(&format!("GET_TRANSACTION:{txid}")).await;
        if let Some(json) = line.strip_prefix("TX:") {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            if v["status"] == "confirmed" {
                return v["height"].as_u64().unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("transaction {txid} was not confirmed within 20 s");
}

/// Parses the JSON after `PREFIX:`.
pub fn payload(line: &str, prefix: &str) -> serde_json::Value {
    let json = line
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or_else(|| panic!("expected {prefix}: got {line}"));
    serde_json::from_str(json).unwrap()
}

/// `SYNC_BLOCKCHAIN:` with these blocks.
pub fn sync_line(blocks: &[simplechain_core::Block]) -> String {
    let chain = simplechain_core::protocol::ChainJson {
        blocks: blocks.to_vec(),
    };
    format!("SYNC_BLOCKCHAIN:{}", serde_json::to_string(&chain).unwrap())
}

/// The chain id of a chain.
pub fn chain_id(blocks: &[simplechain_core::Block]) -> ChainId {
    ChainId::from(blocks[0].hash)
}
