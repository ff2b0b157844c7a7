//! A miner's nonce search that also says how close it came: the same midstate search as
//! [`BlockHeader::mine`] (the header message up to the nonce is hashed once and the
//! SHA-256 state cloned per nonce), plus the most leading zero bits seen, for a miner's
//! "best 14/20 bits" status line.
//!
//! ```text
//! prefix  = "simplechain/block/v1:" height ":" … ":" tx_root ":"   hashed once
//! nonce n = SHA-256 state of prefix, cloned, fed the decimal digits of n
//! ```
//!
//! The digits are kept as ASCII and counted up in place, so trying the next nonce costs
//! one clone and one finalisation, with no number formatting.

use crate::block::{BlockHeader, leading_zero_bits};
use crate::ids::BlockHash;
use alloc::string::String;
use core::fmt::Write as _;
use sha2::{Digest, Sha256};

/// A header being mined: its prefix hashed once, ready for many [`NonceSearch::run`]s
/// (from as many threads as wanted, each on its own nonce range).
#[derive(Debug, Clone)]
pub struct NonceSearch {
    header: BlockHeader,
    prefix: Sha256,
}

/// What one [`NonceSearch::run`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Searched {
    /// The first nonce of the range that meets the difficulty: the mined header and its
    /// hash.
    pub found: Option<(BlockHeader, BlockHash)>,
    /// The most leading zero bits of any hash tried (0 if none was tried).
    pub best_bits: u64,
    /// The first nonce tried with that many bits, and its hash (`None` if none was
    /// tried), for a miner that shows the best hash so far.
    pub best: Option<(u64, BlockHash)>,
    /// How many nonces were hashed.
    pub tried: u64,
}

impl NonceSearch {
    /// Prepares the search for `header` (its `nonce` is ignored).
    pub fn new(header: BlockHeader) -> NonceSearch {
        // The message with nonce 0 ends in the single digit "0": without it, it is the
        // prefix every nonce shares.
        let mut message = BlockHeader { nonce: 0, ..header }.message();
        message.pop();
        let mut prefix = Sha256::new();
        prefix.update(message.as_bytes());
        NonceSearch { header, prefix }
    }

    /// The header being mined.
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// Tries the nonces `start`, `start + 1`, … (at most `attempts`, never past
    /// `u64::MAX`) and stops at the first that meets the difficulty.
    pub fn run(&self, start: u64, attempts: u64) -> Searched {
        let end = start.saturating_add(attempts);
        let mut digits = Digits::new(start);
        let mut best_bits = 0;
        let mut best = None;
        let mut nonce = start;
        while nonce < end {
            let mut h = self.prefix.clone();
            h.update(digits.as_bytes());
            let hash = BlockHash::from_bytes(h.finalize().into());
            let bits = leading_zero_bits(&hash);
            if best.is_none() || bits > best_bits {
                best_bits = bits;
                best = Some((nonce, hash));
            }
            if bits >= self.header.difficulty {
                let header = BlockHeader {
                    nonce,
                    ..self.header
                };
                return Searched {
                    found: Some((header, hash)),
                    best_bits,
                    best,
                    tried: nonce - start + 1,
                };
            }
            nonce += 1;
            digits.increment();
        }
        Searched {
            found: None,
            best_bits,
            best,
            tried: end - start,
        }
    }
}

/// A u64 in decimal ASCII, counted up in place.
struct Digits {
    /// Right-aligned digits; `u64::MAX` has 20, and one more leaves room to carry.
    buf: [u8; 21],
    /// Where the first digit is.
    first: usize,
}

impl Digits {
    fn new(n: u64) -> Digits {
        let mut text = String::with_capacity(20);
        let _ = write!(text, "{n}");
        let mut buf = [b'0'; 21];
        let first = buf.len() - text.len();
        buf[first..].copy_from_slice(text.as_bytes());
        Digits { buf, first }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.first..]
    }

    fn increment(&mut self) {
        for i in (0..self.buf.len()).rev() {
            if self.buf[i] == b'9' {
                self.buf[i] = b'0';
            } else {
                self.buf[i] += 1;
                self.first = self.first.min(i);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Address, MerkleRoot};

    fn header(difficulty: u64) -> BlockHeader {
        BlockHeader {
            height: 1,
            prev_hash: BlockHash::from_bytes(crate::sha256(b"previous")),
            timestamp: 1_763_900_000_000,
            difficulty,
            miner: Address::from_bytes([0x11; 32]),
            reward: 50,
            tx_root: MerkleRoot::from_bytes([0x72; 32]),
            nonce: 0,
        }
    }

    #[test]
    fn digits_count_up_across_carries() {
        for start in [0u64, 8, 99, 999, 1_234_999, u64::MAX - 3] {
            let mut d = Digits::new(start);
            for n in start..start.saturating_add(5) {
                assert_eq!(d.as_bytes(), alloc::format!("{n}").as_bytes());
                d.increment();
            }
        }
    }

    #[test]
    fn finds_what_block_header_mine_finds_from_any_start() {
        for start in [0u64, 7, 95, 1000] {
            let h = header(8);
            let searched = NonceSearch::new(h).run(start, 1 << 16);
            assert_eq!(searched.found, h.mine(start, 1 << 16));
            let (mined, hash) = searched.found.unwrap();
            assert_eq!(mined.hash(), hash);
            assert_eq!(searched.tried, mined.nonce - start + 1);
            assert!(searched.best_bits >= 8);
        }
    }

    #[test]
    fn without_a_find_it_reports_the_best_bits_it_saw() {
        // Difficulty 200 is never met in 4096 tries; the best of 4096 hashes has about
        // 12 leading zero bits, certainly more than 0 and less than 200.
        let h = header(200);
        let searched = NonceSearch::new(h).run(0, 4096);
        assert_eq!(searched.found, None);
        assert_eq!(searched.tried, 4096);
        let best = (0..4096u64)
            .map(|n| leading_zero_bits(&BlockHeader { nonce: n, ..h }.hash()))
            .max()
            .unwrap();
        assert_eq!(searched.best_bits, best);
        assert!(best > 0);
        let (nonce, hash) = searched.best.unwrap();
        assert_eq!(BlockHeader { nonce, ..h }.hash(), hash);
        assert_eq!(leading_zero_bits(&hash), best);
    }

    #[test]
    fn the_range_stops_at_u64_max() {
        let searched = NonceSearch::new(header(200)).run(u64::MAX - 2, 10);
        assert_eq!(searched.tried, 2);
    }
}
