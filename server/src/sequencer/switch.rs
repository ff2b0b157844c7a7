//! The one switch of the main chain to another branch (PROTOCOL §9): a heavier branch
//! of the tree, or a chain adopted by `SYNC_BLOCKCHAIN`. See the map in `sequencer.rs`.

use super::Sequencer;
use super::blocks::prune_side;
use crate::state::StoredBlock;
use crate::storage::Change;
use crate::wire_error::{fork_error, internal, not_saved};
use simplechain_core::fork::{ForkChoice, choose};
use simplechain_core::protocol::{ErrorCode, Event, ProtocolError};
use simplechain_core::validate::ValidChain;
use simplechain_core::{BlockHash, Transaction};
use std::collections::HashSet;
use std::sync::Arc;

impl Sequencer {
    /// Makes `new_blocks` the main chain from `fork_height` on (a heavier branch of the
    /// tree, or an adopted chain): switched in memory, written in one transaction with
    /// the rebuilt mempool (undone in memory if the write fails), then announced.
    /// Returns how many main blocks were replaced.
    pub(super) async fn switch_to(
        &mut self,
        fork_height: u64,
        new_blocks: Vec<Arc<StoredBlock>>,
    ) -> Result<u64, ProtocolError> {
        // The write below covers everything the log holds: after the checkpoint under
        // way (whose `log_applied` is lower), or with what it covered if it failed.
        self.settle_checkpoint().await;
        let switch = {
            let mut state = self.state.write();
            // Blocks already in the tree (as side blocks) were announced when they
            // entered it; only the others get an `EVENT:BLOCK` below.
            let entering: HashSet<BlockHash> = new_blocks
                .iter()
                .map(|b| b.valid.hash())
                .filter(|h| state.side.get(h).is_none())
                .collect();
            let switch = state
                .switch_main(fork_height, new_blocks.clone())
                .map_err(internal)?;
            let bound = 2 * state.mempool.capacity();
            if state.mempool.len() > bound {
                let pending = state.mempool.len();
                state.undo_switch(switch);
                return Err(ProtocolError::new(
                    ErrorCode::MempoolFull,
                    format!(
                        "switching would leave {pending} transactions pending, more than {bound}; retry once the mempool drains"
                    ),
                ));
            }
            (switch, entering)
        };
        let (switch, entering) = switch;
        // From the fork up, and from lower down where main blocks are in the log only.
        let main_from = fork_height.min(self.unfolded.blocks_from.unwrap_or(u64::MAX));
        let (main, side_add, mempool_remove, mempool_add) = {
            let state = self.state.read();
            let main: Vec<(u64, Arc<str>)> = state
                .blocks_from(main_from)
                .iter()
                .map(|b| (b.height(), b.json.clone()))
                .collect();
            // The replaced blocks, and the side blocks only the log holds (but those
            // becoming main).
            let becoming_main: Vec<BlockHash> = new_blocks.iter().map(|b| b.valid.hash()).collect();
            let side_add: Vec<(BlockHash, Arc<str>)> = switch
                .replaced
                .iter()
                .map(|b| (b.valid.hash(), b.json.clone()))
                .chain(state.side.held_of(&self.unfolded.side, &becoming_main))
                .collect();
            let mempool_remove: Vec<u64> = switch
                .old_mempool
                .entries()
                .map(|e| e.seq)
                .chain(self.unfolded.stale.iter().copied())
                .collect();
            let mempool_add: Vec<(u64, Transaction)> =
                state.mempool.entries().map(|e| (e.seq, *e.tx())).collect();
            (main, side_add, mempool_remove, mempool_add)
        };
        let side_remove: Vec<BlockHash> = new_blocks
            .iter()
            .map(|b| b.valid.hash())
            .chain(self.unfolded.pruned.iter().copied())
            .collect();
        // The whole mempool is written: a checkpoint of the acknowledgement log too.
        let written = self
            .write(Change {
                main_from,
                main,
                side_add,
                side_remove,
                mempool_remove,
                mempool_add,
                log_applied: Some(self.log.last_seq()),
                format: None,
            })
            .await;
        if let Err(e) = written {
            tracing::error!(error = %e, fork_height, "could not write a switch of branches");
            self.state.write().undo_switch(switch);
            return Err(not_saved(e));
        }
        self.log_folded();
        let replaced = switch.replaced.len() as u64;
        let (height, tip) = {
            let mut state = self.state.write();
            for block in &new_blocks {
                state.side.remove(&block.valid.hash());
            }
            for block in switch.replaced {
                state.side.insert(block);
            }
            state.remember_dropped(&switch.dropped);
            self.unfolded.pruned.extend(prune_side(&mut state));
            (state.chain.height, state.chain.tip)
        };
        for (txid, why) in &switch.dropped {
            tracing::warn!(%txid, why, "the new main chain made a transaction invalid");
        }
        tracing::info!(height, fork_height, replaced, "switched to another branch");
        let _ = self.shared.tips.send(Event::Tip { height, hash: tip });
        for block in new_blocks
            .iter()
            .filter(|b| entering.contains(&b.valid.hash()))
        {
            let header = block.valid.block().header;
            let _ = self.shared.tips.send(Event::Block {
                height: header.height,
                hash: block.valid.hash(),
                prev_hash: header.prev_hash,
                main: true,
            });
        }
        self.shared.wake_miner.notify_one();
        Ok(replaced)
    }

    /// Switches to a validated candidate chain (`SYNC_BLOCKCHAIN`): the blocks it
    /// replaces stay in the tree as a side branch.
    pub(super) async fn adopt(&mut self, chain: ValidChain) -> Result<(), ProtocolError> {
        let fork_height = {
            let state = self.state.read();
            let theirs: Vec<_> = chain.blocks().iter().map(|b| b.hash()).collect();
            match choose(&state.hashes(), &theirs, state.chain.difficulty) {
                Ok(ForkChoice::Same) => return Ok(()),
                Ok(ForkChoice::Adopt { fork_height, .. }) => fork_height,
                Err(rejection) => return Err(fork_error(rejection)),
            }
        };
        let (_, blocks) = chain.into_parts();
        let skip = usize::try_from(fork_height).unwrap_or(usize::MAX);
        let new_blocks: Vec<Arc<StoredBlock>> = blocks
            .into_iter()
            .skip(skip)
            .map(|valid| Arc::new(StoredBlock::new(valid)))
            .collect();
        self.switch_to(fork_height, new_blocks).await.map(|_| ())
    }
}
