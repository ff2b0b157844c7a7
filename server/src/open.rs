//! Opening a data dir: the stored chain and mempool read back (or a new chain created,
//! with its treasury key and genesis block), the acknowledgement log's blocks put on
//! top of the chain and its transactions back into the mempool (`open/replay.rs`),
//! all of it folded into redb, and the flags checked against them.

mod replay;

use crate::TREASURY_FILE;
use crate::clock::now_ms;
use crate::config::{DEFAULT_DIFFICULTY, DEFAULT_SUPPLY, NewChain, ServerConfig};
use crate::state::ServerState;
use crate::storage::{Change, FORMAT, META_MINER, Storage, StorageError};
use crate::wal::{AckLog, LOG_FILE, Layout, OutOfStep};
use ed25519_dalek::SigningKey;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::{ChainError, ValidChain};
use simplechain_core::{Address, Block, BlockHash};
use std::path::{Path, PathBuf};

/// Why a data dir could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The database in the data dir could not be opened.
    DataDir { path: PathBuf, source: StorageError },
    /// The database could not be read.
    Read { path: PathBuf, source: StorageError },
    /// The data dir was written by a newer server, in a format this one does not know.
    NewerFormat(u64),
    /// The acknowledgement log could not be opened, created or read.
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
    /// What the acknowledgement log held could not be written into the database.
    Checkpoint(StorageError),
    /// The acknowledgement log holds a block that does not carry on the database's
    /// main chain, or names a transaction nobody holds (why, and the height of the
    /// database's tip).
    LogOutOfStep { why: OutOfStep, tip: u64 },
    /// The new chain could not be written.
    Create(StorageError),
    /// The treasury key of a new chain could not be read or written.
    Treasury(Box<dyn std::error::Error + Send + Sync>),
    /// `--faucet` without a treasury key in the data dir.
    NoTreasury(Box<dyn std::error::Error + Send + Sync>),
    /// `--difficulty` out of range.
    Difficulty(u64),
    /// The stored chain breaks a rule.
    Damaged(ChainError),
    /// Stored pending transactions that no longer apply could not be removed.
    StalePending(StorageError),
    /// The data dir has no miner address.
    NoMiner,
    /// The stored miner address is not 32 bytes.
    DamagedMiner,
    /// Flags that only apply to a new data dir contradict the stored chain (each one
    /// named, with the chain's value).
    Contradicting(Vec<String>),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::DataDir { path, .. } => {
                write!(f, "cannot open the data dir {}", path.display())
            }
            OpenError::Read { path, .. } => write!(f, "cannot read {}", path.display()),
            OpenError::NewerFormat(found) => write!(
                f,
                "the data dir is in format {found}, written by a newer simplechain; this one \
                 reads formats 1 to {FORMAT}. Run the newer simplechain, or use another --data-dir"
            ),
            OpenError::Log { path, .. } => {
                write!(f, "cannot open the data dir's log {}", path.display())
            }
            OpenError::Checkpoint(_) => {
                f.write_str("cannot write the acknowledgement log's transactions into the database")
            }
            OpenError::LogOutOfStep { why, tip } => write!(
                f,
                "{why} (the database's chain ends at height {tip}): the data dir is damaged"
            ),
            OpenError::Create(e) => e.fmt(f),
            OpenError::Treasury(e) => e.fmt(f),
            OpenError::NoTreasury(_) => f.write_str(
                "the faucet pays from the treasury key, which this data dir does not have",
            ),
            OpenError::Difficulty(d) => write!(f, "--difficulty must be 0 to 255, got {d}"),
            OpenError::Damaged(e) => write!(f, "the stored chain is damaged: {e}"),
            OpenError::StalePending(_) => f.write_str("cannot remove stale pending transactions"),
            OpenError::NoMiner => f.write_str("the data dir has no miner address"),
            OpenError::DamagedMiner => f.write_str("the stored miner address is damaged"),
            OpenError::Contradicting(wrong) => write!(
                f,
                "these flags contradict the chain already in the data dir: {}. They only apply \
                 to a new data dir; drop them, or use another --data-dir",
                wrong.join("; ")
            ),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::DataDir { source, .. }
            | OpenError::Read { source, .. }
            | OpenError::StalePending(source)
            | OpenError::Checkpoint(source) => Some(source),
            OpenError::Log { source, .. } => Some(source),
            OpenError::NoTreasury(e) => Some(e.as_ref()),
            // These show their cause as their own text.
            OpenError::Create(_) | OpenError::Treasury(_) | OpenError::Damaged(_) => None,
            OpenError::Difficulty(_)
            | OpenError::NewerFormat(_)
            | OpenError::LogOutOfStep { .. }
            | OpenError::NoMiner
            | OpenError::DamagedMiner
            | OpenError::Contradicting(_) => None,
        }
    }
}

/// What an opened data dir holds.
pub struct Opened {
    pub storage: Storage,
    pub state: ServerState,
    pub treasury: Option<SigningKey>,
    pub miner: Address,
    /// The acknowledgement log, empty: what it held is in the database now.
    pub log: AckLog,
}

/// Opens the data dir, creating a new chain there if it is empty.
pub fn open(config: &ServerConfig) -> Result<Opened, OpenError> {
    let data_dir = &config.data_dir;
    let storage = Storage::open(data_dir).map_err(|source| OpenError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let mut loaded = storage.load().map_err(|source| OpenError::Read {
        path: storage.path().to_path_buf(),
        source,
    })?;
    if loaded.format > FORMAT {
        return Err(OpenError::NewerFormat(loaded.format));
    }
    if loaded.blocks.is_empty() {
        let (genesis, miner) = create_chain(&storage, data_dir, &config.new_chain)?;
        loaded.blocks.push(genesis);
        loaded.format = FORMAT;
        tracing::info!(%miner, "created a new chain");
    }
    // Format 2 wrote the log as one run of records; formats 3 on write it in halves.
    let layout = if loaded.format >= 3 {
        Layout::Halves
    } else {
        Layout::Whole
    };
    let (mut log, replayed) =
        AckLog::open(data_dir, config.limits.ack_log_bytes, layout).map_err(|source| {
            OpenError::Log {
                path: data_dir.join(LOG_FILE),
                source,
            }
        })?;
    // Whether the log holds anything redb does not: then it is all folded in below.
    let unfolded = replayed
        .records
        .iter()
        .any(|(seq, _)| *seq > loaded.log_applied);
    log.continue_after(loaded.log_applied);
    if let Some((offset, why)) = replayed.torn {
        tracing::warn!(
            offset,
            why,
            "the acknowledgement log ends in a torn record, never acknowledged: dropped"
        );
    }
    // The main-chain blocks only the log holds go on top of redb's.
    let log_main = replay::blocks(
        &mut loaded.blocks,
        &replayed,
        loaded.log_applied,
        &loaded.mempool,
    )?;
    let miner = stored_miner(&storage)?;
    check_flags(&config.new_chain, &loaded.blocks[0], miner)?;
    let treasury = match &config.faucet {
        Some(_) => Some(
            crate::keyfile::read(&data_dir.join(TREASURY_FILE))
                .map_err(|e| OpenError::NoTreasury(e.into()))?,
        ),
        None => None,
    };
    let chain = ValidChain::from_store(loaded.blocks).map_err(OpenError::Damaged)?;
    let mut state = ServerState::new(
        chain,
        config.limits.mempool_capacity,
        config.faucet.is_some(),
    );
    // Side blocks: redb's, and those only the log holds (written at the checkpoint
    // below if they still belong in the tree).
    let log_side = replay::side_blocks(&replayed, loaded.log_applied);
    let log_side_hashes: Vec<BlockHash> = log_side.iter().map(|b| b.hash).collect();
    let stale_side = restore_side_blocks(&mut state, [loaded.side, log_side].concat());
    if !stale_side.is_empty() {
        tracing::info!(
            removed = stale_side.len(),
            "side blocks left behind by the main chain"
        );
        storage
            .commit(&crate::storage::Change {
                side_remove: stale_side,
                ..Default::default()
            })
            .map_err(OpenError::StalePending)?;
    }
    let side_add = state.side.held_of(&log_side_hashes, &[]);
    let chain_id = state.chain.chain_id;
    let from_log = replay::pending(&mut state, loaded.mempool, replayed, loaded.log_applied);
    // One checkpoint: what the log held goes into redb (with the stale entries out and
    // the format upgraded), then the log starts again from its beginning. It is written
    // whenever the log had records redb did not, even if none of them applies any
    // more, so that the log's next record is always the one after `log_applied`.
    if unfolded || !from_log.is_empty() || loaded.format < FORMAT {
        if loaded.format < FORMAT {
            tracing::info!(
                from = loaded.format,
                to = FORMAT,
                "upgrading the data dir's format"
            );
        }
        storage
            .commit(&Change {
                main_from: log_main.first().map_or(u64::MAX, |(height, _)| *height),
                main: log_main,
                mempool_remove: from_log.dropped,
                mempool_add: from_log.restored,
                side_add,
                log_applied: Some(log.last_seq()),
                format: Some(FORMAT),
                ..Change::default()
            })
            .map_err(OpenError::Checkpoint)?;
    }
    log.restart();
    tracing::info!(
        chain_id = %chain_id,
        height = state.chain.height,
        side_blocks = state.side.len(),
        mempool = state.mempool.len(),
        "chain loaded"
    );
    Ok(Opened {
        storage,
        state,
        treasury,
        miner,
        log,
    })
}

/// Puts the stored side blocks back in the tree, lowest first, each checked again on
/// its branch (every rule but signatures: only valid blocks were written). Returns the
/// hashes of those that no longer belong (out of the window, parent gone, or damaged).
fn restore_side_blocks(state: &mut ServerState, mut side: Vec<Block>) -> Vec<BlockHash> {
    side.sort_by_key(|b| b.header.height);
    let lowest = crate::tree::lowest_kept(state.chain.height);
    let mut stale = Vec::new();
    for block in side {
        let hash = block.hash;
        let kept = block.header.height >= lowest
            && state.main_height_of(&hash).is_none()
            && restore_side_block(state, block).is_some();
        if !kept {
            stale.push(hash);
        }
    }
    stale
}

fn restore_side_block(state: &mut ServerState, block: Block) -> Option<()> {
    let branch = state.branch_to(&block.header.prev_hash)?;
    let fork_height = match branch.first() {
        Some(first) => first.height(),
        None => state.main_height_of(&block.header.prev_hash)? + 1,
    };
    let mut on_branch = state.branch_state(fork_height, &branch, &block).ok()?;
    let valid = on_branch.extend_stored(block).ok()?;
    state
        .side
        .insert(std::sync::Arc::new(crate::state::StoredBlock::new(valid)));
    Some(())
}

/// Creates the treasury key and the genesis block of a new chain.
fn create_chain(
    storage: &Storage,
    data_dir: &Path,
    new: &NewChain,
) -> Result<(Block, Address), OpenError> {
    let treasury_path = data_dir.join(TREASURY_FILE);
    let treasury = if treasury_path.exists() {
        crate::keyfile::read(&treasury_path).map_err(|e| OpenError::Treasury(e.into()))?
    } else {
        let key = crate::keyfile::generate();
        crate::keyfile::write_new(&treasury_path, &key)
            .map_err(|e| OpenError::Treasury(e.into()))?;
        key
    };
    let treasury = address_of(&treasury);
    let difficulty = new
        .difficulty
        .or(new.default_difficulty)
        .unwrap_or(DEFAULT_DIFFICULTY);
    if difficulty > 255 {
        return Err(OpenError::Difficulty(difficulty));
    }
    let owner = new.genesis_address.unwrap_or(treasury);
    let supply = new.supply.unwrap_or(DEFAULT_SUPPLY);
    let miner = new.miner_address.unwrap_or(treasury);
    tracing::info!(difficulty, supply, %owner, "mining the genesis block");
    let genesis = Block::genesis(owner, supply, difficulty, now_ms());
    storage
        .initialize(&genesis, &[(META_MINER, miner.as_bytes())])
        .map_err(OpenError::Create)?;
    Ok((genesis, miner))
}

fn stored_miner(storage: &Storage) -> Result<Address, OpenError> {
    let bytes = storage
        .meta(META_MINER)
        .map_err(|source| OpenError::Read {
            path: storage.path().to_path_buf(),
            source,
        })?
        .ok_or(OpenError::NoMiner)?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| OpenError::DamagedMiner)?;
    Ok(Address::from_bytes(bytes))
}

/// Refuses flags that contradict the chain in the data dir.
fn check_flags(new: &NewChain, genesis: &Block, miner: Address) -> Result<(), OpenError> {
    let mut wrong = Vec::new();
    if let Some(d) = new.difficulty.filter(|d| *d != genesis.header.difficulty) {
        wrong.push(format!(
            "--difficulty {d} (the chain's difficulty is {})",
            genesis.header.difficulty
        ));
    }
    if let Some(a) = new.genesis_address.filter(|a| *a != genesis.header.miner) {
        wrong.push(format!(
            "--genesis-address {a} (the chain's genesis address is {})",
            genesis.header.miner
        ));
    }
    if let Some(s) = new.supply.filter(|s| *s != genesis.header.reward) {
        wrong.push(format!(
            "--supply {s} (the chain's supply is {})",
            genesis.header.reward
        ));
    }
    if let Some(m) = new.miner_address.filter(|m| *m != miner) {
        wrong.push(format!(
            "--miner-address {m} (the chain's miner address is {miner})"
        ));
    }
    if !wrong.is_empty() {
        return Err(OpenError::Contradicting(wrong));
    }
    Ok(())
}
