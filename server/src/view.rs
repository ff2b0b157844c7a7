//! The server's in-memory picture of the chain: blocks (with their JSON, encoded once),
//! the chain state, indexes by txid and by address, and the mempool. Only the
//! sequencer changes it; connections read it under a short read lock.

use crate::mempool::Mempool;
use simplechain_core::protocol::{AccountInfo, History, Info, TxInfo, TxStatus};
use simplechain_core::validate::{ChainError, ChainState, SignatureMode, ValidateOptions};
use simplechain_core::{Address, BLOCK_REWARD, Block, PROTOCOL_VERSION, TxId};
use std::collections::HashMap;
use std::sync::Arc;

/// A block of our chain, with what we derived from it once.
#[derive(Debug)]
pub struct StoredBlock {
    pub block: Block,
    /// The block's JSON, as `GET_BLOCKCHAIN` and `GET_BLOCKS` send it.
    pub json: String,
    pub txids: Vec<TxId>,
}

/// Where a confirmed transaction is: (height, index in block).
type Location = (u64, u32);

/// The chain as the server sees it.
#[derive(Debug)]
pub struct ChainView {
    pub state: ChainState,
    pub blocks: Vec<Arc<StoredBlock>>,
    tx_index: HashMap<TxId, Location>,
    /// Total length of the blocks' JSON: what `GET_BLOCKCHAIN` sends.
    json_bytes: usize,
    by_address: HashMap<Address, Vec<Location>>,
    pub mempool: Mempool,
    /// Whether `FAUCET` is enabled, for `GET_INFO`.
    pub faucet: bool,
}

impl ChainView {
    /// Builds the view from a chain, checking every rule except signatures (the blocks
    /// come from our own database, where only checked blocks are written; the full
    /// check is `VALIDATE_BLOCKCHAIN`).
    pub fn build(
        blocks: Vec<Block>,
        mempool_capacity: usize,
        faucet: bool,
    ) -> Result<ChainView, ChainError> {
        let opts = ValidateOptions {
            signatures: SignatureMode::Trust,
            now_ms: None,
        };
        let mut iter = blocks.into_iter();
        let genesis = iter.next().ok_or(ChainError {
            height: 0,
            rule: simplechain_core::validate::Rule::EmptyChain,
        })?;
        let state = ChainState::genesis(&genesis, &opts)?;
        let mempool = Mempool::new(&state.ledger, mempool_capacity);
        let mut view = ChainView {
            state,
            blocks: Vec::new(),
            tx_index: HashMap::new(),
            json_bytes: 0,
            by_address: HashMap::new(),
            mempool,
            faucet,
        };
        view.index_block(genesis, Vec::new());
        for block in iter {
            let txids = view.state.apply_block(&block, &opts)?;
            view.index_block(block, txids);
        }
        view.state.check_supply()?;
        let confirmed = view.state.ledger.clone();
        view.mempool.rebuild(&confirmed);
        Ok(view)
    }

    fn index_block(&mut self, block: Block, txids: Vec<TxId>) {
        let height = block.height;
        for (i, (tx, txid)) in block.transactions.iter().zip(&txids).enumerate() {
            let at = (height, i as u32);
            self.tx_index.insert(*txid, at);
            self.by_address.entry(tx.sender).or_default().push(at);
            self.by_address.entry(tx.receiver).or_default().push(at);
        }
        let json = serde_json::to_string(&block).unwrap_or_default();
        self.json_bytes += json.len();
        self.blocks
            .push(Arc::new(StoredBlock { block, json, txids }));
    }

    /// Appends a block already checked against `next` (the state after it) and
    /// removes its transactions from the mempool.
    pub fn push_block(&mut self, block: Block, next: ChainState, txids: Vec<TxId>) {
        self.state = next;
        self.mempool
            .remove_mined(&txids, (block.miner, block.reward), &self.state.ledger);
        self.index_block(block, txids);
    }

    /// Confirmed transactions and the chain's JSON size, for pricing heavy requests.
    pub fn size(&self) -> (u64, usize) {
        (self.tx_index.len() as u64, self.json_bytes)
    }

    /// The tip block.
    pub fn tip(&self) -> &Arc<StoredBlock> {
        self.blocks.last().expect("a chain always has its genesis")
    }

    /// The block hashes from genesis, for fork choice.
    pub fn hashes(&self) -> Vec<simplechain_core::BlockHash> {
        self.blocks.iter().map(|b| b.block.hash).collect()
    }

    /// `GET_INFO`.
    pub fn info(&self) -> Info {
        Info {
            protocol: PROTOCOL_VERSION,
            chain_id: self.state.chain_id,
            height: self.state.height,
            tip: self.state.tip,
            difficulty: self.state.difficulty,
            block_reward: BLOCK_REWARD,
            mempool: self.mempool.len() as u64,
            faucet: Some(self.faucet),
        }
    }

    /// `GET_ACCOUNT`.
    pub fn account(&self, address: Address) -> AccountInfo {
        let confirmed = self.state.ledger.account(&address);
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
        let stored = &self.blocks[height as usize];
        TxInfo {
            txid: stored.txids[index as usize],
            status: TxStatus::Confirmed,
            height: Some(height),
            transaction: stored.block.transactions[index as usize],
        }
    }

    /// `GET_TRANSACTION`.
    pub fn transaction(&self, txid: &TxId) -> Option<TxInfo> {
        if let Some(at) = self.tx_index.get(txid) {
            return Some(self.confirmed_info(*at));
        }
        self.mempool
            .entries()
            .find(|e| e.txid == *txid)
            .map(|e| TxInfo {
                txid: e.txid,
                status: TxStatus::Pending,
                height: None,
                transaction: e.tx,
            })
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
            .map(|e| TxInfo {
                txid: e.txid,
                status: TxStatus::Pending,
                height: None,
                transaction: e.tx,
            })
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
