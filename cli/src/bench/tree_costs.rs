//! What a submitted block costs the server (issue 9), on a server of its own started with
//! `--no-miner` and difficulty 8, so that every block is one this bench mined:
//!
//! - `submit_4096_ms`: from `SUBMIT_BLOCK` of a block of 4096 transactions (one sender,
//!   nonces 0…4095) to its `SUBMITTED` `tip`: every rule of §5, every signature, and the
//!   durable write;
//! - `reorg_ms`: for N = 10 and 100, the main chain is extended by N blocks, then a
//!   branch of N + 1 blocks from the same parent is submitted; the figure is the time from
//!   its last `SUBMIT_BLOCK` to `SUBMITTED` `tip` with `replaced` = N (the switch: N
//!   blocks undone, N + 1 applied, stored, the mempool re-admitted);
//! - `tip_ms` and `side_ms`: each empty block of those reorgs, from `SUBMIT_BLOCK` to
//!   `SUBMITTED` (`tip` while the main chain is extended, `side` while the branch
//!   grows): what the server's one writer spends on a block, so what the admissions
//!   behind it wait (both are one record of the acknowledgement log; a side block was
//!   a redb commit before issue 13's stop 22).

use super::child::ChildProcess;
use super::outcome::percentile;
use super::progress;
use crate::client::Client;
use anyhow::{Context, ensure};
use ed25519_dalek::SigningKey;
use simplechain_core::protocol::BlockStatus;
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Block, ChainId, Transaction};
use std::path::Path;
use std::time::Instant;

/// The figures, in milliseconds.
#[derive(Debug, Clone)]
pub struct TreeCosts {
    pub submit_4096_ms: f64,
    pub reorg_10_ms: f64,
    pub reorg_100_ms: f64,
    /// Each empty block submitted on the main tip, sorted.
    pub tip_ms: Vec<f64>,
    /// Each empty block submitted on a side branch, sorted.
    pub side_ms: Vec<f64>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Mines the block after `prev` for `miner` (difficulty 8: a few hundred hashes).
fn next(prev: &Block, chain: &ChainId, miner: Address, txs: Vec<Transaction>) -> Block {
    Block::next(prev, chain, miner, now_ms(), txs)
}

/// `SUBMIT_BLOCK`, waiting out `rate_limited` (the server charges each connection for
/// heavy requests), and checks the status. Returns the milliseconds of the attempt
/// that was taken.
async fn submit(client: &mut Client, block: &Block, want: BlockStatus) -> anyhow::Result<f64> {
    loop {
        let started = Instant::now();
        match client.submit_block(block).await {
            Err(e) => match e.retry_after() {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return Err(e.into()),
            },
            Ok(s) => {
                ensure!(s.status == want, "block {}: {s:?}, not {want:?}", s.height);
                return Ok(started.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
}

/// Starts the server in `dir` and measures.
pub async fn measure(dir: &Path) -> anyhow::Result<TreeCosts> {
    let owner = SigningKey::from_bytes(&[0xc4; 32]);
    let data = dir.join("tree-data");
    let server = ChildProcess::start(
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().context("temp dir path is not UTF-8")?,
            "--difficulty",
            "8",
            "--no-miner",
            "--genesis-address",
            &address_of(&owner).to_string(),
            "--supply",
            "1000000000",
        ],
        &dir.join("tree-server.log"),
    )?;
    let address = server.wait_for_line("Server:")?;
    let mut client = Client::connect(&address).await?;
    let chain = client.info().await?.chain_id;
    let genesis = client
        .blocks(0, 1)
        .await?
        .blocks
        .pop()
        .context("no genesis block")?;

    progress("a block of 4096 transactions, submitted…");
    let to = Address::from_bytes([0x77; 32]);
    let txs: Vec<Transaction> = (0..4096u64)
        .map(|nonce| Transaction::sign(&owner, &chain, to, 1, nonce))
        .collect();
    let miner_a = Address::from_bytes([0xa1; 32]);
    let big = tokio::task::spawn_blocking(move || next(&genesis, &chain, miner_a, txs)).await?;
    let started = Instant::now();
    let submitted = client.submit_block(&big).await?;
    let submit_4096_ms = started.elapsed().as_secs_f64() * 1e3;
    ensure!(
        submitted.status == BlockStatus::Tip,
        "the 4096-transaction block was not the tip: {submitted:?}"
    );
    progress(format!("submit_4096: {submit_4096_ms:.1} ms"));

    let mut tip = big;
    let mut reorg = [0.0; 2];
    let (mut tip_ms, mut side_ms) = (Vec::new(), Vec::new());
    for (i, depth) in [10u64, 100].into_iter().enumerate() {
        progress(format!("a reorg of {depth} blocks…"));
        let fork = tip.clone();
        for _ in 0..depth {
            tip = next(&tip, &chain, miner_a, Vec::new());
            tip_ms.push(submit(&mut client, &tip, BlockStatus::Tip).await?);
        }
        let mut branch = fork;
        for _ in 0..depth {
            branch = next(&branch, &chain, Address::from_bytes([0xb2; 32]), Vec::new());
            side_ms.push(submit(&mut client, &branch, BlockStatus::Side).await?);
        }
        // The block that makes the branch heavier, on a fresh connection (a full
        // budget, so no wait is timed).
        branch = next(&branch, &chain, Address::from_bytes([0xb2; 32]), Vec::new());
        let mut fresh = Client::connect(&address).await?;
        let started = Instant::now();
        let s = fresh.submit_block(&branch).await?;
        reorg[i] = started.elapsed().as_secs_f64() * 1e3;
        ensure!(
            s.status == BlockStatus::Tip && s.replaced == depth,
            "the last branch block did not replace {depth}: {s:?}"
        );
        tip = branch;
        progress(format!("reorg_{depth}: {:.1} ms", reorg[i]));
    }
    drop(server);
    tip_ms.sort_by(f64::total_cmp);
    side_ms.sort_by(f64::total_cmp);
    progress(format!(
        "an empty block submitted: tip p50 {:.2} ms, p99 {:.2} ms; side p50 {:.2} ms, p99 {:.2} ms",
        percentile(&tip_ms, 0.50),
        percentile(&tip_ms, 0.99),
        percentile(&side_ms, 0.50),
        percentile(&side_ms, 0.99)
    ));
    Ok(TreeCosts {
        submit_4096_ms,
        reorg_10_ms: reorg[0],
        reorg_100_ms: reorg[1],
        tip_ms,
        side_ms,
    })
}
