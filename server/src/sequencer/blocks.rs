//! The sequencer's block work (PROTOCOL §9): a block from anyone, or from our own
//! miner, placed in the tree (the switch of the main chain to a heavier branch is in
//! `sequencer/switch.rs`). See the map in `sequencer.rs`.

use super::block_reply::BlockReply;
use super::{Record, Sequencer};
use crate::clock::now_ms;
use crate::state::{ServerState, StoredBlock};
use crate::tree::lowest_kept;
use crate::wal::record::{LoggedBlock, TxRef};
use crate::wire_error::{internal, invalid_block, not_saved};
use simplechain_core::fork::overtakes;
use simplechain_core::protocol::{BlockStatus, ErrorCode, Event, ProtocolError, Submitted};
use simplechain_core::validate::{Effects, PreverifiedBlock, ValidBlock};
use simplechain_core::{BlockHash, MAX_REORG_DEPTH, TxId};
use std::collections::HashSet;
use std::sync::Arc;

impl Sequencer {
    /// Places a block in the tree (see the module comment) and answers once it is
    /// durable.
    pub(super) async fn submit(
        &mut self,
        block: PreverifiedBlock,
        json: Arc<str>,
        reply: BlockReply,
    ) {
        let (hash, height) = (block.block().hash, block.block().header.height);
        let answer = |status, replaced| Submitted {
            hash,
            height,
            status,
            replaced,
        };
        let outcome = match self.place(block) {
            Err(e) => Err(e),
            Ok(Placed::Known) => Ok(answer(BlockStatus::Known, 0)),
            Ok(Placed::Tip { block, effects }) => self
                .extend_tip(block, json, effects)
                .await
                .map(|()| answer(BlockStatus::Tip, 0)),
            Ok(Placed::Branch {
                fork_height,
                branch,
                valid,
            }) => self
                .branch(fork_height, branch, StoredBlock { valid, json })
                .await
                .map(|(status, replaced)| answer(status, replaced)),
        };
        reply.send(height, outcome);
    }

    /// A valid block on another branch: kept as a side block, or made main if its
    /// branch now has more work. Returns its status and how many blocks it replaced.
    async fn branch(
        &mut self,
        fork_height: u64,
        mut branch: Vec<Arc<StoredBlock>>,
        stored: StoredBlock,
    ) -> Result<(BlockStatus, u64), ProtocolError> {
        let height = stored.height();
        let stored = Arc::new(stored);
        let (tip_height, difficulty) = {
            let state = self.state.read();
            (state.chain.height, state.chain.difficulty)
        };
        if !overtakes(height, tip_height, difficulty) {
            self.keep_side(stored).await?;
            return Ok((BlockStatus::Side, 0));
        }
        branch.push(stored);
        match self.switch_to(fork_height, branch).await {
            Ok(replaced) => Ok((BlockStatus::Tip, replaced)),
            // The mempool cannot take the replaced blocks' transactions: the
            // branch stays a side branch for now, and loses nothing.
            Err(e) if e.code == ErrorCode::MempoolFull => {
                tracing::warn!(height, error = %e, "not switching to a heavier branch");
                Ok((BlockStatus::Side, 0))
            }
            Err(e) => Err(e),
        }
    }

    /// Where a block goes, checked against the state of its own branch. Changes nothing.
    fn place(&self, block: PreverifiedBlock) -> Result<Placed, ProtocolError> {
        let state = self.state.read();
        let header = block.block().header;
        if state.find_block(&block.block().hash).is_some() {
            return Ok(Placed::Known);
        }
        let now = Some(now_ms());
        if header.prev_hash == state.chain.tip {
            let effects = state
                .chain
                .check_preverified(&block, now)
                .map_err(invalid_block)?;
            return Ok(Placed::Tip { block, effects });
        }
        let branch = state
            .branch_to(&header.prev_hash)
            .ok_or_else(|| ProtocolError::new(ErrorCode::UnknownParent, header.prev_hash))?;
        let parent_height = match branch.last() {
            Some(parent) => parent.height(),
            None => state
                .main_height_of(&header.prev_hash)
                .ok_or_else(|| internal("the parent left the main chain"))?,
        };
        let fork_height = branch.first().map_or(parent_height + 1, |b| b.height());
        let tip = state.chain.height;
        if parent_height + MAX_REORG_DEPTH < tip || fork_height < lowest_kept(tip) {
            return Err(ProtocolError::new(
                ErrorCode::ReorgTooDeep,
                format!(
                    "the block's branch leaves the main chain at height {fork_height}, more than {MAX_REORG_DEPTH} blocks below the tip at {tip}"
                ),
            ));
        }
        let mut on_branch = state
            .branch_state(fork_height, &branch, block.block())
            .map_err(internal)?;
        let valid = on_branch.extend(block, now).map_err(invalid_block)?;
        Ok(Placed::Branch {
            fork_height,
            branch,
            valid,
        })
    }

    /// A block on top of the tip: one record of the acknowledgement log (it reaches
    /// redb at the next checkpoint), then applied and announced. The record names the
    /// transactions the mempool holds by their sequence numbers (the log or redb holds
    /// them already), so that a large block is a small write.
    async fn extend_tip(
        &mut self,
        block: PreverifiedBlock,
        json: Arc<str>,
        effects: Effects,
    ) -> Result<(), ProtocolError> {
        let block = block.into_block();
        let (height, hash, prev_hash) = (block.header.height, block.hash, block.header.prev_hash);
        let started = std::time::Instant::now();
        // Each transaction by the number it was admitted under, if the mempool holds
        // it; `mined`: the mempool entries the block takes.
        let (mut refs, mut mined) = (Vec::new(), Vec::new());
        {
            let state = self.state.read();
            for (tx, id) in block.transactions.iter().zip(effects.txids()) {
                let entry = state.mempool.entry_of(id);
                mined.extend(entry.map(|e| e.seq));
                refs.push(match entry {
                    Some(entry) if entry.tx() == tx => TxRef::Seq(entry.seq),
                    _ => TxRef::Whole(*tx),
                });
            }
        }
        let logged = LoggedBlock::new(&block, refs);
        if let Err(e) = self
            .make_durable(Record::Block {
                height,
                json: &json,
                logged: &logged,
            })
            .await
        {
            tracing::error!(error = %e, height, "could not write a block");
            return Err(not_saved(e));
        }
        let write_ms = started.elapsed().as_secs_f64() * 1e3;
        let transactions = block.transactions.len();
        // The mempool entries it mines, and those it makes invalid, leave the mempool.
        let (gone, reasons, pruned) = {
            let mut state = self.state.write();
            let dropped = state.push_block(block, effects, json).map_err(|e| {
                tracing::error!(height, %hash, error = %e, "a logged block no longer applied");
                internal(format!("a checked block no longer applied: {e}"))
            })?;
            let reasons: Vec<(TxId, String)> = dropped
                .iter()
                .map(|e| (e.txid(), format!("no longer valid after block {height}")))
                .collect();
            state.remember_dropped(&reasons);
            let gone = mined.into_iter().chain(dropped.iter().map(|e| e.seq));
            (gone.collect::<Vec<u64>>(), reasons, prune_side(&mut state))
        };
        self.forget_pending(gone);
        self.unfolded.pruned.extend(pruned);
        let apply_ms = started.elapsed().as_secs_f64() * 1e3 - write_ms;
        tracing::info!(height, transactions, %hash, write_ms, apply_ms, "block");
        for (txid, why) in &reasons {
            tracing::warn!(%txid, why, "a pending transaction left the mempool");
        }
        let _ = self.shared.tips.send(Event::Tip { height, hash });
        let _ = self.shared.tips.send(Event::Block {
            height,
            hash,
            prev_hash,
            main: true,
        });
        self.shared.wake_miner.notify_one();
        Ok(())
    }

    /// A valid block on a branch with no more work than the main chain: kept, made
    /// durable by one record of the acknowledgement log (like a block on the tip, it
    /// reaches redb at the next checkpoint), so that admissions behind it wait for one
    /// log write, not a redb commit.
    async fn keep_side(&mut self, block: Arc<StoredBlock>) -> Result<(), ProtocolError> {
        self.state
            .read()
            .side
            .room_for(&block)
            .map_err(|full| ProtocolError::new(ErrorCode::Busy, full))?;
        let header = block.valid.block().header;
        let hash = block.valid.hash();
        let started = std::time::Instant::now();
        self.make_durable(Record::Side {
            hash,
            json: &block.json,
        })
        .await
        .map_err(not_saved)?;
        let write_ms = started.elapsed().as_secs_f64() * 1e3;
        tracing::info!(height = header.height, %hash, write_ms, "side block");
        self.state.write().side.insert(block);
        let _ = self.shared.tips.send(Event::Block {
            height: header.height,
            hash,
            prev_hash: header.prev_hash,
            main: false,
        });
        Ok(())
    }
}

/// Drops the side blocks the main tip has left behind and returns their hashes (their
/// removal from redb goes with the next checkpoint).
pub(super) fn prune_side(state: &mut ServerState) -> Vec<BlockHash> {
    let lowest = lowest_kept(state.chain.height);
    let main: HashSet<BlockHash> = state
        .blocks_from(lowest.saturating_sub(1))
        .iter()
        .map(|b| b.valid.hash())
        .collect();
    state.side.prune(lowest, |h| main.contains(h))
}

/// Where a block goes in the tree.
enum Placed {
    /// Already in the tree.
    Known,
    /// On top of the main tip.
    Tip {
        block: PreverifiedBlock,
        effects: Effects,
    },
    /// On another branch, valid on that branch's state (`branch`: the side blocks from
    /// `fork_height` up to its parent).
    Branch {
        fork_height: u64,
        branch: Vec<Arc<StoredBlock>>,
        valid: ValidBlock,
    },
}
