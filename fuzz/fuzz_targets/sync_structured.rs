//! Chain validation and fork choice with structured inputs: a small valid chain at
//! difficulty 0 (so that any header change can be re-hashed and stay valid), then a
//! fuzzer-chosen list of mutations — amounts, nonces, signature bytes, senders,
//! receivers, re-signing, heights, prev_hash, timestamps, rewards, difficulty, miners,
//! blocks and transactions reordered, dropped, duplicated, moved or added — and
//! optional repairs (Merkle roots, links, hashes) that let the mutated chain reach the
//! deeper rules. Then:
//! - every validator agrees with the independent one (`src/lib.rs`): a chain is
//!   accepted only if it is valid, and then its balances add up to the supply;
//! - fork choice between the original chain and the mutated one, and between
//!   synthetic chains of up to 300 blocks around the reorg limit, follows §5.6.
#![no_main]

use arbitrary::Arbitrary;
use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use simplechain_core::transaction::address_of;
use simplechain_core::{Address, Block, BlockHash, ChainId, MerkleRoot, Signature, Transaction};
use std::sync::OnceLock;

const T0: u64 = 1_763_900_000_000;
/// The validator's clock: one hour after the base chain's first block.
const NOW_MS: u64 = T0 + 3_600_000;
const KEYS: usize = 4;

fn keys() -> &'static [SigningKey; KEYS] {
    static KEYS_: OnceLock<[SigningKey; KEYS]> = OnceLock::new();
    KEYS_.get_or_init(|| std::array::from_fn(|i| SigningKey::from_bytes(&[i as u8 + 1; 32])))
}

fn addr(i: u8) -> Address {
    address_of(&keys()[usize::from(i) % KEYS])
}

/// Genesis (1000 coins to key 0) and five blocks of transfers between four keys.
fn base() -> &'static Vec<Block> {
    static BASE: OnceLock<Vec<Block>> = OnceLock::new();
    BASE.get_or_init(|| {
        let k = keys();
        let mut chain = vec![Block::genesis(addr(0), 1000, 0, T0)];
        let id = ChainId::from(chain[0].hash);
        let plan: [&[(usize, u8, u64)]; 5] = [
            &[(0, 1, 100), (0, 2, 50)],
            &[(1, 3, 30), (2, 0, 10), (0, 1, 5)],
            &[],
            &[(3, 2, 60), (1, 2, 1)],
            &[(2, 1, 7)],
        ];
        let mut nonces = [0u64; KEYS];
        for (i, txs) in plan.iter().enumerate() {
            let txs = txs
                .iter()
                .map(|&(from, to, amount)| {
                    nonces[from] += 1;
                    Transaction::sign(&k[from], &id, addr(to), amount, nonces[from] - 1)
                })
                .collect();
            let prev = chain.last().unwrap();
            let block = Block::next(prev, &id, addr(3), T0 + 1000 * (i as u64 + 1), txs);
            chain.push(block);
        }
        chain
    })
}

#[derive(Debug, Arbitrary)]
enum Mutation {
    Amount {
        block: u8,
        tx: u8,
        amount: u64,
    },
    Nonce {
        block: u8,
        tx: u8,
        nonce: u64,
    },
    SignatureByte {
        block: u8,
        tx: u8,
        index: u8,
        xor: u8,
    },
    Sender {
        block: u8,
        tx: u8,
        key: u8,
    },
    Receiver {
        block: u8,
        tx: u8,
        key: u8,
    },
    /// Re-signs a transaction with a key (its sender becomes that key).
    Resign {
        block: u8,
        tx: u8,
        key: u8,
    },
    AddTx {
        block: u8,
        from: u8,
        to: u8,
        amount: u64,
        nonce: u8,
    },
    Height {
        block: u8,
        height: u64,
    },
    PrevHashByte {
        block: u8,
        index: u8,
        xor: u8,
    },
    Timestamp {
        block: u8,
        timestamp: u64,
    },
    TimestampDelta {
        block: u8,
        delta: i32,
    },
    Reward {
        block: u8,
        reward: u64,
    },
    Difficulty {
        block: u8,
        difficulty: u64,
    },
    Miner {
        block: u8,
        key: u8,
    },
    TxRootByte {
        block: u8,
        index: u8,
        xor: u8,
    },
    SwapBlocks {
        a: u8,
        b: u8,
    },
    DropBlock {
        block: u8,
    },
    DupBlock {
        block: u8,
    },
    SwapTxs {
        block: u8,
        a: u8,
        b: u8,
    },
    DropTx {
        block: u8,
        tx: u8,
    },
    DupTx {
        block: u8,
        tx: u8,
    },
    MoveTx {
        from: u8,
        tx: u8,
        to: u8,
    },
    Truncate {
        len: u8,
    },
    /// Appends empty blocks, linked and hashed.
    Extend {
        blocks: u8,
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    mutations: Vec<Mutation>,
    fix_tx_roots: bool,
    relink: bool,
    fix_hashes: bool,
    /// Synthetic fork choice: our length, the common prefix, their extra blocks.
    ours: u8,
    common: u8,
    theirs: u16,
    difficulty: u8,
}

fn pick(len: usize, i: u8) -> Option<usize> {
    (len > 0).then(|| usize::from(i) % len)
}

fn tx_mut(chain: &mut [Block], block: u8, tx: u8) -> Option<&mut Transaction> {
    let b = pick(chain.len(), block)?;
    let txs = &mut chain[b].transactions;
    let t = pick(txs.len(), tx)?;
    Some(&mut txs[t])
}

fn block_mut(chain: &mut [Block], block: u8) -> Option<&mut Block> {
    let b = pick(chain.len(), block)?;
    Some(&mut chain[b])
}

fn apply(chain: &mut Vec<Block>, m: &Mutation, id: &ChainId) {
    use Mutation::*;
    match *m {
        Amount { block, tx, amount } => {
            if let Some(t) = tx_mut(chain, block, tx) {
                t.amount = amount;
            }
        }
        Nonce { block, tx, nonce } => {
            if let Some(t) = tx_mut(chain, block, tx) {
                t.nonce = nonce;
            }
        }
        SignatureByte {
            block,
            tx,
            index,
            xor,
        } => {
            if let Some(t) = tx_mut(chain, block, tx) {
                let mut bytes = t.signature.to_bytes();
                bytes[usize::from(index) % 64] ^= xor;
                t.signature = Signature::from_bytes(bytes);
            }
        }
        Sender { block, tx, key } => {
            if let Some(t) = tx_mut(chain, block, tx) {
                t.sender = addr(key);
            }
        }
        Receiver { block, tx, key } => {
            if let Some(t) = tx_mut(chain, block, tx) {
                t.receiver = addr(key);
            }
        }
        Resign { block, tx, key } => {
            if let Some(t) = tx_mut(chain, block, tx) {
                let k = &keys()[usize::from(key) % KEYS];
                *t = Transaction::sign(k, id, t.receiver, t.amount, t.nonce);
            }
        }
        AddTx {
            block,
            from,
            to,
            amount,
            nonce,
        } => {
            if let Some(b) = block_mut(chain, block) {
                let k = &keys()[usize::from(from) % KEYS];
                let tx = Transaction::sign(k, id, addr(to), amount, u64::from(nonce));
                b.transactions.push(tx);
            }
        }
        Height { block, height } => {
            if let Some(b) = block_mut(chain, block) {
                b.header.height = height;
            }
        }
        PrevHashByte { block, index, xor } => {
            if let Some(b) = block_mut(chain, block) {
                let mut bytes = b.header.prev_hash.to_bytes();
                bytes[usize::from(index) % 32] ^= xor;
                b.header.prev_hash = BlockHash::from_bytes(bytes);
            }
        }
        Timestamp { block, timestamp } => {
            if let Some(b) = block_mut(chain, block) {
                b.header.timestamp = timestamp;
            }
        }
        TimestampDelta { block, delta } => {
            if let Some(b) = block_mut(chain, block) {
                b.header.timestamp = b.header.timestamp.saturating_add_signed(i64::from(delta) * 1000);
            }
        }
        Reward { block, reward } => {
            if let Some(b) = block_mut(chain, block) {
                b.header.reward = reward;
            }
        }
        Difficulty { block, difficulty } => {
            if let Some(b) = block_mut(chain, block) {
                b.header.difficulty = difficulty;
            }
        }
        Miner { block, key } => {
            if let Some(b) = block_mut(chain, block) {
                b.header.miner = addr(key);
            }
        }
        TxRootByte { block, index, xor } => {
            if let Some(b) = block_mut(chain, block) {
                let mut bytes = b.header.tx_root.to_bytes();
                bytes[usize::from(index) % 32] ^= xor;
                b.header.tx_root = MerkleRoot::from_bytes(bytes);
            }
        }
        SwapBlocks { a, b } => {
            if let (Some(a), Some(b)) = (pick(chain.len(), a), pick(chain.len(), b)) {
                chain.swap(a, b);
            }
        }
        DropBlock { block } => {
            if let Some(b) = pick(chain.len(), block) {
                chain.remove(b);
            }
        }
        DupBlock { block } => {
            if let Some(b) = pick(chain.len(), block)
                && chain.len() < 64
            {
                chain.insert(b, chain[b].clone());
            }
        }
        SwapTxs { block, a, b } => {
            if let Some(blk) = block_mut(chain, block)
                && let (Some(a), Some(b)) = (
                    pick(blk.transactions.len(), a),
                    pick(blk.transactions.len(), b),
                )
            {
                blk.transactions.swap(a, b);
            }
        }
        DropTx { block, tx } => {
            if let Some(blk) = block_mut(chain, block)
                && let Some(t) = pick(blk.transactions.len(), tx)
            {
                blk.transactions.remove(t);
            }
        }
        DupTx { block, tx } => {
            if let Some(blk) = block_mut(chain, block)
                && let Some(t) = pick(blk.transactions.len(), tx)
            {
                blk.transactions.insert(t, blk.transactions[t]);
            }
        }
        MoveTx { from, tx, to } => {
            let Some(f) = pick(chain.len(), from) else {
                return;
            };
            let Some(t) = pick(chain[f].transactions.len(), tx) else {
                return;
            };
            let moved = chain[f].transactions.remove(t);
            let to = pick(chain.len(), to).unwrap_or(f);
            chain[to].transactions.push(moved);
        }
        Truncate { len } => chain.truncate(usize::from(len)),
        Extend { blocks } => {
            for _ in 0..blocks % 8 {
                let Some(prev) = chain.last() else { return };
                // `Block::next` mines until the proof of work holds: only at difficulty 0
                // is that immediate.
                if prev.header.difficulty != 0 || prev.header.height == u64::MAX {
                    return;
                }
                let next = Block::next(prev, id, addr(3), prev.header.timestamp, Vec::new());
                chain.push(next);
            }
        }
    }
}

/// Recomputes what the flags ask for, in chain order (a block's new hash is linked
/// into the next one).
fn repair(chain: &mut [Block], input: &Input) {
    let Some(genesis) = chain.first() else { return };
    let id = ChainId::from(genesis.hash);
    for i in 0..chain.len() {
        if input.fix_tx_roots {
            chain[i].header.tx_root = chain[i].compute_tx_root(&id);
        }
        if input.relink && i > 0 {
            chain[i].header.prev_hash = chain[i - 1].hash;
        }
        if input.fix_hashes {
            chain[i].hash = chain[i].compute_hash();
        }
    }
}

fn synthetic_fork(input: &Input) {
    let hash = |tag: u8, i: usize| {
        let mut b = [tag; 32];
        b[..8].copy_from_slice(&(i as u64).to_le_bytes());
        BlockHash::from_bytes(b)
    };
    let ours_len = usize::from(input.ours) + 1;
    let common = usize::from(input.common).min(ours_len);
    let ours: Vec<_> = (0..ours_len).map(|i| hash(1, i)).collect();
    let theirs: Vec<_> = (0..common)
        .map(|i| hash(1, i))
        .chain((common..common + usize::from(input.theirs % 512)).map(|i| hash(2, i)))
        .collect();
    simplechain_fuzz::check_fork(&ours, &theirs, u64::from(input.difficulty));
}

fuzz_target!(|input: Input| {
    let base = base();
    let id = ChainId::from(base[0].hash);
    let mut chain = base.clone();
    for m in input.mutations.iter().take(16) {
        apply(&mut chain, m, &id);
    }
    repair(&mut chain, &input);
    simplechain_fuzz::check_chain(&chain, NOW_MS);
    let ours: Vec<_> = base.iter().map(|b| b.hash).collect();
    let theirs: Vec<_> = chain.iter().map(|b| b.hash).collect();
    simplechain_fuzz::check_fork(&ours, &theirs, 0);
    simplechain_fuzz::check_fork(&theirs, &ours, 0);
    synthetic_fork(&input);
});
