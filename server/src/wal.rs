//! The acknowledgement log: what makes a `SUCCESS` durable in one synchronous write.
//!
//! redb holds the chain and the mempool, but a redb commit costs several synchronous
//! writes (`docs/PERFORMANCE.md`). So each batch of admitted transactions (the group
//! the sequencer answers together), each block accepted on top of the main tip, and
//! each block kept on a side branch, is appended to this log as one record
//! (`wal/record.rs`) with one `pwrite` and one `fdatasync`, and only then answered. (A
//! main block's record names the transactions the mempool held by their numbers: they
//! are in the log, or in redb, already.) The log holds only what redb does not have
//! yet; redb stays the one source of truth for everything else. (A block that replaces
//! the tip's branch is rarer: that switch goes straight into redb.)
//!
//! ```text
//! acks.log   half 0: [record 41][record 42]…[record 57][zeros or older records …]
//!            half 1: [record 58][record 59]…[record n] [zeros or older records …]
//!                                                      ▲ end: the next record goes here
//! ```
//!
//! - The file is written full of zeros when it is created, so an `fdatasync` never
//!   has to write file-size or block-allocation metadata as well: one write each.
//! - Records fill one half at a time. When a record does not fit in the half being
//!   written, writing moves to the start of the other half ([`AckLog::switch_halves`]),
//!   and the full half is checkpointed into redb in the background meanwhile, in
//!   pieces (`sequencer/checkpoint.rs`): admissions never wait for a redb commit. The other
//!   half is used again only once its checkpoint is done.
//! - Record numbers (`seq`) only grow. A checkpoint (`Storage::commit` with
//!   `log_applied`) writes what the log holds into redb and records the last record
//!   number it covers in the same redb transaction. Older records after the new ones
//!   in a half are left in place: they have lower numbers, so reading stops there.
//! - Reading back ([`AckLog::open`]) goes through each half from its start while each
//!   record is whole and numbered one more than the last, and stops at the first torn
//!   or damaged one. That record was never acknowledged (the answer follows the
//!   `fdatasync`), so it is zeroed and dropped. The two halves' records are then put
//!   in order of their numbers.
//! - A data dir of format 2 wrote the whole file as one run of records; it is read
//!   that way ([`Layout::Whole`]) once, then folded into redb and written in halves.

mod chain;
mod crc32;
pub mod record;

pub use chain::{OutOfStep, blocks_on};

use record::{BLOCK, Decoded, Entry, LoggedBlock};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// The log's file inside the data dir.
pub const LOG_FILE: &str = "acks.log";

/// The default size of the log (zero-filled once, when the data dir is created).
pub const DEFAULT_LOG_BYTES: u64 = 64 << 20;

/// The acknowledgement log, owned by the sequencer.
#[derive(Debug)]
pub struct AckLog {
    file: Arc<File>,
    /// The size of each half: records never pass its end.
    half: u64,
    /// The half being written: 0 or 1.
    active: u64,
    /// Where the next record goes, from the start of the active half.
    end: u64,
    /// The number of the next record.
    next_seq: u64,
}

/// How the records of a log file are laid out, for reading it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// In two halves (format 3 on).
    Halves,
    /// One run from offset 0 (format 2).
    Whole,
}

/// What the log held when it was opened.
#[derive(Debug, Default)]
pub struct Replayed {
    /// The whole records, in order.
    pub records: Vec<(u64, Entry)>,
    /// Where reading stopped on a torn or damaged record, and why (it was zeroed).
    pub torn: Option<(u64, &'static str)>,
}

/// The log has no room for a record: checkpoint, then [`AckLog::restart`].
#[derive(Debug)]
pub struct LogFull;

/// One record, ready to be written off the async threads.
#[derive(Debug)]
pub struct Append {
    file: Arc<File>,
    offset: u64,
    bytes: Vec<u8>,
}

impl Append {
    /// Writes the record and waits until it is on the disk (`fdatasync`).
    pub fn write(&self) -> std::io::Result<()> {
        self.file.write_all_at(&self.bytes, self.offset)?;
        self.file.sync_data()
    }
}

impl AckLog {
    /// Opens the log in `data_dir` (created and zero-filled to `size` bytes if it is
    /// not there) and reads back its records, laid out as `layout` says. Writing goes
    /// on after the newest record.
    pub fn open(data_dir: &Path, size: u64, layout: Layout) -> std::io::Result<(AckLog, Replayed)> {
        let path = data_dir.join(LOG_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let size = size
            .max(2 * BLOCK as u64)
            .next_multiple_of(2 * BLOCK as u64);
        let had = file.metadata()?.len();
        if had < size {
            fill_with_zeros(&file, had, size)?;
        }
        let size = size.max(had);
        let half = half_of(size);
        let runs = match layout {
            Layout::Halves => vec![0, half],
            Layout::Whole => vec![0],
        };
        let read = read_runs(&file, size, &runs)?;
        for (offset, _) in &read.torn {
            let zeros = vec![0u8; BLOCK];
            file.write_all_at(&zeros, *offset)?;
            file.sync_data()?;
        }
        let (active, end) = match layout {
            Layout::Halves => (
                read.newest_run as u64,
                read.newest_end - read.newest_run as u64 * half,
            ),
            // Written in halves from now on, after a checkpoint (`restart`).
            Layout::Whole => (0, 0),
        };
        let last = read.replayed.records.last().map_or(0, |(seq, _)| *seq);
        let log = AckLog {
            file: Arc::new(file),
            half,
            active,
            end,
            next_seq: last + 1,
        };
        Ok((log, read.replayed))
    }

    /// The record of the admitted `txs`, numbered and placed; [`LogFull`] when it
    /// does not fit.
    pub fn append(
        &mut self,
        txs: &[(u64, simplechain_core::Transaction)],
    ) -> Result<Append, LogFull> {
        self.place(record::encode(self.next_seq, txs))
    }

    /// The record of a block on top of the main tip.
    pub fn append_block(&mut self, block: &LoggedBlock) -> Result<Append, LogFull> {
        self.place(record::encode_block(self.next_seq, block))
    }

    /// The record of a block kept on a side branch, given as its JSON.
    pub fn append_side(&mut self, block_json: &str) -> Result<Append, LogFull> {
        self.place(record::encode_side(self.next_seq, block_json))
    }

    fn place(&mut self, bytes: Vec<u8>) -> Result<Append, LogFull> {
        if self.end + bytes.len() as u64 > self.half {
            return Err(LogFull);
        }
        let append = Append {
            file: self.file.clone(),
            offset: self.active * self.half + self.end,
            bytes,
        };
        self.end += append.bytes.len() as u64;
        self.next_seq += 1;
        Ok(append)
    }

    /// Takes back the last [`AckLog::append`], whose write failed: the next record
    /// goes in its place, with its number. Its header is zeroed first (made durable by
    /// the next record's `fdatasync`): its bytes may have reached the disk all the
    /// same, and if the next record goes elsewhere (the other half, or the start after
    /// a checkpoint), two records would have that number. An error here means the
    /// zeros may not have been written.
    pub fn undo_append(&mut self, failed: &Append) -> std::io::Result<()> {
        self.end = failed.offset - self.active * self.half;
        self.next_seq -= 1;
        self.file
            .write_all_at(&[0u8; record::HEADER], failed.offset)
    }

    /// The size of each half, in bytes.
    pub fn half_bytes(&self) -> u64 {
        self.half
    }

    /// The number of the last record appended (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// Moves writing to the start of the other half, once redb holds everything that
    /// half had (the half being left is then checkpointed in the background).
    pub fn switch_halves(&mut self) {
        self.active = 1 - self.active;
        self.end = 0;
    }

    /// Starts again at the start of half 0, once redb holds everything up to
    /// [`AckLog::last_seq`] (numbering goes on, so older records are never read as
    /// new ones).
    pub fn restart(&mut self) {
        self.active = 0;
        self.end = 0;
    }

    /// Restarts the numbering after `seq` (the last record redb holds, when that is
    /// past what the log has: its records were all checkpointed, then the log was
    /// zeroed or lost).
    pub fn continue_after(&mut self, seq: u64) {
        self.next_seq = self.next_seq.max(seq + 1);
    }
}

/// The log in `data_dir` read back without changing the file (for
/// `VALIDATE_BLOCKCHAIN`, which checks what the disk holds while the server runs).
pub fn read_back(data_dir: &Path) -> std::io::Result<Replayed> {
    let file = File::open(data_dir.join(LOG_FILE))?;
    let size = file.metadata()?.len();
    Ok(read_runs(&file, size, &[0, half_of(size)])?.replayed)
}

/// The size of each half of a log file of `size` bytes (whole blocks).
fn half_of(size: u64) -> u64 {
    size / 2 / BLOCK as u64 * BLOCK as u64
}

/// What reading the runs of records gave.
struct ReadBack {
    /// All their records, in order of number.
    replayed: Replayed,
    /// Every torn or damaged record found (one run's end each), to zero.
    torn: Vec<(u64, &'static str)>,
    /// The run holding the newest record, and where its records end (from the file's
    /// start).
    newest_run: usize,
    newest_end: u64,
}

/// The records of the runs starting at `starts` in a file of `size` bytes (each run
/// ends at the next start or at `size`), put together in order of number.
fn read_runs(file: &File, size: u64, starts: &[u64]) -> std::io::Result<ReadBack> {
    let mut records = Vec::new();
    let mut torn = Vec::new();
    let (mut newest_run, mut newest_end, mut newest_seq) = (0, 0, 0);
    for (i, start) in starts.iter().enumerate() {
        let stop = starts.get(i + 1).map_or(size, |s| (*s).min(size));
        let (run, end) = read_records(file, (*start).min(size), stop)?;
        if let Some((offset, why)) = run.torn {
            torn.push((offset, why));
        }
        if let Some((seq, _)) = run.records.last()
            && *seq >= newest_seq
        {
            (newest_run, newest_end, newest_seq) = (i, end, *seq);
        }
        records.extend(run.records);
    }
    records.sort_by_key(|(seq, _)| *seq);
    Ok(ReadBack {
        replayed: Replayed {
            records,
            torn: torn.first().copied(),
        },
        torn,
        newest_run,
        newest_end,
    })
}

/// The records from `start` up to `stop` (each whole, each numbered one more than the
/// one before), read one by one (the zeros after them are not read), and where they
/// end. Offsets are from the start of the file.
fn read_records(file: &File, start: u64, stop: u64) -> std::io::Result<(Replayed, u64)> {
    let mut replayed = Replayed::default();
    let mut offset = start;
    let mut header = [0u8; record::HEADER];
    while offset + record::HEADER as u64 <= stop {
        file.read_exact_at(&mut header, offset)?;
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as u64;
        // The header and as much of the payload as the run holds: `decode` says
        // whether it is whole.
        let take = (record::HEADER as u64 + len).min(stop - offset);
        let mut bytes = vec![0u8; take as usize];
        file.read_exact_at(&mut bytes, offset)?;
        match record::decode(&bytes) {
            Decoded::Record { seq, entry, size } => {
                let follows = replayed
                    .records
                    .last()
                    .is_none_or(|(last, _)| seq == last + 1);
                if !follows {
                    break; // an older record, left over from before a restart
                }
                replayed.records.push((seq, entry));
                offset += size as u64;
            }
            Decoded::Empty => break,
            Decoded::Torn(why) => {
                replayed.torn = Some((offset, why));
                break;
            }
        }
    }
    Ok((replayed, offset))
}

/// Writes zeros from `from` to `to` and waits for them (and the new size) to be on disk.
/// (Also the disk probe's way of preparing its file, `cli/src/bench/disk_floor.rs`: how
/// a file was filled changes what a later synced overwrite costs.)
pub fn fill_with_zeros(file: &File, from: u64, to: u64) -> std::io::Result<()> {
    let chunk = vec![0u8; 1 << 20];
    let mut at = from;
    while at < to {
        let n = chunk.len().min((to - at) as usize);
        file.write_all_at(&chunk[..n], at)?;
        at += n as u64;
    }
    file.sync_all()
}

#[cfg(test)]
mod tests;
