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
//!
//! In WebAssembly (the browser's mining workers), where SHA-256 has no instructions of
//! its own, nonces go four at a time through SIMD lanes instead ([`four_at_once`]); the
//! answer is the same, nonce for nonce (the tests run both).

mod four_at_once;
mod lanes;

use crate::block::{BlockHeader, leading_zero_bits};
use crate::ids::BlockHash;
use alloc::string::String;
use core::fmt::Write as _;
use four_at_once::Midstate;
use sha2::{Digest, Sha256};

/// A header being mined: its prefix hashed once, ready for many [`NonceSearch::run`]s
/// (from as many threads as wanted, each on its own nonce range).
#[derive(Debug, Clone)]
pub struct NonceSearch {
    header: BlockHeader,
    prefix: Sha256,
    midstate: Midstate,
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
        let midstate = Midstate::new(message.as_bytes());
        NonceSearch {
            header,
            prefix,
            midstate,
        }
    }

    /// The header being mined.
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// Tries the nonces `start`, `start + 1`, … (at most `attempts`, never past
    /// `u64::MAX`) and stops at the first that meets the difficulty.
    pub fn run(&self, start: u64, attempts: u64) -> Searched {
        if cfg!(target_arch = "wasm32") {
            self.four_at_a_time(start, attempts)
        } else {
            self.one_at_a_time(start, attempts)
        }
    }

    /// [`NonceSearch::run`] with the `sha2` crate, one nonce after the other (it uses the
    /// CPU's SHA-256 instructions where there are some).
    fn one_at_a_time(&self, start: u64, attempts: u64) -> Searched {
        let end = start.saturating_add(attempts);
        let mut tally = Tally::new(start);
        let mut digits = Digits::new(start);
        for nonce in start..end {
            let mut h = self.prefix.clone();
            h.update(digits.as_bytes());
            let hash = BlockHash::from_bytes(h.finalize().into());
            if tally.saw(
                nonce,
                leading_zero_bits(&hash),
                || hash,
                self.header.difficulty,
            ) {
                return tally.found(self.header, nonce, hash);
            }
            digits.increment();
        }
        tally.tried_all(end)
    }

    /// [`NonceSearch::run`] four nonces at a time through SIMD lanes, where the four
    /// have as many digits; one at a time where they do not (at 9→10, 99→100, …) and
    /// for the last few of the range.
    fn four_at_a_time(&self, start: u64, attempts: u64) -> Searched {
        let end = start.saturating_add(attempts);
        let mut tally = Tally::new(start);
        let mut digits = Digits::new(start);
        let mut last = self.midstate.last_blocks(digits.len());
        let mut nonce = start;
        while nonce < end {
            if digits.len() != last.digits() {
                last = self.midstate.last_blocks(digits.len());
            }
            let mut four = [digits; 4];
            for n in 1..4 {
                four[n] = four[n - 1];
                four[n].increment();
            }
            if end - nonce < 4 || four[3].len() != digits.len() {
                let one = self.one_at_a_time(nonce, 1);
                let (_, hash) = one.best.expect("one nonce was tried");
                if tally.saw(nonce, one.best_bits, || hash, self.header.difficulty) {
                    return tally.found(self.header, nonce, hash);
                }
                nonce += 1;
                digits.increment();
                continue;
            }
            let states = self.midstate.hash4(
                &last,
                [
                    four[0].as_bytes(),
                    four[1].as_bytes(),
                    four[2].as_bytes(),
                    four[3].as_bytes(),
                ],
            );
            for (n, state) in states.iter().enumerate() {
                let bits = four_at_once::leading_zero_bits(state);
                let hash = || BlockHash::from_bytes(four_at_once::hash_bytes(state));
                if tally.saw(nonce + n as u64, bits, hash, self.header.difficulty) {
                    return tally.found(self.header, nonce + n as u64, hash());
                }
            }
            nonce += 4;
            digits = four[3];
            digits.increment();
        }
        tally.tried_all(end)
    }
}

/// The best hash so far of one [`NonceSearch::run`].
struct Tally {
    start: u64,
    best_bits: u64,
    best: Option<(u64, BlockHash)>,
}

impl Tally {
    fn new(start: u64) -> Tally {
        Tally {
            start,
            best_bits: 0,
            best: None,
        }
    }

    /// Counts `nonce`, whose hash has `bits` leading zero bits (the hash itself is only
    /// made when it is the best so far); says whether it meets `difficulty`.
    fn saw(
        &mut self,
        nonce: u64,
        bits: u64,
        hash: impl FnOnce() -> BlockHash,
        difficulty: u64,
    ) -> bool {
        if self.best.is_none() || bits > self.best_bits {
            self.best_bits = bits;
            self.best = Some((nonce, hash()));
        }
        bits >= difficulty
    }

    fn found(self, header: BlockHeader, nonce: u64, hash: BlockHash) -> Searched {
        Searched {
            found: Some((BlockHeader { nonce, ..header }, hash)),
            best_bits: self.best_bits,
            best: self.best,
            tried: nonce - self.start + 1,
        }
    }

    fn tried_all(self, end: u64) -> Searched {
        Searched {
            found: None,
            best_bits: self.best_bits,
            best: self.best,
            tried: end - self.start,
        }
    }
}

/// A u64 in decimal ASCII, counted up in place.
#[derive(Clone, Copy)]
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

    fn len(&self) -> usize {
        self.buf.len() - self.first
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

    #[test]
    fn four_at_a_time_answers_as_one_at_a_time_does() {
        // Ranges across digit counts (9→10, 9_999_999→10_000_000), ragged ends, the top
        // of u64, finds at difficulty 8 and none at 200, and heights that move where the
        // nonce begins in the last SHA-256 block.
        let ranges = [
            (0u64, 1u64 << 12),
            (5, 7),
            (9_999_990, 40),
            (123_456, 1001),
            (u64::MAX - 9, 20),
        ];
        for height in [1u64, 12, 1234, 99_999] {
            for difficulty in [8u64, 200] {
                for (start, attempts) in ranges {
                    let h = BlockHeader {
                        height,
                        ..header(difficulty)
                    };
                    let search = NonceSearch::new(h);
                    assert_eq!(
                        search.four_at_a_time(start, attempts),
                        search.one_at_a_time(start, attempts),
                        "height {height}, difficulty {difficulty}, nonces {start}+{attempts}"
                    );
                }
            }
        }
    }
}
