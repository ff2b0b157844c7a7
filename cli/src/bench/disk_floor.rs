//! The disk's floor under one durable acknowledgement, measured beside the 1-in-flight
//! phase: 4 KiB writes, each followed by the sync the acknowledgement log uses
//! (`server/src/wal.rs` `Append::write`: `write_all_at` then `sync_data`), into a
//! zero-filled file on the same file system as the server's log. One at a time gives
//! what one request in flight can reach at best (one over the mean write); two threads
//! writing different offsets of the same file at once show whether the device serves
//! two synced writes in parallel, which is what more than one log record in flight
//! would need to pay off. The rounds are interleaved with the 1-in-flight phase's
//! (`one_in_flight.rs`), so that the floor is the disk's at the same time.

use super::outcome::percentile;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The size of one write: one block of the log (`wal/record.rs` `BLOCK`).
const WRITE: usize = simplechain_server::wal::record::BLOCK;

/// The probe's file (removed afterwards).
const PROBE_FILE: &str = "disk-floor.probe";

/// Synced writes, one way of issuing them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Writes {
    /// Writes measured.
    pub count: usize,
    /// Latency of one write + sync.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    /// Writes completed per second of wall time.
    pub per_s: f64,
}

/// What the probe measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskFloor {
    /// One write at a time.
    pub alone: Writes,
    /// Two threads, each one write at a time, at once.
    pub two: Writes,
}

impl DiskFloor {
    /// Two at once over one at a time, in writes per second: about 2 when the device
    /// serves them in parallel, about 1 when it serves them one after the other.
    pub fn overlap(&self) -> f64 {
        self.two.per_s / self.alone.per_s
    }
}

/// The probe's file, zero-filled, and what it measured so far. Measured in rounds
/// (each: some writes one at a time, then as many two at once), so that both ways see
/// the disk in the same state: on this shared VM it moves, within seconds, between
/// about 0.1 ms and a whole 4 ms tick per synced write.
pub struct Probe {
    file: File,
    path: PathBuf,
    /// The next block not yet written: each block is written once, as the log does.
    next_block: usize,
    blocks: usize,
    alone: Vec<f64>,
    alone_s: f64,
    two: Vec<f64>,
    two_s: f64,
}

impl Probe {
    /// A zero-filled file in `dir` with room for `count` writes each way.
    pub fn create(dir: &Path, count: usize) -> std::io::Result<Probe> {
        let path = dir.join(PROBE_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        let blocks = 2 * count.max(2);
        // Zero-filled as the log is (in 1 MiB pieces, then synced).
        simplechain_server::wal::fill_with_zeros(&file, 0, (blocks * WRITE) as u64)?;
        Ok(Probe {
            file,
            path,
            next_block: 0,
            blocks,
            alone: Vec::new(),
            alone_s: 0.0,
            two: Vec::new(),
            two_s: 0.0,
        })
    }

    /// `count` writes one at a time, then `count` from two threads at once (fewer if
    /// the file is used up).
    pub fn round(&mut self, count: usize) -> std::io::Result<()> {
        let count = count.min((self.blocks - self.next_block) / 2);
        let first = self.next_block;
        let started = Instant::now();
        let latencies = write_each(&self.file, (first..first + count).map(|i| i * WRITE))?;
        self.alone_s += started.elapsed().as_secs_f64();
        self.alone.extend(latencies);

        let first = first + count;
        let started = Instant::now();
        let (even, odd) = std::thread::scope(|scope| {
            let file = &self.file;
            let blocks = first..first + count;
            let even = blocks.clone().step_by(2).map(|i| i * WRITE);
            let even = scope.spawn(move || write_each(file, even));
            let odd = write_each(file, blocks.skip(1).step_by(2).map(|i| i * WRITE));
            (even.join(), odd)
        });
        let even = even.map_err(|_| std::io::Error::other("the probe's second writer panicked"))?;
        self.two.extend(even?);
        self.two.extend(odd?);
        self.two_s += started.elapsed().as_secs_f64();
        self.next_block = first + count;
        Ok(())
    }

    /// The figures of every round so far; removes the file.
    pub fn finish(self) -> std::io::Result<DiskFloor> {
        std::fs::remove_file(&self.path)?;
        Ok(DiskFloor {
            alone: summarize(self.alone, self.alone_s),
            two: summarize(self.two, self.two_s),
        })
    }
}

/// Writes one block at each offset, one after the other, each synced before the next;
/// the milliseconds each took.
fn write_each(file: &File, offsets: impl Iterator<Item = usize>) -> std::io::Result<Vec<f64>> {
    let block = vec![0xa5u8; WRITE];
    let mut latencies = Vec::new();
    for offset in offsets {
        let started = Instant::now();
        file.write_all_at(&block, offset as u64)?;
        file.sync_data()?;
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(latencies)
}

fn summarize(mut latencies: Vec<f64>, elapsed_s: f64) -> Writes {
    latencies.sort_by(f64::total_cmp);
    Writes {
        count: latencies.len(),
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        mean_ms: latencies.iter().sum::<f64>() / latencies.len().max(1) as f64,
        per_s: latencies.len() as f64 / elapsed_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_of_a_few_writes_give_consistent_figures_and_leave_no_file() {
        let dir = std::env::temp_dir().join(format!("disk-floor-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut probe = Probe::create(&dir, 9).unwrap();
        for _ in 0..3 {
            probe.round(3).unwrap();
        }
        probe.round(3).unwrap(); // the file is used up: nothing more is written
        let floor = probe.finish().unwrap();
        let left = std::fs::read_dir(&dir).unwrap().count();
        std::fs::remove_dir_all(&dir).unwrap();
        for writes in [floor.alone, floor.two] {
            assert_eq!(writes.count, 9);
            assert!(writes.mean_ms > 0.0);
            assert!(writes.p50_ms <= writes.p99_ms);
            assert!(writes.per_s > 0.0);
        }
        assert!(floor.overlap() > 0.0);
        assert_eq!(left, 0, "the probe's file is removed");
    }
}
