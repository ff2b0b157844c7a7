//! The mempool's rules: pending state, the spendable rule, refusals and their codes.
use super::*;
use crate::wire_error::refusal;
use ed25519_dalek::SigningKey;
use simplechain_core::ChainId;
use simplechain_core::protocol::ErrorCode;
use simplechain_core::transaction::address_of;

fn setup() -> (SigningKey, Ledger, ChainId) {
    let key = SigningKey::from_bytes(&[1; 32]);
    let mut ledger = Ledger::new();
    ledger
        .credit(address_of(&key), 100, &mut UndoLog::default())
        .unwrap();
    (key, ledger, ChainId::from_bytes([3; 32]))
}

#[test]
fn pending_state_refuses_double_spend_and_gaps() {
    let (key, ledger, chain) = setup();
    let to = Address::from_bytes([9; 32]);
    let mut pool = Mempool::new(&ledger, 10);
    let t0 = Transaction::sign(&key, &chain, to, 60, 0);
    pool.admit(t0.verified(&chain).unwrap(), &ledger).unwrap();
    assert_eq!(
        pool.admit(t0.verified(&chain).unwrap(), &ledger)
            .map_err(refusal)
            .unwrap_err()
            .code,
        ErrorCode::Duplicate
    );
    let gap = Transaction::sign(&key, &chain, to, 1, 2);
    assert_eq!(
        pool.admit(gap.verified(&chain).unwrap(), &ledger)
            .map_err(refusal)
            .unwrap_err()
            .code,
        ErrorCode::BadNonce
    );
    let over = Transaction::sign(&key, &chain, to, 41, 1);
    assert_eq!(
        pool.admit(over.verified(&chain).unwrap(), &ledger)
            .map_err(refusal)
            .unwrap_err()
            .code,
        ErrorCode::InsufficientFunds
    );
    let ok = Transaction::sign(&key, &chain, to, 40, 1);
    pool.admit(ok.verified(&chain).unwrap(), &ledger).unwrap();
    assert_eq!(pool.pending().account(&to).balance, 100);
    assert_eq!(pool.len(), 2);
    // Coins received but not confirmed are not spendable yet.
    let to_key = SigningKey::from_bytes(&[9; 32]);
    let onward = Transaction::sign(&to_key, &chain, address_of(&key), 1, 0);
    let mut pool2 = Mempool::new(&ledger, 10);
    let fund = Transaction::sign(&key, &chain, address_of(&to_key), 10, 0);
    pool2
        .admit(fund.verified(&chain).unwrap(), &ledger)
        .unwrap();
    assert_eq!(
        pool2
            .admit(onward.verified(&chain).unwrap(), &ledger)
            .map_err(refusal)
            .unwrap_err()
            .code,
        ErrorCode::InsufficientFunds
    );
}

#[test]
fn mining_a_prefix_keeps_pending_state_and_adds_the_reward() {
    let (key, ledger, chain) = setup();
    let to = Address::from_bytes([9; 32]);
    let mut pool = Mempool::new(&ledger, 10);
    let txs: Vec<Transaction> = (0..3)
        .map(|n| Transaction::sign(&key, &chain, to, 10, n))
        .collect();
    for tx in &txs {
        pool.admit(tx.verified(&chain).unwrap(), &ledger).unwrap();
    }
    let pending = pool.pending().clone();
    // The chain now holds the first two.
    let mut confirmed = ledger.clone();
    for tx in &txs[..2] {
        confirmed.apply(tx, &mut UndoLog::default()).unwrap();
    }
    // ... and the block's reward went to its miner.
    let miner = Address::from_bytes([5; 32]);
    confirmed
        .credit(miner, 50, &mut UndoLog::default())
        .unwrap();
    let mined: Vec<TxId> = txs[..2].iter().map(|t| t.txid(&chain)).collect();
    assert!(
        pool.remove_mined(&mined, (miner, 50), &confirmed)
            .is_empty()
    );
    assert_eq!(pool.len(), 1);
    let mut expected = pending.clone();
    expected.credit(miner, 50, &mut UndoLog::default()).unwrap();
    assert_eq!(pool.pending(), &expected);
    assert_eq!(pool.pending().account(&miner).balance, 50);
    assert_eq!(pool.spendable(&address_of(&key), &confirmed), 70);
    // The same result as re-admitting from scratch.
    let mut fresh = pool.clone();
    fresh.rebuild(&confirmed);
    assert_eq!(fresh.pending(), pool.pending());
    assert_eq!(fresh.spendable(&address_of(&key), &confirmed), 70);
}

#[test]
fn capacity_and_truncate() {
    let (key, ledger, chain) = setup();
    let to = Address::from_bytes([9; 32]);
    let mut pool = Mempool::new(&ledger, 1);
    let t0 = Transaction::sign(&key, &chain, to, 1, 0);
    let seq = pool
        .admit(t0.verified(&chain).unwrap(), &ledger)
        .unwrap()
        .seq;
    let t1 = Transaction::sign(&key, &chain, to, 1, 1);
    assert_eq!(
        pool.admit(t1.verified(&chain).unwrap(), &ledger)
            .map_err(refusal)
            .unwrap_err()
            .code,
        ErrorCode::MempoolFull
    );
    pool.truncate_from(seq, &ledger);
    assert!(pool.is_empty());
    assert_eq!(pool.pending(), &ledger);
}
