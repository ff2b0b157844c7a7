//! SHA-256's compression function written once over a "lane": one 32-bit word
//! (`u32`), or four words side by side ([`X4`]), so four nonces are hashed by the same
//! instructions at once. In the browser, [`X4`] is one WebAssembly SIMD register
//! (`v128`, when the build enables `simd128`); elsewhere it is four plain words, which
//! is how the tests check it against the `sha2` crate.
//!
//! ```text
//! state (8 words) ──┐
//! block (16 words) ─┴─ 64 rounds ─→ state + result      (FIPS 180-4, section 6.2.2)
//! ```

/// What the compression function does to a word: the few operations SHA-256 uses.
pub(crate) trait Lane: Copy {
    fn splat(word: u32) -> Self;
    fn add(self, other: Self) -> Self;
    fn xor(self, other: Self) -> Self;
    fn and(self, other: Self) -> Self;
    /// `!self & other`.
    fn and_not(self, other: Self) -> Self;
    fn rotr(self, bits: u32) -> Self;
    fn shr(self, bits: u32) -> Self;
}

impl Lane for u32 {
    #[inline(always)]
    fn splat(word: u32) -> u32 {
        word
    }
    #[inline(always)]
    fn add(self, other: u32) -> u32 {
        self.wrapping_add(other)
    }
    #[inline(always)]
    fn xor(self, other: u32) -> u32 {
        self ^ other
    }
    #[inline(always)]
    fn and(self, other: u32) -> u32 {
        self & other
    }
    #[inline(always)]
    fn and_not(self, other: u32) -> u32 {
        !self & other
    }
    #[inline(always)]
    fn rotr(self, bits: u32) -> u32 {
        self.rotate_right(bits)
    }
    #[inline(always)]
    fn shr(self, bits: u32) -> u32 {
        self >> bits
    }
}

/// Four words, one per nonce: a WebAssembly `v128` where the build has SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy)]
pub(crate) struct X4(core::arch::wasm32::v128);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl X4 {
    pub(crate) fn new(words: [u32; 4]) -> X4 {
        X4(core::arch::wasm32::u32x4(
            words[0], words[1], words[2], words[3],
        ))
    }

    pub(crate) fn words(self) -> [u32; 4] {
        use core::arch::wasm32::u32x4_extract_lane as lane;
        [
            lane::<0>(self.0),
            lane::<1>(self.0),
            lane::<2>(self.0),
            lane::<3>(self.0),
        ]
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Lane for X4 {
    #[inline(always)]
    fn splat(word: u32) -> X4 {
        X4(core::arch::wasm32::u32x4_splat(word))
    }
    #[inline(always)]
    fn add(self, other: X4) -> X4 {
        X4(core::arch::wasm32::u32x4_add(self.0, other.0))
    }
    #[inline(always)]
    fn xor(self, other: X4) -> X4 {
        X4(core::arch::wasm32::v128_xor(self.0, other.0))
    }
    #[inline(always)]
    fn and(self, other: X4) -> X4 {
        X4(core::arch::wasm32::v128_and(self.0, other.0))
    }
    #[inline(always)]
    fn and_not(self, other: X4) -> X4 {
        // v128_andnot(a, b) is a & !b.
        X4(core::arch::wasm32::v128_andnot(other.0, self.0))
    }
    #[inline(always)]
    fn rotr(self, bits: u32) -> X4 {
        use core::arch::wasm32::{u32x4_shl, u32x4_shr, v128_or};
        X4(v128_or(
            u32x4_shr(self.0, bits),
            u32x4_shl(self.0, 32 - bits),
        ))
    }
    #[inline(always)]
    fn shr(self, bits: u32) -> X4 {
        X4(core::arch::wasm32::u32x4_shr(self.0, bits))
    }
}

/// Four words, one per nonce, as plain words (no SIMD in this build).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
pub(crate) struct X4([u32; 4]);

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl X4 {
    pub(crate) fn new(words: [u32; 4]) -> X4 {
        X4(words)
    }

    pub(crate) fn words(self) -> [u32; 4] {
        self.0
    }

    #[inline(always)]
    fn each(self, other: X4, f: impl Fn(u32, u32) -> u32) -> X4 {
        X4(core::array::from_fn(|i| f(self.0[i], other.0[i])))
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl Lane for X4 {
    #[inline(always)]
    fn splat(word: u32) -> X4 {
        X4([word; 4])
    }
    #[inline(always)]
    fn add(self, other: X4) -> X4 {
        self.each(other, u32::wrapping_add)
    }
    #[inline(always)]
    fn xor(self, other: X4) -> X4 {
        self.each(other, |a, b| a ^ b)
    }
    #[inline(always)]
    fn and(self, other: X4) -> X4 {
        self.each(other, |a, b| a & b)
    }
    #[inline(always)]
    fn and_not(self, other: X4) -> X4 {
        self.each(other, |a, b| !a & b)
    }
    #[inline(always)]
    fn rotr(self, bits: u32) -> X4 {
        X4(self.0.map(|w| w.rotate_right(bits)))
    }
    #[inline(always)]
    fn shr(self, bits: u32) -> X4 {
        X4(self.0.map(|w| w >> bits))
    }
}

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
pub(crate) const INITIAL: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The round constants (FIPS 180-4, 4.2.2).
const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The working variables `a..h` after rounds `0..from` of `block` on `state`:
/// rounds whose message words are the same for every nonce are done once
/// ([`rounds`] with `to` < 64), and every nonce starts from there.
#[inline(always)]
pub(crate) fn rounds<L: Lane>(mut v: [L; 8], block: &[L; 16], from: usize, to: usize) -> [L; 8] {
    let mut w = *block;
    for i in 0..to {
        let wi = if i < 16 {
            w[i]
        } else {
            let (w15, w2) = (w[(i - 15) % 16], w[(i - 2) % 16]);
            let s0 = w15.rotr(7).xor(w15.rotr(18)).xor(w15.shr(3));
            let s1 = w2.rotr(17).xor(w2.rotr(19)).xor(w2.shr(10));
            let next = w[i % 16].add(s0).add(w[(i - 7) % 16]).add(s1);
            w[i % 16] = next;
            next
        };
        if i < from {
            continue;
        }
        let [a, b, c, d, e, f, g, h] = v;
        let s1 = e.rotr(6).xor(e.rotr(11)).xor(e.rotr(25));
        let ch = e.and(f).xor(e.and_not(g));
        let t1 = h.add(s1).add(ch).add(L::splat(K[i])).add(wi);
        let s0 = a.rotr(2).xor(a.rotr(13)).xor(a.rotr(22));
        let maj = a.and(b).xor(a.and(c)).xor(b.and(c));
        let t2 = s0.add(maj);
        v = [t1.add(t2), a, b, c, d.add(t1), e, f, g];
    }
    v
}

/// One whole compression: `state` after `block`.
#[inline(always)]
pub(crate) fn compress<L: Lane>(state: [L; 8], block: &[L; 16]) -> [L; 8] {
    finish(state, rounds(state, block, 0, 64))
}

/// The state after a block, from the state before it and the working variables after
/// its 64 rounds.
#[inline(always)]
pub(crate) fn finish<L: Lane>(state: [L; 8], worked: [L; 8]) -> [L; 8] {
    core::array::from_fn(|i| state[i].add(worked[i]))
}

/// A 64-byte block as 16 big-endian words.
pub(crate) fn words(block: &[u8]) -> [u32; 16] {
    core::array::from_fn(|i| {
        u32::from_be_bytes([
            block[4 * i],
            block[4 * i + 1],
            block[4 * i + 2],
            block[4 * i + 3],
        ])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// SHA-256 of `message` with this file's compression, padding done by hand.
    fn sha256(message: &[u8]) -> [u8; 32] {
        let mut padded = message.to_vec();
        padded.push(0x80);
        while padded.len() % 64 != 56 {
            padded.push(0);
        }
        padded.extend_from_slice(&(message.len() as u64 * 8).to_be_bytes());
        let mut state = INITIAL;
        for block in padded.chunks(64) {
            state = compress(state, &words(block));
        }
        let mut out = [0u8; 32];
        for (i, word) in state.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    #[test]
    fn one_word_lanes_hash_as_sha2_does() {
        for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 200, 257] {
            let message: alloc::vec::Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(
                sha256(&message),
                <[u8; 32]>::from(Sha256::digest(&message)),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn four_lanes_are_four_independent_hashes() {
        let blocks: [[u32; 16]; 4] =
            core::array::from_fn(|lane| core::array::from_fn(|i| (lane * 1000 + i * 17) as u32));
        let x4_block: [X4; 16] =
            core::array::from_fn(|i| X4::new(core::array::from_fn(|l| blocks[l][i])));
        let x4_state = compress(INITIAL.map(X4::splat), &x4_block);
        for (lane, block) in blocks.iter().enumerate() {
            let one = compress(INITIAL, block);
            let four: [u32; 8] = core::array::from_fn(|i| x4_state[i].words()[lane]);
            assert_eq!(one, four, "lane {lane}");
        }
    }

    #[test]
    fn rounds_resumed_part_way_match_a_whole_compression() {
        let block = words(&[0x5a; 64]);
        let whole = compress(INITIAL, &block);
        for from in [0, 1, 12, 15] {
            let first = rounds(INITIAL, &block, 0, from);
            let rest = rounds(first, &block, from, 64);
            assert_eq!(finish(INITIAL, rest), whole, "resumed at round {from}");
        }
    }
}
