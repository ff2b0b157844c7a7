//! What a block tree needs from the chain (PROTOCOL §9): a block checked against any
//! branch's state, blocks run backwards for a reorg, and fork choice between branches.

use ed25519_dalek::SigningKey;
use simplechain_core::fork::overtakes;
use simplechain_core::parallel::preverify;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::{ChainState, PreverifiedBlock, Rule};
use simplechain_core::{Address, Block, ChainId, Transaction};

const T0: u64 = 1_763_900_000_000;
const D: u64 = 4;

fn alice() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}

fn bob() -> SigningKey {
    SigningKey::from_bytes(&[2; 32])
}

fn carol() -> Address {
    Address::from_bytes([3; 32])
}

fn fields(state: &ChainState) -> String {
    format!(
        "{:?} {} {} {}",
        state.ledger, state.height, state.tip, state.tip_timestamp
    )
}

#[test]
fn blocks_applied_and_run_backwards_leave_the_state_byte_identical() {
    let genesis = Block::genesis(address_of(&alice()), 1000, D, T0);
    let chain = ChainId::from(genesis.hash);
    let start = ChainState::genesis(&genesis, None).unwrap();
    let miner = Address::from_bytes([9; 32]);
    // Alice pays Bob, Bob pays Carol from what he just received, in one block; then a
    // second block pays Carol again.
    let b1 = Block::next(
        &genesis,
        &chain,
        miner,
        T0 + 1,
        vec![
            Transaction::sign(&alice(), &chain, address_of(&bob()), 100, 0),
            Transaction::sign(&bob(), &chain, carol(), 60, 0),
        ],
    );
    let b2 = Block::next(
        &b1,
        &chain,
        miner,
        T0 + 2,
        vec![Transaction::sign(&alice(), &chain, carol(), 5, 1)],
    );
    let mut state = start.clone();
    let v1 = state.extend(preverify(&chain, b1.clone()), None).unwrap();
    let after_one = state.clone();
    let v2 = state
        .extend(PreverifiedBlock::verify(chain, b2.clone()), None)
        .unwrap();
    assert_eq!(state.ledger.account(&carol()).balance, 65);

    // Undoing the parent first is refused, and changes nothing.
    let before = fields(&state);
    assert!(state.revert(&b1, &genesis.header).is_err());
    assert_eq!(fields(&state), before);

    state.revert(v2.block(), &b1.header).unwrap();
    assert_eq!(fields(&state), fields(&after_one));
    state.revert(v1.block(), &genesis.header).unwrap();
    assert_eq!(fields(&state), fields(&start));
    assert_eq!(state.ledger.accounts().count(), 1, "bob, carol, miner gone");

    // And forward again gives the same state as the first time.
    state.reapply(&v1).unwrap();
    state.reapply(&v2).unwrap();
    assert_eq!(state.ledger.account(&carol()).balance, 65);
}

#[test]
fn a_block_is_checked_against_its_own_branch() {
    let genesis = Block::genesis(address_of(&alice()), 1000, D, T0);
    let chain = ChainId::from(genesis.hash);
    let start = ChainState::genesis(&genesis, None).unwrap();
    // Branch A pays Bob 100; branch B pays Bob nothing. Bob's payment to Carol is
    // valid on A only.
    let a1 = Block::next(
        &genesis,
        &chain,
        carol(),
        T0 + 1,
        vec![Transaction::sign(
            &alice(),
            &chain,
            address_of(&bob()),
            100,
            0,
        )],
    );
    let b1 = Block::next(&genesis, &chain, carol(), T0 + 2, vec![]);
    let pay = vec![Transaction::sign(&bob(), &chain, carol(), 60, 0)];
    let a2 = Block::next(&a1, &chain, carol(), T0 + 3, pay.clone());
    let b2 = Block::next(&b1, &chain, carol(), T0 + 3, pay);

    let mut on_a = start.clone();
    on_a.extend(preverify(&chain, a1), None).unwrap();
    on_a.extend(preverify(&chain, a2), None).unwrap();

    let mut on_b = start.clone();
    on_b.extend(preverify(&chain, b1), None).unwrap();
    let before = fields(&on_b);
    let refused = on_b.extend(preverify(&chain, b2), None).unwrap_err();
    assert!(matches!(refused.rule, Rule::Transaction { index: 0, .. }));
    assert_eq!(fields(&on_b), before, "a refused block changes nothing");
}

#[test]
fn a_bad_signature_found_beforehand_is_reported_at_its_place() {
    let genesis = Block::genesis(address_of(&alice()), 1000, D, T0);
    let chain = ChainId::from(genesis.hash);
    let start = ChainState::genesis(&genesis, None).unwrap();
    let other_chain = ChainId::from_bytes([7; 32]);
    let txs = vec![
        Transaction::sign(&alice(), &chain, carol(), 1, 0),
        Transaction::sign(&alice(), &other_chain, carol(), 1, 1),
    ];
    let b1 = Block::next(&genesis, &chain, carol(), T0 + 1, txs);
    let checked = start.check_preverified(&preverify(&chain, b1), None);
    assert!(matches!(
        checked.unwrap_err().rule,
        Rule::Signature { index: 1, .. }
    ));
}

#[test]
fn fork_choice_ties_keep_the_branch_seen_first() {
    assert!(!overtakes(7, 7, D));
    assert!(overtakes(8, 7, D));
    assert!(!overtakes(6, 7, D));
}
