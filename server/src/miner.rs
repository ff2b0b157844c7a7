//! The miner: as soon as transactions are pending, it takes up to 4096 of them (oldest
//! first), finds a proof of work on a blocking thread in short slices (so a new tip or
//! a shutdown is noticed quickly) and hands the block to the sequencer. It never holds
//! the state lock while hashing, so ingestion never waits for it.

use crate::clock::now_ms;
use crate::inbox::Command;
use crate::shared::Shared;
use simplechain_core::template::{BlockTemplate, BuiltBlock};
use simplechain_core::{Address, BLOCK_REWARD, BlockHash, MAX_BLOCK_TRANSACTIONS};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Nonces tried between two looks at the tip.
const SLICE: u64 = 1 << 16;
/// How long the miner waits after the sequencer could not append its block.
const RETRY_AFTER_FAILED_APPEND: std::time::Duration = std::time::Duration::from_millis(500);

/// Mines until `shutdown`.
pub async fn run(shared: Arc<Shared>, miner: Address, shutdown: CancellationToken) {
    loop {
        let job = next_job(&shared, miner);
        let Some(job) = job else {
            tokio::select! {
                _ = shared.wake_miner.notified() => continue,
                _ = shutdown.cancelled() => return,
            }
        };
        let Some(block) = mine(&shared, job, &shutdown).await else {
            if shutdown.is_cancelled() {
                return;
            }
            continue;
        };
        let prev = block.block().header.prev_hash;
        let (reply, done) = oneshot::channel();
        if shared
            .commands
            .send(Command::Mined { block, reply })
            .await
            .is_err()
        {
            return;
        }
        let _ = done.await;
        if current_tip(&shared) == prev {
            // The block was not appended (the disk refused it): wait before mining the
            // same transactions again, rather than spin.
            tokio::select! {
                _ = tokio::time::sleep(RETRY_AFTER_FAILED_APPEND) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

fn next_job(shared: &Shared, miner: Address) -> Option<BlockTemplate> {
    let state = shared.state();
    if state.mempool.is_empty() {
        return None;
    }
    let transactions = state
        .mempool
        .entries()
        .take(MAX_BLOCK_TRANSACTIONS)
        .map(|e| e.verified)
        .collect();
    Some(BlockTemplate::new(
        &state.chain,
        miner,
        BLOCK_REWARD,
        now_ms(),
        transactions,
    ))
}

async fn mine(
    shared: &Shared,
    job: BlockTemplate,
    shutdown: &CancellationToken,
) -> Option<BuiltBlock> {
    let mut start = 0u64;
    let header = *job.header();
    loop {
        let found = tokio::task::spawn_blocking(move || header.mine(start, SLICE))
            .await
            .ok()?;
        if let Some((mined, hash)) = found {
            return Some(job.into_block(mined.nonce, hash));
        }
        start += SLICE;
        if shutdown.is_cancelled() || current_tip(shared) != header.prev_hash {
            return None;
        }
    }
}

fn current_tip(shared: &Shared) -> BlockHash {
    shared.state().chain.tip
}
