//! How long signing a transfer takes in this tab (issue 5's in-browser figure).
//!
//! Browsers coarsen `performance.now()` (to 100 µs in Chromium without cross-origin
//! isolation), which is about the time of one signature, so signatures are timed in
//! batches and the median is taken over the batches' per-signature times.

use crate::format::decimal;
use ed25519_dalek::SigningKey;
use simplechain_core::{Address, ChainId, Transaction};

/// Batches timed.
pub const BATCHES: usize = 21;
/// Signatures per batch.
pub const PER_BATCH: usize = 50;

/// Signs `BATCHES × PER_BATCH` transfers with a throwaway key; returns the median and
/// the fastest batch's time per signature, in milliseconds.
pub fn measure() -> Option<(f64, f64)> {
    let performance = web_sys::window()?.performance()?;
    let key = SigningKey::from_bytes(&[42; 32]);
    let chain = ChainId::from_bytes([1; 32]);
    let receiver = Address::from_bytes([2; 32]);
    let mut per_signature = Vec::with_capacity(BATCHES);
    let mut nonce = 0u64;
    for _ in 0..BATCHES {
        let start = performance.now();
        for _ in 0..PER_BATCH {
            std::hint::black_box(Transaction::sign(&key, &chain, receiver, 1, nonce));
            nonce += 1;
        }
        per_signature.push((performance.now() - start) / PER_BATCH as f64);
    }
    per_signature.sort_by(f64::total_cmp);
    Some((per_signature[BATCHES / 2], per_signature[0]))
}

/// A sentence with the measurement.
pub fn report() -> String {
    match measure() {
        Some((median, fastest)) => format!(
            "signing: median {} ms per signature (fastest batch {} ms), {BATCHES} batches of {PER_BATCH}",
            decimal(median, 3),
            decimal(fastest, 3)
        ),
        None => "this browser has no timer".into(),
    }
}
