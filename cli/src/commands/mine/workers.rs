//! The nonce search threads of `simplechain mine`: one per core, each on its own range
//! of nonces, all on the job the controller published last.
//!
//! ```text
//! controller ──publish(header)──▶ Workers ──▶ thread i: nonces [i·w, (i+1)·w), w = 2^64 / n
//!            ◀──Found{generation}── (first nonce that meets the difficulty)
//! ```
//!
//! A new job (a new tip, a refreshed template) bumps the generation; every thread looks
//! at it between slices of [`SLICE`] nonces, so stale work stops within milliseconds. A
//! thread that runs out of its range raises the header's `timestamp` by 1 ms (a new
//! header message, so a fresh range of hashes) and starts its range again.

use simplechain_core::nonce_search::NonceSearch;
use simplechain_core::{BlockHash, BlockHeader};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use tokio::sync::mpsc;

/// Nonces hashed between two looks at the generation (a few milliseconds).
const SLICE: u64 = 1 << 14;

/// A header some thread mined.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    /// The job it belongs to: stale if the controller published another since.
    pub generation: u64,
    pub header: BlockHeader,
    pub hash: BlockHash,
}

/// One header to mine.
#[derive(Debug, Clone, Copy)]
struct Job {
    generation: u64,
    header: BlockHeader,
}

/// What the threads and the controller share.
#[derive(Debug, Default)]
struct Shared {
    /// The job to work on; `None` while paused.
    job: Mutex<Option<Job>>,
    /// Signalled when `job` changes or `stop` is set.
    changed: Condvar,
    /// The current job's generation, read lock-free between slices.
    generation: AtomicU64,
    stop: AtomicBool,
    /// Nonces hashed since the start, by all threads.
    hashes: AtomicU64,
    /// The most leading zero bits of any hash so far.
    best_bits: AtomicU64,
}

/// The running threads.
#[derive(Debug)]
pub struct Workers {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `threads` threads (at least 1), idle until [`Workers::publish`]. Each
    /// thread's range is `range` nonces wide (`None`: 2^64 / threads).
    pub fn start(
        threads: usize,
        range: Option<u64>,
        found: mpsc::UnboundedSender<Found>,
    ) -> Workers {
        let threads = threads.max(1);
        let width = range.unwrap_or(u64::MAX / threads as u64);
        let shared = Arc::new(Shared::default());
        let handles = (0..threads as u64)
            .map(|i| {
                let shared = shared.clone();
                let found = found.clone();
                std::thread::spawn(move || work(&shared, i.saturating_mul(width), width, &found))
            })
            .collect();
        Workers {
            shared,
            threads: handles,
        }
    }

    /// Mines `header` from now on (dropping the previous job); returns its generation.
    pub fn publish(&self, header: BlockHeader) -> u64 {
        let mut job = lock(&self.shared.job);
        let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *job = Some(Job { generation, header });
        self.shared.changed.notify_all();
        generation
    }

    /// Stops working on the current job until the next [`Workers::publish`].
    pub fn pause(&self) {
        let mut job = lock(&self.shared.job);
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        *job = None;
    }

    /// Nonces hashed so far.
    pub fn hashes(&self) -> u64 {
        self.shared.hashes.load(Ordering::Relaxed)
    }

    /// The most leading zero bits seen so far.
    pub fn best_bits(&self) -> u64 {
        self.shared.best_bits.load(Ordering::Relaxed)
    }

    /// Stops the threads and waits for them (each finishes its slice first).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        {
            let _job = lock(&self.shared.job);
            self.shared.stop.store(true, Ordering::SeqCst);
            self.shared.changed.notify_all();
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock(job: &Mutex<Option<Job>>) -> std::sync::MutexGuard<'_, Option<Job>> {
    job.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One thread: wait for a job it has not finished, search its range, repeat.
fn work(shared: &Shared, start: u64, width: u64, found: &mpsc::UnboundedSender<Found>) {
    let mut finished = 0;
    loop {
        let job = {
            let mut job = lock(&shared.job);
            loop {
                if shared.stop.load(Ordering::SeqCst) {
                    return;
                }
                match *job {
                    Some(j) if j.generation != finished => break j,
                    _ => job = shared.changed.wait(job).unwrap_or_else(|e| e.into_inner()),
                }
            }
        };
        search(shared, job, start, width, found);
        finished = job.generation;
    }
}

/// Searches `[start, start + width)` for `job` until a find, a new generation or stop.
fn search(shared: &Shared, job: Job, start: u64, width: u64, found: &mpsc::UnboundedSender<Found>) {
    let end = start.saturating_add(width);
    let mut header = job.header;
    let mut nonces = NonceSearch::new(header);
    let mut next = start;
    while shared.generation.load(Ordering::Relaxed) == job.generation
        && !shared.stop.load(Ordering::Relaxed)
    {
        if next >= end {
            // This range is spent for this header message: a millisecond later, it is
            // a new one.
            header.timestamp += 1;
            nonces = NonceSearch::new(header);
            next = start;
        }
        let searched = nonces.run(next, SLICE.min(end - next));
        shared.hashes.fetch_add(searched.tried, Ordering::Relaxed);
        shared
            .best_bits
            .fetch_max(searched.best_bits, Ordering::Relaxed);
        if let Some((header, hash)) = searched.found {
            let _ = found.send(Found {
                generation: job.generation,
                header,
                hash,
            });
            return;
        }
        next += searched.tried;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::block::meets_difficulty;
    use simplechain_core::{Address, MerkleRoot};
    use std::time::Duration;

    fn header(difficulty: u64, timestamp: u64) -> BlockHeader {
        BlockHeader {
            height: 1,
            prev_hash: BlockHash::from_bytes([7; 32]),
            timestamp,
            difficulty,
            miner: Address::from_bytes([0x11; 32]),
            reward: 50,
            tx_root: MerkleRoot::EMPTY,
            nonce: 0,
        }
    }

    /// The next find of `generation` (two threads may both find one for a job: the
    /// controller, like this, drops the finds of older jobs).
    async fn next(rx: &mut mpsc::UnboundedReceiver<Found>, generation: u64) -> Found {
        loop {
            let found = tokio::time::timeout(Duration::from_secs(60), rx.recv())
                .await
                .expect("no find within 60 s")
                .expect("the workers hung up");
            if found.generation == generation {
                return found;
            }
        }
    }

    #[tokio::test]
    async fn every_find_meets_the_difficulty_and_names_its_generation() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let workers = Workers::start(2, None, tx);
        for round in 0..3 {
            let generation = workers.publish(header(8, 1000 + round));
            let found = next(&mut rx, generation).await;
            assert_eq!(found.header.hash(), found.hash);
            assert!(meets_difficulty(&found.hash, 8));
            assert_eq!(found.header.timestamp, 1000 + round);
        }
        assert!(workers.hashes() > 0);
        assert!(workers.best_bits() >= 8);
        workers.stop();
    }

    #[tokio::test]
    async fn a_spent_range_raises_the_timestamp() {
        // Ranges of 4 nonces cannot hold a 12-bit find for long: the threads must move
        // to later timestamps to find one.
        let (tx, mut rx) = mpsc::unbounded_channel();
        let workers = Workers::start(2, Some(4), tx);
        let generation = workers.publish(header(12, 5000));
        let found = next(&mut rx, generation).await;
        assert!(found.header.timestamp > 5000);
        assert!(found.header.nonce < 8);
        assert!(meets_difficulty(&found.hash, 12));
        workers.stop();
    }

    #[tokio::test]
    async fn pause_stops_the_search() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let workers = Workers::start(1, None, tx);
        workers.publish(header(250, 1));
        tokio::time::sleep(Duration::from_millis(100)).await;
        workers.pause();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let paused_at = workers.hashes();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(workers.hashes(), paused_at, "a paused worker kept hashing");
        assert!(rx.try_recv().is_err());
        workers.stop();
    }
}
