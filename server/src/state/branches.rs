//! The main chain seen from the block tree (PROTOCOL §9): the state at the end of any
//! branch, and switching the main chain to another branch in place.
//!
//! ```text
//! branch_state:  main tip ──revert──▶ fork ──reapply side blocks──▶ the branch's end
//!                (only the accounts these blocks touch: nothing is copied whole)
//! switch_main:   pop main blocks down to the fork, push the branch, then rebuild the
//!                mempool on the new chain: replaced blocks' transactions first, then
//!                the pending ones, each with those before it
//! ```

use super::{ServerState, StoredBlock};
use crate::mempool::Mempool;
use simplechain_core::validate::ChainState;
use simplechain_core::{Address, Block, BlockHash, Transaction, TxId};
use std::collections::HashSet;
use std::sync::Arc;

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

impl ServerState {
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
}

/// The addresses a block touches: senders, receivers and its miner.
fn touched(block: &Block) -> impl Iterator<Item = Address> + '_ {
    block
        .transactions
        .iter()
        .flat_map(|tx: &Transaction| [tx.sender, tx.receiver])
        .chain([block.header.miner])
}
