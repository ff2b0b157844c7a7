//! Merkle roots of txids (PROTOCOL §4).
//!
//! ```text
//! leaves  = the 32-byte txids, in block order
//! parent  = SHA-256(left || right)       over the 64 raw bytes
//! odd     = the last node of a level is paired with itself
//! one     = a single leaf is its own root
//! none    = 64 zeros
//! ```

use crate::ids::{MerkleRoot, TxId};
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

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

#[cfg(test)]
mod tests {
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

    #[test]
    fn order_matters() {
        assert_ne!(
            merkle_root(&[leaf(1), leaf(2)]),
            merkle_root(&[leaf(2), leaf(1)])
        );
    }
}
