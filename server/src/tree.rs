//! The side branches of the block tree (PROTOCOL §9): every valid block whose parent we
//! know, within the reorg window, that is not on the main chain. The main chain itself
//! lives in `state.rs`; a block moves between the two when a branch overtakes the main
//! chain.
//!
//! ```text
//!  height   5     6     7     8
//!  main    ─■─────■─────■─────■          tip
//!                 └─────□─────□          a side branch (forks at 7)
//! ```
//!
//! Bounds: a side block is kept only while its height is within the reorg window of the
//! main tip (older ones can never become main again), at most [`MAX_SIDE_PER_HEIGHT`]
//! at one height and [`MAX_SIDE_BYTES`] of JSON in all. Each needs a proof of work, and
//! a flood of them is refused with `busy` once a bound is reached, so neither memory nor
//! disk grows without bound.

use crate::stored::StoredBlock;
use simplechain_core::{BlockHash, MAX_REORG_DEPTH};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The most side blocks kept at one height.
pub const MAX_SIDE_PER_HEIGHT: usize = 8;
/// The most JSON bytes of side blocks kept in all.
pub const MAX_SIDE_BYTES: usize = 64 << 20;

/// The side blocks, by hash and by height.
#[derive(Debug, Default)]
pub struct SideBlocks {
    by_hash: HashMap<BlockHash, Arc<StoredBlock>>,
    /// Hashes at each height, in the order they were seen.
    by_height: BTreeMap<u64, Vec<BlockHash>>,
    bytes: usize,
}

/// Why a side block is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideFull {
    Height { height: u64 },
    Bytes,
}

impl std::fmt::Display for SideFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SideFull::Height { height } => write!(
                f,
                "the tree already holds {MAX_SIDE_PER_HEIGHT} side blocks at height {height}; mine on the main tip instead (GET_TEMPLATE)"
            ),
            SideFull::Bytes => write!(
                f,
                "the tree's side branches already hold {} MiB; mine on the main tip instead (GET_TEMPLATE)",
                MAX_SIDE_BYTES >> 20
            ),
        }
    }
}

/// The lowest height a side block may have to stay useful: a branch that forks below
/// it would replace more than [`MAX_REORG_DEPTH`] main blocks.
pub fn lowest_kept(tip_height: u64) -> u64 {
    (tip_height + 1).saturating_sub(MAX_REORG_DEPTH)
}

impl SideBlocks {
    /// Those of `hashes` the tree still holds (not pruned), but `except`, with their
    /// JSON: what a checkpoint writes of the side blocks only the log holds.
    pub fn held_of(
        &self,
        hashes: &[BlockHash],
        except: &[BlockHash],
    ) -> Vec<(BlockHash, Arc<str>)> {
        hashes
            .iter()
            .filter(|hash| !except.contains(hash))
            .filter_map(|hash| self.get(hash))
            .map(|block| (block.valid.hash(), block.json.clone()))
            .collect()
    }

    /// A side block.
    pub fn get(&self, hash: &BlockHash) -> Option<&Arc<StoredBlock>> {
        self.by_hash.get(hash)
    }

    /// How many side blocks there are.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether `block` may be kept (the bounds above).
    pub fn room_for(&self, block: &StoredBlock) -> Result<(), SideFull> {
        let height = block.height();
        let at_height = self.by_height.get(&height).map_or(0, Vec::len);
        if at_height >= MAX_SIDE_PER_HEIGHT {
            return Err(SideFull::Height { height });
        }
        if self.bytes + block.json.len() > MAX_SIDE_BYTES {
            return Err(SideFull::Bytes);
        }
        Ok(())
    }

    /// Keeps a block (the caller checked [`SideBlocks::room_for`], or is moving a
    /// replaced main block here, which always has room: the window bounds those).
    pub fn insert(&mut self, block: Arc<StoredBlock>) {
        let hash = block.valid.hash();
        if self.by_hash.contains_key(&hash) {
            return;
        }
        self.bytes += block.json.len();
        self.by_height.entry(block.height()).or_default().push(hash);
        self.by_hash.insert(hash, block);
    }

    /// Takes a block out (it became main, or is pruned).
    pub fn remove(&mut self, hash: &BlockHash) -> Option<Arc<StoredBlock>> {
        let block = self.by_hash.remove(hash)?;
        self.bytes -= block.json.len();
        if let Some(at) = self.by_height.get_mut(&block.height()) {
            at.retain(|h| h != hash);
            if at.is_empty() {
                self.by_height.remove(&block.height());
            }
        }
        Some(block)
    }

    /// Side blocks at heights `from..`, lowest first, then in the order seen.
    pub fn at_or_above(&self, from: u64) -> impl Iterator<Item = &Arc<StoredBlock>> {
        self.by_height
            .range(from..)
            .flat_map(|(_, hashes)| hashes.iter())
            .filter_map(|h| self.by_hash.get(h))
    }

    /// Removes every block below `lowest`, and every block whose parent is neither a
    /// kept side block nor `is_main`: what can never become main again. Returns the
    /// hashes removed.
    pub fn prune(&mut self, lowest: u64, is_main: impl Fn(&BlockHash) -> bool) -> Vec<BlockHash> {
        let mut removed = Vec::new();
        let heights: Vec<u64> = self.by_height.keys().copied().collect();
        for height in heights {
            let hashes = self.by_height.get(&height).cloned().unwrap_or_default();
            for hash in hashes {
                let parent = self.by_hash[&hash].valid.block().header.prev_hash;
                let orphaned = !is_main(&parent) && !self.by_hash.contains_key(&parent);
                if height < lowest || orphaned {
                    self.remove(&hash);
                    removed.push(hash);
                }
            }
        }
        removed
    }
}
