//! The yardstick: strict Ed25519 verifications per second on one core, measured on
//! transactions exactly as the server checks them (message, key decoding, verify_strict).

use ed25519_dalek::SigningKey;
use simplechain_core::{Address, ChainId, Transaction};
use std::time::Instant;

/// Verifications per second on the calling thread.
pub fn verify_one_core() -> f64 {
    let chain = ChainId::from_bytes([1; 32]);
    let txs: Vec<Transaction> = (0..4000u64)
        .map(|i| {
            let key = SigningKey::from_bytes(&[(i % 200) as u8 + 1; 32]);
            Transaction::sign(&key, &chain, Address::from_bytes([9; 32]), i + 1, i)
        })
        .collect();
    // Warm up, then time several passes.
    let all_ok = txs.iter().all(|tx| tx.verify(&chain).is_ok());
    assert!(all_ok, "freshly signed transactions must verify");
    let passes = 5;
    let started = Instant::now();
    for _ in 0..passes {
        for tx in &txs {
            std::hint::black_box(tx.verify(&chain)).ok();
        }
    }
    (txs.len() * passes) as f64 / started.elapsed().as_secs_f64()
}
