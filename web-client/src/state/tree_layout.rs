//! The block tree laid out for drawing: heights as rows (newest first), branches as
//! lanes (lane 0 is the main chain), and what each side branch weighs against the
//! main chain since the block it forked from.

use simplechain_core::BlockHash;
use simplechain_core::protocol::TreeEntry;
use std::collections::{BTreeMap, BTreeSet};

/// A side branch: the blocks of one lane, from the main chain's (or another
/// branch's) block at `fork_height`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub lane: usize,
    /// The height of the block it grows from.
    pub fork_height: u64,
    /// Its blocks.
    pub blocks: u64,
    /// The main chain's blocks above `fork_height` (in the view).
    pub main_blocks: u64,
}

/// Where each block goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// For each height, newest first: the blocks at that height, as (lane, index
    /// into the tree's blocks).
    pub rows: Vec<(u64, Vec<(usize, usize)>)>,
    /// How many lanes (1 + side branches).
    pub lanes: usize,
    pub branches: Vec<Branch>,
}

/// Lays out `blocks` (lowest height first, as `GET_TREE` sends them).
pub fn layout(blocks: &[TreeEntry]) -> Layout {
    // Each block's lane; a side block continues its parent's lane unless a sibling
    // took it first, else opens a new lane.
    let mut lane_of: BTreeMap<BlockHash, usize> = BTreeMap::new();
    let mut lane_taken: BTreeSet<(BlockHash, usize)> = BTreeSet::new();
    let mut lanes = 1;
    let mut branches: Vec<Branch> = Vec::new();
    let mut placed = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let lane = if block.main {
            0
        } else {
            match lane_of.get(&block.prev_hash) {
                Some(&lane) if lane > 0 && !lane_taken.contains(&(block.prev_hash, lane)) => lane,
                _ => {
                    lanes += 1;
                    branches.push(Branch {
                        lane: lanes - 1,
                        fork_height: block.height.saturating_sub(1),
                        blocks: 0,
                        main_blocks: 0,
                    });
                    lanes - 1
                }
            }
        };
        lane_taken.insert((block.prev_hash, lane));
        lane_of.insert(block.hash, lane);
        if let Some(branch) = branches.iter_mut().find(|b| b.lane == lane) {
            branch.blocks += 1;
        }
        placed.push((block.height, lane, i));
    }
    for branch in &mut branches {
        branch.main_blocks = blocks
            .iter()
            .filter(|b| b.main && b.height > branch.fork_height)
            .count() as u64;
    }
    let mut rows: BTreeMap<u64, Vec<(usize, usize)>> = BTreeMap::new();
    for (height, lane, i) in placed {
        rows.entry(height).or_default().push((lane, i));
    }
    Layout {
        rows: rows.into_iter().rev().collect(),
        lanes,
        branches,
    }
}

/// The expected hashes behind `blocks` blocks at `difficulty`: blocks × 2^difficulty.
pub fn work(blocks: u64, difficulty: u64) -> f64 {
    blocks as f64 * 2f64.powi(difficulty.min(1023) as i32)
}
