//! What the fuzz targets share: a second, independent validator of PROTOCOL §5 written
//! from the protocol text (its own signing message, header message, Merkle root and
//! ledger), and the checks that compare the core crate and the server against it.
//!
//! The server's parallel validator is `simplechain_core::parallel`, a normal dependency,
//! so the fuzzers test the code the server runs.

use ed25519_dalek::{Signature as DalekSignature, VerifyingKey};
use simplechain_core::fork::{ForkChoice, ForkRejection, choose};
use simplechain_core::validate::{
    ChainError, ChainState, Rule, check_rules_except_signatures, validate_chain,
};
use simplechain_core::{BLOCK_REWARD, Block, BlockHash, MAX_BLOCK_TRANSACTIONS, sha256};
use std::collections::BTreeMap;


/// Two hours in ms (PROTOCOL §5 rule 6).
const DRIFT_MS: u64 = 2 * 60 * 60 * 1000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn zero_bits(hash: &[u8; 32]) -> u64 {
    let mut bits = 0;
    for b in hash {
        if *b == 0 {
            bits += 8;
        } else {
            return bits + u64::from(b.leading_zeros());
        }
    }
    bits
}

fn merkle(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.is_empty() {
        return [0; 32];
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let right = pair.get(1).unwrap_or(&pair[0]);
                let mut both = [0u8; 64];
                both[..32].copy_from_slice(&pair[0]);
                both[32..].copy_from_slice(right);
                sha256(&both)
            })
            .collect();
    }
    level[0]
}

/// The balances and nonces a chain leaves, by address bytes.
pub type RefLedger = BTreeMap<[u8; 32], (u64, u64)>;

/// PROTOCOL §4's hash, the proof of work and the clock rule for one block.
fn header_ok(b: &Block, difficulty: u64, now: u64) -> bool {
    let text = format!(
        "simplechain/block/v1:{}:{}:{}:{}:{}:{}:{}:{}",
        b.header.height,
        hex(b.header.prev_hash.as_bytes()),
        b.header.timestamp,
        b.header.difficulty,
        hex(b.header.miner.as_bytes()),
        b.header.reward,
        hex(b.header.tx_root.as_bytes()),
        b.header.nonce
    );
    let hash = sha256(text.as_bytes());
    hash == *b.hash.as_bytes()
        && zero_bits(&hash) >= difficulty
        && b.header.timestamp <= now.saturating_add(DRIFT_MS)
}

/// The independent validator: the final ledger of a valid chain, `None` otherwise.
pub fn reference(blocks: &[Block], now: u64) -> Option<RefLedger> {
    let g = blocks.first()?;
    if g.header.height != 0
        || *g.header.prev_hash.as_bytes() != [0; 32]
        || !g.transactions.is_empty()
        || g.header.difficulty > 255
        || *g.header.tx_root.as_bytes() != [0; 32]
        || !header_ok(g, g.header.difficulty, now)
    {
        return None;
    }
    let d = g.header.difficulty;
    let chain = hex(g.hash.as_bytes());
    let mut ledger = RefLedger::new();
    ledger.insert(g.header.miner.to_bytes(), (g.header.reward, 0));
    for (i, b) in blocks.iter().enumerate().skip(1) {
        let prev = &blocks[i - 1];
        if b.header.height != i as u64
            || b.header.prev_hash != prev.hash
            || b.header.difficulty != d
            || b.header.reward != BLOCK_REWARD
            || b.header.timestamp < prev.header.timestamp
            || b.transactions.len() > MAX_BLOCK_TRANSACTIONS
            || !header_ok(b, d, now)
        {
            return None;
        }
        let mut txids = Vec::new();
        for tx in &b.transactions {
            let message = format!(
                "simplechain/tx/v1:{chain}:{}:{}:{}:{}",
                hex(tx.sender.as_bytes()),
                hex(tx.receiver.as_bytes()),
                tx.amount,
                tx.nonce
            );
            let key = VerifyingKey::from_bytes(tx.sender.as_bytes()).ok()?;
            let sig = DalekSignature::from_bytes(tx.signature.as_bytes());
            key.verify_strict(message.as_bytes(), &sig).ok()?;
            let from = tx.sender.to_bytes();
            let to = tx.receiver.to_bytes();
            let (balance, nonce) = ledger.get(&from).copied().unwrap_or((0, 0));
            if tx.amount == 0 || from == to || tx.nonce != nonce || tx.amount > balance {
                return None;
            }
            let received = ledger.get(&to).map_or(0, |a| a.0).checked_add(tx.amount)?;
            ledger.insert(from, (balance - tx.amount, nonce + 1));
            ledger.entry(to).or_insert((0, 0)).0 = received;
            txids.push(sha256(message.as_bytes()));
        }
        if merkle(&txids) != *b.header.tx_root.as_bytes() {
            return None;
        }
        let miner = ledger.entry(b.header.miner.to_bytes()).or_insert((0, 0));
        miner.0 = miner.0.checked_add(BLOCK_REWARD)?;
    }
    Some(ledger)
}

fn same_state(a: &ChainState, b: &ChainState) -> bool {
    a.chain_id == b.chain_id
        && a.height == b.height
        && a.tip == b.tip
        && a.tip_timestamp == b.tip_timestamp
        && a.initial_supply == b.initial_supply
        && a.difficulty == b.difficulty
        && a.ledger == b.ledger
}

/// Validates `blocks` every way there is and checks that they agree:
/// - the core crate with strict signatures, and the server's parallel validator, give
///   the same result (the same first error, or the same final state);
/// - every rule but signatures gives the same result unless a signature failed first;
/// - the independent reference accepts exactly the same chains, with the same ledger;
/// - an accepted chain's balances add up to genesis reward + 50 × height, and no
///   account holds more than that.
pub fn check_chain(blocks: &[Block], now: u64) {
    let strict = validate_chain(blocks, Some(now));
    let rules_only = check_rules_except_signatures(blocks, Some(now));
    let parallel = simplechain_core::parallel::validate_chain_parallel(blocks, Some(now));
    match (&strict, &parallel) {
        (Ok(a), Ok(b)) => assert!(same_state(a, b), "parallel state differs"),
        (Err(a), Err(b)) => assert_eq!(a, b, "parallel validation reports another error"),
        _ => panic!("strict {strict:?} but parallel {parallel:?}"),
    }
    match (&strict, &rules_only) {
        (Ok(_), Ok(())) => {}
        (Ok(_), Err(e)) => panic!("valid with signatures, invalid without: {e}"),
        (
            Err(ChainError {
                rule: Rule::Signature { .. },
                height,
            }),
            other,
        ) => {
            if let Err(e) = other {
                assert!(e.height >= *height, "{e} before the signature at {height}");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Err(a), Ok(())) => panic!("{a} is not a signature error, yet the rules alone accept"),
    }
    let expected = reference(blocks, now);
    match (&strict, expected) {
        (Ok(state), Some(ledger)) => {
            let supply = state.supply();
            assert_eq!(
                supply,
                u128::from(blocks[0].header.reward) + 50 * (blocks.len() as u128 - 1)
            );
            assert_eq!(state.ledger.total_balance(), supply, "supply not conserved");
            let total: u128 = ledger.values().map(|a| u128::from(a.0)).sum();
            assert_eq!(
                total, supply,
                "the reference ledger disagrees on the supply"
            );
            for (address, account) in state.ledger.accounts() {
                assert!(u128::from(account.balance) <= supply);
                let mine = ledger.get(address.as_bytes()).copied().unwrap_or((0, 0));
                assert_eq!((account.balance, account.nonce), mine, "{address}");
            }
            for (address, (balance, nonce)) in &ledger {
                let theirs = state
                    .ledger
                    .account(&simplechain_core::Address::from_bytes(*address));
                assert_eq!((theirs.balance, theirs.nonce), (*balance, *nonce));
            }
        }
        (Err(_), None) => {}
        (Ok(_), None) => panic!("the core accepts a chain the reference refuses"),
        (Err(e), Some(_)) => panic!("the core refuses a chain the reference accepts: {e}"),
    }
}

/// Fork choice against the rules of §5.6, recomputed here.
pub fn check_fork(ours: &[BlockHash], theirs: &[BlockHash], difficulty: u64) {
    let result = choose(ours, theirs, difficulty);
    if ours.is_empty() || ours.first() != theirs.first() {
        assert_eq!(result, Err(ForkRejection::GenesisMismatch));
        return;
    }
    if ours == theirs {
        assert_eq!(result, Ok(ForkChoice::Same));
        return;
    }
    if theirs.len() <= ours.len() {
        assert!(
            matches!(result, Err(ForkRejection::NotBetter { .. })),
            "{result:?}"
        );
        return;
    }
    let common = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    let depth = (ours.len() - common) as u64;
    if depth > simplechain_core::MAX_REORG_DEPTH {
        assert!(
            matches!(result, Err(ForkRejection::ReorgTooDeep { depth: d, .. }) if d == depth),
            "{result:?}"
        );
    } else {
        assert_eq!(
            result,
            Ok(ForkChoice::Adopt {
                fork_height: common as u64,
                depth
            })
        );
    }
}
