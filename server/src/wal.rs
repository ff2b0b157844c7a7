//! The acknowledgement log: what makes a `SUCCESS` durable in one synchronous write.
//!
//! redb holds the chain and the mempool, but a redb commit costs several synchronous
//! writes (`docs/PERFORMANCE.md`). So each batch of admitted transactions (the group
//! the sequencer answers together), and each block accepted on top of the main tip,
//! is appended to this log as one record (`wal/record.rs`) with one `pwrite` and one
//! `fdatasync`, and only then answered. The log holds only what redb does not have
//! yet; redb stays the one source of truth for everything else. (A block that replaces
//! the tip's branch, and a side block, are rarer: they go straight into redb.)
//!
//! ```text
//! acks.log   [record 1][record 2]…[record n][zeros or older records …]
//!             ▲ offset 0                     ▲ end: the next record goes here
//! ```
//!
//! - The file is written full of zeros when it is created, so an `fdatasync` never
//!   has to write file-size or block-allocation metadata as well: one write each.
//! - Record numbers (`seq`) only grow. A checkpoint (`Storage::commit` with
//!   `log_applied`) writes what the log holds into redb and records the last record
//!   number it covers in the same redb transaction; the log then starts again at
//!   offset 0 ([`AckLog::restart`]). Older records after the new ones are left in
//!   place: they have lower numbers, so reading stops there.
//! - Reading back ([`AckLog::open`]) goes from offset 0 while each record is whole
//!   and numbered one more than the last, and stops at the first torn or damaged one.
//!   That record was never acknowledged (the answer follows the `fdatasync`), so it
//!   is zeroed and dropped.

mod crc32;
pub mod record;

use record::{BLOCK, Decoded, Entry};
use simplechain_core::Block;
use std::fs::{File, OpenOptions};
use std::io::Read;
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
    /// The file's size: records never pass it.
    size: u64,
    /// Where the next record goes.
    end: u64,
    /// The number of the next record.
    next_seq: u64,
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
    /// not there) and reads back its records.
    pub fn open(data_dir: &Path, size: u64) -> std::io::Result<(AckLog, Replayed)> {
        let path = data_dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let size = size.max(BLOCK as u64).next_multiple_of(BLOCK as u64);
        let had = file.metadata()?.len();
        if had < size {
            fill_with_zeros(&file, had, size)?;
        }
        let size = size.max(had);
        let mut bytes = Vec::with_capacity(size as usize);
        file.read_to_end(&mut bytes)?;
        let (replayed, end) = read_records(&bytes);
        let last = replayed.records.last().map_or(0, |(seq, _)| *seq);
        if let Some((offset, _)) = replayed.torn {
            let zeros = vec![0u8; BLOCK];
            file.write_all_at(&zeros, offset)?;
            file.sync_data()?;
        }
        let log = AckLog {
            file: Arc::new(file),
            size,
            end: end as u64,
            next_seq: last + 1,
        };
        Ok((log, replayed))
    }

    /// The record of the admitted `txs`, numbered and placed; [`LogFull`] when it
    /// does not fit.
    pub fn append(
        &mut self,
        txs: &[(u64, simplechain_core::Transaction)],
    ) -> Result<Append, LogFull> {
        self.place(record::encode(self.next_seq, txs))
    }

    /// The record of a block on top of the main tip (given as its JSON).
    pub fn append_block(&mut self, block_json: &str) -> Result<Append, LogFull> {
        self.place(record::encode_block(self.next_seq, block_json))
    }

    fn place(&mut self, bytes: Vec<u8>) -> Result<Append, LogFull> {
        if self.end + bytes.len() as u64 > self.size {
            return Err(LogFull);
        }
        let append = Append {
            file: self.file.clone(),
            offset: self.end,
            bytes,
        };
        self.end += append.bytes.len() as u64;
        self.next_seq += 1;
        Ok(append)
    }

    /// Takes back the last [`AckLog::append`], whose write failed: the next record
    /// goes in its place, with its number.
    pub fn undo_append(&mut self, failed: &Append) {
        self.end = failed.offset;
        self.next_seq -= 1;
    }

    /// The number of the last record appended (0: none yet).
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// Whether a record was appended since the last restart.
    pub fn is_empty(&self) -> bool {
        self.end == 0
    }

    /// Starts again at offset 0, once redb holds everything up to [`AckLog::last_seq`]
    /// (numbering goes on, so older records are never read as new ones).
    pub fn restart(&mut self) {
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
    let bytes = std::fs::read(data_dir.join(LOG_FILE))?;
    Ok(read_records(&bytes).0)
}

/// The blocks of `records` after record `log_applied`, in order, for as long as each
/// carries on the chain from `tip` (the next height, on the last one's hash); and the
/// height of the first that does not, if one does not.
pub fn blocks_on(
    records: &[(u64, Entry)],
    log_applied: u64,
    tip: &Block,
) -> (Vec<Block>, Option<u64>) {
    let mut out: Vec<Block> = Vec::new();
    for (_, entry) in records.iter().filter(|(seq, _)| *seq > log_applied) {
        let Entry::Block(block) = entry else { continue };
        let last = out.last().unwrap_or(tip);
        let carries_on =
            block.header.height == last.header.height + 1 && block.header.prev_hash == last.hash;
        if !carries_on {
            return (out, Some(block.header.height));
        }
        out.push(block.clone());
    }
    (out, None)
}

/// The records from offset 0 (each whole, each numbered one more than the one before),
/// and where they end.
fn read_records(bytes: &[u8]) -> (Replayed, usize) {
    let mut replayed = Replayed::default();
    let mut offset = 0usize;
    while offset < bytes.len() {
        match record::decode(&bytes[offset..]) {
            Decoded::Record { seq, entry, size } => {
                let follows = replayed
                    .records
                    .last()
                    .is_none_or(|(last, _)| seq == last + 1);
                if !follows {
                    break; // an older record, left over from before a restart
                }
                replayed.records.push((seq, entry));
                offset += size;
            }
            Decoded::Empty => break,
            Decoded::Torn(why) => {
                replayed.torn = Some((offset as u64, why));
                break;
            }
        }
    }
    (replayed, offset)
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
