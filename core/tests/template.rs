//! A block built from verified transactions (`BlockTemplate` → `BuiltBlock`) passes
//! exactly the rules a block off the wire passes, and leaves the same state.

use ed25519_dalek::SigningKey;
use simplechain_core::template::BlockTemplate;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::{ChainState, Rule};
use simplechain_core::{Address, BLOCK_REWARD, Block, ChainId, Transaction};

const T0: u64 = 1_763_900_000_000;

fn mined(template: BlockTemplate) -> simplechain_core::template::BuiltBlock {
    let header = *template.header();
    let (found, hash) = header
        .mine(0, u64::MAX)
        .expect("difficulty 4 is found quickly");
    template.into_block(found.nonce, hash)
}

#[test]
fn a_built_block_checks_and_applies_like_the_same_block_off_the_wire() {
    let alice = SigningKey::from_bytes(&[1; 32]);
    let genesis = Block::genesis(address_of(&alice), 1000, 4, T0);
    let chain = ChainId::from(genesis.hash);
    let bob = Address::from_bytes([2; 32]);
    let miner = Address::from_bytes([3; 32]);
    let txs: Vec<_> = (0..3)
        .map(|n| {
            Transaction::sign(&alice, &chain, bob, 10 + n, n)
                .verified(&chain)
                .unwrap()
        })
        .collect();
    let start = ChainState::genesis(&genesis, None).unwrap();
    let built = mined(BlockTemplate::new(&start, miner, BLOCK_REWARD, T0 + 5, txs));

    let mut own = start.clone();
    let effects = own.check_built(&built).unwrap();
    assert_eq!(effects.txids(), built.txids());
    let valid = own.apply(built.block().clone(), effects).unwrap();
    assert_eq!(valid.txids(), built.txids());

    let mut wire = start.clone();
    let txids = wire.apply_block(built.block(), Some(T0)).unwrap();
    assert_eq!(txids, built.txids());
    assert_eq!(own.ledger, wire.ledger);
    assert_eq!((own.height, own.tip), (wire.height, wire.tip));
    assert_eq!(own.ledger.account(&bob).balance, 10 + 11 + 12);
    assert_eq!(own.ledger.account(&miner).balance, BLOCK_REWARD);
}

#[test]
fn a_built_block_on_a_tip_that_moved_is_refused_and_changes_nothing() {
    let alice = SigningKey::from_bytes(&[1; 32]);
    let genesis = Block::genesis(address_of(&alice), 1000, 4, T0);
    let start = ChainState::genesis(&genesis, None).unwrap();
    let miner = Address::from_bytes([3; 32]);
    let first = mined(BlockTemplate::new(
        &start,
        miner,
        BLOCK_REWARD,
        T0,
        Vec::new(),
    ));
    let mut moved = start.clone();
    let effects = moved.check_built(&first).unwrap();
    moved.apply(first.block().clone(), effects).unwrap();
    // A second block built on genesis no longer extends the tip.
    let late = mined(BlockTemplate::new(
        &start,
        miner,
        BLOCK_REWARD,
        T0,
        Vec::new(),
    ));
    let before = moved.ledger.clone();
    let error = moved.check_built(&late).unwrap_err();
    assert_eq!(
        error.rule,
        Rule::Height {
            expected: 2,
            found: 1
        }
    );
    assert_eq!(moved.ledger, before);
    // Effects checked against one tip do not apply on another.
    let stale = start.check_built(&late).unwrap();
    assert!(moved.apply(late.block().clone(), stale).is_err());
    assert_eq!(moved.ledger, before);
}
