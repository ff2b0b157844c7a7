//! The JSON chain decoder and validation: arbitrary bytes decoded as a chain
//! (`{"blocks":[…]}`, as `SYNC_BLOCKCHAIN` does), then validated every way there is and
//! compared with an independent validator (see `src/lib.rs`). A decoded chain also
//! re-encodes to JSON that decodes to the same chain.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simplechain_core::protocol::ChainJson;

/// A fixed clock (May 2033), so that a run is repeatable and real chains are not ahead.
const NOW_MS: u64 = 2_000_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(chain) = serde_json::from_slice::<ChainJson>(data) else {
        return;
    };
    let again: ChainJson =
        serde_json::from_str(&serde_json::to_string(&chain).expect("encodes")).expect("decodes");
    assert_eq!(again, chain);
    simplechain_fuzz::check_chain(&chain.blocks, NOW_MS);
    let hashes: Vec<_> = chain.blocks.iter().map(|b| b.hash).collect();
    if let Some(genesis) = chain.blocks.first() {
        simplechain_fuzz::check_fork(&hashes[..hashes.len() / 2], &hashes, genesis.header.difficulty);
    }
});
