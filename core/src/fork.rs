//! Fork choice (PROTOCOL §5 rule 6): more cumulative work wins, within a reorg limit.

use crate::MAX_REORG_DEPTH;
use crate::ids::BlockHash;
use core::cmp::Ordering;
use core::fmt;

/// Cumulative work Σ 2^difficulty, as a 320-bit number (enough for 2^64 blocks at
/// difficulty 255).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Work([u64; 5]);

impl Work {
    /// The work of `blocks` blocks at `difficulty` each.
    pub fn of(blocks: u64, difficulty: u64) -> Work {
        let difficulty = difficulty.min(255) as usize;
        let mut limbs = [0u64; 5];
        let (limb, bit) = (difficulty / 64, difficulty % 64);
        let wide = u128::from(blocks) << bit;
        limbs[limb] = wide as u64;
        limbs[limb + 1] = (wide >> 64) as u64;
        Work(limbs)
    }
}

impl Ord for Work {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

impl PartialOrd for Work {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Fork choice in the block tree (PROTOCOL §9): whether a branch whose tip is at
/// `branch_height` takes over from a main chain whose tip is at `main_height`, all
/// blocks at `difficulty`. Only strictly more work wins: at equal work the branch seen
/// first stays main.
pub fn overtakes(branch_height: u64, main_height: u64, difficulty: u64) -> bool {
    Work::of(branch_height.saturating_add(1), difficulty)
        > Work::of(main_height.saturating_add(1), difficulty)
}

/// What to do with a candidate chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkChoice {
    /// The candidate is exactly our chain.
    Same,
    /// Adopt it: our blocks from `fork_height` on are replaced (`fork_height` is the
    /// first height where the chains differ; `depth` blocks of ours are dropped).
    Adopt { fork_height: u64, depth: u64 },
}

/// Why a candidate chain is refused before it is even validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkRejection {
    /// The candidate has another genesis block.
    GenesisMismatch,
    /// The candidate does not have strictly more work.
    NotBetter { ours: u64, theirs: u64 },
    /// The candidate forks more than 100 blocks below our tip.
    ReorgTooDeep { depth: u64, max: u64 },
}

impl fmt::Display for ForkRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForkRejection::GenesisMismatch => {
                f.write_str("the chain has a different genesis block")
            }
            ForkRejection::NotBetter { ours, theirs } => write!(
                f,
                "the chain has {theirs} blocks and no more work than the server's {ours} blocks"
            ),
            ForkRejection::ReorgTooDeep { depth, max } => {
                write!(
                    f,
                    "the chain forks {depth} blocks below the server's tip; at most {max} allowed"
                )
            }
        }
    }
}

impl core::error::Error for ForkRejection {}

/// Chooses between our chain and a candidate, both given as block hashes from genesis
/// (candidate hashes as claimed: the caller validates the candidate afterwards), both
/// non-empty and at the same difficulty (same genesis).
pub fn choose(
    ours: &[BlockHash],
    theirs: &[BlockHash],
    difficulty: u64,
) -> Result<ForkChoice, ForkRejection> {
    if ours.first() != theirs.first() || ours.is_empty() {
        return Err(ForkRejection::GenesisMismatch);
    }
    if ours == theirs {
        return Ok(ForkChoice::Same);
    }
    let our_len = ours.len() as u64;
    let their_len = theirs.len() as u64;
    if Work::of(their_len, difficulty) <= Work::of(our_len, difficulty) {
        return Err(ForkRejection::NotBetter {
            ours: our_len,
            theirs: their_len,
        });
    }
    let common = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count() as u64;
    let depth = our_len - common;
    if depth > MAX_REORG_DEPTH {
        return Err(ForkRejection::ReorgTooDeep {
            depth,
            max: MAX_REORG_DEPTH,
        });
    }
    Ok(ForkChoice::Adopt {
        fork_height: common,
        depth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn hashes(prefix: &[u8], extra: u8, n: usize) -> Vec<BlockHash> {
        let mut v: Vec<BlockHash> = prefix
            .iter()
            .map(|b| BlockHash::from_bytes([*b; 32]))
            .collect();
        v.extend((0..n).map(|i| BlockHash::from_bytes([extra.wrapping_add(i as u8); 32])));
        v
    }

    #[test]
    fn work_orders_by_blocks_then_difficulty() {
        assert!(Work::of(3, 16) > Work::of(2, 16));
        assert!(Work::of(1, 255) > Work::of(u64::MAX, 190));
        assert_eq!(Work::of(2, 0), Work::of(1, 1));
    }

    #[test]
    fn a_branch_needs_strictly_more_work() {
        assert!(!overtakes(5, 5, 16), "a tie keeps the branch seen first");
        assert!(!overtakes(4, 5, 16));
        assert!(overtakes(6, 5, 16));
        assert!(overtakes(1, 0, 0));
    }

    #[test]
    fn choices() {
        let ours = hashes(&[0, 1, 2], 0, 0);
        assert_eq!(choose(&ours, &ours, 8), Ok(ForkChoice::Same));
        let longer = hashes(&[0, 1, 2], 100, 1);
        assert_eq!(
            choose(&ours, &longer, 8),
            Ok(ForkChoice::Adopt {
                fork_height: 3,
                depth: 0
            })
        );
        let fork = hashes(&[0, 1], 100, 2);
        assert_eq!(
            choose(&ours, &fork, 8),
            Ok(ForkChoice::Adopt {
                fork_height: 2,
                depth: 1
            })
        );
        let shorter = hashes(&[0, 1], 0, 0);
        assert_eq!(
            choose(&ours, &shorter, 8),
            Err(ForkRejection::NotBetter { ours: 3, theirs: 2 })
        );
        let other = hashes(&[9, 1, 2, 3], 0, 0);
        assert_eq!(
            choose(&ours, &other, 8),
            Err(ForkRejection::GenesisMismatch)
        );
    }

    #[test]
    fn reorg_limit() {
        let ours = hashes(&[0], 1, 150);
        let deep = hashes(&[0], 200, 160);
        assert_eq!(
            choose(&ours, &deep, 8),
            Err(ForkRejection::ReorgTooDeep {
                depth: 150,
                max: 100
            })
        );
        let mut ok = ours[..51].to_vec();
        ok.extend(hashes(&[], 220, 101));
        assert_eq!(
            choose(&ours, &ok, 8),
            Ok(ForkChoice::Adopt {
                fork_height: 51,
                depth: 100
            })
        );
    }
}
