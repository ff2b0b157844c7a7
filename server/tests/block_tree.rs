//! PROTOCOL §9 over real sockets: templates, submitted blocks, the block tree with its
//! side branches and reorgs, Merkle proofs and block events. The server's own miner is
//! off (`--no-miner`), so every block here is one the test mined.

mod common;

use common::blocks::{
    child, get_block, mine, miner_addr, payload, restart_without_miner, start_without_miner,
    submit, submitted, template, tip_block,
};
use common::{Conn, TestServer, add_line, addr, error_code, key, rich_key, test_config};
use simplechain_core::protocol::{Proof, Tree};
use simplechain_core::transaction::address_of;
use simplechain_core::{BlockHash, Transaction};
use std::time::Duration;

async fn status_of(c: &mut Conn, txid: &simplechain_core::TxId) -> String {
    let line = c.ask(&format!("GET_TRANSACTION:{txid}")).await;
    match line.strip_prefix("TX:") {
        Some(json) => {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            v["status"].as_str().unwrap().to_string()
        }
        None => line,
    }
}

#[tokio::test]
async fn a_template_mined_and_submitted_becomes_the_tip_with_its_transactions() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let tx = server.tx(&rich_key(), addr(2), 500, 0);
    assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
    let t = template(&mut c).await;
    assert_eq!(t.height, 1);
    assert_eq!(t.reward, 50);
    assert_eq!(t.miner, miner_addr());
    assert_eq!(t.transactions, vec![tx]);
    let block = mine(t);
    let s = submitted(&mut c, &block).await;
    assert_eq!((s.status.as_str(), s.replaced, s.height), ("tip", 0, 1));
    assert_eq!(s.hash, block.hash);
    // Again: known, nothing changes.
    assert_eq!(submitted(&mut c, &block).await.status.as_str(), "known");
    let txid = tx.txid(&server.chain_id);
    assert_eq!(status_of(&mut c, &txid).await, "confirmed");
    let info: serde_json::Value = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["mempool"], 0);
    // The reward went to the template's miner.
    let account: serde_json::Value = payload(
        &c.ask(&format!("GET_ACCOUNT:{}", miner_addr())).await,
        "ACCOUNT",
    );
    assert_eq!(account["balance"], 50);

    // GET_PROOF folds to the block's tx_root; a pending or unknown txid has none.
    let proof: Proof = payload(&c.ask(&format!("GET_PROOF:{txid}")).await, "PROOF");
    assert!(proof.verify());
    assert_eq!(
        (proof.block_hash, proof.tx_root, proof.height),
        (block.hash, block.header.tx_root, 1)
    );
    let pending = server.tx(&rich_key(), addr(2), 1, 1);
    assert_eq!(c.ask(&add_line(&pending)).await, "SUCCESS");
    let line = c
        .ask(&format!("GET_PROOF:{}", pending.txid(&server.chain_id)))
        .await;
    assert_eq!(error_code(&line), "not_found", "{line}");
    assert!(line.contains("pending"), "{line}");
    assert_eq!(
        error_code(&c.ask(&format!("GET_PROOF:{}", "ab".repeat(32))).await),
        "not_found"
    );
    // GET_BLOCK of the block carries "main": true and the same JSON otherwise.
    let got = get_block(&mut c, &block.hash).await;
    assert!(got.main);
    assert_eq!(got.block, block);
    assert_eq!(
        error_code(&c.ask(&format!("GET_BLOCK:{}", "cd".repeat(32))).await),
        "not_found"
    );
    server.stop().await;
}

#[tokio::test]
async fn every_bad_block_gets_its_error_and_changes_nothing() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let before = c.ask("GET_INFO").await;

    assert_eq!(
        error_code(&c.ask("SUBMIT_BLOCK:{nope").await),
        "bad_request"
    );
    assert_eq!(error_code(&c.ask("SUBMIT_BLOCK").await), "bad_request");

    // A parent nobody knows.
    let mut orphan = child(&genesis, &server, vec![], 0);
    orphan.header.prev_hash = BlockHash::from_bytes([9; 32]);
    let line = submit(&mut c, &orphan).await;
    assert_eq!(error_code(&line), "unknown_parent", "{line}");

    // A wrong reward: invalid_block naming the height and the rule.
    let mut greedy = child(&genesis, &server, vec![], 0);
    greedy.header.reward = 5000;
    greedy.header.nonce = 0;
    let (header, hash) = greedy.header.mine(0, u64::MAX).unwrap();
    greedy.header = header;
    greedy.hash = hash;
    let line = submit(&mut c, &greedy).await;
    assert!(line.starts_with("ERROR:invalid_block:1:"), "{line}");
    assert!(line.contains("reward"), "{line}");

    // A hash that does not meet the difficulty (difficulty 4: some nonce fails).
    let good = child(&genesis, &server, vec![], 0);
    let weak = (0..)
        .map(|nonce| {
            let mut b = good.clone();
            b.header.nonce = nonce;
            b.hash = b.compute_hash();
            b
        })
        .find(|b| b.hash.as_bytes()[0] >> 4 != 0)
        .unwrap();
    let line = submit(&mut c, &weak).await;
    assert!(line.starts_with("ERROR:invalid_block:1:"), "{line}");

    // A bad signature, and an overspend.
    let mut forged = server.tx(&rich_key(), addr(2), 5, 0);
    forged.amount = 6;
    let line = submit(&mut c, &child(&genesis, &server, vec![forged], 0)).await;
    assert!(line.starts_with("ERROR:invalid_block:1:"), "{line}");
    let broke = server.tx(&key(2), addr(3), 5, 0);
    let line = submit(&mut c, &child(&genesis, &server, vec![broke], 0)).await;
    assert!(line.starts_with("ERROR:invalid_block:1:"), "{line}");

    assert_eq!(c.ask("GET_INFO").await, before, "nothing changed");
    let tree: Tree = payload(&c.ask("GET_TREE").await, "TREE");
    assert_eq!(tree.blocks.len(), 1, "only genesis: {tree:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_fork_race_then_a_reorg_puts_the_first_branch_back_in_the_mempool() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let mut events = server.connect().await;
    assert_eq!(events.ask("SUBSCRIBE:BLOCKS").await, "SUCCESS");
    let genesis = tip_block(&mut c).await;

    // Alice pays Bob 100, then Bob pays Carol 60 out of it: both in block A1.
    let pay_bob = server.tx(&rich_key(), address_of(&key(2)), 100, 0);
    let bob_pays = server.tx(&key(2), addr(3), 60, 0);
    let a1 = child(&genesis, &server, vec![pay_bob, bob_pays], 0);
    let b1 = child(&genesis, &server, vec![], 7);
    let s = submitted(&mut c, &a1).await;
    assert_eq!(s.status.as_str(), "tip");
    assert_eq!(
        events.read_line().await.unwrap(),
        format!("EVENT:TIP:1:{}", a1.hash)
    );
    assert_eq!(
        events.read_line().await.unwrap(),
        format!("EVENT:BLOCK:1:{}:{}:main", a1.hash, genesis.hash)
    );
    // Same height, same work: the first seen stays main.
    let s = submitted(&mut c, &b1).await;
    assert_eq!((s.status.as_str(), s.replaced), ("side", 0));
    assert_eq!(
        events.read_line().await.unwrap(),
        format!("EVENT:BLOCK:1:{}:{}:side", b1.hash, genesis.hash)
    );
    assert!(!get_block(&mut c, &b1.hash).await.main);

    // Bob's payment is valid only on A's balances: on B it is refused.
    let on_b = child(&b1, &server, vec![bob_pays], 0);
    let line = submit(&mut c, &on_b).await;
    assert!(line.starts_with("ERROR:invalid_block:2:"), "{line}");

    // An empty block on B: B has more work and becomes main, replacing A1.
    let b2 = child(&b1, &server, vec![], 0);
    let s = submitted(&mut c, &b2).await;
    assert_eq!((s.status.as_str(), s.replaced), ("tip", 1));
    assert_eq!(
        events.read_line().await.unwrap(),
        format!("EVENT:TIP:2:{}", b2.hash)
    );
    assert_eq!(
        events.read_line().await.unwrap(),
        format!("EVENT:BLOCK:2:{}:{}:main", b2.hash, b1.hash)
    );
    // B1 entered the tree before, as a side block: it is not announced again.
    assert_eq!(events.ask("PING").await, "PONG");
    // A1 is now a side block; both of its payments are pending again, in order (the
    // second spends coins the first gives).
    assert!(!get_block(&mut c, &a1.hash).await.main);
    assert!(get_block(&mut c, &b1.hash).await.main);
    for tx in [pay_bob, bob_pays] {
        assert_eq!(
            status_of(&mut c, &tx.txid(&server.chain_id)).await,
            "pending"
        );
    }
    let t = template(&mut c).await;
    assert_eq!(t.transactions, vec![pay_bob, bob_pays]);
    assert_eq!(t.prev_hash, b2.hash);
    // Mined again on the new main chain: confirmed.
    assert_eq!(submitted(&mut c, &mine(t)).await.status.as_str(), "tip");
    let carol: serde_json::Value =
        payload(&c.ask(&format!("GET_ACCOUNT:{}", addr(3))).await, "ACCOUNT");
    assert_eq!(carol["balance"], 60);

    let tree: Tree = payload(&c.ask("GET_TREE:0").await, "TREE");
    let sides: Vec<_> = tree.blocks.iter().filter(|b| !b.main).collect();
    assert_eq!(sides.len(), 1);
    assert_eq!(sides[0].hash, a1.hash);
    assert_eq!(sides[0].transactions, 2);
    assert_eq!(tree.blocks.len(), 5);
    assert!(tree.blocks.windows(2).all(|w| w[0].height <= w[1].height));
    server.stop().await;
}

#[tokio::test]
async fn the_reorg_window_is_100_blocks_inclusive() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let mut parents = vec![genesis.clone()];
    let mut tip = genesis;
    for _ in 0..101 {
        tip = child(&tip, &server, vec![], 0);
        assert_eq!(submitted(&mut c, &tip).await.status.as_str(), "tip");
        parents.push(tip.clone());
    }
    // Tip at 101. A block on height 0 would replace 101 blocks: refused.
    let too_deep = child(&parents[0], &server, vec![], 3);
    assert_eq!(
        error_code(&submit(&mut c, &too_deep).await),
        "reorg_too_deep"
    );
    // On height 1 it would replace exactly 100: kept, and a branch of 101 blocks from
    // there overtakes with replaced = 100.
    let mut side = parents[1].clone();
    for i in 0..100 {
        side = child(&side, &server, vec![], 3);
        let s = submitted(&mut c, &side).await;
        assert_eq!(s.status.as_str(), "side", "side block {i}");
    }
    side = child(&side, &server, vec![], 3);
    let s = submitted(&mut c, &side).await;
    assert_eq!((s.status.as_str(), s.replaced), ("tip", 100));
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    server.stop().await;
}

#[tokio::test]
async fn side_blocks_and_the_tip_survive_a_restart() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let a1 = child(&genesis, &server, vec![], 0);
    let b1 = child(&genesis, &server, vec![], 5);
    assert_eq!(submitted(&mut c, &a1).await.status.as_str(), "tip");
    assert_eq!(submitted(&mut c, &b1).await.status.as_str(), "side");
    let server = restart_without_miner(server).await;
    let mut c = server.connect().await;
    assert!(get_block(&mut c, &a1.hash).await.main);
    assert!(!get_block(&mut c, &b1.hash).await.main);
    // And the side branch still works: a block on it takes over.
    let b2 = child(&b1, &server, vec![], 0);
    let s = submitted(&mut c, &b2).await;
    assert_eq!((s.status.as_str(), s.replaced), ("tip", 1));
    server.stop().await;
}

#[tokio::test]
async fn sync_and_submitted_blocks_feed_the_same_tree() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let a1 = child(&genesis, &server, vec![], 0);
    assert_eq!(submitted(&mut c, &a1).await.status.as_str(), "tip");
    // A synced chain of two other blocks replaces A1, which stays visible as a side
    // block.
    let b1 = child(&genesis, &server, vec![], 9);
    let b2 = child(&b1, &server, vec![], 0);
    let chain = serde_json::json!({ "blocks": [genesis, b1, b2] });
    assert_eq!(c.ask(&format!("SYNC_BLOCKCHAIN:{chain}")).await, "SUCCESS");
    assert!(!get_block(&mut c, &a1.hash).await.main);
    assert!(get_block(&mut c, &b2.hash).await.main);
    // A submitted block on A1's branch is checked there, and A1 + two more take over.
    let a2 = child(&a1, &server, vec![], 0);
    assert_eq!(submitted(&mut c, &a2).await.status.as_str(), "side");
    let a3 = child(&a2, &server, vec![], 0);
    let s = submitted(&mut c, &a3).await;
    assert_eq!((s.status.as_str(), s.replaced), ("tip", 2));
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    let tree: Tree = payload(&c.ask("GET_TREE").await, "TREE");
    assert_eq!(tree.tip, a3.hash);
    assert_eq!(tree.blocks.iter().filter(|b| !b.main).count(), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_fork_of_empty_blocks_loses_no_dependent_payment() {
    // PROTOCOL §5 rule 6: alice → bob 100, then bob → carol 60, in two blocks; a longer
    // fork of empty blocks replaces both. Bob's payment is funded only by the replaced
    // block, and must still come back.
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let pay_bob = server.tx(&rich_key(), address_of(&key(2)), 100, 0);
    let bob_pays = server.tx(&key(2), addr(3), 60, 0);
    let a1 = child(&genesis, &server, vec![pay_bob], 0);
    let a2 = child(&a1, &server, vec![bob_pays], 0);
    for b in [&a1, &a2] {
        assert_eq!(submitted(&mut c, b).await.status.as_str(), "tip");
    }
    let mut fork = genesis.clone();
    for i in 0..3 {
        fork = child(&fork, &server, vec![], 11);
        let s = submitted(&mut c, &fork).await;
        let expected = if i < 2 { ("side", 0) } else { ("tip", 2) };
        assert_eq!((s.status.as_str(), s.replaced), expected);
    }
    for tx in [pay_bob, bob_pays] {
        assert_eq!(
            status_of(&mut c, &tx.txid(&server.chain_id)).await,
            "pending"
        );
    }
    let info: serde_json::Value = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["mempool"], 2);
    server.stop().await;
}

#[tokio::test]
async fn with_no_miner_the_server_never_mines() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let tx = server.tx(&rich_key(), addr(2), 5, 0);
    assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let info: serde_json::Value = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(
        (info["height"].as_u64(), info["mempool"].as_u64()),
        (Some(0), Some(1))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_reorg_past_the_mempool_capacity_loses_nothing() {
    // Finding 5 of the hardening review: 1,800 acknowledged payments in replaced
    // blocks, a mempool capacity of 1,000. Nothing may be dropped for space.
    let temp = tempfile::tempdir().unwrap();
    let mut config = test_config(temp.path());
    config.miner.disabled = true;
    config.limits.mempool_capacity = 1000;
    let mut server = TestServer::start_with(config).await;
    server.keep(temp);
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let payouts: Vec<Transaction> = (0..1800)
        .map(|n| server.tx(&rich_key(), addr(2 + (n % 5) as u8), 1, n))
        .collect();
    let mut tip = genesis.clone();
    for chunk in payouts.chunks(600) {
        tip = child(&tip, &server, chunk.to_vec(), 0);
        assert_eq!(submitted(&mut c, &tip).await.status.as_str(), "tip");
    }
    // A chain of four empty blocks from genesis, offered by SYNC_BLOCKCHAIN.
    let mut chain = vec![genesis.clone()];
    for _ in 0..4 {
        let next = child(chain.last().unwrap(), &server, vec![], 13);
        chain.push(next);
    }
    let sync = serde_json::json!({ "blocks": chain });
    assert_eq!(c.ask(&format!("SYNC_BLOCKCHAIN:{sync}")).await, "SUCCESS");
    let info: serde_json::Value = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["height"], 4);
    assert_eq!(info["mempool"], 1800, "every payout is pending again");
    for tx in payouts.iter().step_by(97) {
        assert_eq!(
            status_of(&mut c, &tx.txid(&server.chain_id)).await,
            "pending"
        );
    }
    // The replaced blocks stay in the tree as a side branch.
    let tree: Tree = payload(&c.ask("GET_TREE:0").await, "TREE");
    assert_eq!(tree.blocks.iter().filter(|b| !b.main).count(), 3);
    server.stop().await;
}

#[tokio::test]
async fn the_miner_hashrate_cap_roughly_holds() {
    // A measurement, printed, not a timed assertion: at difficulty 12 a block takes
    // 4096 hashes on average, so a cap of 8192 hashes/s gives about 2 blocks per second.
    let temp = tempfile::tempdir().unwrap();
    let mut config = test_config(temp.path());
    config.new_chain.difficulty = Some(12);
    config.miner.hashrate = Some(8192);
    config.miner.threads = Some(1);
    let mut server = TestServer::start_with(config).await;
    server.keep(temp);
    let mut c = server.connect().await;
    let started = std::time::Instant::now();
    const BLOCKS: u64 = 6;
    for nonce in 0..BLOCKS {
        let tx = server.tx(&rich_key(), addr(2), 1, nonce);
        assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
        common::wait_confirmed(&mut c, &tx.txid(&server.chain_id)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let expected_hashes = (BLOCKS << 12) as f64;
    println!(
        "--miner-hashrate 8192 at difficulty 12: {BLOCKS} blocks in {secs:.2} s, about {:.0} \
         hashes/s (expected hashes / time; one run, noisy by nature)",
        expected_hashes / secs
    );
    let info: serde_json::Value = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["height"], BLOCKS);
    server.stop().await;
}

/// The same transaction with another valid signature: a key owner can sign one message
/// many ways (a different nonce), and the txid does not cover the signature.
fn resigned(server: &TestServer, tx: &Transaction) -> Transaction {
    use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign};
    let mut expanded = ExpandedSecretKey::from(&rich_key().to_bytes());
    expanded.hash_prefix = [0x5a; 32];
    let message = tx.message(&server.chain_id);
    let signature =
        raw_sign::<sha2::Sha512>(&expanded, message.as_bytes(), &rich_key().verifying_key());
    let other = Transaction {
        signature: simplechain_core::Signature::from_bytes(signature.to_bytes()),
        ..*tx
    };
    assert_ne!(other.signature, tx.signature);
    assert!(other.verify(&server.chain_id).is_ok());
    other
}

#[tokio::test]
async fn a_resigned_copy_of_our_blocks_never_splits_memory_from_disk() {
    // Finding 17: a chain whose first blocks have our hashes but other signature bytes,
    // plus one more block, is adopted; the blocks it shares with ours stay ours, in
    // memory and on disk alike.
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let tx = server.tx(&rich_key(), addr(2), 10, 0);
    let ours = child(&genesis, &server, vec![tx], 0);
    assert_eq!(submitted(&mut c, &ours).await.status.as_str(), "tip");
    let mut theirs = ours.clone();
    theirs.transactions[0] = resigned(&server, &tx);
    assert_eq!(theirs.compute_hash(), ours.hash, "the same block hash");
    let next = child(&theirs, &server, vec![], 0);
    let chain = serde_json::json!({ "blocks": [genesis, theirs, next] });
    assert_eq!(c.ask(&format!("SYNC_BLOCKCHAIN:{chain}")).await, "SUCCESS");
    assert_eq!(get_block(&mut c, &next.hash).await.block, next);
    let served = get_block(&mut c, &ours.hash).await.block;
    assert_eq!(served.transactions[0].signature, tx.signature);
    let server = restart_without_miner(server).await;
    let mut c = server.connect().await;
    let stored = get_block(&mut c, &ours.hash).await.block;
    assert_eq!(stored, served, "what was served is what is stored");
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    server.stop().await;
}
