//! `simplechain bench`: starts a server on a temporary data dir and measures, in one
//! run, what issue 5 asks for: the verification yardstick, durable ingest over TCP
//! (one request at a time, at peak, at half the peak rate, and through the WebSocket
//! relay), latency, full validation, catch-up sync, memory and disk. Progress goes to stderr; the table (or `--json`) to stdout.

pub mod child;
mod disk_floor;
mod figures;
pub mod load;
mod nonce_rate;
mod one_in_flight;
pub mod outcome;
mod pace;
mod tree_costs;
mod yardstick;

pub use figures::{Figures, PacedLatency};

use anyhow::Context;
use child::ChildProcess;
use ed25519_dalek::SigningKey;
use simplechain_core::parallel::validate_chain_parallel;
use simplechain_core::transaction::address_of;
use std::time::Instant;

/// A paced phase (half rate, `--latency-at`) sends at least this many seconds' worth
/// of transactions.
const PACED_SECONDS: f64 = 2.0;

/// What to run.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Transactions for the peak-rate ingest phase (the chain validated afterwards holds
    /// these plus the half-rate phase's: a quarter as many, or two seconds' worth if
    /// that is more, and at least 1,000; plus two seconds' worth, at least 1,000, for
    /// each `--latency-at`).
    #[arg(long, default_value_t = 100_000)]
    pub transactions: usize,
    /// Transactions for the 1-in-flight phase (one connection, one request at a time).
    #[arg(long, default_value_t = 5_000)]
    pub one_in_flight: usize,
    /// Distinct sending accounts.
    #[arg(long, default_value_t = 512)]
    pub senders: usize,
    /// Concurrent client connections.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Requests each connection keeps in flight.
    #[arg(long, default_value_t = 256)]
    pub window: usize,
    /// Difficulty of the benchmark chain.
    #[arg(long, default_value_t = 16)]
    pub difficulty: u64,
    /// Skip the WebSocket phase.
    #[arg(long)]
    pub no_ws: bool,
    /// Skip the block tree phase (a 4096-transaction block submitted, reorgs of 10 and
    /// 100 blocks).
    #[arg(long)]
    pub no_tree: bool,
    /// Keep the temporary data dir and the server's log (server.log) for inspection.
    #[arg(long)]
    pub keep: bool,
    /// Also measure the latency paced at these fractions of the peak rate, after the
    /// half-rate phase (comma-separated, each above 0 and at most 1: `0.1,0.25`
    /// shows where the tail begins). Each phase is at least two seconds' worth.
    #[arg(long, value_delimiter = ',', value_parser = parse_fraction)]
    pub latency_at: Vec<f64>,
}

/// A fraction of the peak rate: above 0, at most 1.
fn parse_fraction(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim().parse().map_err(|_| {
        format!("{text:?} is not a number (a fraction of the peak rate, like 0.25)")
    })?;
    if value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(format!(
            "{value} is not a fraction of the peak rate: give a number above 0 and at most 1"
        ))
    }
}

/// Prints a progress line to stderr.
pub(crate) fn progress(message: impl std::fmt::Display) {
    eprintln!("[bench] {message}");
}

/// Runs the benchmark and returns the figures.
pub async fn run(args: BenchArgs) -> anyhow::Result<Figures> {
    let mut figures = Figures::default();
    progress("measuring strict verification on one core…");
    figures.verify_1core = tokio::task::spawn_blocking(yardstick::verify_one_core).await?;
    progress(format!(
        "verify_1core: {:.0} verifications/s",
        figures.verify_1core
    ));

    progress("measuring the nonce search on one core, with and without the midstate…");
    let rates = tokio::task::spawn_blocking(nonce_rate::measure).await?;
    figures.mine_midstate_1core = rates.midstate;
    figures.mine_naive_1core = rates.naive;
    figures.mine_miner_1core = rates.miner;
    progress(format!(
        "nonce search: {:.0} hashes/s with the midstate, {:.0} without, {:.0} in `mine`",
        rates.midstate, rates.naive, rates.miner
    ));

    let temp = tempfile_dir()?;
    if !args.no_tree {
        let costs = tree_costs::measure(&temp).await?;
        figures.submit_4096_ms = Some(costs.submit_4096_ms);
        figures.reorg_10_ms = Some(costs.reorg_10_ms);
        figures.reorg_100_ms = Some(costs.reorg_100_ms);
        let p50_p99 =
            |ms: &[f64]| Some((outcome::percentile(ms, 0.50), outcome::percentile(ms, 0.99)));
        figures.tip_block_ms = p50_p99(&costs.tip_ms);
        figures.side_block_ms = p50_p99(&costs.side_ms);
    }
    let data_dir = temp.join("data");
    let owner = SigningKey::from_bytes(&[0xbe; 32]);
    let owner_address = address_of(&owner).to_string();
    let difficulty = args.difficulty.to_string();
    let server = ChildProcess::start(
        &[
            "server",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data_dir.to_str().context("temp dir path is not UTF-8")?,
            "--difficulty",
            &difficulty,
            "--genesis-address",
            &owner_address,
            "--supply",
            "1000000000000000",
            "--mempool-capacity",
            "10000000",
        ],
        &temp.join("server.log"),
    )?;
    let address = server.wait_for_line("Server:")?;
    progress(format!(
        "server on {address} (pid {}), difficulty {}",
        server.pid(),
        args.difficulty
    ));

    let mut plan = load::Plan::prepare(&address, &owner, &args).await?;
    progress(format!(
        "1 in flight: {} transactions, one at a time on one connection, in rounds with \
         the disk probe…",
        args.one_in_flight
    ));
    let (one, floor) = one_in_flight::measure(&address, &mut plan, args.one_in_flight, &temp)
        .await
        .with_context(|| {
            format!(
                "the 1-in-flight phase and the disk probe in {}",
                temp.display()
            )
        })?;
    figures.one_in_flight = one.rate;
    figures.one_in_flight_p50_ms = one.p50_ms;
    figures.one_in_flight_p99_ms = one.p99_ms;
    figures.rejected += one.rejected;
    figures.set_disk_floor(&floor);
    progress(format!(
        "1 in flight: {:.0} tx/s, p50 {:.2} ms, p99 {:.2} ms",
        one.rate, one.p50_ms, one.p99_ms
    ));
    progress(format!(
        "disk floor (synced 4 KiB writes, between the rounds): p50 {:.2} ms, p99 {:.2} ms, \
         mean {:.2} ms ({:.0} writes/s); two at once: p50 {:.2} ms, p99 {:.2} ms, \
         {:.0} writes/s ({:.2}x one at a time)",
        floor.alone.p50_ms,
        floor.alone.p99_ms,
        floor.alone.mean_ms,
        figures.disk_floor_writes_per_s,
        floor.two.p50_ms,
        floor.two.p99_ms,
        floor.two.per_s,
        floor.overlap()
    ));
    progress(format!(
        "ingest over TCP: {} transactions, {} connections…",
        args.transactions, args.connections
    ));
    let peak = load::ingest_tcp(&address, plan.take(args.transactions), args.window, None).await?;
    figures.ingest_tcp = peak.rate;
    figures.ingest_p50_ms = peak.p50_ms;
    figures.ingest_p99_ms = peak.p99_ms;
    figures.rejected += peak.rejected;
    progress(format!(
        "ingest_tcp: {:.0} tx/s, p50 {:.2} ms, p99 {:.2} ms",
        peak.rate, peak.p50_ms, peak.p99_ms
    ));

    let quarter = args.transactions / 4;
    let half = paced(&address, &mut plan, args.window, peak.rate, 0.5, quarter).await?;
    figures.half_rate_p50_ms = half.p50_ms;
    figures.half_rate_p99_ms = half.p99_ms;
    figures.rejected += half.rejected;
    progress(format!(
        "half rate: p50 {:.2} ms, p99 {:.2} ms",
        half.p50_ms, half.p99_ms
    ));
    for &fraction in &args.latency_at {
        let at = paced(&address, &mut plan, args.window, peak.rate, fraction, 0).await?;
        figures.rejected += at.rejected;
        let latency = PacedLatency {
            fraction,
            rate: peak.rate * fraction,
            p50_ms: at.p50_ms,
            p99_ms: at.p99_ms,
        };
        progress(format!(
            "{:.0}% of peak: p50 {:.2} ms, p99 {:.2} ms",
            fraction * 100.0,
            latency.p50_ms,
            latency.p99_ms
        ));
        figures.paced.push(latency);
    }

    if !args.no_ws {
        match load::ingest_ws(
            &address,
            plan.take(args.transactions / 2),
            args.window,
            &temp,
        )
        .await
        {
            Ok(ws) => {
                figures.ingest_ws = Some(ws.rate);
                figures.rejected += ws.rejected;
                progress(format!("ingest_ws: {:.0} tx/s", ws.rate));
            }
            Err(e) => progress(format!("ingest_ws skipped: {e:#}")),
        }
    }

    progress("waiting for the miner to empty the mempool…");
    load::wait_mined(&address).await?;
    let chain_tx = load::chain_transactions(&address).await?;
    figures.chain_transactions = chain_tx;

    progress(format!("VALIDATE_BLOCKCHAIN over {chain_tx} transactions…"));
    let started = Instant::now();
    let mut client = crate::client::Client::connect(&address).await?;
    let verdict = client.validate().await?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        verdict.is_none(),
        "the benchmark chain is invalid: {verdict:?}"
    );
    figures.validate = chain_tx as f64 / secs;
    progress(format!(
        "validate: {:.0} tx/s ({secs:.2} s)",
        figures.validate
    ));

    progress("catch-up: GET_BLOCKS from 0 and verify locally…");
    let started = Instant::now();
    let mut blocks = Vec::new();
    let mut rate_limited = std::time::Duration::ZERO;
    loop {
        let (page, waited) = load::blocks_page(&mut client, blocks.len() as u64).await?;
        rate_limited += waited;
        if page.blocks.is_empty() {
            break;
        }
        blocks.extend(page.blocks);
    }
    let checked =
        tokio::task::spawn_blocking(move || validate_chain_parallel(&blocks, None)).await?;
    checked.map_err(|e| anyhow::anyhow!("the fetched chain does not verify: {e}"))?;
    // The server's rate limit on heavy requests is not the catch-up's cost.
    figures.sync_catch_up_s = started.elapsed().saturating_sub(rate_limited).as_secs_f64();
    let waits = if rate_limited.is_zero() {
        String::new()
    } else {
        format!(
            " (and {:.1} s waiting out the server's rate limit on heavy requests)",
            rate_limited.as_secs_f64()
        )
    };
    progress(format!(
        "sync_catch_up: {:.2} s{waits}",
        figures.sync_catch_up_s
    ));

    figures.peak_rss_mib = server.peak_rss_kib().map(|k| k as f64 / 1024.0);
    let db_bytes = std::fs::metadata(data_dir.join(simplechain_server::storage::DB_FILE))?.len();
    figures.disk_bytes_per_tx = db_bytes as f64 / chain_tx.max(1) as f64;
    drop(server);
    if args.keep {
        progress(format!("kept the data dir and logs in {}", temp.display()));
    } else {
        let _ = std::fs::remove_dir_all(&temp);
    }
    figures.finish();
    Ok(figures)
}

/// A load paced at `fraction` of the `peak` rate, over the load's connections, once
/// the miner has caught up: the peak (or the phase before) leaves thousands of
/// transactions pending, and this measures the paced load, not that backlog being
/// mined underneath it. At least two seconds' worth and 1,000 transactions (over
/// 0.4 s, one stall of the shared machine decided the p99: 12 to 42 ms from one run
/// to the next), and at least `at_least` (the half-rate phase: a quarter of
/// `--transactions`).
async fn paced(
    address: &str,
    plan: &mut load::Plan,
    window: usize,
    peak: f64,
    fraction: f64,
    at_least: usize,
) -> anyhow::Result<outcome::Outcome> {
    progress("waiting for the miner to catch up…");
    load::wait_mined(address).await?;
    let rate = peak * fraction;
    let count = ((rate * PACED_SECONDS) as usize).max(1000).max(at_least);
    progress(format!(
        "latency at {:.0}% of the peak rate ({rate:.0} tx/s), {count} transactions…",
        fraction * 100.0
    ));
    load::ingest_tcp(address, plan.take(count), window, Some(rate)).await
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("simplechain-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
