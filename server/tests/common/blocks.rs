//! Blocks in the server's tests: a server without its miner, blocks mined here
//! (difficulty 4) and submitted, and the tree read back.

use super::{Conn, TestServer, test_config};
use simplechain_core::protocol::{BlockInfo, Submitted, Template};
use simplechain_core::{Address, Block, BlockHash, Transaction};

pub fn payload<T: serde::de::DeserializeOwned>(line: &str, name: &str) -> T {
    let json = line
        .strip_prefix(name)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or_else(|| panic!("expected {name}: got {line}"));
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {line}"))
}

pub async fn start_without_miner() -> TestServer {
    let temp = tempfile::tempdir().unwrap();
    let mut server = start_on(temp.path()).await;
    server.keep(temp);
    server
}

/// A server without its miner on the chain in `dir`.
pub async fn start_on(dir: &std::path::Path) -> TestServer {
    let mut config = test_config(dir);
    config.miner.disabled = true;
    TestServer::start_with(config).await
}

/// Stops `server` and starts it again on the same data dir (kept as long as it runs).
pub async fn restart_without_miner(server: TestServer) -> TestServer {
    let dir = server.dir.clone();
    let temp = server.stop().await;
    let mut server = start_on(&dir).await;
    if let Some(temp) = temp {
        server.keep(temp);
    }
    server
}

pub fn miner_addr() -> Address {
    Address::from_bytes([0x33; 32])
}

/// Mines the template's block (difficulty 4: a few dozen hashes).
pub fn mine(template: Template) -> Block {
    let (header, hash) = template.header(0).mine(0, u64::MAX).unwrap();
    template.into_block(header, hash)
}

pub async fn template(c: &mut Conn) -> Template {
    payload(
        &c.ask(&format!("GET_TEMPLATE:{}", miner_addr())).await,
        "TEMPLATE",
    )
}

pub async fn submit(c: &mut Conn, block: &Block) -> String {
    c.ask(&format!(
        "SUBMIT_BLOCK:{}",
        serde_json::to_string(block).unwrap()
    ))
    .await
}

pub async fn submitted(c: &mut Conn, block: &Block) -> Submitted {
    payload(&submit(c, block).await, "SUBMITTED")
}

pub async fn get_block(c: &mut Conn, hash: &BlockHash) -> BlockInfo {
    payload(&c.ask(&format!("GET_BLOCK:{hash}")).await, "BLOCK")
}

/// A block on `parent` with these transactions, mined (timestamp after the parent's).
pub fn child(parent: &Block, server: &TestServer, txs: Vec<Transaction>, salt: u64) -> Block {
    Block::next(
        parent,
        &server.chain_id,
        miner_addr(),
        parent.header.timestamp + 1 + salt,
        txs,
    )
}

pub async fn tip_block(c: &mut Conn) -> Block {
    let info: serde_json::Value = payload(&c.ask("GET_INFO").await, "INFO");
    let tip: BlockHash = info["tip"].as_str().unwrap().parse().unwrap();
    get_block(c, &tip).await.block
}
