//! The server's state in memory: the chain (each block with its JSON, encoded once),
//! the chain state, indexes by txid and by address, and the mempool.
//!
//! One writer: [`StateCell::new`] hands out the shared cell, which only reads, and the
//! one [`StateWriter`], which the sequencer owns. Connections, the miner and the
//! commands read under a short read lock; nothing else can get a `&mut ServerState`.
//!
//! `state/branches.rs` holds what the block tree needs from the main chain: a branch's
//! state, and switching the main chain to another branch.

mod branches;

use crate::mempool::Mempool;
pub use crate::stored::StoredBlock;
use crate::tree::SideBlocks;
use simplechain_core::merkle::MerkleProof;
use simplechain_core::protocol::{
    AccountInfo, History, Info, Proof, Tree, TreeEntry, TxInfo, TxStatus,
};
use simplechain_core::template::BlockTemplate;
use simplechain_core::validate::{ChainState, StaleEffects, ValidChain};
use simplechain_core::{
    Address, BLOCK_REWARD, BlockHash, MAX_BLOCK_TRANSACTIONS, PROTOCOL_VERSION, TxId,
};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The most reorg-dropped transactions remembered (for `GET_TRANSACTION`).
const DROPPED_KEPT: usize = 10_000;

/// Where a confirmed transaction is: (height, index in block).
type Location = (u64, u32);

/// The chain and the mempool as the server sees them.
#[derive(Debug)]
pub struct ServerState {
    pub chain: ChainState,
    blocks: Vec<Arc<StoredBlock>>,
    tx_index: HashMap<TxId, Location>,
    /// Total length of the blocks' JSON: what `GET_BLOCKCHAIN` sends.
    json_bytes: usize,
    by_address: HashMap<Address, Vec<Location>>,
    /// Main-chain heights by block hash.
    by_hash: HashMap<BlockHash, u64>,
    /// The side branches of the block tree.
    pub side: SideBlocks,
    /// Transactions a reorg made invalid, newest last (bounded).
    dropped: VecDeque<(TxId, String)>,
    pub mempool: Mempool,
    /// Whether `FAUCET` is enabled, for `GET_INFO`.
    pub faucet: bool,
}

/// The shared, read-only side of the state.
#[derive(Debug)]
pub struct StateCell {
    state: RwLock<ServerState>,
}

/// The one handle that can change the state; the sequencer owns it.
#[derive(Debug)]
pub struct StateWriter {
    cell: Arc<StateCell>,
}

impl StateCell {
    /// The shared cell and its one writer.
    pub fn new(state: ServerState) -> (Arc<StateCell>, StateWriter) {
        let cell = Arc::new(StateCell {
            state: RwLock::new(state),
        });
        (cell.clone(), StateWriter { cell })
    }

    /// Reads the state (keep the guard short: the writer waits for it).
    pub fn read(&self) -> RwLockReadGuard<'_, ServerState> {
        self.state.read().expect("state lock")
    }
}

impl StateWriter {
    /// Reads the state.
    pub fn read(&self) -> RwLockReadGuard<'_, ServerState> {
        self.cell.read()
    }

    /// Changes the state.
    pub fn write(&mut self) -> RwLockWriteGuard<'_, ServerState> {
        self.cell.state.write().expect("state lock")
    }
}

impl ServerState {
    /// The state of a valid chain (read back from our store, or validated in full),
    /// with an empty mempool.
    pub fn new(chain: ValidChain, mempool_capacity: usize, faucet: bool) -> ServerState {
        let (state, blocks) = chain.into_parts();
        let mempool = Mempool::new(&state.ledger, mempool_capacity);
        let mut this = ServerState {
            chain: state,
            blocks: Vec::with_capacity(blocks.len()),
            tx_index: HashMap::new(),
            json_bytes: 0,
            by_address: HashMap::new(),
            by_hash: HashMap::new(),
            side: SideBlocks::default(),
            dropped: VecDeque::new(),
            mempool,
            faucet,
        };
        for valid in blocks {
            this.index_block(Arc::new(StoredBlock::new(valid)));
        }
        this
    }

    fn index_block(&mut self, stored: Arc<StoredBlock>) {
        let height = stored.height();
        let block = stored.valid.block();
        for (i, (tx, txid)) in block
            .transactions
            .iter()
            .zip(stored.valid.txids())
            .enumerate()
        {
            let at = (height, i as u32);
            self.tx_index.insert(*txid, at);
            self.by_address.entry(tx.sender).or_default().push(at);
            self.by_address.entry(tx.receiver).or_default().push(at);
        }
        self.json_bytes += stored.json.len();
        self.by_hash.insert(stored.valid.hash(), height);
        self.blocks.push(stored);
    }

    /// Remembers transactions a reorg made invalid, for `GET_TRANSACTION`.
    pub fn remember_dropped(&mut self, dropped: &[(TxId, String)]) {
        for item in dropped {
            if self.dropped.len() == DROPPED_KEPT {
                self.dropped.pop_front();
            }
            self.dropped.push_back(item.clone());
        }
    }

    /// Why a transaction was dropped by a reorg, if it was (and is not back).
    pub fn dropped_reason(&self, txid: &TxId) -> Option<&str> {
        self.dropped
            .iter()
            .rev()
            .find(|(t, _)| t == txid)
            .map(|(_, why)| why.as_str())
    }

    /// The main-chain block at `height`.
    pub fn main_block(&self, height: u64) -> Option<&Arc<StoredBlock>> {
        self.blocks.get(usize::try_from(height).ok()?)
    }

    /// The height of a main-chain block.
    pub fn main_height_of(&self, hash: &BlockHash) -> Option<u64> {
        self.by_hash.get(hash).copied()
    }

    /// Any block of the tree, and whether it is on the main chain.
    pub fn find_block(&self, hash: &BlockHash) -> Option<(&Arc<StoredBlock>, bool)> {
        if let Some(height) = self.main_height_of(hash) {
            return self.main_block(height).map(|b| (b, true));
        }
        self.side.get(hash).map(|b| (b, false))
    }

    /// The next block for a miner (`GET_TEMPLATE`, and our own miner): on top of the
    /// tip, with the oldest pending transactions, at most 4096 (the mempool's entries
    /// are valid in order on top of the tip, so any prefix is).
    pub fn template(&self, miner: Address, now_ms: u64) -> BlockTemplate {
        let transactions = self
            .mempool
            .entries()
            .take(MAX_BLOCK_TRANSACTIONS)
            .map(|e| e.verified)
            .collect();
        BlockTemplate::new(&self.chain, miner, BLOCK_REWARD, now_ms, transactions)
    }

    /// `GET_TREE`: main and side blocks from `from` on, lowest first, at most `max`.
    pub fn tree(&self, from: u64, max: usize) -> Tree {
        let mut blocks: Vec<TreeEntry> = self
            .blocks_from(from)
            .iter()
            .map(|b| b.tree_entry(true))
            .chain(self.side.at_or_above(from).map(|b| b.tree_entry(false)))
            .collect();
        blocks.sort_by_key(|e| (e.height, !e.main));
        blocks.truncate(max);
        Tree {
            tip: self.chain.tip,
            blocks,
        }
    }

    /// `GET_PROOF`: the Merkle proof of a transaction confirmed on the main chain.
    pub fn proof(&self, txid: &TxId) -> Option<Proof> {
        let (height, index) = *self.tx_index.get(txid)?;
        let stored = self.main_block(height)?;
        let merkle = MerkleProof::build(stored.valid.txids(), index as usize)?;
        let block = stored.valid.block();
        Some(Proof {
            txid: *txid,
            height,
            block_hash: block.hash,
            tx_root: block.header.tx_root,
            index: merkle.index,
            path: merkle.path,
        })
    }

    /// Appends the next block, checked against the chain state (`effects`), and
    /// removes its transactions from the mempool. Returns the pending entries it made
    /// invalid (a conflicting payment in a block someone else mined).
    pub fn push_block(
        &mut self,
        block: simplechain_core::Block,
        effects: simplechain_core::validate::Effects,
        json: Arc<str>,
    ) -> Result<Vec<crate::mempool::Entry>, StaleEffects> {
        let valid = self.chain.apply(block, effects)?;
        let header = valid.block().header;
        let dropped = self.mempool.remove_mined(
            valid.txids(),
            (header.miner, header.reward),
            &self.chain.ledger,
        );
        self.index_block(Arc::new(StoredBlock { valid, json }));
        Ok(dropped)
    }

    /// The blocks from `height` on (for a reorg: the ones being replaced).
    pub fn blocks_from(&self, height: u64) -> &[Arc<StoredBlock>] {
        let start = usize::try_from(height)
            .unwrap_or(usize::MAX)
            .min(self.blocks.len());
        &self.blocks[start..]
    }

    /// The number of blocks, genesis included.
    pub fn len(&self) -> u64 {
        self.blocks.len() as u64
    }

    /// Confirmed transactions and the chain's JSON size, for pricing heavy requests.
    pub fn size(&self) -> (u64, usize) {
        (self.tx_index.len() as u64, self.json_bytes)
    }

    /// The block hashes from genesis, for fork choice.
    pub fn hashes(&self) -> Vec<simplechain_core::BlockHash> {
        self.blocks.iter().map(|b| b.valid.hash()).collect()
    }

    /// `GET_INFO`.
    pub fn info(&self) -> Info {
        Info {
            protocol: PROTOCOL_VERSION,
            chain_id: self.chain.chain_id,
            height: self.chain.height,
            tip: self.chain.tip,
            difficulty: self.chain.difficulty,
            block_reward: BLOCK_REWARD,
            mempool: self.mempool.len() as u64,
            faucet: Some(self.faucet),
            idle_timeout_secs: None,
        }
    }

    /// `GET_ACCOUNT`.
    pub fn account(&self, address: Address) -> AccountInfo {
        let confirmed = self.chain.ledger.account(&address);
        let pending = self.mempool.pending().account(&address);
        AccountInfo {
            address,
            balance: confirmed.balance,
            nonce: confirmed.nonce,
            pending_balance: pending.balance,
            pending_nonce: pending.nonce,
        }
    }

    fn confirmed_info(&self, (height, index): Location) -> TxInfo {
        let stored = &self.blocks[height as usize].valid;
        TxInfo {
            txid: stored.txids()[index as usize],
            status: TxStatus::Confirmed,
            height: Some(height),
            transaction: stored.block().transactions[index as usize],
        }
    }

    /// `GET_TRANSACTION`.
    pub fn transaction(&self, txid: &TxId) -> Option<TxInfo> {
        if let Some(at) = self.tx_index.get(txid) {
            return Some(self.confirmed_info(*at));
        }
        self.mempool
            .entries()
            .find(|e| e.txid() == *txid)
            .map(crate::mempool::Entry::info)
    }

    /// Whether `txid` is confirmed.
    pub fn is_confirmed(&self, txid: &TxId) -> bool {
        self.tx_index.contains_key(txid)
    }

    /// `GET_HISTORY`: newest first, pending before confirmed.
    pub fn history(&self, address: Address, offset: u64, limit: u64) -> History {
        let pending: Vec<TxInfo> = self
            .mempool
            .involving(&address)
            .map(crate::mempool::Entry::info)
            .collect();
        let confirmed = self
            .by_address
            .get(&address)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let total = (pending.len() + confirmed.len()) as u64;
        let items = pending
            .into_iter()
            .chain(confirmed.iter().rev().map(|at| self.confirmed_info(*at)))
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit as usize)
            .collect();
        History {
            address,
            total,
            items,
        }
    }

    /// Up to `limit` blocks from height `from` on (cheap: shared pointers).
    pub fn block_range(&self, from: u64, limit: u64) -> Vec<Arc<StoredBlock>> {
        let start = usize::try_from(from)
            .unwrap_or(usize::MAX)
            .min(self.blocks.len());
        let count = usize::try_from(limit).unwrap_or(usize::MAX);
        self.blocks[start..].iter().take(count).cloned().collect()
    }
}

/// `{"blocks":[…]}` of these blocks, stopping before the text would pass `max_bytes`
/// (always at least one block).
pub fn blocks_json(blocks: &[Arc<StoredBlock>], max_bytes: usize) -> String {
    let total: usize = blocks.iter().map(|b| b.json.len() + 1).sum();
    let mut out = String::with_capacity(total.min(max_bytes) + 16);
    out.push_str("{\"blocks\":[");
    for (i, stored) in blocks.iter().enumerate() {
        if i > 0 {
            if out.len() + stored.json.len() + 3 > max_bytes {
                break;
            }
            out.push(',');
        }
        out.push_str(&stored.json);
    }
    out.push_str("]}");
    out
}
