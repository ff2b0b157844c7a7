//! The server's own miner. As soon as transactions are pending it takes the same
//! template any client gets from `GET_TEMPLATE` (up to 4096 of them, oldest first),
//! searches nonces on its threads in short slices (so a new tip or a shutdown is
//! noticed quickly; the threads are started once, `miner/threads.rs`), and hands the
//! block to the sequencer, which places it in the tree like anyone's (PROTOCOL §9). It never holds the state lock while hashing, so
//! ingestion never waits for it; and its hashing threads run in Linux's idle
//! scheduling class (`miner/threads.rs` `lowest_priority`), so that on a machine with few cores an
//! admission or a log write never waits for a core it is using (issue 13: with the
//! miner at the same priority, a log write's p99 was 6.4 ms, most of it waiting to be
//! scheduled). An idle machine still gives it every core.
//!
//! ```text
//! slice:  thread 0: nonces start ..  start+n      each with the SHA-256 midstate
//!         thread 1: nonces start+n .. start+2n    of the header before the nonce
//!         …                                        (BlockHeader::mine)
//! then:   tip moved? stop. --miner-hashrate? sleep the rest of the slice's time.
//! ```

mod threads;

use crate::clock::now_ms;
use crate::config::MinerConfig;
use crate::inbox::Command;
use crate::shared::Shared;
use simplechain_core::template::{BlockTemplate, BuiltBlock};
use simplechain_core::{Address, BlockHash};
use std::sync::Arc;
use std::time::{Duration, Instant};
use threads::{MinerThreads, ThreadsGone};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Nonces tried in one slice, across all threads, between two looks at the tip.
const SLICE: u64 = 1 << 17;
/// How long the miner waits after the sequencer did not take its block.
const RETRY_AFTER_FAILED_APPEND: Duration = Duration::from_millis(500);

/// Mines until `shutdown` (never, with `--no-miner`).
pub async fn run(
    shared: Arc<Shared>,
    miner: Address,
    config: MinerConfig,
    shutdown: CancellationToken,
) {
    if config.disabled {
        tracing::info!("the server's miner is off (--no-miner): only clients mine");
        return;
    }
    let mut threads = match MinerThreads::start(config.threads()) {
        Ok(threads) => threads,
        Err(e) => {
            tracing::error!(error = %e, "the miner could not start its threads; only clients mine");
            return;
        }
    };
    loop {
        let job = next_job(&shared, miner);
        let Some(job) = job else {
            tokio::select! {
                _ = shared.wake_miner.notified() => continue,
                _ = shutdown.cancelled() => return,
            }
        };
        let block = match mine(&shared, &mut threads, job, &config, &shutdown).await {
            Ok(Some(block)) => block,
            Ok(None) if shutdown.is_cancelled() => return,
            Ok(None) => continue,
            Err(ThreadsGone) => {
                tracing::error!("a thread of the miner died; only clients mine now");
                return;
            }
        };
        let prev = block.block().header.prev_hash;
        // Encoded here, not in the sequencer (admissions do not wait for it), on a core
        // nothing else wants.
        let Ok((block, json)) = threads.encode(block).await else {
            tracing::error!("a thread of the miner died; only clients mine now");
            return;
        };
        let (reply, done) = oneshot::channel();
        if shared
            .commands
            .send(Command::Mined { block, json, reply })
            .await
            .is_err()
        {
            return;
        }
        let _ = done.await;
        if current_tip(&shared) == prev {
            // The block was not taken (the disk refused it): wait before mining the
            // same transactions again, rather than spin.
            tokio::select! {
                _ = tokio::time::sleep(RETRY_AFTER_FAILED_APPEND) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

/// The template, when there is something to mine.
fn next_job(shared: &Shared, miner: Address) -> Option<BlockTemplate> {
    let state = shared.state();
    if state.mempool.is_empty() {
        return None;
    }
    Some(state.template(miner, now_ms()))
}

async fn mine(
    shared: &Shared,
    threads: &mut MinerThreads,
    job: BlockTemplate,
    config: &MinerConfig,
    shutdown: &CancellationToken,
) -> Result<Option<BuiltBlock>, ThreadsGone> {
    let count = threads.count();
    // With a cap, a slice is a tenth of a second's worth of hashes.
    let slice = config
        .hashrate
        .map_or(SLICE, |rate| (rate / 10).clamp(count, SLICE));
    let per_thread = slice / count;
    let header = *job.header();
    let mut start = 0u64;
    loop {
        let began = Instant::now();
        if let Some((mined, hash)) = threads.search(header, start, per_thread).await? {
            return Ok(Some(job.into_block(mined.nonce, hash)));
        }
        start = start.wrapping_add(per_thread * count);
        if let Some(rate) = config.hashrate {
            let budget = Duration::from_secs_f64((per_thread * count) as f64 / rate.max(1) as f64);
            if let Some(rest) = budget.checked_sub(began.elapsed()) {
                tokio::select! {
                    _ = tokio::time::sleep(rest) => {}
                    _ = shutdown.cancelled() => return Ok(None),
                }
            }
        }
        if shutdown.is_cancelled() || current_tip(shared) != header.prev_hash {
            return Ok(None);
        }
    }
}

fn current_tip(shared: &Shared) -> BlockHash {
    shared.state().chain.tip
}
