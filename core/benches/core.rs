//! Criterion benchmarks of the chain's building blocks: `cargo bench -p simplechain-core`.
//!
//! Besides signing messages, strict verification, block hashing, Merkle roots and
//! ledger application, it measures what batch verification would cost if it had to
//! accept exactly what strict verification accepts: dalek's batch equation is
//! cofactored, so equality with `verify_strict` needs every `R` to be torsion-free, a
//! check that costs a scalar multiplication per signature.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use simplechain_core::block::{Block, BlockHeader};
use simplechain_core::ledger::{Ledger, UndoLog};
use simplechain_core::merkle::merkle_root;
use simplechain_core::transaction::{TxMessage, address_of};
use simplechain_core::{Address, BlockHash, ChainId, MerkleRoot, Transaction, TxId};
use std::hint::black_box;

fn signed(n: usize) -> (ChainId, Vec<Transaction>) {
    let chain = ChainId::from_bytes([1; 32]);
    let txs = (0..n)
        .map(|i| {
            let key = SigningKey::from_bytes(&[(i % 250) as u8 + 1; 32]);
            Transaction::sign(
                &key,
                &chain,
                Address::from_bytes([9; 32]),
                i as u64 + 1,
                i as u64,
            )
        })
        .collect();
    (chain, txs)
}

fn transactions(c: &mut Criterion) {
    let (chain, txs) = signed(64);
    let tx = txs[0];
    c.bench_function("tx_message_build", |b| {
        b.iter(|| TxMessage::new(&chain, &tx.sender, &tx.receiver, tx.amount, tx.nonce))
    });
    c.bench_function("txid", |b| b.iter(|| black_box(&tx).txid(&chain)));
    c.bench_function("verify_strict_tx", |b| {
        b.iter(|| black_box(&tx).verify(&chain))
    });
    let key = SigningKey::from_bytes(&[1; 32]);
    c.bench_function("sign_tx", |b| {
        b.iter(|| Transaction::sign(&key, &chain, Address::from_bytes([9; 32]), 5, 0))
    });
}

fn batch_cost(c: &mut Criterion) {
    use ed25519_dalek as dalek;
    let (chain, txs) = signed(64);
    let messages: Vec<TxMessage> = txs.iter().map(|t| t.message(&chain)).collect();
    let msgs: Vec<&[u8]> = messages.iter().map(|m| m.as_bytes()).collect();
    let sigs: Vec<dalek::Signature> = txs
        .iter()
        .map(|t| dalek::Signature::from_bytes(t.signature.as_bytes()))
        .collect();
    let keys: Vec<dalek::VerifyingKey> = txs
        .iter()
        .map(|t| dalek::VerifyingKey::from_bytes(t.sender.as_bytes()).unwrap())
        .collect();
    c.bench_function("verify_batch_64 (per batch)", |b| {
        b.iter(|| dalek::verify_batch(black_box(&msgs), &sigs, &keys).unwrap())
    });
    let r = curve25519_dalek::edwards::CompressedEdwardsY(sigs[0].r_bytes().to_owned())
        .decompress()
        .unwrap();
    c.bench_function("r_torsion_free_check", |b| {
        b.iter(|| black_box(r).is_torsion_free())
    });
}

fn blocks(c: &mut Criterion) {
    let header = BlockHeader {
        height: 1,
        prev_hash: BlockHash::from_bytes([3; 32]),
        timestamp: 1_763_900_000_000,
        difficulty: 16,
        miner: Address::from_bytes([4; 32]),
        reward: 50,
        tx_root: MerkleRoot::from_bytes([5; 32]),
        nonce: 12345,
    };
    c.bench_function("block_hash", |b| b.iter(|| black_box(&header).hash()));
    c.bench_function("mine_1000_nonces", |b| {
        b.iter(|| black_box(header).mine(0, 1000))
    });
    let leaves: Vec<TxId> = (0..4096u32)
        .map(|i| TxId::from_bytes(simplechain_core::sha256(&i.to_le_bytes())))
        .collect();
    c.bench_function("merkle_root_4096", |b| {
        b.iter(|| merkle_root(black_box(&leaves)))
    });
    c.bench_function("merkle_root_5", |b| {
        b.iter(|| merkle_root(black_box(&leaves[..5])))
    });
    let genesis = Block::genesis(Address::from_bytes([6; 32]), 1000, 0, 1);
    c.bench_function("block_json_decode", |b| {
        let json = serde_json::to_string(&genesis).unwrap();
        b.iter(|| serde_json::from_str::<Block>(black_box(&json)).unwrap())
    });
}

fn ledger(c: &mut Criterion) {
    let chain = ChainId::from_bytes([1; 32]);
    let keys: Vec<SigningKey> = (1..=100u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    let mut base = Ledger::new();
    for k in &keys {
        base.credit(address_of(k), 1_000_000, &mut UndoLog::default())
            .unwrap();
    }
    let txs: Vec<Transaction> = keys
        .iter()
        .map(|k| Transaction::sign(k, &chain, Address::from_bytes([9; 32]), 1, 0))
        .collect();
    c.bench_function("ledger_apply_100_tx", |b| {
        b.iter_batched(
            || base.clone(),
            |mut l| {
                let mut undo = UndoLog::default();
                for tx in &txs {
                    l.apply(tx, &mut undo).unwrap();
                }
                l
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, transactions, batch_cost, blocks, ledger);
criterion_main!(benches);
