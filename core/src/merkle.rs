//! Merkle roots of txids (PROTOCOL §4).
//!
//! ```text
//! leaves  = the 32-byte txids, in block order
//! parent  = SHA-256(left || right)       over the 64 raw bytes
//! odd     = the last node of a level is paired with itself
//! one     = a single leaf is its own root
//! none    = 64 zeros
//! ```
//!
//! A [`MerkleProof`] shows that one txid is in a block without the other txids: the
//! sibling of each node on the way from the leaf up. Folding the path from the txid
//! gives the root (PROTOCOL §9 `GET_PROOF`):
//!
//! ```text
//! node = txid
//! for each sibling, level by level:
//!     node = SHA-256(node ‖ sibling)   if the index at that level is even (node is left)
//!            SHA-256(sibling ‖ node)   if it is odd                       (node is right)
//!     index = index / 2
//! node == tx_root
//! ```

use crate::ids::{MerkleNode, MerkleRoot, TxId};
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// Every level of the tree of `txids`, from the leaves (the txids) up to the root (one
/// node), for drawing the tree; an odd last node is paired with itself, as in
/// [`merkle_root`]. Empty for no txids.
pub fn merkle_levels(txids: &[TxId]) -> Vec<Vec<MerkleNode>> {
    let mut levels: Vec<Vec<MerkleNode>> = Vec::new();
    let mut level: Vec<MerkleNode> = txids
        .iter()
        .map(|t| MerkleNode::from_bytes(t.to_bytes()))
        .collect();
    while level.len() > 1 {
        let next = level
            .chunks(2)
            .map(|pair| {
                let left = pair[0].to_bytes();
                let right = pair.get(1).map_or(left, |r| r.to_bytes());
                MerkleNode::from_bytes(parent(&left, &right))
            })
            .collect();
        levels.push(core::mem::replace(&mut level, next));
    }
    if !level.is_empty() {
        levels.push(level);
    }
    levels
}

/// The Merkle root of `txids`.
pub fn merkle_root(txids: &[TxId]) -> MerkleRoot {
    match txids {
        [] => MerkleRoot::EMPTY,
        [one] => MerkleRoot::from_bytes(one.to_bytes()),
        _ => {
            let mut level: Vec<[u8; 32]> = txids.iter().map(|t| t.to_bytes()).collect();
            while level.len() > 1 {
                let next_len = level.len().div_ceil(2);
                for i in 0..next_len {
                    let left = level[2 * i];
                    let right = *level.get(2 * i + 1).unwrap_or(&left);
                    let mut h = Sha256::new();
                    h.update(left);
                    h.update(right);
                    level[i] = h.finalize().into();
                }
                level.truncate(next_len);
            }
            MerkleRoot::from_bytes(level[0])
        }
    }
}

fn parent(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The proof that the txid at `index` is in a block: the sibling hashes from the leaf
/// level up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleProof {
    /// The transaction's position in its block.
    pub index: u64,
    /// The sibling at each level, leaf level first.
    pub path: Vec<MerkleNode>,
}

/// One step of folding a proof: the node so far, its sibling, which side the node is
/// on, and the parent they make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldStep {
    pub node: MerkleNode,
    pub sibling: MerkleNode,
    /// Whether `node` is the left child (its index at this level is even).
    pub node_is_left: bool,
    pub parent: MerkleNode,
}

impl MerkleProof {
    /// The proof for the txid at `index` of `txids`, or `None` past the end.
    pub fn build(txids: &[TxId], index: usize) -> Option<MerkleProof> {
        if index >= txids.len() {
            return None;
        }
        let mut level: Vec<[u8; 32]> = txids.iter().map(|t| t.to_bytes()).collect();
        let mut at = index;
        let mut path = Vec::new();
        while level.len() > 1 {
            let sibling = if at.is_multiple_of(2) {
                *level.get(at + 1).unwrap_or(&level[at])
            } else {
                level[at - 1]
            };
            path.push(MerkleNode::from_bytes(sibling));
            let next_len = level.len().div_ceil(2);
            for i in 0..next_len {
                let left = level[2 * i];
                let right = *level.get(2 * i + 1).unwrap_or(&left);
                level[i] = parent(&left, &right);
            }
            level.truncate(next_len);
            at /= 2;
        }
        Some(MerkleProof {
            index: index as u64,
            path,
        })
    }

    /// Each step of folding the path from `txid` up to the root.
    pub fn fold(&self, txid: &TxId) -> Vec<FoldStep> {
        let mut node = txid.to_bytes();
        let mut index = self.index;
        let mut steps = Vec::with_capacity(self.path.len());
        for sibling in &self.path {
            let node_is_left = index.is_multiple_of(2);
            let s = sibling.to_bytes();
            let up = if node_is_left {
                parent(&node, &s)
            } else {
                parent(&s, &node)
            };
            steps.push(FoldStep {
                node: MerkleNode::from_bytes(node),
                sibling: *sibling,
                node_is_left,
                parent: MerkleNode::from_bytes(up),
            });
            node = up;
            index /= 2;
        }
        steps
    }

    /// The root that folding the path from `txid` gives.
    pub fn root_from(&self, txid: &TxId) -> MerkleRoot {
        let top = self
            .fold(txid)
            .last()
            .map_or(txid.to_bytes(), |step| step.parent.to_bytes());
        MerkleRoot::from_bytes(top)
    }

    /// Whether the proof puts `txid` under `root`. A path longer than a block can need
    /// (4096 transactions: 12 levels) is refused, and so is an index that does not fit
    /// the path (its bits above the path's length must be zero).
    pub fn verify(&self, txid: &TxId, root: &MerkleRoot) -> bool {
        let levels = self.path.len();
        if levels > 12 || self.index >> levels != 0 {
            return false;
        }
        self.root_from(txid) == *root
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_levels_end_in_the_root_and_the_proof_path_is_made_of_their_siblings() {
        assert!(merkle_levels(&[]).is_empty());
        for n in 1..=9u8 {
            let txids: Vec<TxId> = (0..n).map(|i| TxId::from_bytes([i + 1; 32])).collect();
            let levels = merkle_levels(&txids);
            let top = levels.last().expect("a root level");
            assert_eq!(top.len(), 1);
            assert_eq!(
                top[0].to_bytes(),
                merkle_root(&txids).to_bytes(),
                "{n} leaves"
            );
            for index in 0..n as usize {
                let proof = MerkleProof::build(&txids, index).expect("in range");
                assert_eq!(proof.path.len(), levels.len() - 1);
                for (depth, sibling) in proof.path.iter().enumerate() {
                    let at = index >> depth;
                    let level = &levels[depth];
                    let expected = if at.is_multiple_of(2) {
                        *level.get(at + 1).unwrap_or(&level[at])
                    } else {
                        level[at - 1]
                    };
                    assert_eq!(
                        *sibling, expected,
                        "{n} leaves, index {index}, depth {depth}"
                    );
                }
            }
        }
    }
    use super::*;
    use crate::sha256;

    fn leaf(n: u8) -> TxId {
        TxId::from_bytes([n; 32])
    }

    fn pair(a: [u8; 32], b: [u8; 32]) -> [u8; 32] {
        let mut both = [0u8; 64];
        both[..32].copy_from_slice(&a);
        both[32..].copy_from_slice(&b);
        sha256(&both)
    }

    #[test]
    fn shapes() {
        assert_eq!(merkle_root(&[]), MerkleRoot::EMPTY);
        assert_eq!(merkle_root(&[leaf(1)]).to_bytes(), [1; 32]);
        let ab = pair([1; 32], [2; 32]);
        assert_eq!(merkle_root(&[leaf(1), leaf(2)]).to_bytes(), ab);
        let cc = pair([3; 32], [3; 32]);
        assert_eq!(
            merkle_root(&[leaf(1), leaf(2), leaf(3)]).to_bytes(),
            pair(ab, cc)
        );
        let cd = pair([3; 32], [4; 32]);
        let ee = pair([5; 32], [5; 32]);
        let five = pair(pair(ab, cd), pair(ee, ee));
        assert_eq!(
            merkle_root(&[leaf(1), leaf(2), leaf(3), leaf(4), leaf(5)]).to_bytes(),
            five
        );
    }

    fn leaves(n: u8) -> Vec<TxId> {
        (1..=n).map(leaf).collect()
    }

    #[test]
    fn proofs_for_every_index_of_1_to_9_leaves() {
        for n in 1..=9u8 {
            let txids = leaves(n);
            let root = merkle_root(&txids);
            for (i, txid) in txids.iter().enumerate() {
                let proof = MerkleProof::build(&txids, i).unwrap();
                assert!(proof.verify(txid, &root), "{n} leaves, index {i}");
                let depth = (n as usize).next_power_of_two().trailing_zeros() as usize;
                assert_eq!(proof.path.len(), depth, "{n} leaves, index {i}");
            }
            assert_eq!(MerkleProof::build(&txids, n as usize), None);
        }
    }

    #[test]
    fn forged_proofs_are_refused() {
        let txids = leaves(5);
        let root = merkle_root(&txids);
        let proof = MerkleProof::build(&txids, 2).unwrap();
        // Another txid, another index, a changed sibling, a dropped or an extra level.
        assert!(!proof.verify(&leaf(9), &root));
        assert!(
            !MerkleProof {
                index: 3,
                ..proof.clone()
            }
            .verify(&txids[2], &root)
        );
        let mut changed = proof.clone();
        changed.path[1] = MerkleNode::from_bytes([7; 32]);
        assert!(!changed.verify(&txids[2], &root));
        let mut short = proof.clone();
        short.path.pop();
        assert!(!short.verify(&txids[2], &root));
        let mut long = proof.clone();
        long.path.push(MerkleNode::from_bytes([0; 32]));
        assert!(!long.verify(&txids[2], &root));
        // The same leaf claimed at index 2 + 8: the extra bit is above the path.
        assert!(!MerkleProof { index: 10, ..proof }.verify(&txids[2], &root));
    }

    #[test]
    fn the_fold_ends_at_the_root() {
        let txids = leaves(5);
        let proof = MerkleProof::build(&txids, 4).unwrap();
        let steps = proof.fold(&txids[4]);
        assert_eq!(steps.len(), 3);
        // Index 4 → 2 → 1: left, left, right; the odd last leaf is paired with itself.
        assert_eq!(
            steps.iter().map(|s| s.node_is_left).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert_eq!(steps[0].sibling.to_bytes(), [5; 32]);
        assert_eq!(steps[2].parent.to_bytes(), merkle_root(&txids).to_bytes());
    }

    #[test]
    fn order_matters() {
        assert_ne!(
            merkle_root(&[leaf(1), leaf(2)]),
            merkle_root(&[leaf(2), leaf(1)])
        );
    }
}
