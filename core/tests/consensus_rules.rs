//! Every consensus rule of PROTOCOL §5, each with a chain that breaks exactly that rule
//! and nothing else, and the error naming the height and the rule.

use ed25519_dalek::SigningKey;
use simplechain_core::block::{Block, BlockHeader};
use simplechain_core::ledger::TxRuleError;
use simplechain_core::merkle::merkle_root;
use simplechain_core::parallel::validate_chain_parallel;
use simplechain_core::transaction::{SignatureError, address_of};
use simplechain_core::validate::{ChainError, Rule, validate_chain};
use simplechain_core::{Address, BlockHash, ChainId, MerkleRoot, Signature, Transaction, TxId};

const D: u64 = 4;
const T0: u64 = 1_763_900_000_000;

fn alice() -> SigningKey {
    SigningKey::from_bytes(&[1; 32])
}
fn bob() -> Address {
    address_of(&SigningKey::from_bytes(&[2; 32]))
}
fn miner() -> Address {
    Address::from_bytes([3; 32])
}

/// The validator's clock.
fn opts() -> Option<u64> {
    Some(T0 + 10_000)
}

/// Genesis (1000 to alice) and one block with two payments.
fn valid_chain() -> Vec<Block> {
    let genesis = Block::genesis(address_of(&alice()), 1000, D, T0);
    let chain = ChainId::from(genesis.hash);
    let txs = vec![
        Transaction::sign(&alice(), &chain, bob(), 100, 0),
        Transaction::sign(&alice(), &chain, bob(), 50, 1),
    ];
    let b1 = Block::next(&genesis, &chain, miner(), T0 + 1000, txs);
    vec![genesis, b1]
}

fn chain_id(blocks: &[Block]) -> ChainId {
    ChainId::from(blocks[0].hash)
}

/// Re-mines block `i` after its fields were changed (so that only the changed rule fails).
fn remine(block: &mut Block) {
    let header = BlockHeader {
        nonce: 0,
        ..block.header
    };
    let mut start = 0;
    let (h, hash) = loop {
        if let Some(found) = header.mine(start, 1 << 16) {
            break found;
        }
        start += 1 << 16;
    };
    block.header.nonce = h.nonce;
    block.hash = hash;
}

/// Changes block 1's transactions, fixing tx_root and the proof of work.
fn with_transactions(mut blocks: Vec<Block>, txs: Vec<Transaction>) -> Vec<Block> {
    let chain = chain_id(&blocks);
    blocks[1].transactions = txs;
    let ids: Vec<TxId> = blocks[1]
        .transactions
        .iter()
        .map(|t| t.txid(&chain))
        .collect();
    blocks[1].header.tx_root = merkle_root(&ids);
    remine(&mut blocks[1]);
    blocks
}

fn fails(blocks: &[Block]) -> ChainError {
    validate_chain(blocks, opts()).expect_err("the chain must be refused")
}

#[test]
fn the_valid_chain_passes_and_adds_up() {
    let state = validate_chain(&valid_chain(), opts()).unwrap();
    assert_eq!(state.height, 1);
    assert_eq!(state.ledger.account(&bob()).balance, 150);
    assert_eq!(state.ledger.account(&address_of(&alice())).nonce, 2);
    assert_eq!(state.ledger.account(&miner()).balance, 50);
    assert_eq!(state.ledger.total_balance(), 1050);
}

#[test]
fn rule_1_genesis() {
    assert_eq!(
        fails(&[]),
        ChainError {
            height: 0,
            rule: Rule::EmptyChain
        }
    );
    let mut c = valid_chain();
    c[0].header.height = 1;
    remine(&mut c[0]);
    assert_eq!(fails(&c[..1]).rule, Rule::GenesisHeight { found: 1 });
    let mut c = valid_chain();
    c[0].header.prev_hash = BlockHash::from_bytes([1; 32]);
    remine(&mut c[0]);
    assert_eq!(fails(&c[..1]).rule, Rule::GenesisPrevHash);
    let mut c = valid_chain();
    c[0].transactions = c[1].transactions.clone();
    assert_eq!(fails(&c[..1]).rule, Rule::GenesisTransactions);
    let mut c = valid_chain();
    c[0].header.difficulty = 256;
    assert_eq!(
        fails(&c[..1]).rule,
        Rule::DifficultyOutOfRange { found: 256 }
    );
}

#[test]
fn rule_2_hash_pow_root_and_size() {
    let mut c = valid_chain();
    c[1].hash = BlockHash::from_bytes([0; 32]);
    assert!(matches!(
        fails(&c),
        ChainError {
            height: 1,
            rule: Rule::HashMismatch { .. }
        }
    ));

    // A nonce that hashes correctly but misses the difficulty.
    let mut c = valid_chain();
    let header = c[1].header;
    let bad = (0..)
        .map(|n| BlockHeader { nonce: n, ..header })
        .find(|h| h.hash().as_bytes()[0] >= 0x10)
        .unwrap();
    c[1].header.nonce = bad.nonce;
    c[1].hash = bad.hash();
    assert!(matches!(
        fails(&c).rule,
        Rule::ProofOfWork { difficulty: D, .. }
    ));

    let mut c = valid_chain();
    c[1].header.tx_root = MerkleRoot::from_bytes([7; 32]);
    remine(&mut c[1]);
    assert_eq!(
        fails(&c),
        ChainError {
            height: 1,
            rule: Rule::TxRootMismatch
        }
    );

    let c = valid_chain();
    let chain = chain_id(&c);
    let many: Vec<Transaction> = (0..4097)
        .map(|n| Transaction::sign(&alice(), &chain, bob(), 1, n))
        .collect();
    assert_eq!(
        fails(&with_transactions(c, many)).rule,
        Rule::TooManyTransactions { count: 4097 }
    );
}

#[test]
fn rule_3_linkage() {
    let mut c = valid_chain();
    c[1].header.height = 2;
    remine(&mut c[1]);
    assert_eq!(
        fails(&c).rule,
        Rule::Height {
            expected: 1,
            found: 2
        }
    );
    let mut c = valid_chain();
    c[1].header.prev_hash = BlockHash::from_bytes([5; 32]);
    remine(&mut c[1]);
    assert_eq!(
        fails(&c),
        ChainError {
            height: 1,
            rule: Rule::PrevHash
        }
    );
    let mut c = valid_chain();
    c[1].header.difficulty = D + 1;
    remine(&mut c[1]);
    assert_eq!(
        fails(&c).rule,
        Rule::DifficultyChanged {
            expected: D,
            found: D + 1
        }
    );
    let mut c = valid_chain();
    c[1].header.reward = 51;
    remine(&mut c[1]);
    assert_eq!(fails(&c).rule, Rule::Reward { found: 51 });
    let mut c = valid_chain();
    c[1].header.timestamp = T0 - 1;
    remine(&mut c[1]);
    assert_eq!(
        fails(&c).rule,
        Rule::TimestampDecreased {
            previous: T0,
            found: T0 - 1
        }
    );
}

#[test]
fn rule_6_future_timestamps() {
    let mut c = valid_chain();
    c[1].header.timestamp = T0 + 10_000 + 2 * 3600 * 1000 + 1;
    remine(&mut c[1]);
    assert!(matches!(fails(&c).rule, Rule::TimestampInFuture { .. }));
    // Exactly two hours ahead is still fine.
    let mut c = valid_chain();
    c[1].header.timestamp = T0 + 10_000 + 2 * 3600 * 1000;
    remine(&mut c[1]);
    assert!(validate_chain(&c, opts()).is_ok());
}

#[test]
fn rule_4_transactions() {
    let c = valid_chain();
    let chain = chain_id(&c);
    let a = alice();

    let mut forged = Transaction::sign(&a, &chain, bob(), 100, 0);
    forged.signature = Signature::from_bytes([0x11; 64]);
    let e = fails(&with_transactions(c.clone(), vec![forged]));
    assert_eq!(
        e,
        ChainError {
            height: 1,
            rule: Rule::Signature {
                index: 0,
                error: SignatureError::Invalid
            }
        }
    );

    let other_chain = Transaction::sign(&a, &ChainId::from_bytes([8; 32]), bob(), 100, 0);
    assert!(matches!(
        fails(&with_transactions(c.clone(), vec![other_chain])).rule,
        Rule::Signature { .. }
    ));

    let zero = Transaction::sign(&a, &chain, bob(), 0, 0);
    assert_eq!(
        fails(&with_transactions(c.clone(), vec![zero])).rule,
        Rule::Transaction {
            index: 0,
            error: TxRuleError::ZeroAmount
        }
    );
    let to_self = Transaction::sign(&a, &chain, address_of(&a), 5, 0);
    assert_eq!(
        fails(&with_transactions(c.clone(), vec![to_self])).rule,
        Rule::Transaction {
            index: 0,
            error: TxRuleError::SelfTransfer
        }
    );
    let replay = Transaction::sign(&a, &chain, bob(), 5, 0);
    assert_eq!(
        fails(&with_transactions(c.clone(), vec![replay, replay])).rule,
        Rule::Transaction {
            index: 1,
            error: TxRuleError::BadNonce {
                expected: 1,
                found: 0
            }
        }
    );
    let gap = Transaction::sign(&a, &chain, bob(), 5, 1);
    assert_eq!(
        fails(&with_transactions(c.clone(), vec![gap])).rule,
        Rule::Transaction {
            index: 0,
            error: TxRuleError::BadNonce {
                expected: 0,
                found: 1
            }
        }
    );
    let too_much = Transaction::sign(&a, &chain, bob(), 1001, 0);
    assert_eq!(
        fails(&with_transactions(c.clone(), vec![too_much])).rule,
        Rule::Transaction {
            index: 0,
            error: TxRuleError::InsufficientFunds {
                balance: 1000,
                amount: 1001
            }
        }
    );
    // Balances start at zero: a sender with nothing cannot pay.
    let broke = Transaction::sign(&SigningKey::from_bytes(&[4; 32]), &chain, bob(), 1, 0);
    assert!(matches!(
        fails(&with_transactions(c, vec![broke])).rule,
        Rule::Transaction {
            index: 0,
            error: TxRuleError::InsufficientFunds { balance: 0, .. }
        }
    ));
}

#[test]
fn rule_4_no_overflow() {
    // Genesis gives u64::MAX to alice; the block reward to alice would overflow.
    let genesis = Block::genesis(address_of(&alice()), u64::MAX, D, T0);
    let chain = ChainId::from(genesis.hash);
    let b1 = Block::next(&genesis, &chain, address_of(&alice()), T0, Vec::new());
    assert_eq!(
        validate_chain(&[genesis, b1], opts()).unwrap_err(),
        ChainError {
            height: 1,
            rule: Rule::RewardOverflow
        }
    );
}

#[test]
fn rule_5_supply_is_conserved_and_errors_leave_state_unchanged() {
    use simplechain_core::validate::ChainState;
    let c = valid_chain();
    let mut state = ChainState::genesis(&c[0], opts()).unwrap();
    let before = state.clone();
    let mut broken = c[1].clone();
    broken.transactions[1].amount = 5000;
    let chain = chain_id(&c);
    broken.transactions[1] = Transaction::sign(&alice(), &chain, bob(), 5000, 1);
    let ids: Vec<TxId> = broken.transactions.iter().map(|t| t.txid(&chain)).collect();
    broken.header.tx_root = merkle_root(&ids);
    remine(&mut broken);
    assert!(state.apply_block(&broken, opts()).is_err());
    assert_eq!(
        state.ledger, before.ledger,
        "a refused block changes nothing"
    );
    assert_eq!(state.height, 0);
    state.apply_block(&c[1], opts()).unwrap();
    assert_eq!(state.ledger.total_balance(), state.supply());
    assert!(state.check_supply().is_ok());
}

#[test]
fn checked_signatures_report_the_first_failure_in_chain_order() {
    let mut c = valid_chain();
    // A forged signature keeps every hash: the txid does not cover the signature.
    let mut signature = *c[1].transactions[1].signature.as_bytes();
    signature[0] ^= 1;
    c[1].transactions[1].signature = Signature::from_bytes(signature);
    assert_eq!(
        validate_chain_parallel(&c, None).unwrap_err(),
        ChainError {
            height: 1,
            rule: Rule::Signature {
                index: 1,
                error: SignatureError::Invalid
            }
        }
    );
    assert!(validate_chain_parallel(&valid_chain(), None).is_ok());
}

#[test]
fn error_text_names_height_and_rule() {
    let mut c = valid_chain();
    c[1].header.reward = 51;
    remine(&mut c[1]);
    assert_eq!(fails(&c).to_string(), "block 1: reward is 51, must be 50");
}
