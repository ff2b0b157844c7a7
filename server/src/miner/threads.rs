//! The miner's own threads: started once, put in Linux's idle scheduling class once,
//! then handed one slice of nonces at a time, and the block found to encode as JSON.
//!
//! Both used to cost the rest of the server. The hashing threads were new threads for
//! every slice: about a hundred slices a second, so two hundred threads made and torn
//! down a second on a 2-core machine, each starting at the normal priority until it
//! lowered itself, each stack mapped and unmapped (an unmap interrupts the other core
//! to flush its TLB). With that, one request at a time
//! had a p99 of 3.7–4.7 ms; with the miner paused, 0.8–1.4 ms. And a block's JSON
//! (3–7 ms for 4,096 transactions) was made on the blocking pool at the normal
//! priority, beside the log's writes (`docs/PERFORMANCE.md`, issue 13). Here it is made
//! only on a core nothing else wants, like the hashing.

use simplechain_core::template::BuiltBlock;
use simplechain_core::{BlockHash, BlockHeader};
use std::sync::{Arc, mpsc};
use tokio::sync::{mpsc as async_mpsc, oneshot};

/// One thread's share of a slice: `count` nonces of `header` from `from` on.
#[derive(Debug, Clone, Copy)]
struct Share {
    /// Which slice it belongs to (finds from an earlier slice are told apart).
    slice: u64,
    header: BlockHeader,
    from: u64,
    count: u64,
}

/// A block found, with its JSON.
pub(super) type Encoded = (BuiltBlock, Arc<str>);

/// What a thread is given.
enum Work {
    Hash(Share),
    Encode(BuiltBlock, oneshot::Sender<Encoded>),
}

/// What a thread found in its share (`None`: nothing), tagged with the slice's number
/// and the thread's index.
type Found = (u64, usize, Option<(BlockHeader, BlockHash)>);

/// The threads, and where their finds come back. Dropping it stops them (each one
/// finishes the work it is on).
#[derive(Debug)]
pub(super) struct MinerThreads {
    work: Vec<mpsc::Sender<Work>>,
    found: async_mpsc::UnboundedReceiver<Found>,
    /// The number of the last slice handed out.
    slice: u64,
}

impl MinerThreads {
    /// Starts `threads` threads (at least one).
    pub(super) fn start(threads: usize) -> std::io::Result<MinerThreads> {
        let (report, found) = async_mpsc::unbounded_channel();
        let mut work = Vec::new();
        for index in 0..threads.max(1) {
            let (give, next) = mpsc::channel::<Work>();
            let report = report.clone();
            std::thread::Builder::new()
                .name(format!("miner-{index}"))
                .spawn(move || serve(index, &next, &report))?;
            work.push(give);
        }
        Ok(MinerThreads {
            work,
            found,
            slice: 0,
        })
    }

    /// `block` with its JSON, made on the first thread.
    pub(super) async fn encode(&self, block: BuiltBlock) -> Result<Encoded, ThreadsGone> {
        let (done, encoded) = oneshot::channel();
        self.work[0]
            .send(Work::Encode(block, done))
            .map_err(|_| ThreadsGone)?;
        encoded.await.map_err(|_| ThreadsGone)
    }

    /// How many threads hash.
    pub(super) fn count(&self) -> u64 {
        self.work.len() as u64
    }

    /// Tries `per_thread` nonces on each thread, from `start` on (thread `i` from
    /// `start + i * per_thread`); the lowest-numbered thread's find wins. If a search
    /// is dropped before it returns, the finds of its slice still arriving are skipped
    /// by the next one.
    pub(super) async fn search(
        &mut self,
        header: BlockHeader,
        start: u64,
        per_thread: u64,
    ) -> Result<Option<(BlockHeader, BlockHash)>, ThreadsGone> {
        self.slice += 1;
        for (i, thread) in self.work.iter().enumerate() {
            let from = start.wrapping_add(i as u64 * per_thread);
            let share = Share {
                slice: self.slice,
                header,
                from,
                count: per_thread,
            };
            thread.send(Work::Hash(share)).map_err(|_| ThreadsGone)?;
        }
        let mut finds = vec![None; self.work.len()];
        let mut answered = 0;
        while answered < self.work.len() {
            let (slice, index, found) = self.found.recv().await.ok_or(ThreadsGone)?;
            if slice == self.slice {
                finds[index] = found;
                answered += 1;
            }
        }
        Ok(finds.into_iter().flatten().next())
    }
}

/// One thread's life: the idle class, then its work until the miner is dropped.
fn serve(index: usize, next: &mpsc::Receiver<Work>, report: &async_mpsc::UnboundedSender<Found>) {
    lowest_priority();
    for job in next {
        match job {
            Work::Hash(share) => {
                let found = share.header.mine(share.from, share.count);
                if report.send((share.slice, index, found)).is_err() {
                    return;
                }
            }
            Work::Encode(block, done) => {
                let json = serde_json::to_string(block.block())
                    .unwrap_or_default()
                    .into();
                let _ = done.send((block, json));
            }
        }
    }
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

/// A thread of the miner is gone (it panicked): the miner cannot go on.
#[derive(Debug)]
pub(super) struct ThreadsGone;

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::block::meets_difficulty;
    use std::future::Future;

    fn header(difficulty: u64) -> BlockHeader {
        BlockHeader {
            height: 1,
            prev_hash: BlockHash::from_bytes([3; 32]),
            timestamp: 1_700_000_000_000,
            difficulty,
            miner: simplechain_core::Address::from_bytes([4; 32]),
            reward: 50,
            tx_root: simplechain_core::MerkleRoot::from_bytes([5; 32]),
            nonce: 0,
        }
    }

    #[tokio::test]
    async fn the_threads_find_what_one_search_over_the_whole_slice_finds() {
        let mut threads = MinerThreads::start(3).unwrap();
        let header = header(8);
        let (start, per_thread) = (1_000, 400);
        let found = threads.search(header, start, per_thread).await.unwrap();
        // The same range searched in one go: the first find is the lowest thread's.
        let expected = header.mine(start, per_thread * 3);
        assert_eq!(found, expected);
        let (mined, hash) = found.expect("difficulty 8 over 1,200 nonces finds one");
        assert!(meets_difficulty(&hash, 8));
        assert!((start..start + 1_200).contains(&mined.nonce));
    }

    #[tokio::test]
    async fn a_search_dropped_midway_does_not_leak_its_finds_into_the_next() {
        let mut threads = MinerThreads::start(2).unwrap();
        let easy = header(1);
        {
            // Handed out, then dropped before any answer is read.
            let search = threads.search(easy, 0, 50);
            let waker = futures::task::noop_waker();
            let mut cx = std::task::Context::from_waker(&waker);
            let mut search = std::pin::pin!(search);
            let _ = search.as_mut().poll(&mut cx);
        }
        // Difficulty 255 finds nothing: a find here could only be the dropped slice's.
        let found = threads.search(header(255), 0, 50).await.unwrap();
        assert_eq!(found, None);
    }

    #[tokio::test]
    async fn the_same_threads_serve_slice_after_slice() {
        let mut threads = MinerThreads::start(2).unwrap();
        assert_eq!(threads.count(), 2);
        // Difficulty 255 is never met: every share comes back empty, and comes back.
        for slice in 0..50 {
            let found = threads.search(header(255), slice * 200, 100).await;
            assert_eq!(found.unwrap(), None);
        }
    }
}
