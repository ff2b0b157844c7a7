//! Nonce search speed on one core, with and without the midstate (issue 9): hashes per
//! second of [`BlockHeader::mine`], which hashes the header message up to the nonce once
//! and clones the SHA-256 state per nonce, against the naive loop below, which formats
//! and hashes the whole header message for every nonce. Same header, same thread, one
//! after the other; and `simplechain mine`'s own loop, [`NonceSearch`] (which
//! `BlockHeader::mine` now runs too: the two figures differ only by the best-hash count
//! and by noise).

use simplechain_core::block::meets_difficulty;
use simplechain_core::nonce_search::NonceSearch;
use simplechain_core::{Address, BlockHash, BlockHeader, MerkleRoot};
use std::time::{Duration, Instant};

/// How long each loop runs.
const RUN: Duration = Duration::from_millis(1500);
/// Nonces per call between two looks at the clock.
const BATCH: u64 = 1 << 15;

/// A header whose difficulty no nonce meets, so both loops hash every nonce they try.
fn header() -> BlockHeader {
    BlockHeader {
        height: 123_456,
        prev_hash: BlockHash::from_bytes([0x5a; 32]),
        timestamp: 1_763_900_000_000,
        difficulty: 255,
        miner: Address::from_bytes([0x11; 32]),
        reward: 50,
        tx_root: MerkleRoot::from_bytes([0x72; 32]),
        nonce: 0,
    }
}

/// The naive search: the whole header message formatted and hashed per nonce.
fn naive(header: BlockHeader, start: u64, attempts: u64) -> Option<u64> {
    (start..start + attempts).find(|&nonce| {
        let h = BlockHeader { nonce, ..header };
        let hash = BlockHash::from_bytes(simplechain_core::sha256(h.message().as_bytes()));
        meets_difficulty(&hash, h.difficulty)
    })
}

/// Calls `search(start, BATCH)` for [`RUN`]; returns hashes per second.
fn rate(mut search: impl FnMut(u64, u64) -> bool) -> f64 {
    let started = Instant::now();
    let mut start = 0u64;
    while started.elapsed() < RUN {
        assert!(!search(start, BATCH), "difficulty 255 was met");
        start += BATCH;
    }
    start as f64 / started.elapsed().as_secs_f64()
}

/// Hashes per second on the calling thread.
#[derive(Debug, Clone, Copy)]
pub struct NonceRates {
    /// `BlockHeader::mine`: the midstate.
    pub midstate: f64,
    /// The whole message per nonce.
    pub naive: f64,
    /// `NonceSearch::run`, what `simplechain mine` runs: the midstate, the digits
    /// counted in place, and the best hash kept.
    pub miner: f64,
}

/// Measures the three loops on the calling thread, one after the other.
pub fn measure() -> NonceRates {
    let h = header();
    let search = NonceSearch::new(h);
    // Warm up each, then measure each once.
    let _ = h.mine(0, BATCH);
    let _ = naive(h, 0, BATCH);
    let _ = search.run(0, BATCH);
    NonceRates {
        midstate: rate(|start, n| h.mine(start, n).is_some()),
        naive: rate(|start, n| naive(h, start, n).is_some()),
        miner: rate(|start, n| search.run(start, n).found.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_naive_loop_finds_what_mine_finds() {
        let h = BlockHeader {
            difficulty: 8,
            ..header()
        };
        let (mined, _) = h.mine(0, 1 << 16).unwrap();
        assert_eq!(naive(h, 0, 1 << 16), Some(mined.nonce));
    }
}
