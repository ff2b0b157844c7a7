//! The server's state in memory: the chain (each block with its JSON, encoded once),
//! the chain state, indexes by txid and by address, and the mempool.
//!
//! One writer: [`StateCell::new`] hands out the shared cell, which only reads, and the
//! one [`StateWriter`], which the sequencer owns. Connections, the miner and the
//! commands read under a short read lock; nothing else can get a `&mut ServerState`.

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
    Address, BLOCK_REWARD, Block, BlockHash, MAX_BLOCK_TRANSACTIONS, PROTOCOL_VERSION, Transaction,
    TxId,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The most reorg-dropped transactions remembered (for `GET_TRANSACTION`).
const DROPPED_KEPT: usize = 10_000;

/// What a switch of the main chain to another branch did, so that it can be written to
/// disk and, if that fails, undone.
#[derive(Debug)]
pub struct Switch {
    /// The first height that changed.
    pub fork_height: u64,
    /// The main blocks swapped out, lowest first.
    pub replaced: Vec<Arc<StoredBlock>>,
    /// The mempool before (its entries' storage keys are removed, the new ones added).
    pub old_mempool: Mempool,
    /// Transactions of replaced blocks or of the mempool that the new chain made
    /// invalid, with the reason.
    pub dropped: Vec<(TxId, String)>,
}

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

    /// Takes the tip block off the main chain: its effects run backwards, its
    /// transactions out of the indexes.
    fn pop_block(&mut self) -> Result<Arc<StoredBlock>, String> {
        let (tip, parent) = match self.blocks.as_slice() {
            [.., parent, tip] => (tip.clone(), parent.clone()),
            _ => return Err("the genesis block cannot be undone".into()),
        };
        self.chain
            .revert(tip.valid.block(), &parent.valid.block().header)
            .map_err(|e| format!("undoing block {}: {e}", tip.height()))?;
        self.blocks.pop();
        let block = tip.valid.block();
        for (tx, txid) in block.transactions.iter().zip(tip.valid.txids()).rev() {
            self.tx_index.remove(txid);
            for address in [tx.receiver, tx.sender] {
                if let Some(at) = self.by_address.get_mut(&address) {
                    at.pop();
                    if at.is_empty() {
                        self.by_address.remove(&address);
                    }
                }
            }
        }
        self.json_bytes -= tip.json.len();
        self.by_hash.remove(&tip.valid.hash());
        Ok(tip)
    }

    /// Makes `new_blocks` (lowest first, the first one's parent at `fork_height - 1` on
    /// the main chain, each valid on top of the one before) the main chain from
    /// `fork_height` on, in place; then rebuilds the mempool on the new state: the
    /// transactions of the replaced blocks first (they are older), then the pending
    /// ones, each re-admitted in order with those before it, so a chain of dependent
    /// payments survives. Only what the new chain makes invalid is dropped. On error
    /// the state is as before.
    pub fn switch_main(
        &mut self,
        fork_height: u64,
        new_blocks: Vec<Arc<StoredBlock>>,
    ) -> Result<Switch, String> {
        let mut replaced = Vec::new();
        while self.len() > fork_height {
            match self.pop_block() {
                Ok(block) => replaced.push(block),
                Err(e) => {
                    let at = self.len();
                    self.restore_main(at, replaced.into_iter().rev().collect());
                    return Err(e);
                }
            }
        }
        replaced.reverse();
        for block in &new_blocks {
            if let Err(e) = self.chain.reapply(&block.valid) {
                let error = format!("applying block {}: {e}", block.height());
                self.restore_main(fork_height, replaced);
                return Err(error);
            }
            self.index_block(block.clone());
        }
        let mut mempool = Mempool::new(&self.chain.ledger, self.mempool.capacity());
        mempool.continue_after(&self.mempool);
        let old_mempool = std::mem::replace(&mut self.mempool, mempool);
        let orphans = replaced
            .iter()
            .flat_map(|b| b.valid.verified_transactions())
            .chain(old_mempool.entries().map(|e| e.verified));
        let mut dropped = Vec::new();
        for verified in orphans {
            let txid = verified.txid();
            if self.is_confirmed(&txid) {
                continue;
            }
            if let Err(refusal) = self.mempool.readmit(verified, &self.chain.ledger) {
                dropped.push((txid, refusal.to_string()));
            }
        }
        Ok(Switch {
            fork_height,
            replaced,
            old_mempool,
            dropped,
        })
    }

    /// Undoes a [`ServerState::switch_main`] (its disk write failed, or the mempool
    /// would pass its bound).
    pub fn undo_switch(&mut self, switch: Switch) {
        self.restore_main(switch.fork_height, switch.replaced);
        self.mempool = switch.old_mempool;
    }

    /// Puts `blocks` back as the main chain from `fork_height` (they were main a moment
    /// ago, on exactly this state).
    fn restore_main(&mut self, fork_height: u64, blocks: Vec<Arc<StoredBlock>>) {
        while self.len() > fork_height {
            if let Err(e) = self.pop_block() {
                tracing::error!(error = %e, "could not undo a failed switch");
                return;
            }
        }
        for block in blocks {
            if let Err(e) = self.chain.reapply(&block.valid) {
                tracing::error!(error = %e, "could not restore a replaced block");
                return;
            }
            self.index_block(block);
        }
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

    /// The side blocks from where the branch of `parent` leaves the main chain up to
    /// `parent`, lowest first (empty when `parent` is on the main chain), or `None`
    /// when `parent` is not in the tree.
    pub fn branch_to(&self, parent: &BlockHash) -> Option<Vec<Arc<StoredBlock>>> {
        let mut branch = Vec::new();
        let mut at = *parent;
        while !self.by_hash.contains_key(&at) {
            let block = self.side.get(&at)?;
            at = block.valid.block().header.prev_hash;
            branch.push(block.clone());
        }
        branch.reverse();
        Some(branch)
    }

    /// The state at the end of `branch` (side blocks, lowest first, leaving the main
    /// chain at `fork_height`), holding only the accounts that the replaced main
    /// blocks, the branch and `next` touch: the main chain run back to the fork, then
    /// the branch run forward. `next` is then checked on it.
    pub fn branch_state(
        &self,
        fork_height: u64,
        branch: &[Arc<StoredBlock>],
        next: &Block,
    ) -> Result<ChainState, String> {
        let start = usize::try_from(fork_height).unwrap_or(usize::MAX);
        let replaced = self.blocks.get(start..).unwrap_or_default();
        let blocks = replaced
            .iter()
            .chain(branch)
            .map(|b| b.valid.block())
            .chain([next]);
        let addresses: HashSet<Address> = blocks.flat_map(touched).collect();
        let main = &self.chain;
        let mut state = ChainState {
            chain_id: main.chain_id,
            difficulty: main.difficulty,
            initial_supply: main.initial_supply,
            ledger: main.ledger.subset(addresses),
            height: main.height,
            tip: main.tip,
            tip_timestamp: main.tip_timestamp,
        };
        for (i, block) in replaced.iter().enumerate().rev() {
            let parent = &self.blocks[start + i - 1];
            state
                .revert(block.valid.block(), &parent.valid.block().header)
                .map_err(|e| format!("undoing block {}: {e}", block.height()))?;
        }
        for block in branch {
            state
                .reapply(&block.valid)
                .map_err(|e| format!("replaying side block {}: {e}", block.height()))?;
        }
        Ok(state)
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

/// The addresses a block touches: senders, receivers and its miner.
fn touched(block: &Block) -> impl Iterator<Item = Address> + '_ {
    block
        .transactions
        .iter()
        .flat_map(|tx: &Transaction| [tx.sender, tx.receiver])
        .chain([block.header.miner])
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
