//! The costs the lab can put back beside its server: hashing threads in the idle
//! class, as our miner's, and a checkpoint's writes.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Hashes forever in the idle scheduling class, as the miner's threads do.
pub fn idle_spinner(duty: f64, gate: &Gate) {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    let _ = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle);
    let mut state = [0u8; 32];
    let period = Duration::from_millis(10);
    loop {
        let started = Instant::now();
        while started.elapsed() < period.mul_f64(duty) {
            for _ in 0..100 {
                use sha2::Digest;
                state = sha2::Sha256::digest(state).into();
            }
            gate.pass();
            std::hint::black_box(&state);
        }
        if duty < 1.0 {
            std::thread::sleep(period.saturating_sub(started.elapsed()));
        }
    }
}

/// Where the spinners wait while a log write is on its way to the disk.
#[derive(Debug, Default)]
pub struct Gate {
    closed: std::sync::atomic::AtomicBool,
    lock: std::sync::Mutex<()>,
    opened: std::sync::Condvar,
}

impl Gate {
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn open(&self) {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.closed
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.opened.notify_all();
    }

    /// Returns at once when open, else once it opens.
    fn pass(&self) {
        if !self.closed.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let mut held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            held = self.opened.wait(held).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Writes `mbps` MB a second in 1 MiB pieces, each `fsync`'ed, as a checkpoint does.
pub fn checkpoint_writer(path: &Path, mbps: f64) {
    let Ok(file) = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)
    else {
        return;
    };
    let piece = vec![0x5au8; 1 << 20];
    let every = Duration::from_secs_f64(piece.len() as f64 / (mbps * 1e6));
    let started = Instant::now();
    for i in 0u64.. {
        let offset = (i % 256) * piece.len() as u64;
        if file.write_all_at(&piece, offset).is_err() || file.sync_all().is_err() {
            return;
        }
        let due = started + every * (i as u32 + 1);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}
