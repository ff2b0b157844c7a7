//! The miner: as soon as transactions are pending, it takes up to 4096 of them (oldest
//! first), finds a proof of work on a blocking thread in short slices (so a new tip or
//! a shutdown is noticed quickly) and hands the block to the sequencer. It never holds
//! the view lock while hashing, so ingestion never waits for it.

use crate::clock::now_ms;
use crate::inbox::Command;
use crate::shared::Shared;
use simplechain_core::block::BlockHeader;
use simplechain_core::merkle::merkle_root;
use simplechain_core::{
    Address, BLOCK_REWARD, Block, BlockHash, MAX_BLOCK_TRANSACTIONS, Transaction, TxId,
};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Nonces tried between two looks at the tip.
const SLICE: u64 = 1 << 16;
/// How long the miner waits after the sequencer could not append its block.
const RETRY_AFTER_FAILED_APPEND: std::time::Duration = std::time::Duration::from_millis(500);

/// A block template.
struct Job {
    header: BlockHeader,
    transactions: Vec<Transaction>,
}

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
        let prev = block.prev_hash;
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

fn next_job(shared: &Shared, miner: Address) -> Option<Job> {
    let view = shared.view.read().expect("view lock");
    if view.mempool.is_empty() {
        return None;
    }
    let entries: Vec<(Transaction, TxId)> = view
        .mempool
        .entries()
        .take(MAX_BLOCK_TRANSACTIONS)
        .map(|e| (e.tx, e.txid))
        .collect();
    let txids: Vec<TxId> = entries.iter().map(|(_, id)| *id).collect();
    let tip = &view.tip().block;
    let header = BlockHeader {
        height: tip.height + 1,
        prev_hash: tip.hash,
        timestamp: now_ms().max(tip.timestamp),
        difficulty: view.state.difficulty,
        miner,
        reward: BLOCK_REWARD,
        tx_root: merkle_root(&txids),
        nonce: 0,
    };
    Some(Job {
        header,
        transactions: entries.into_iter().map(|(tx, _)| tx).collect(),
    })
}

async fn mine(shared: &Shared, job: Job, shutdown: &CancellationToken) -> Option<Block> {
    let mut start = 0u64;
    loop {
        let header = job.header;
        let found = tokio::task::spawn_blocking(move || header.mine(start, SLICE))
            .await
            .ok()?;
        if let Some((header, hash)) = found {
            return Some(Block::from_mined(header, hash, job.transactions));
        }
        start += SLICE;
        if shutdown.is_cancelled() || current_tip(shared) != job.header.prev_hash {
            return None;
        }
    }
}

fn current_tip(shared: &Shared) -> BlockHash {
    shared.view.read().expect("view lock").state.tip
}
