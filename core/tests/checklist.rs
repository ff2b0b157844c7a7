//! The per-rule checklist of one block (`validate::checklist`): a valid block passes
//! every rule; a block with one field tampered (and re-mined where the tampering is
//! not about the hash) fails exactly the rule about that field, and nothing else; and
//! the server's check (`ChainState::check_block`) refuses it naming one of the rules
//! the checklist marks ✘.

use ed25519_dalek::SigningKey;
use simplechain_core::block::{Block, BlockHeader, leading_zero_bits};
use simplechain_core::merkle::merkle_root;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::checklist::{
    CheckName, Context, Missing, Outcome, Parent, RuleCheck, all_hold, checklist,
};
use simplechain_core::validate::{ChainState, Rule};
use simplechain_core::{Address, BlockHash, ChainId, MerkleRoot, Transaction, TxId};

const D: u64 = 4;
const T0: u64 = 1_763_900_000_000;
const NOW: u64 = T0 + 10_000;

fn alice() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}
fn bob() -> Address {
    address_of(&SigningKey::from_bytes(&[2; 32]))
}
fn miner() -> Address {
    Address::from_bytes([3; 32])
}

fn genesis() -> Block {
    Block::genesis(address_of(&alice()), 10_000, D, T0)
}

/// The state after genesis, and block 1 with `txs` on top of it.
fn block_with(txs: impl FnOnce(&ChainId) -> Vec<Transaction>) -> (ChainState, Block) {
    let genesis = genesis();
    let state = ChainState::genesis(&genesis, Some(NOW)).unwrap();
    let chain = state.chain_id;
    let block = Block::next(&genesis, &chain, miner(), T0 + 1000, txs(&chain));
    (state, block)
}

/// Block 1 with two valid payments.
fn valid() -> (ChainState, Block) {
    block_with(|chain| {
        vec![
            Transaction::sign(&alice(), chain, bob(), 100, 0),
            Transaction::sign(&alice(), chain, bob(), 50, 1),
        ]
    })
}

/// Mines `block` again after its fields changed, so its hash and proof of work hold.
fn remine(block: &mut Block) {
    let (header, hash) = block
        .header
        .mine(0, u64::MAX)
        .expect("a nonce at difficulty 4");
    block.header = header;
    block.hash = hash;
}

/// Gives `block` the Merkle root of its transactions on `chain`, and re-mines it.
fn fix_root(block: &mut Block, chain: &ChainId) {
    let ids: Vec<TxId> = block.transactions.iter().map(|t| t.txid(chain)).collect();
    block.header.tx_root = merkle_root(&ids);
    remine(block);
}

/// The rules that fail, as (key, transaction index).
fn failing(list: &[RuleCheck]) -> Vec<(&'static str, Option<usize>)> {
    list.iter()
        .filter(|c| !c.ok())
        .map(|c| (c.name.key(), c.name.transaction()))
        .collect()
}

/// Checks `block` on `state` both ways: the checklist fails exactly `expected`, and
/// the server's check refuses the block with one of the checklist's broken rules.
fn fails_exactly(state: &ChainState, block: &Block, expected: &[(&'static str, Option<usize>)]) {
    let list = checklist(block, &Context::on(state, Some(NOW)));
    assert_eq!(failing(&list), expected, "{list:#?}");
    let refused = state
        .check_block(block, Some(NOW))
        .expect_err("the server's check refuses it too");
    let broken: Vec<Rule> = list
        .iter()
        .filter_map(|c| match c.outcome {
            Outcome::Broken(rule) => Some(rule),
            _ => None,
        })
        .collect();
    assert!(
        broken.contains(&refused.rule),
        "check_block says {:?}, the checklist {broken:?}",
        refused.rule
    );
}

#[test]
fn a_valid_block_passes_every_rule_and_says_which() {
    let (state, block) = valid();
    let list = checklist(&block, &Context::on(&state, Some(NOW)));
    assert!(all_hold(&list), "{list:#?}");
    assert!(state.check_block(&block, Some(NOW)).is_ok());
    let keys: Vec<&str> = list.iter().map(|c| c.name.key()).collect();
    let per_tx = ["signature", "amount", "not_self", "nonce", "balance"];
    let mut expected = vec![
        "height",
        "prev_hash",
        "difficulty",
        "reward",
        "timestamp",
        "tx_count",
        "hash",
        "pow",
        "future",
    ];
    expected.extend(per_tx);
    expected.extend(per_tx);
    expected.push("tx_root");
    assert_eq!(keys, expected);
    assert!(list.iter().all(|c| c.sentence() == "holds"));
    assert_eq!(
        list[list.len() - 2].name.title(),
        "transaction 1: amount ≤ the sender's balance"
    );
}

#[test]
fn a_valid_genesis_passes_the_genesis_rules() {
    let genesis = genesis();
    let context = Context {
        chain_id: ChainId::from(genesis.hash),
        difficulty: D,
        parent: None,
        ledger: None,
        now_ms: None,
    };
    let list = checklist(&genesis, &context);
    assert!(all_hold(&list), "{list:#?}");
    assert_eq!(list[0].name, CheckName::GenesisHeight);
    let mut with_tx = genesis.clone();
    with_tx.transactions = valid().1.transactions;
    let broken: Vec<&str> = checklist(&with_tx, &context)
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Broken(_)))
        .map(|c| c.name.key())
        .collect();
    assert_eq!(broken, ["genesis_transactions", "tx_root"]);
}

#[test]
fn each_header_field_tampered_breaks_its_own_rule_alone() {
    let (state, good) = valid();

    let mut b = good.clone();
    b.hash = BlockHash::from_bytes([0; 32]);
    fails_exactly(&state, &b, &[("hash", None)]);

    // A nonce whose hash is claimed honestly but misses the difficulty.
    let mut b = good.clone();
    let header = b.header;
    let weak = (0..)
        .map(|n| BlockHeader { nonce: n, ..header })
        .find(|h| leading_zero_bits(&h.hash()) < D)
        .unwrap();
    b.header.nonce = weak.nonce;
    b.hash = weak.hash();
    fails_exactly(&state, &b, &[("pow", None)]);

    let mut b = good.clone();
    b.header.tx_root = MerkleRoot::from_bytes([7; 32]);
    remine(&mut b);
    fails_exactly(&state, &b, &[("tx_root", None)]);

    let mut b = good.clone();
    b.header.height = 2;
    remine(&mut b);
    fails_exactly(&state, &b, &[("height", None)]);

    let mut b = good.clone();
    b.header.prev_hash = BlockHash::from_bytes([5; 32]);
    remine(&mut b);
    fails_exactly(&state, &b, &[("prev_hash", None)]);

    let mut b = good.clone();
    b.header.difficulty = D + 1;
    remine(&mut b);
    fails_exactly(&state, &b, &[("difficulty", None)]);

    let mut b = good.clone();
    b.header.reward = 51;
    remine(&mut b);
    fails_exactly(&state, &b, &[("reward", None)]);

    let mut b = good.clone();
    b.header.timestamp = T0 - 1;
    remine(&mut b);
    fails_exactly(&state, &b, &[("timestamp", None)]);

    let mut b = good.clone();
    b.header.timestamp = NOW + 3 * 60 * 60 * 1000;
    remine(&mut b);
    fails_exactly(&state, &b, &[("future", None)]);

    // Without re-mining, a changed nonce or timestamp breaks the hash, and the real
    // hash almost never meets the difficulty (here it does not: checked).
    let mut b = good.clone();
    b.header.nonce += 1;
    let expected: &[_] = if leading_zero_bits(&b.compute_hash()) < D {
        &[("hash", None), ("pow", None)]
    } else {
        &[("hash", None)]
    };
    fails_exactly(&state, &b, expected);
}

#[test]
fn too_many_transactions_breaks_only_the_count() {
    let (state, mut b) = block_with(|chain| {
        (0..4097)
            .map(|n| Transaction::sign(&alice(), chain, bob(), 1, n))
            .collect()
    });
    fix_root(&mut b, &state.chain_id.clone());
    fails_exactly(&state, &b, &[("tx_count", None)]);
}

#[test]
fn each_transaction_rule_fails_alone() {
    let one = |amount: u64, nonce: u64, to: Address| {
        move |chain: &ChainId| vec![Transaction::sign(&alice(), chain, to, amount, nonce)]
    };
    let (state, b) = block_with(one(0, 0, bob()));
    fails_exactly(&state, &b, &[("amount", Some(0))]);
    let (state, b) = block_with(one(5, 0, address_of(&alice())));
    fails_exactly(&state, &b, &[("not_self", Some(0))]);
    let (state, b) = block_with(one(5, 3, bob()));
    fails_exactly(&state, &b, &[("nonce", Some(0))]);
    let (state, b) = block_with(one(20_000, 0, bob()));
    fails_exactly(&state, &b, &[("balance", Some(0))]);

    // Another transaction's signature: the txid (and so tx_root) is unchanged.
    let (state, mut b) = valid();
    b.transactions[0].signature = b.transactions[1].signature;
    remine(&mut b);
    fails_exactly(&state, &b, &[("signature", Some(0))]);

    // A changed amount breaks the signature (it covers the amount) and tx_root (the
    // txid changes with it); re-mined, nothing else.
    let (state, mut b) = valid();
    b.transactions[1].amount = 60;
    remine(&mut b);
    fails_exactly(&state, &b, &[("signature", Some(1)), ("tx_root", None)]);
}

#[test]
fn a_later_transaction_is_judged_on_the_balances_the_earlier_ones_leave() {
    // 10 000 to bob, then 1 more: the second is over the balance left.
    let (state, b) = block_with(|chain| {
        vec![
            Transaction::sign(&alice(), chain, bob(), 10_000, 0),
            Transaction::sign(&alice(), chain, bob(), 1, 1),
        ]
    });
    fails_exactly(&state, &b, &[("balance", Some(1))]);
}

#[test]
fn without_the_chain_state_it_says_what_it_needs() {
    let (state, block) = valid();
    let no_ledger = Context {
        ledger: None,
        ..Context::on(&state, None)
    };
    let list = checklist(&block, &no_ledger);
    let needs: Vec<_> = list
        .iter()
        .filter(|c| c.outcome == Outcome::Needs(Missing::ChainState))
        .map(|c| (c.name.key(), c.name.transaction()))
        .collect();
    assert_eq!(
        needs,
        [
            ("nonce", Some(0)),
            ("balance", Some(0)),
            ("nonce", Some(1)),
            ("balance", Some(1))
        ]
    );
    assert!(
        list.iter()
            .all(|c| c.ok() || c.outcome == Outcome::Needs(Missing::ChainState))
    );
    assert!(list[11].sentence().contains("needs the chain state"));
    assert!(!list.iter().any(|c| c.name.key() == "future"), "no clock");

    let no_parent = Context {
        parent: None,
        ..no_ledger
    };
    let list = checklist(&block, &no_parent);
    let needs: Vec<_> = list
        .iter()
        .filter(|c| c.outcome == Outcome::Needs(Missing::Parent))
        .map(|c| c.name.key())
        .collect();
    assert_eq!(needs, ["height", "prev_hash", "timestamp"]);

    // The parent given as a block is the state's tip.
    let parent = Parent::of(&genesis());
    assert_eq!(parent, Parent::tip_of(&state));
}

#[test]
fn the_ledger_a_sandbox_block_leaves_is_the_chains_for_a_valid_block() {
    let (mut state, block) = valid();
    let after = simplechain_core::validate::checklist::ledger_after(&state.ledger, &block);
    state.apply_block(&block, Some(NOW)).unwrap();
    assert_eq!(after, state.ledger);
    // A transaction that does not apply is passed over; the reward still lands.
    let (state, block) = block_with(|chain| vec![Transaction::sign(&alice(), chain, bob(), 5, 9)]);
    let after = simplechain_core::validate::checklist::ledger_after(&state.ledger, &block);
    assert_eq!(after.account(&bob()).balance, 0);
    assert_eq!(after.account(&miner()).balance, 50);
}
