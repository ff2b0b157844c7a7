//! The disk's floor under one durable acknowledgement, measured beside the 1-in-flight
//! phase: 4 KiB writes, each followed by the sync the acknowledgement log uses
//! (`server/src/wal.rs` `Append::write`: `write_all_at` then `sync_data`), into a
//! zero-filled file on the same file system as the server's log. One at a time gives
//! what one request in flight can reach at best (one over the mean write); two threads
//! writing different offsets of the same file at once show whether the device serves
//! two synced writes in parallel, which is what more than one log record in flight
//! would need to pay.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
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

/// Measures `count` synced 4 KiB writes one at a time, then `count` more from two
/// threads at once, in a zero-filled file in `dir`.
pub fn measure(dir: &Path, count: usize) -> std::io::Result<DiskFloor> {
    let path = dir.join(PROBE_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)?;
    let count = count.max(2);
    // Zero-filled as the log is (in 1 MiB pieces, then synced): filled 4 KiB at a
    // time instead, the first synced overwrite of each block took a whole 4 ms tick
    // here. Each phase writes its own blocks, each once, as the log does.
    simplechain_server::wal::fill_with_zeros(&file, 0, (2 * count * WRITE) as u64)?;

    let started = Instant::now();
    let latencies = write_each(&file, (0..count).map(|i| i * WRITE))?;
    let alone = summarize(latencies, started.elapsed().as_secs_f64());

    let started = Instant::now();
    let (even, odd) = std::thread::scope(|scope| {
        let file = &file;
        let even =
            scope.spawn(move || write_each(file, (count..2 * count).step_by(2).map(|i| i * WRITE)));
        let odd = write_each(file, (count + 1..2 * count).step_by(2).map(|i| i * WRITE));
        (even.join(), odd)
    });
    let mut latencies =
        even.map_err(|_| std::io::Error::other("the probe's writer panicked"))??;
    latencies.extend(odd?);
    let two = summarize(latencies, started.elapsed().as_secs_f64());

    drop(file);
    std::fs::remove_file(&path)?;
    Ok(DiskFloor { alone, two })
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
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    Writes {
        count: latencies.len(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        mean_ms: latencies.iter().sum::<f64>() / latencies.len() as f64,
        per_s: latencies.len() as f64 / elapsed_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_writes_give_consistent_figures_and_leave_no_file() {
        let dir = std::env::temp_dir().join(format!("disk-floor-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let floor = measure(&dir, 9).unwrap();
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
