//! Four nonces hashed at once, for the browser's mining workers (WebAssembly has no
//! SHA-256 instructions, but it has 4-word SIMD): the header message's whole 64-byte
//! blocks are compressed once (the midstate), and so are the first rounds of the last
//! block while its words hold only the message, before the nonce's digits begin.
//!
//! ```text
//! message  = prefix                                   nonce digits   padding
//!            [64 B][64 B][64 B][tail: k words + rest][d digits][0x80 0… length]
//!            └── midstate, once ──┘└ rounds 0..k, once┘└─ rounds k..64, per nonce ─┘
//! ```

use super::lanes::{self, Lane, X4};

/// The header message up to its nonce, compressed as far as it is the same for every
/// nonce.
#[derive(Debug, Clone)]
pub(crate) struct Midstate {
    /// The state after the prefix's whole blocks.
    state: [u32; 8],
    /// The prefix's bytes after them (fewer than 64).
    tail: [u8; 64],
    tail_len: usize,
    /// The prefix's whole length in bytes.
    prefix_len: usize,
}

/// The last block(s) for nonces of one digit count: everything but the digits filled in.
#[derive(Debug, Clone)]
pub(crate) struct LastBlocks {
    digits: usize,
    /// Tail, zeros where the digits go, padding and length: one block or two.
    bytes: [u8; 128],
    blocks: usize,
    words: [u32; 32],
    /// The working variables after the rounds that read only the tail's words.
    early: [u32; 8],
    /// How many rounds that is.
    early_rounds: usize,
}

impl LastBlocks {
    /// How many digits the nonces have.
    pub(crate) fn digits(&self) -> usize {
        self.digits
    }
}

impl Midstate {
    pub(crate) fn new(prefix: &[u8]) -> Midstate {
        let whole = prefix.len() / 64 * 64;
        let mut state = lanes::INITIAL;
        for block in prefix[..whole].chunks(64) {
            state = lanes::compress(state, &lanes::words(block));
        }
        let mut tail = [0u8; 64];
        tail[..prefix.len() - whole].copy_from_slice(&prefix[whole..]);
        Midstate {
            state,
            tail,
            tail_len: prefix.len() - whole,
            prefix_len: prefix.len(),
        }
    }

    /// The last blocks for nonces written with `digits` digits.
    pub(crate) fn last_blocks(&self, digits: usize) -> LastBlocks {
        let end = self.tail_len + digits;
        let blocks = if end + 9 <= 64 { 1 } else { 2 };
        let mut bytes = [0u8; 128];
        bytes[..self.tail_len].copy_from_slice(&self.tail[..self.tail_len]);
        bytes[end] = 0x80;
        let bits = ((self.prefix_len + digits) as u64) * 8;
        bytes[blocks * 64 - 8..blocks * 64].copy_from_slice(&bits.to_be_bytes());
        let mut words = [0u32; 32];
        words[..16].copy_from_slice(&lanes::words(&bytes[..64]));
        words[16..].copy_from_slice(&lanes::words(&bytes[64..]));
        let early_rounds = self.tail_len / 4;
        let first: &[u32; 16] = words[..16].try_into().expect("16 words");
        LastBlocks {
            digits,
            bytes,
            blocks,
            words,
            early: lanes::rounds(self.state, first, 0, early_rounds),
            early_rounds,
        }
    }

    /// The hashes of four messages that end in `digits[0..4]` (each `last.digits`
    /// long), as SHA-256 states: word `i` of lane `n` is bytes `4i..4i+4` of hash `n`.
    pub(crate) fn hash4(&self, last: &LastBlocks, digits: [&[u8]; 4]) -> [[u32; 8]; 4] {
        let from = self.tail_len;
        let to = from + last.digits;
        // Only the words the digits touch differ between the four messages.
        let (first_word, end_word) = (from / 4, to.div_ceil(4));
        let mut lane_words = [[0u32; 4]; 32];
        for (n, d) in digits.iter().enumerate() {
            let mut bytes = last.bytes;
            bytes[from..to].copy_from_slice(d);
            for (w, words) in lane_words
                .iter_mut()
                .enumerate()
                .take(end_word)
                .skip(first_word)
            {
                words[n] = u32::from_be_bytes([
                    bytes[4 * w],
                    bytes[4 * w + 1],
                    bytes[4 * w + 2],
                    bytes[4 * w + 3],
                ]);
            }
        }
        let block = |b: usize| -> [X4; 16] {
            core::array::from_fn(|i| {
                let w = b * 16 + i;
                if (first_word..end_word).contains(&w) {
                    X4::new(lane_words[w])
                } else {
                    X4::splat(last.words[w])
                }
            })
        };
        let state = self.state.map(X4::splat);
        let worked = lanes::rounds(last.early.map(X4::splat), &block(0), last.early_rounds, 64);
        let mut out = lanes::finish(state, worked);
        if last.blocks == 2 {
            out = lanes::compress(out, &block(1));
        }
        let words = out.map(X4::words);
        core::array::from_fn(|n| core::array::from_fn(|i| words[i][n]))
    }
}

/// The hash's leading zero bits, from its state words.
pub(crate) fn leading_zero_bits(state: &[u32; 8]) -> u64 {
    let mut bits = 0;
    for word in state {
        if *word != 0 {
            return bits + u64::from(word.leading_zeros());
        }
        bits += 32;
    }
    bits
}

/// The hash's bytes, from its state words.
pub(crate) fn hash_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, word) in state.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;
    use sha2::{Digest, Sha256};

    #[test]
    fn four_hashes_match_sha2_for_every_tail_length_and_digit_count() {
        for prefix_len in [0usize, 1, 40, 47, 48, 55, 56, 63, 64, 100, 237, 240, 250] {
            let prefix: Vec<u8> = (0..prefix_len).map(|i| b'a' + (i % 26) as u8).collect();
            let mid = Midstate::new(&prefix);
            for digits in [1usize, 7, 8, 9, 16, 20] {
                let last = mid.last_blocks(digits);
                let texts: [Vec<u8>; 4] = core::array::from_fn(|n| {
                    format!(
                        "{:0>width$}",
                        10u64.pow(digits as u32 - 1) + n as u64 * 2,
                        width = digits
                    )
                    .into_bytes()
                });
                let states = mid.hash4(&last, [&texts[0], &texts[1], &texts[2], &texts[3]]);
                for (n, text) in texts.iter().enumerate() {
                    let mut message = prefix.clone();
                    message.extend_from_slice(text);
                    let expected: [u8; 32] = Sha256::digest(&message).into();
                    assert_eq!(
                        hash_bytes(&states[n]),
                        expected,
                        "prefix {prefix_len}, {digits} digits, lane {n}"
                    );
                }
            }
        }
    }

    #[test]
    fn leading_zero_bits_reads_across_words() {
        assert_eq!(leading_zero_bits(&[0, 0, 1, 0, 0, 0, 0, 0]), 95);
        assert_eq!(leading_zero_bits(&[0x0000_ffff, 0, 0, 0, 0, 0, 0, 0]), 16);
        assert_eq!(leading_zero_bits(&[0; 8]), 256);
    }
}
