//! `SYNC_BLOCKCHAIN` and the fork choice of PROTOCOL §5, over a real socket: candidate
//! chains are built and mined here with the core crate, then offered to the server.
//!
//! The server's own miner only mines when its mempool holds transactions, so as long as
//! a test submits none, the server's tip moves only through the syncs the test sends.

mod common;

use common::{
    Conn, TestServer, addr, chain_id, error_code, key, payload, rich_key, sync_line, wait_confirmed,
};
use ed25519_dalek::SigningKey;
use simplechain_core::block::leading_zero_bits;
use simplechain_core::merkle::merkle_root;
use simplechain_core::protocol::ChainJson;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::validate_chain;
use simplechain_core::{Address, Block, ChainId, Transaction, TxId};
use simplechain_server::now_ms;

/// Who mines the blocks built by the tests (not the server's miner).
fn outside_miner() -> Address {
    addr(99)
}

/// Heavy requests (whole chains, syncs, validation) each go on a connection of their
/// own, so that no per-connection allowance for them shapes these tests.
async fn heavy(server: &TestServer, line: &str) -> String {
    server.connect().await.ask(line).await
}

/// The server's chain, decoded.
async fn get_chain(server: &TestServer) -> Vec<Block> {
    let line = heavy(server, "GET_BLOCKCHAIN").await;
    serde_json::from_str::<ChainJson>(&line)
        .unwrap_or_else(|e| panic!("GET_BLOCKCHAIN is not a chain ({e}): {line}"))
        .blocks
}

/// Offers `blocks` with `SYNC_BLOCKCHAIN`; returns the answer.
async fn sync(server: &TestServer, blocks: &[Block]) -> String {
    heavy(server, &sync_line(blocks)).await
}

/// Mines one more block with `txs` on top of `blocks`.
fn push(blocks: &mut Vec<Block>, txs: Vec<Transaction>) {
    push_by(blocks, outside_miner(), txs);
}

fn push_by(blocks: &mut Vec<Block>, miner: Address, txs: Vec<Transaction>) {
    let id = chain_id(blocks);
    let prev = blocks.last().unwrap();
    let block = Block::next(prev, &id, miner, now_ms(), txs);
    blocks.push(block);
}

/// Mines `n` empty blocks on top of `blocks`.
fn push_empty(blocks: &mut Vec<Block>, miner: Address, n: usize) {
    for _ in 0..n {
        push_by(blocks, miner, Vec::new());
    }
}

/// Finds a new nonce for a block whose header fields were changed, so that its hash and
/// proof of work hold again.
fn remine(block: &Block) -> Block {
    let mut header = block.header;
    header.nonce = 0;
    let (header, hash) = header.mine(0, u64::MAX).expect("a nonce exists");
    Block::from_mined(header, hash, block.transactions.clone())
}

/// Re-links and re-mines every block from `from` on, after block `from - 1` changed, so
/// that only the rule broken on purpose is broken.
fn relink(blocks: &mut [Block], from: usize) {
    for i in from..blocks.len() {
        blocks[i].header.prev_hash = blocks[i - 1].hash;
        blocks[i].header.timestamp = blocks[i]
            .header
            .timestamp
            .max(blocks[i - 1].header.timestamp);
        blocks[i] = remine(&blocks[i]);
    }
}

/// Full local validation with strict signatures and the server's clock rule.
fn check_locally(blocks: &[Block]) -> Result<(), simplechain_core::validate::ChainError> {
    validate_chain(blocks, Some(now_ms())).map(|_| ())
}

fn sign(from: &SigningKey, chain: &[Block], to: Address, amount: u64, nonce: u64) -> Transaction {
    Transaction::sign(from, &chain_id(chain), to, amount, nonce)
}

fn txid(chain: &[Block], tx: &Transaction) -> TxId {
    tx.txid(&chain_id(chain))
}

/// Height and tip from `GET_INFO`.
async fn tip(c: &mut Conn) -> (u64, String) {
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    (
        info["height"].as_u64().unwrap(),
        info["tip"].as_str().unwrap().to_string(),
    )
}

/// Asserts the server still has exactly `chain`, and that it validates.
async fn assert_chain_is(server: &TestServer, chain: &[Block]) {
    let last = chain.last().unwrap();
    let mut c = server.connect().await;
    assert_eq!(
        tip(&mut c).await,
        (last.header.height, last.hash.to_string())
    );
    assert_eq!(get_chain(server).await, chain);
    assert_eq!(heavy(server, "VALIDATE_BLOCKCHAIN").await, "VALID");
}

/// Syncs `chain` and expects it to be adopted.
async fn adopt(server: &TestServer, chain: &[Block]) {
    assert_eq!(sync(server, chain).await, "SUCCESS");
    assert_eq!(get_chain(server).await, chain);
}

async fn balance(c: &mut Conn, address: Address) -> u64 {
    let account = payload(&c.ask(&format!("GET_ACCOUNT:{address}")).await, "ACCOUNT");
    account["balance"].as_u64().unwrap()
}

async fn tx_status(c: &mut Conn, id: &TxId) -> String {
    c.ask(&format!("GET_TRANSACTION:{id}")).await
}

fn event_line(block: &Block) -> String {
    format!("EVENT:TIP:{}:{}", block.header.height, block.hash)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_chain_is_success_and_changes_nothing() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let mut sub = server.connect().await;
    assert_eq!(sub.ask("SUBSCRIBE").await, "SUCCESS");

    // Genesis only.
    let genesis = get_chain(&server).await;
    assert_eq!(genesis.len(), 1);
    assert_eq!(sync(&server, &genesis).await, "SUCCESS");
    assert_chain_is(&server, &genesis).await;

    // With a block the server mined itself.
    let tx = server.tx(&rich_key(), addr(1), 10, 0);
    assert_eq!(c.ask(&common::add_line(&tx)).await, "SUCCESS");
    assert_eq!(wait_confirmed(&mut c, &tx.txid(&server.chain_id)).await, 1);
    let ours = get_chain(&server).await;
    assert_eq!(ours.len(), 2);
    assert_eq!(sub.read_line().await.unwrap(), event_line(&ours[1]));
    assert_eq!(sync(&server, &ours).await, "SUCCESS");
    assert_chain_is(&server, &ours).await;

    // No tip event came from those syncs: the next event is the next real change.
    let mut longer = ours.clone();
    push(&mut longer, Vec::new());
    adopt(&server, &longer).await;
    assert_eq!(sub.read_line().await.unwrap(), event_line(&longer[2]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_longer_chain_extending_ours_is_adopted() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let rich = rich_key();
    // One block mined by the server itself.
    let first = server.tx(&rich, addr(1), 1_000, 0);
    assert_eq!(c.ask(&common::add_line(&first)).await, "SUCCESS");
    wait_confirmed(&mut c, &first.txid(&server.chain_id)).await;
    let mut sub = server.connect().await;
    assert_eq!(sub.ask("SUBSCRIBE").await, "SUCCESS");

    let mut chain = get_chain(&server).await;
    assert_eq!(chain.len(), 2);
    let t1 = sign(&rich, &chain, addr(2), 500, 1);
    let t2 = sign(&key(1), &chain, addr(3), 400, 0);
    let t3 = sign(&rich, &chain, addr(3), 7, 2);
    push(&mut chain, vec![t1, t2]);
    push(&mut chain, Vec::new());
    push(&mut chain, vec![t3]);
    check_locally(&chain).unwrap();

    adopt(&server, &chain).await;
    let tip_block = chain.last().unwrap();
    assert_eq!(sub.read_line().await.unwrap(), event_line(tip_block));
    assert_chain_is(&server, &chain).await;
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    assert_eq!(info["height"], 4);
    assert_eq!(info["mempool"], 0);

    for (tx, height) in [(&t1, 2), (&t2, 2), (&t3, 4)] {
        let found = payload(&tx_status(&mut c, &txid(&chain, tx)).await, "TX");
        assert_eq!(found["status"], "confirmed");
        assert_eq!(found["height"], height);
    }
    assert_eq!(balance(&mut c, addr(1)).await, 600);
    assert_eq!(balance(&mut c, addr(2)).await, 500);
    assert_eq!(balance(&mut c, addr(3)).await, 407);
    assert_eq!(balance(&mut c, outside_miner()).await, 150);
    assert_eq!(
        balance(&mut c, address_of(&rich)).await,
        1_000_000 - 1_000 - 500 - 7
    );
    let history = payload(&c.ask(&format!("GET_HISTORY:{}", addr(3))).await, "HISTORY");
    assert_eq!(history["total"], 2);
    assert_eq!(history["items"][0]["txid"], txid(&chain, &t3).to_string());

    // The server keeps mining on the adopted tip.
    let next = server.tx(&rich, addr(4), 1, 3);
    assert_eq!(c.ask(&common::add_line(&next)).await, "SUCCESS");
    assert_eq!(wait_confirmed(&mut c, &txid(&chain, &next)).await, 5);
    let grown = get_chain(&server).await;
    assert_eq!(&grown[..5], &chain[..]);
    assert_eq!(heavy(&server, "VALIDATE_BLOCKCHAIN").await, "VALID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_replacing_our_last_blocks_requeues_their_still_valid_transactions() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let rich = rich_key();
    let base = get_chain(&server).await;

    // Our chain: G, B1[t0], B2[t1, t2], B3[t3].
    let t0 = sign(&rich, &base, addr(1), 1_000, 0);
    let t1 = sign(&rich, &base, addr(2), 200, 1);
    let t2 = sign(&key(1), &base, addr(3), 100, 0);
    let t3 = sign(&rich, &base, addr(4), 300, 2);
    let mut ours = base.clone();
    push(&mut ours, vec![t0]);
    push(&mut ours, vec![t1, t2]);
    push(&mut ours, vec![t3]);
    adopt(&server, &ours).await;
    assert_eq!(tip(&mut c).await.0, 3);

    // Theirs: G, B1, B2'[t1, t4], B3', B4'. t1 is in both branches; t2 is only in the
    // replaced blocks and still valid; t3 conflicts with t4 (same sender and nonce).
    let t4 = sign(&rich, &base, addr(5), 7, 2);
    let mut theirs = ours[..2].to_vec();
    push_by(&mut theirs, addr(98), vec![t1, t4]);
    push_empty(&mut theirs, addr(98), 2);
    check_locally(&theirs).unwrap();
    assert_eq!(theirs.len(), 5);

    let mut sub = server.connect().await;
    assert_eq!(sub.ask("SUBSCRIBE").await, "SUCCESS");
    // Pipelined: the lookup runs right after the sync is answered.
    c.send(&sync_line(&theirs)).await;
    c.send(&format!("GET_TRANSACTION:{}", txid(&base, &t2)))
        .await;
    assert_eq!(c.read_line().await.unwrap(), "SUCCESS");
    let requeued = payload(&c.read_line().await.unwrap(), "TX");
    // The server's miner runs concurrently and may already have mined it again, on top
    // of the adopted tip; either way it was not lost.
    match requeued["status"].as_str().unwrap() {
        "pending" => assert!(requeued["height"].is_null()),
        "confirmed" => assert_eq!(requeued["height"], 5),
        other => panic!("unexpected status {other}"),
    }
    assert_eq!(sub.read_line().await.unwrap(), event_line(&theirs[4]));

    // t2 is mined again, in a block of the server's own on top of their chain.
    assert_eq!(wait_confirmed(&mut c, &txid(&base, &t2)).await, 5);
    let now = get_chain(&server).await;
    assert_eq!(&now[..5], &theirs[..]);
    assert_eq!(now.len(), 6);
    assert_eq!(now[5].transactions, vec![t2]);
    assert_ne!(now[5].header.miner, outside_miner());
    assert_ne!(now[5].header.miner, addr(98));
    assert_eq!(sub.read_line().await.unwrap(), event_line(&now[5]));

    // t1 and t4 are confirmed where the new branch has them; t3 can never apply again.
    for tx in [&t1, &t4] {
        let found = payload(&tx_status(&mut c, &txid(&base, tx)).await, "TX");
        assert_eq!(found["status"], "confirmed");
        assert_eq!(found["height"], 2);
    }
    let dropped = tx_status(&mut c, &txid(&base, &t3)).await;
    assert_eq!(error_code(&dropped), "not_found", "{dropped}");
    assert_eq!(balance(&mut c, addr(3)).await, 100);
    assert_eq!(balance(&mut c, addr(4)).await, 0);
    assert_eq!(balance(&mut c, addr(5)).await, 7);
    assert_eq!(balance(&mut c, outside_miner()).await, 50);
    assert_eq!(balance(&mut c, addr(98)).await, 150);
    let rich_account = payload(
        &c.ask(&format!("GET_ACCOUNT:{}", address_of(&rich))).await,
        "ACCOUNT",
    );
    assert_eq!(rich_account["nonce"], 3);
    assert_eq!(rich_account["pending_nonce"], 3);
    let history = payload(&c.ask(&format!("GET_HISTORY:{}", addr(4))).await, "HISTORY");
    assert_eq!(history["total"], 0);
    assert_eq!(heavy(&server, "VALIDATE_BLOCKCHAIN").await, "VALID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shorter_and_equally_long_chains_are_not_better() {
    let server = TestServer::start().await;
    let mut ours = get_chain(&server).await;
    let t0 = sign(&rich_key(), &ours, addr(1), 10, 0);
    push(&mut ours, vec![t0]);
    push_empty(&mut ours, outside_miner(), 2);
    adopt(&server, &ours).await;

    let mut same_length = ours[..2].to_vec();
    push_empty(&mut same_length, addr(98), 2);
    let mut shorter_fork = ours[..1].to_vec();
    push_empty(&mut shorter_fork, addr(98), 2);
    let candidates: Vec<(&str, Vec<Block>)> = vec![
        ("genesis only", ours[..1].to_vec()),
        ("a prefix of ours", ours[..3].to_vec()),
        ("a shorter fork", shorter_fork),
        ("same length, other branch", same_length),
    ];
    for (what, chain) in candidates {
        check_locally(&chain).unwrap();
        let reply = sync(&server, &chain).await;
        assert_eq!(error_code(&reply), "not_better", "{what}: {reply}");
        assert_chain_is(&server, &ours).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_genesis_is_a_genesis_mismatch() {
    let server = TestServer::start().await;
    let ours = get_chain(&server).await;
    let g = &ours[0];
    let others = [
        // Same owner and supply, another moment.
        Block::genesis(
            g.header.miner,
            g.header.reward,
            g.header.difficulty,
            g.header.timestamp + 1,
        ),
        // Another supply.
        Block::genesis(
            g.header.miner,
            g.header.reward + 1,
            g.header.difficulty,
            g.header.timestamp,
        ),
        // Another difficulty.
        Block::genesis(
            g.header.miner,
            g.header.reward,
            g.header.difficulty + 1,
            g.header.timestamp,
        ),
    ];
    for other in others {
        assert_ne!(other.hash, g.hash);
        let mut chain = vec![other];
        // Longer than ours, and valid on its own.
        push_empty(&mut chain, outside_miner(), 3);
        check_locally(&chain).unwrap();
        let reply = sync(&server, &chain).await;
        assert_eq!(error_code(&reply), "genesis_mismatch", "{reply}");
        assert_chain_is(&server, &ours).await;
    }
}

/// A forgery: what it is, the chain, and the height of the block that breaks a rule.
struct Forgery {
    what: &'static str,
    chain: Vec<Block>,
    height: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_chains_are_invalid_and_change_nothing() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let rich = rich_key();
    let g = get_chain(&server).await;

    // The server has G, B1[t0], B2[t1].
    let t0 = sign(&rich, &g, addr(1), 1_000, 0);
    let t1 = sign(&rich, &g, addr(2), 500, 1);
    let mut ours = g.clone();
    push(&mut ours, vec![t0]);
    push(&mut ours, vec![t1]);
    adopt(&server, &ours).await;

    // A valid candidate: ours + B3[t2, t3], B4[t4], B5[].
    let t2 = sign(&rich, &g, addr(3), 300, 2);
    let t3 = sign(&key(1), &g, addr(4), 100, 0);
    let t4 = sign(&key(2), &g, addr(5), 50, 0);
    let mut valid = ours.clone();
    push(&mut valid, vec![t2, t3]);
    push(&mut valid, vec![t4]);
    push(&mut valid, Vec::new());
    check_locally(&valid).unwrap();

    let mut forgeries = Vec::new();
    let mut forge = |what, height: u64, change: &dyn Fn(&mut Vec<Block>)| {
        let mut chain = valid.clone();
        change(&mut chain);
        forgeries.push(Forgery {
            what,
            chain,
            height,
        });
    };
    // Signature bytes are not part of the txid, so the hashes stay the same: block 1 is
    // one the server already has, as far as hashes tell.
    forge("bad signature in a block we share", 1, &|ch| {
        ch[1].transactions[0].signature = flip(ch[1].transactions[0].signature)
    });
    forge("bad signature in a new block", 4, &|ch| {
        ch[4].transactions[0].signature = flip(ch[4].transactions[0].signature)
    });
    forge("tampered amount, block re-mined", 3, &|ch| {
        ch[3].transactions[0].amount = 999;
        let id = chain_id(ch);
        ch[3].header.tx_root = ch[3].compute_tx_root(&id);
        ch[3] = remine(&ch[3]);
        relink(ch, 4);
    });
    forge("tampered amount, header untouched", 3, &|ch| {
        ch[3].transactions[1].amount = 99;
    });
    forge("wrong proof of work", 4, &|ch| {
        let mut header = ch[4].header;
        header.nonce = 0;
        while leading_zero_bits(&header.hash()) >= 4 {
            header.nonce += 1;
        }
        ch[4] = Block::from_mined(header, header.hash(), ch[4].transactions.clone());
        relink(ch, 5);
    });
    forge("wrong claimed hash", 5, &|ch| {
        let mut bytes = ch[5].hash.to_bytes();
        bytes[31] ^= 1;
        ch[5].hash = simplechain_core::BlockHash::from_bytes(bytes);
    });
    forge("wrong tx_root", 3, &|ch| {
        ch[3].header.tx_root = merkle_root(&[TxId::from_bytes([1; 32])]);
        ch[3] = remine(&ch[3]);
        relink(ch, 4);
    });
    forge(
        "transactions reordered (tx_root of the old order)",
        3,
        &|ch| {
            ch[3].transactions.swap(0, 1);
            ch[3] = remine(&ch[3]);
            relink(ch, 4);
        },
    );
    forge("wrong prev_hash", 4, &|ch| {
        ch[4].header.prev_hash = ch[2].hash;
        ch[4] = remine(&ch[4]);
        relink(ch, 5);
    });
    forge("wrong height", 4, &|ch| {
        ch[4].header.height = 5;
        ch[4] = remine(&ch[4]);
        relink(ch, 5);
    });
    forge("wrong reward", 3, &|ch| {
        ch[3].header.reward = 51;
        ch[3] = remine(&ch[3]);
        relink(ch, 4);
    });
    forge("wrong difficulty", 5, &|ch| {
        ch[5].header.difficulty = 5;
        ch[5] = remine(&ch[5]);
    });
    forge("timestamp before the previous block", 5, &|ch| {
        ch[5].header.timestamp = ch[4].header.timestamp - 1;
        ch[5] = remine(&ch[5]);
    });
    forge("timestamp more than 2 hours ahead", 5, &|ch| {
        ch[5].header.timestamp = now_ms() + 3 * 60 * 60 * 1000;
        ch[5] = remine(&ch[5]);
    });

    // Rebuilt with Block::next, so only the transactions break a rule.
    let rebuilt = |what, height: u64, txs: Vec<Transaction>| {
        let mut chain = ours.clone();
        push(&mut chain, vec![t2, t3]);
        push(&mut chain, txs);
        push(&mut chain, Vec::new());
        Forgery {
            what,
            chain,
            height,
        }
    };
    forgeries.push(rebuilt(
        "overspend by an empty account",
        4,
        vec![sign(&key(9), &g, addr(5), 1, 0)],
    ));
    forgeries.push(rebuilt(
        "overspend by a funded account",
        4,
        vec![sign(&key(2), &g, addr(5), 501, 0)],
    ));
    forgeries.push(rebuilt(
        "overspend across two transactions",
        4,
        vec![
            sign(&key(2), &g, addr(5), 300, 0),
            sign(&key(2), &g, addr(5), 201, 1),
        ],
    ));
    forgeries.push(rebuilt("replayed transaction", 4, vec![t0]));
    forgeries.push(rebuilt(
        "nonce gap",
        4,
        vec![sign(&key(2), &g, addr(5), 1, 1)],
    ));
    forgeries.push(rebuilt(
        "signed for another chain",
        4,
        vec![Transaction::sign(
            &key(2),
            &ChainId::from_bytes([5; 32]),
            addr(5),
            1,
            0,
        )],
    ));
    forgeries.push(rebuilt(
        "payment to oneself",
        4,
        vec![sign(&key(2), &g, addr(2), 1, 0)],
    ));
    forgeries.push(rebuilt(
        "zero amount",
        4,
        vec![sign(&key(2), &g, addr(5), 0, 0)],
    ));

    let mut sub = server.connect().await;
    assert_eq!(sub.ask("SUBSCRIBE").await, "SUCCESS");
    for f in &forgeries {
        // The forgery breaks exactly where it should, and nowhere before.
        let local = check_locally(&f.chain).expect_err(f.what);
        assert_eq!(local.height, f.height, "{}: {local}", f.what);
        let reply = sync(&server, &f.chain).await;
        assert_eq!(error_code(&reply), "invalid_chain", "{}: {reply}", f.what);
        assert!(
            reply.contains(&format!("block {}", f.height)),
            "{}: the reason should name block {}: {reply}",
            f.what,
            f.height
        );
        assert_eq!(
            tip(&mut c).await,
            (2, ours[2].hash.to_string()),
            "{}",
            f.what
        );
    }
    assert_chain_is(&server, &ours).await;
    assert_eq!(balance(&mut c, addr(3)).await, 0);
    assert_eq!(balance(&mut c, outside_miner()).await, 100);

    // The valid candidate is still taken after all that, and it is the first tip event.
    adopt(&server, &valid).await;
    assert_eq!(sub.read_line().await.unwrap(), event_line(&valid[5]));
    assert_chain_is(&server, &valid).await;
}

fn flip(signature: simplechain_core::Signature) -> simplechain_core::Signature {
    let mut bytes = signature.to_bytes();
    bytes[10] ^= 0x01;
    simplechain_core::Signature::from_bytes(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_more_than_100_blocks_below_the_tip_is_too_deep() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let mut ours = get_chain(&server).await;
    // 105 blocks above genesis: 106 blocks in all.
    push_empty(&mut ours, outside_miner(), 105);
    adopt(&server, &ours).await;
    assert_eq!(tip(&mut c).await.0, 105);

    // Forking after block 4 drops 101 of our blocks: refused, however long it is.
    let mut too_deep = ours[..5].to_vec();
    push_empty(&mut too_deep, addr(98), 150);
    check_locally(&too_deep).unwrap();
    let reply = sync(&server, &too_deep).await;
    assert_eq!(error_code(&reply), "reorg_too_deep", "{reply}");
    assert_chain_is(&server, &ours).await;

    // Forking after block 5 drops exactly 100: allowed.
    let mut deepest = ours[..6].to_vec();
    push_empty(&mut deepest, addr(97), 101);
    check_locally(&deepest).unwrap();
    assert_eq!(deepest.len(), ours.len() + 1);
    adopt(&server, &deepest).await;
    assert_chain_is(&server, &deepest).await;
    assert_eq!(balance(&mut c, addr(97)).await, 101 * 50);
    assert_eq!(balance(&mut c, outside_miner()).await, 5 * 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_sync_payloads_are_refused_and_the_connection_stays_usable() {
    let server = TestServer::start().await;
    let mut c = server.connect().await;
    let ours = get_chain(&server).await;
    let genesis_json = serde_json::to_string(&ours[0]).unwrap();
    let cases = [
        ("SYNC_BLOCKCHAIN:not json".to_string(), "bad_request"),
        ("SYNC_BLOCKCHAIN:".to_string(), "bad_request"),
        ("SYNC_BLOCKCHAIN:[1,2]".to_string(), "bad_request"),
        ("SYNC_BLOCKCHAIN:{\"blocks\":7}".to_string(), "bad_request"),
        (
            "SYNC_BLOCKCHAIN:{\"blocks\":[{\"height\":0}]}".to_string(),
            "bad_request",
        ),
        (
            format!("SYNC_BLOCKCHAIN:{{\"blocks\":[{genesis_json}]"),
            "bad_request",
        ),
        (
            "SYNC_BLOCKCHAIN:{\"blocks\":[]}".to_string(),
            "invalid_chain",
        ),
    ];
    for (line, code) in &cases {
        let reply = c.ask(line).await;
        assert_eq!(error_code(&reply), *code, "{line}: {reply}");
    }
    assert_eq!(c.ask("PING").await, "PONG");
    assert_chain_is(&server, &ours).await;
    // Whitespace and field order are free in JSON.
    let spaced = format!("SYNC_BLOCKCHAIN:{{ \"blocks\" : [ {genesis_json} ] }}");
    assert_eq!(c.ask(&spaced).await, "SUCCESS");
    assert_chain_is(&server, &ours).await;
}

/// A candidate whose claimed hashes are all ours is still validated: signatures are not
/// part of the txid, so our own chain with a forged signature has exactly our hashes.
/// (The server used to answer `SUCCESS` to it, as "already the server's chain".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_chain_with_a_forged_signature_is_invalid() {
    let server = TestServer::start().await;
    let mut ours = get_chain(&server).await;
    let t0 = sign(&rich_key(), &ours, addr(1), 10, 0);
    push(&mut ours, vec![t0]);
    adopt(&server, &ours).await;
    let mut forged = ours.clone();
    forged[1].transactions[0].signature = flip(forged[1].transactions[0].signature);
    assert_eq!(check_locally(&forged).unwrap_err().height, 1);
    let reply = sync(&server, &forged).await;
    assert_eq!(error_code(&reply), "invalid_chain", "{reply}");
    assert_chain_is(&server, &ours).await;
}
