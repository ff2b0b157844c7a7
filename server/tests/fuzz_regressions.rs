//! Every input the fuzzers (fuzz/, scripts/fuzz.sh) found that broke a check, kept as a
//! plain test. The raw inputs are also in fuzz/corpus/<target>/regression-*, which the
//! smoke run replays.

use bytes::BytesMut;
use ed25519_dalek::SigningKey;
use simplechain_core::line::{Frame, LineCodec};
use simplechain_core::parallel::validate_chain_parallel;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::{ChainError, Rule, validate_chain};
use simplechain_core::{Block, ChainId, Signature, Transaction};
use tokio_util::codec::Decoder;

/// chain_json, crash-ddf63934: a block that claims the height of the block before it
/// and carries a bad signature. The server's parallel validator keyed the bad signature
/// by the claimed height, so it blamed the earlier block (whose signature is fine):
/// `INVALID:1:transaction 0: signature …` instead of the first broken rule,
/// `INVALID:2:height is 1, expected 2`. Fixed in core/src/parallel.rs (the
/// position in the chain, not the claimed height).
#[test]
fn a_bad_signature_in_a_block_claiming_an_earlier_height_is_not_blamed_on_that_block() {
    let alice = SigningKey::from_bytes(&[1; 32]);
    let bob = address_of(&SigningKey::from_bytes(&[2; 32]));
    let genesis = Block::genesis(address_of(&alice), 1000, 0, 1_763_900_000_000);
    let id = ChainId::from(genesis.hash);
    let first = Block::next(
        &genesis,
        &id,
        bob,
        genesis.header.timestamp,
        vec![Transaction::sign(&alice, &id, bob, 5, 0)],
    );
    let mut bad = Transaction::sign(&alice, &id, bob, 5, 1);
    let mut sig = bad.signature.to_bytes();
    sig[0] ^= 1;
    bad.signature = Signature::from_bytes(sig);
    let mut second = Block::next(&first, &id, bob, first.header.timestamp, vec![bad]);
    second.header.height = 1;
    second.hash = second.compute_hash();
    let chain = [genesis, first, second];

    let strict = validate_chain(&chain, None).unwrap_err();
    assert_eq!(
        strict,
        ChainError {
            height: 2,
            rule: Rule::Height {
                expected: 2,
                found: 1
            }
        }
    );
    assert_eq!(validate_chain_parallel(&chain, None).unwrap_err(), strict);
}

/// line_parser, crash-a9e303e8: with a sync limit below 16 bytes, a line that begins
/// like `SYNC_BLOCKCHAIN:` and then is not was measured against the sync limit or the
/// line limit depending on how the bytes were split into reads. Either way it is
/// `too_long` and the connection closes (only the limit named in the message differs),
/// so this is a fuzz-harness finding, not a server bug; this test pins the behaviour.
#[test]
fn a_line_that_only_starts_like_sync_is_too_long_however_it_is_read() {
    let input = b"SYNC_BLOCKCHISTORY:xxxxxxxxxxxxxxxxxxxxxxxx";
    for read in [1, 3, 4, 12, input.len()] {
        let mut codec = LineCodec::new(10, 11);
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for chunk in input.chunks(read) {
            buf.extend_from_slice(chunk);
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                frames.push(frame);
            }
        }
        assert!(
            matches!(frames.as_slice(), [Frame::TooLong { .. }]),
            "reads of {read}: {frames:?}"
        );
    }
}
