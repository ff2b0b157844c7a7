//! The server's own miner. As soon as transactions are pending it takes the same
//! template any client gets from `GET_TEMPLATE` (up to 4096 of them, oldest first),
//! searches nonces on its threads in short slices (so a new tip or a shutdown is
//! noticed quickly), and hands the block to the sequencer, which places it in the tree
//! like anyone's (PROTOCOL §9). It never holds the state lock while hashing, so
//! ingestion never waits for it; and its hashing threads run in Linux's idle
//! scheduling class (`lowest_priority`), so that on a machine with few cores an
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

use crate::clock::now_ms;
use crate::config::MinerConfig;
use crate::inbox::Command;
use crate::shared::Shared;
use simplechain_core::template::{BlockTemplate, BuiltBlock};
use simplechain_core::{Address, BlockHash, BlockHeader};
use std::sync::Arc;
use std::time::{Duration, Instant};
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
    loop {
        let job = next_job(&shared, miner);
        let Some(job) = job else {
            tokio::select! {
                _ = shared.wake_miner.notified() => continue,
                _ = shutdown.cancelled() => return,
            }
        };
        let Some(block) = mine(&shared, job, &config, &shutdown).await else {
            if shutdown.is_cancelled() {
                return;
            }
            continue;
        };
        let prev = block.block().header.prev_hash;
        // Encoded here, not in the sequencer: admissions do not wait for it.
        let Ok((block, json)) = tokio::task::spawn_blocking(move || {
            let json: Arc<str> = serde_json::to_string(block.block())
                .unwrap_or_default()
                .into();
            (block, json)
        })
        .await
        else {
            tracing::error!("encoding a mined block failed; the miner stops");
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
    job: BlockTemplate,
    config: &MinerConfig,
    shutdown: &CancellationToken,
) -> Option<BuiltBlock> {
    let threads = config.threads() as u64;
    // With a cap, a slice is a tenth of a second's worth of hashes.
    let slice = config
        .hashrate
        .map_or(SLICE, |rate| (rate / 10).clamp(threads, SLICE));
    let per_thread = slice / threads;
    let header = *job.header();
    let mut start = 0u64;
    loop {
        let began = Instant::now();
        let found = tokio::task::spawn_blocking(move || search(header, start, per_thread, threads))
            .await
            .ok()?;
        if let Some((mined, hash)) = found {
            return Some(job.into_block(mined.nonce, hash));
        }
        start = start.wrapping_add(per_thread * threads);
        if let Some(rate) = config.hashrate {
            let budget =
                Duration::from_secs_f64((per_thread * threads) as f64 / rate.max(1) as f64);
            if let Some(rest) = budget.checked_sub(began.elapsed()) {
                tokio::select! {
                    _ = tokio::time::sleep(rest) => {}
                    _ = shutdown.cancelled() => return None,
                }
            }
        }
        if shutdown.is_cancelled() || current_tip(shared) != header.prev_hash {
            return None;
        }
    }
}

/// Tries `per_thread` nonces on each of `threads` threads, from `start` on; the
/// lowest-numbered thread's find wins.
fn search(
    header: BlockHeader,
    start: u64,
    per_thread: u64,
    threads: u64,
) -> Option<(BlockHeader, BlockHash)> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|i| {
                let from = start.wrapping_add(i * per_thread);
                scope.spawn(move || {
                    lowest_priority();
                    header.mine(from, per_thread)
                })
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|w| w.join().ok().flatten())
            .next()
    })
}

/// Puts the calling thread in Linux's idle scheduling class (`SCHED_IDLE`): it runs
/// only on a core nothing else wants, and any other thread that wakes up takes the
/// core at once (a low `nice` value is not enough: the kernel lets a running thread
/// finish its time slice, a few milliseconds). A failure only leaves it where it was.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let set = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle);
        if let Err(e) = set {
            tracing::debug!(error = ?e, "the miner could not lower its priority");
        }
    }
}

fn current_tip(shared: &Shared) -> BlockHash {
    shared.state().chain.tip
}
