//! The chain and the mempool on disk, in redb (an embedded ACID database).
//!
//! Tables:
//!
//! ```text
//! blocks   u64 height -> block JSON            (the main chain)
//! side     [u8; 32]   -> block JSON            (side branches, by block hash)
//! mempool  u64 seq    -> transaction JSON      (seq = admission order)
//! meta     str        -> bytes                 (settings fixed at creation, the
//!                                              format, the last log record folded in)
//! ```
//!
//! Every write is one redb transaction with immediate durability (fsync before
//! `commit` returns), so a change lands whole or not at all. Admitted transactions and
//! blocks on top of the main tip are made durable first by the acknowledgement log
//! (`wal.rs`), and reach the `mempool` and `blocks` tables at a checkpoint: a
//! [`Change`] with `log_applied`, which says in the same transaction how much of the
//! log redb now holds.

mod change;
mod error;

pub use change::Change;
use error::Context;
pub use error::StorageError;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use simplechain_core::{Block, Transaction};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
const SIDE: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("side");
const MEMPOOL: TableDefinition<u64, &[u8]> = TableDefinition::new("mempool");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// The `meta` key holding the miner address chosen when the chain was created.
pub const META_MINER: &str = "miner_address";

/// The `meta` key holding the data dir's format ([`FORMAT`]; absent: format 1).
pub const META_FORMAT: &str = "format";

/// The `meta` key holding the number of the last acknowledgement-log record whose
/// transactions redb holds (`u64`, little-endian; absent: 0).
pub const META_LOG_APPLIED: &str = "log_applied";

/// The data dir's format. 1: everything in redb, each admitted batch committed there.
/// 2: admitted batches in the acknowledgement log first (`acks.log`), checkpointed
/// into redb. 3: blocks on top of the main tip in the log too, whole. 4: those blocks
/// name their transactions by mempool sequence number. 5: side blocks in the log too
/// (the records of formats 2 to 4 are still read). An older data dir is upgraded in
/// place at open; a server that knows only an older format refuses a newer one (it
/// would not read its records).
pub const FORMAT: u64 = 5;

/// The file inside the data dir.
pub const DB_FILE: &str = "chain.redb";

/// What is on disk when the server starts.
#[derive(Debug, Default)]
pub struct Loaded {
    pub blocks: Vec<Block>,
    /// Side-branch blocks, in no particular order.
    pub side: Vec<Block>,
    /// Mempool transactions in admission order, with their sequence numbers.
    pub mempool: Vec<(u64, Transaction)>,
    /// The data dir's format (1 when none is stored).
    pub format: u64,
    /// The last acknowledgement-log record redb holds (0: none).
    pub log_applied: u64,
}

/// The database.
///
/// After an I/O error (a full disk, a read-only file system) redb refuses every later
/// read and write until the database is opened again, so a failed write closes and
/// reopens it at once: reads go on, and writes succeed again once the disk has room.
#[derive(Debug)]
pub struct Storage {
    db: RwLock<Option<Database>>,
    path: PathBuf,
}

impl Storage {
    /// Opens (or creates) the database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Storage, StorageError> {
        std::fs::create_dir_all(data_dir).doing("creating the data directory")?;
        let path = data_dir.join(DB_FILE);
        let db = Database::create(&path).doing("opening the database")?;
        let txn = db.begin_write().doing("starting a write")?;
        {
            txn.open_table(BLOCKS).doing("creating the blocks table")?;
            txn.open_table(SIDE).doing("creating the side table")?;
            txn.open_table(MEMPOOL)
                .doing("creating the mempool table")?;
            txn.open_table(META).doing("creating the meta table")?;
        }
        txn.commit().doing("committing the tables")?;
        Ok(Storage {
            db: RwLock::new(Some(db)),
            path,
        })
    }

    /// Runs `f` on the open database (reopening it first if an earlier reopen failed).
    fn with_db<T>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let guard = self.db.read().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = guard.as_ref() {
            return f(db);
        }
        drop(guard);
        self.reopen_now()?;
        let guard = self.db.read().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(db) => f(db),
            None => Err(StorageError::new("opening the database", "it is closed")),
        }
    }

    /// Closes the database (and its file lock), then opens it again.
    fn reopen_now(&self) -> Result<(), StorageError> {
        let mut guard = self.db.write().unwrap_or_else(|e| e.into_inner());
        *guard = None;
        *guard = Some(
            Database::create(&self.path).doing("reopening the database after a failed write")?,
        );
        tracing::info!(path = %self.path.display(), "reopened the database after a failed write");
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every block and mempool transaction, and the settings, in one read
    /// (at open, and for `VALIDATE_BLOCKCHAIN`, which re-checks what is stored).
    pub fn load(&self) -> Result<Loaded, StorageError> {
        self.with_db(Self::load_from)
    }

    fn load_from(db: &Database) -> Result<Loaded, StorageError> {
        let txn = db.begin_read().doing("starting a read")?;
        let blocks = txn.open_table(BLOCKS).doing("opening blocks")?;
        let mut loaded = Loaded::default();
        for (i, entry) in blocks.iter().doing("reading blocks")?.enumerate() {
            let (height, bytes) = entry.doing("reading a block")?;
            if height.value() != i as u64 {
                return Err(StorageError::new(
                    "reading blocks",
                    format!("block {i} is missing"),
                ));
            }
            let block: Block =
                serde_json::from_slice(bytes.value()).doing("decoding a stored block")?;
            loaded.blocks.push(block);
        }
        let side = txn.open_table(SIDE).doing("opening side")?;
        for entry in side.iter().doing("reading side blocks")? {
            let (_, bytes) = entry.doing("reading a side block")?;
            let block: Block =
                serde_json::from_slice(bytes.value()).doing("decoding a stored side block")?;
            loaded.side.push(block);
        }
        let mempool = txn.open_table(MEMPOOL).doing("opening mempool")?;
        for entry in mempool.iter().doing("reading the mempool")? {
            let (seq, bytes) = entry.doing("reading a mempool transaction")?;
            let tx: Transaction =
                serde_json::from_slice(bytes.value()).doing("decoding a mempool transaction")?;
            loaded.mempool.push((seq.value(), tx));
        }
        let meta = txn.open_table(META).doing("opening meta")?;
        loaded.format = meta_number(&meta, META_FORMAT)?.unwrap_or(1);
        loaded.log_applied = meta_number(&meta, META_LOG_APPLIED)?.unwrap_or(0);
        Ok(loaded)
    }

    /// A setting stored at creation.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.with_db(|db| {
            let txn = db.begin_read().doing("starting a read")?;
            let table = txn.open_table(META).doing("opening meta")?;
            let value = table.get(key).doing("reading meta")?;
            Ok(value.map(|v| v.value().to_vec()))
        })
    }

    /// Writes the genesis block and the settings of a new chain, in one transaction.
    pub fn initialize(&self, genesis: &Block, meta: &[(&str, &[u8])]) -> Result<(), StorageError> {
        let genesis = serde_json::to_vec(genesis).doing("encoding the genesis block")?;
        self.with_db(|db| {
            let txn = db.begin_write().doing("starting a write")?;
            {
                let mut blocks = txn.open_table(BLOCKS).doing("opening blocks")?;
                blocks
                    .insert(0, genesis.as_slice())
                    .doing("writing the genesis block")?;
                let mut table = txn.open_table(META).doing("opening meta")?;
                for (key, value) in meta {
                    table.insert(*key, *value).doing("writing meta")?;
                }
                table
                    .insert(META_FORMAT, FORMAT.to_le_bytes().as_slice())
                    .doing("writing the format")?;
            }
            txn.commit().doing("committing the new chain")
        })
    }

    /// Adds admitted transactions to the mempool, durably.
    pub fn add_to_mempool(&self, txs: &[(u64, Transaction)]) -> Result<(), StorageError> {
        self.write(|w| {
            for (seq, tx) in txs {
                w.mempool
                    .insert(*seq, json(tx).as_slice())
                    .doing("writing a mempool transaction")?;
            }
            Ok(())
        })
    }

    /// Replaces the blocks from `from_height` on with `blocks` (appending when
    /// `from_height` is the current length), removes the mempool entries `remove` and
    /// adds `add`, all in one durable transaction.
    pub fn commit_blocks(
        &self,
        from_height: u64,
        blocks: &[(u64, &str)],
        remove: &[u64],
        add: &[(u64, Transaction)],
    ) -> Result<(), StorageError> {
        self.commit(&Change {
            main_from: from_height,
            main: blocks.iter().map(|(h, j)| (*h, Arc::from(*j))).collect(),
            mempool_remove: remove.to_vec(),
            mempool_add: add.to_vec(),
            ..Change::default()
        })
    }

    /// Writes one change of the block tree and the mempool in one durable transaction.
    /// Blocks are written as the JSON they were encoded to once, for the wire too.
    pub fn commit(&self, change: &Change) -> Result<(), StorageError> {
        self.write(|w| {
            let stale: Vec<u64> = w
                .blocks
                .range(change.main_from..)
                .doing("reading blocks")?
                .map(|e| e.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()
                .doing("reading blocks")?;
            for height in stale {
                w.blocks.remove(height).doing("removing a replaced block")?;
            }
            for (height, json) in &change.main {
                w.blocks
                    .insert(*height, json.as_bytes())
                    .doing("writing a block")?;
            }
            for hash in &change.side_remove {
                w.side
                    .remove(hash.as_bytes())
                    .doing("removing a side block")?;
            }
            for (hash, json) in &change.side_add {
                w.side
                    .insert(hash.as_bytes(), json.as_bytes())
                    .doing("writing a side block")?;
            }
            for seq in &change.mempool_remove {
                w.mempool
                    .remove(*seq)
                    .doing("removing a mined transaction")?;
            }
            for (seq, tx) in &change.mempool_add {
                w.mempool
                    .insert(*seq, json(tx).as_slice())
                    .doing("writing a mempool transaction")?;
            }
            if let Some(seq) = change.log_applied {
                w.meta
                    .insert(META_LOG_APPLIED, seq.to_le_bytes().as_slice())
                    .doing("writing how much of the log is folded in")?;
            }
            if let Some(format) = change.format {
                w.meta
                    .insert(META_FORMAT, format.to_le_bytes().as_slice())
                    .doing("writing the format")?;
            }
            Ok(())
        })
    }

    fn write(
        &self,
        f: impl FnOnce(&mut Tables<'_>) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let written = self.with_db(|db| {
            let txn = db.begin_write().doing("starting a write")?;
            {
                let mut tables = Tables {
                    blocks: txn.open_table(BLOCKS).doing("opening blocks")?,
                    side: txn.open_table(SIDE).doing("opening side")?,
                    mempool: txn.open_table(MEMPOOL).doing("opening mempool")?,
                    meta: txn.open_table(META).doing("opening meta")?,
                };
                f(&mut tables)?;
            }
            txn.commit().doing("committing to disk")
        });
        if written.is_err() {
            // Nothing of this write is on disk (redb is atomic). If reopening fails too,
            // the next use tries again.
            if let Err(e) = self.reopen_now() {
                tracing::warn!(error = %e, "the database stays closed for now");
            }
        }
        written
    }
}

struct Tables<'t> {
    blocks: redb::Table<'t, u64, &'static [u8]>,
    side: redb::Table<'t, &'static [u8; 32], &'static [u8]>,
    mempool: redb::Table<'t, u64, &'static [u8]>,
    meta: redb::Table<'t, &'static str, &'static [u8]>,
}

/// A number stored in `meta` (8 bytes, little-endian).
fn meta_number(
    meta: &redb::ReadOnlyTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<u64>, StorageError> {
    let Some(value) = meta.get(key).doing("reading meta")? else {
        return Ok(None);
    };
    let bytes: [u8; 8] = value
        .value()
        .try_into()
        .map_err(|_| StorageError::new("reading meta", format!("{key} is not 8 bytes")))?;
    Ok(Some(u64::from_le_bytes(bytes)))
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use simplechain_core::Address;

    #[test]
    fn blocks_and_mempool_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let genesis = Block::genesis(Address::from_bytes([1; 32]), 100, 0, 1);
        {
            let s = Storage::open(dir.path()).unwrap();
            let json = serde_json::to_string(&genesis).unwrap();
            s.commit_blocks(0, &[(0, &json)], &[], &[]).unwrap();
        }
        let s = Storage::open(dir.path()).unwrap();
        let loaded = s.load().unwrap();
        assert_eq!(loaded.blocks, vec![genesis]);
        assert!(loaded.mempool.is_empty());
    }
}
