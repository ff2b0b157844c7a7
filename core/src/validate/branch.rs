//! What a block tree needs from the chain state (PROTOCOL §9): a block checked on any
//! branch's state, and blocks run backwards for a reorg.
//!
//! ```text
//! check_preverified   a submitted block on the tip (signatures verified beforehand)
//! extend              the same, applied: for a block on a branch's own state
//! extend_stored       a side block read back from our store
//! reapply             a block that was valid on this very state before
//! revert              the tip block run backwards, byte for byte
//! ```

use super::{ChainError, ChainState, Effects, PreverifiedBlock, Signatures, ValidBlock};
use crate::block::{Block, BlockHeader};
use crate::ledger::{NotApplied, UndoLog};

impl ChainState {
    /// Checks a block whose signatures were verified beforehand (a submitted block, see
    /// [`PreverifiedBlock`]) as the next block. Changes nothing.
    pub fn check_preverified(
        &self,
        block: &PreverifiedBlock,
        now_ms: Option<u64>,
    ) -> Result<Effects, ChainError> {
        self.check(&block.block, block.signatures(&self.chain_id), now_ms)
    }

    /// Checks a block whose signatures were verified beforehand as the next block and
    /// applies it: on a branch's state, for a block that goes to a side branch. On
    /// error nothing changes.
    pub fn extend(
        &mut self,
        block: PreverifiedBlock,
        now_ms: Option<u64>,
    ) -> Result<ValidBlock, ChainError> {
        let signatures = block.signatures(&self.chain_id);
        let txids = self.advance(&block.block, signatures, now_ms)?;
        Ok(ValidBlock {
            block: block.block,
            txids,
        })
    }

    /// [`ChainState::extend`] for a block read back from the server's own store (a
    /// side block: only valid blocks are written there), every rule but signatures
    /// checked again, so a damaged store is caught.
    pub fn extend_stored(&mut self, block: Block) -> Result<ValidBlock, ChainError> {
        let txids = self.advance(&block, Signatures::NotChecked, None)?;
        Ok(ValidBlock { block, txids })
    }

    /// Applies a block that was valid on top of this very state once already (a side
    /// block becoming main, a block of a validated chain): every rule but signatures
    /// is checked again. On error nothing changes.
    pub fn reapply(&mut self, block: &ValidBlock) -> Result<(), ChainError> {
        self.advance(&block.block, Signatures::Carried(&block.txids), None)
            .map(|_| ())
    }

    /// Runs the tip block backwards, for a reorg: `block` is the tip and `parent` the
    /// header of the block before it. The exact inverse of applying it: the state is
    /// as it was before, byte for byte. On error nothing changes.
    pub fn revert(&mut self, block: &Block, parent: &BlockHeader) -> Result<(), NotApplied> {
        let header = &block.header;
        if block.hash != self.tip
            || header.height != self.height
            || parent.height + 1 != header.height
        {
            return Err(NotApplied);
        }
        let mut undo = UndoLog::default();
        let mut run = || {
            self.ledger
                .uncredit(header.miner, header.reward, &mut undo)?;
            for tx in block.transactions.iter().rev() {
                self.ledger.unapply(tx, &mut undo)?;
            }
            Ok(())
        };
        if let Err(e) = run() {
            self.ledger.undo(undo);
            return Err(e);
        }
        self.height = parent.height;
        self.tip = header.prev_hash;
        self.tip_timestamp = parent.timestamp;
        Ok(())
    }
}
