//! Blocks on top of the main tip are made durable by the acknowledgement log, not by a
//! redb commit each (issue 13: redb's commits made every log write behind them wait).
//! Here, over real sockets and real files: such blocks are in the log and not yet in
//! redb; they come back after a restart and are folded into redb then; a side block
//! (in the log too) whose parent only the log holds comes back as well; a reorg above log-only blocks
//! writes them into redb with the new branch (without them redb's chain would have a
//! hole); `VALIDATE_BLOCKCHAIN` checks the log's blocks as well; a block's record names
//! the transactions the mempool held by number, whether redb or the log holds them; a
//! checkpoint killed between its pieces leaves redb with some of the log's blocks, read
//! as held at open; a log block that does not carry on redb's chain is refused at
//! open with a clear error; a side block pruned below the reorg window is neither
//! written into redb nor put back at open, and one redb holds is removed from it; and
//! blocks larger than a half of the log go straight into redb.

mod common;

use common::blocks::{
    child, get_block, restart_without_miner, start_on, start_without_miner, submitted, tip_block,
};
use common::{Conn, TestServer, add_line, addr, rich_key};
use simplechain_core::{Block, BlockHash};
use simplechain_server::storage::{Change, Storage};
use simplechain_server::wal::{self, LOG_FILE, record};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// redb's main chain height (what it holds without the log).
fn redb_height(dir: &Path) -> u64 {
    let loaded = Storage::open(dir).unwrap().load().unwrap();
    loaded.blocks.len() as u64 - 1
}

/// The blocks the log holds on top of redb's chain.
fn log_blocks(dir: &Path) -> Vec<Block> {
    let loaded = Storage::open(dir).unwrap().load().unwrap();
    let log = wal::read_back(dir).unwrap();
    let (blocks, stopped) = wal::blocks_on(
        &log.records,
        loaded.log_applied,
        &loaded.blocks,
        &loaded.mempool,
    );
    assert_eq!(stopped, None);
    blocks
}

/// The side blocks redb holds, by hash.
fn redb_side(dir: &Path) -> Vec<BlockHash> {
    let loaded = Storage::open(dir).unwrap().load().unwrap();
    loaded.side.iter().map(|b| b.hash).collect()
}

/// The side blocks the log holds after redb's `log_applied`.
fn log_side(dir: &Path) -> Vec<Block> {
    let loaded = Storage::open(dir).unwrap().load().unwrap();
    let log = wal::read_back(dir).unwrap();
    log.records
        .into_iter()
        .filter(|(seq, _)| *seq > loaded.log_applied)
        .filter_map(|(_, entry)| match entry {
            record::Entry::Side(block) => Some(block),
            _ => None,
        })
        .collect()
}

/// Writes `record` at the start of the log in `dir` (a stopped server's), and returns
/// why the server then refuses to open it.
fn open_refused_with_record(dir: &Path, record: &[u8]) -> String {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join(LOG_FILE))
        .unwrap();
    file.write_all_at(record, 0).unwrap();
    drop(file);
    let mut config = common::test_config(dir);
    config.miner.disabled = true;
    let Err(error) = simplechain_server::Server::open(config) else {
        panic!("the server must not open this data dir");
    };
    error.to_string()
}

/// A config without the server's miner, with an acknowledgement log of `records`
/// 4 KiB records (two halves of `records / 2`).
fn config_with_log(dir: &Path, records: u64) -> simplechain_server::ServerConfig {
    let mut config = common::test_config(dir);
    config.miner.disabled = true;
    config.limits.ack_log_bytes = records * record::BLOCK as u64;
    config
}

/// Three blocks mined on the tip and submitted, one after the other.
async fn three_on_the_tip(server: &TestServer, c: &mut Conn) -> [Block; 3] {
    let mut parent = tip_block(c).await;
    let mut blocks = Vec::new();
    for _ in 0..3 {
        let block = child(&parent, server, vec![], 0);
        assert_eq!(submitted(c, &block).await.status.as_str(), "tip");
        blocks.push(block.clone());
        parent = block;
    }
    blocks.try_into().unwrap()
}

#[tokio::test]
async fn blocks_in_the_log_survive_a_restart_and_are_folded_into_redb() {
    let server = start_without_miner().await;
    let dir = server.dir.clone();
    let mut c = server.connect().await;
    let [a1, a2, a3] = three_on_the_tip(&server, &mut c).await;
    let b3 = child(&a2, &server, vec![], 7);
    // A side block whose parent only the log holds; it is in the log only too.
    assert_eq!(submitted(&mut c, &b3).await.status.as_str(), "side");
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    drop(c);
    // Stopped as if killed: a stop writes nothing more.
    let temp = server.stop().await;
    assert_eq!(redb_height(&dir), 0, "the tip's blocks are in the log only");
    assert_eq!(log_blocks(&dir), [a1.clone(), a2.clone(), a3.clone()]);
    assert_eq!(
        log_side(&dir),
        std::slice::from_ref(&b3),
        "the side block is in the log"
    );
    assert_eq!(redb_side(&dir), [], "and not in redb");

    let mut server = start_on(&dir).await;
    server.keep(temp.unwrap());
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, a3);
    for block in [&a1, &a2, &a3] {
        assert!(get_block(&mut c, &block.hash).await.main);
    }
    assert!(
        !get_block(&mut c, &b3.hash).await.main,
        "b3 is still a side block"
    );
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    drop(c);
    let temp = server.stop().await;
    assert_eq!(
        redb_height(&dir),
        3,
        "the open folded the log's blocks into redb"
    );
    assert_eq!(redb_side(&dir), [b3.hash], "the side block too");
    assert_eq!(log_side(&dir), []);
    drop(temp);
}

#[tokio::test]
async fn a_block_record_names_pending_transactions_by_number_wherever_they_are_held() {
    let server = start_without_miner().await;
    let mut c = server.connect().await;
    let rich = rich_key();
    let in_redb = server.tx(&rich, addr(1), 5, 0);
    assert_eq!(c.ask(&add_line(&in_redb)).await, "SUCCESS");
    drop(c);
    // The open folds the log into redb: the first one is in redb's mempool table now.
    let server = restart_without_miner(server).await;
    let dir = server.dir.clone();
    let mut c = server.connect().await;
    let in_log = server.tx(&rich, addr(2), 6, 1);
    assert_eq!(c.ask(&add_line(&in_log)).await, "SUCCESS");
    // One the server never saw: the record holds it whole.
    let unseen = server.tx(&rich, addr(3), 7, 2);
    let genesis = tip_block(&mut c).await;
    let block = child(&genesis, &server, vec![in_redb, in_log, unseen], 0);
    assert_eq!(submitted(&mut c, &block).await.status.as_str(), "tip");
    drop(c);
    let temp = server.stop().await;

    let log = wal::read_back(&dir).unwrap();
    let Some((_, record::Entry::BlockByRef(logged))) = log.records.last() else {
        panic!("the last record is not a block: {:?}", log.records.last());
    };
    let kinds: Vec<&str> = logged
        .txs
        .iter()
        .map(|r| match r {
            record::TxRef::Seq(_) => "seq",
            record::TxRef::Whole(_) => "whole",
        })
        .collect();
    assert_eq!(kinds, ["seq", "seq", "whole"]);
    assert_eq!(log_blocks(&dir), std::slice::from_ref(&block));

    let mut server = start_on(&dir).await;
    server.keep(temp.unwrap());
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, block);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    let mempool = common::payload(&c.ask("GET_MEMPOOL").await, "MEMPOOL");
    assert_eq!(
        mempool["total"], 0,
        "both pending ones were mined: {mempool}"
    );
    drop(c);
    let temp = server.stop().await;
    assert_eq!(redb_height(&dir), 1, "the open folded the block into redb");
    drop(temp);
}

#[tokio::test]
async fn a_log_block_naming_a_transaction_nobody_holds_is_refused_at_open() {
    let temp = tempfile::tempdir().unwrap();
    let server = start_on(temp.path()).await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let tx = server.tx(&rich_key(), addr(1), 5, 0);
    let block = child(&genesis, &server, vec![tx], 0);
    drop(c);
    server.stop().await;
    let logged = record::LoggedBlock::new(&block, vec![record::TxRef::Seq(77)]);
    let text = open_refused_with_record(temp.path(), &record::encode_block(1, &logged));
    assert!(
        text.contains("block at height 1 names mempool sequence number 77")
            && text.contains("the data dir is damaged"),
        "{text}"
    );
}

#[tokio::test]
async fn a_reorg_above_blocks_only_the_log_holds_writes_them_into_redb_too() {
    let server = start_without_miner().await;
    let dir = server.dir.clone();
    let mut c = server.connect().await;
    let [a1, a2, a3] = three_on_the_tip(&server, &mut c).await;
    // A side block off another branch, in the log only: the switch must write it.
    let c2 = child(&a1, &server, vec![], 11);
    assert_eq!(submitted(&mut c, &c2).await.status.as_str(), "side");
    let b3 = child(&a2, &server, vec![], 9);
    let b4 = child(&b3, &server, vec![], 0);
    assert_eq!(submitted(&mut c, &b3).await.status.as_str(), "side");
    // The switch forks at height 3; blocks 1 and 2 are still in the log only.
    let s = submitted(&mut c, &b4).await;
    assert_eq!((s.status.as_str(), s.replaced), ("tip", 1));
    drop(c);
    let temp = server.stop().await;
    assert_eq!(
        redb_height(&dir),
        4,
        "redb has 1 and 2 as well as the new branch"
    );
    assert_eq!(log_blocks(&dir), []);
    // b3 was a side block in the log only; it is main now, and a3, replaced, is a
    // side block; c2 stays one, written by the switch (its log record is behind
    // `log_applied` now).
    let side = redb_side(&dir);
    assert!(
        side.len() == 2 && side.contains(&a3.hash) && side.contains(&c2.hash),
        "{side:?}"
    );
    assert_eq!(log_side(&dir), []);

    let mut server = start_on(&dir).await;
    server.keep(temp.unwrap());
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, b4);
    for block in [&a1, &a2, &b3, &b4] {
        assert!(get_block(&mut c, &block.hash).await.main);
    }
    assert!(!get_block(&mut c, &a3.hash).await.main);
    assert!(!get_block(&mut c, &c2.hash).await.main);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn validate_blockchain_checks_the_blocks_the_log_holds() {
    let server = start_without_miner().await;
    let dir = server.dir.clone();
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let a1 = child(&genesis, &server, vec![], 0);
    assert_eq!(submitted(&mut c, &a1).await.status.as_str(), "tip");
    // Someone rewrites the log's record of block 1 (with a right checksum): its reward
    // is now larger, and its hash no longer matches.
    let log = wal::read_back(&dir).unwrap();
    assert_eq!(
        log.records.len(),
        1,
        "the log started again at open: one record"
    );
    let seq = log.records[0].0;
    let rewrite = |logged: &record::LoggedBlock| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join(LOG_FILE))
            .unwrap();
        file.write_all_at(&record::encode_block(seq, logged), 0)
            .unwrap();
    };
    let mut forged = a1.clone();
    forged.header.reward += 1_000;
    rewrite(&record::LoggedBlock::whole(&forged));
    let answer = c.ask("VALIDATE_BLOCKCHAIN").await;
    assert!(answer.starts_with("INVALID:1:"), "{answer}");
    // Or it names a transaction by a number nobody holds: the same block can no
    // longer be read back, which is damage too, not a shorter chain that is valid.
    rewrite(&record::LoggedBlock::new(
        &a1,
        vec![record::TxRef::Seq(777)],
    ));
    let answer = c.ask("VALIDATE_BLOCKCHAIN").await;
    assert!(
        answer.starts_with("INVALID:1:") && answer.contains("mempool sequence number 777"),
        "{answer}"
    );
    // Put back as it was, it is valid again.
    rewrite(&record::LoggedBlock::whole(&a1));
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn a_log_block_that_does_not_carry_on_the_chain_is_refused_at_open() {
    let temp = tempfile::tempdir().unwrap();
    let server = start_on(temp.path()).await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let chain_id = server.chain_id;
    drop(c);
    server.stop().await;
    // A block at height 2 in the log, on a parent redb does not have.
    let miner = common::blocks::miner_addr();
    let a1 = Block::next(
        &genesis,
        &chain_id,
        miner,
        genesis.header.timestamp + 1,
        vec![],
    );
    let a2 = Block::next(&a1, &chain_id, miner, a1.header.timestamp + 1, vec![]);
    let bytes = record::encode_block(1, &record::LoggedBlock::whole(&a2));
    let text = open_refused_with_record(temp.path(), &bytes);
    assert!(
        text.contains("block at height 2 that does not carry on")
            && text.contains("chain ends at height 0"),
        "{text}"
    );
}

#[tokio::test]
async fn a_checkpoint_stopped_between_its_pieces_opens_on_the_blocks_it_wrote() {
    let server = start_without_miner().await;
    let dir = server.dir.clone();
    let mut c = server.connect().await;
    let rich = rich_key();
    let (mined, pending) = (
        server.tx(&rich, addr(1), 5, 0),
        server.tx(&rich, addr(2), 6, 1),
    );
    for tx in [&mined, &pending] {
        assert_eq!(c.ask(&add_line(tx)).await, "SUCCESS");
    }
    let genesis = tip_block(&mut c).await;
    let a1 = child(&genesis, &server, vec![mined], 0);
    let a2 = child(&a1, &server, vec![], 0);
    let a3 = child(&a2, &server, vec![], 0);
    for block in [&a1, &a2, &a3] {
        assert_eq!(submitted(&mut c, block).await.status.as_str(), "tip");
    }
    drop(c);
    let temp = server.stop().await;
    assert_eq!(log_blocks(&dir), [a1.clone(), a2.clone(), a3.clone()]);

    // The checkpoint of what the log holds, cut as the background one is, a block a
    // piece; killed after its first two pieces: redb has blocks 1 and 2, and still
    // says it holds none of the log.
    let json = |b: &Block| -> Arc<str> { serde_json::to_string(b).unwrap().into() };
    let log = wal::read_back(&dir).unwrap();
    let checkpoint = Change {
        main_from: 1,
        main: [&a1, &a2, &a3].map(|b| (b.header.height, json(b))).to_vec(),
        mempool_add: vec![(1, pending)],
        log_applied: log.records.last().map(|(seq, _)| *seq),
        ..Change::default()
    };
    let pieces = checkpoint.into_pieces(1);
    assert_eq!(
        pieces.len(),
        4,
        "three blocks, then the entry with the rest"
    );
    let storage = Storage::open(&dir).unwrap();
    for piece in &pieces[..2] {
        storage.commit(piece).unwrap();
    }
    let loaded = storage.load().unwrap();
    drop(storage);
    assert_eq!(loaded.blocks.len(), 3, "genesis, 1 and 2");
    assert_eq!(
        loaded.log_applied, 0,
        "the last piece says how much of the log"
    );
    assert_eq!(
        log_blocks(&dir),
        std::slice::from_ref(&a3),
        "the log's blocks 1 and 2 are read as held"
    );

    let mut server = start_on(&dir).await;
    server.keep(temp.unwrap());
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, a3);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    let mempool = common::payload(&c.ask("GET_MEMPOOL").await, "MEMPOOL");
    assert_eq!(
        mempool["total"], 1,
        "the pending one is still pending: {mempool}"
    );
    drop(c);
    let temp = server.stop().await;
    assert_eq!(redb_height(&dir), 3, "the open folded block 3 in");
    drop(temp);
}

#[tokio::test]
async fn a_side_block_only_the_log_holds_goes_into_redb_with_the_background_checkpoint() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    // Halves of four 4 KiB records each: records 1 to 4 fill half 0; record 5 goes to
    // half 1 while 1 to 4 are checkpointed in the background.
    let config = config_with_log(dir, 8);
    let server = common::TestServer::start_with(config).await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let a1 = child(&genesis, &server, vec![], 0);
    assert_eq!(submitted(&mut c, &a1).await.status.as_str(), "tip"); // record 1
    let b1 = child(&genesis, &server, vec![], 5);
    assert_eq!(submitted(&mut c, &b1).await.status.as_str(), "side"); // record 2
    for nonce in 0..3 {
        // Records 3 to 5.
        let tx = server.tx(&rich_key(), addr(4), 10, nonce);
        assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
    }
    drop(c);
    // A stop waits for the checkpoint under way.
    server.stop().await;
    let loaded = Storage::open(dir).unwrap().load().unwrap();
    assert_eq!(loaded.log_applied, 4, "half 0 was checkpointed");
    assert_eq!(redb_side(dir), [b1.hash], "with the side block");
    assert_eq!(redb_height(dir), 1);
    assert_eq!(log_side(dir), []);
}

/// `count` blocks mined on `parent`, one after the other, each submitted and made the
/// tip; returns the last.
async fn on_the_tip(server: &TestServer, c: &mut Conn, parent: &Block, count: u64) -> Block {
    let mut parent = parent.clone();
    for _ in 0..count {
        let block = child(&parent, server, vec![], 0);
        assert_eq!(submitted(c, &block).await.status.as_str(), "tip");
        parent = block;
    }
    parent
}

/// Whether the server's tree still holds a block.
async fn in_the_tree(c: &mut Conn, hash: &BlockHash) -> bool {
    let answer = c.ask(&format!("GET_BLOCK:{hash}")).await;
    assert!(
        answer.starts_with("BLOCK:") || answer.starts_with("ERROR:not_found:"),
        "{answer}"
    );
    answer.starts_with("BLOCK:")
}

#[tokio::test]
async fn a_side_block_pruned_before_its_checkpoint_is_not_written_into_redb() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    // Halves of 128 records: the side block's record (2) and the 100 blocks that take
    // the main tip past the reorg window above it (3 to 102) are all in half 0, whose
    // background checkpoint starts at record 129.
    let config = config_with_log(dir, 256);
    let server = common::TestServer::start_with(config).await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let a1 = on_the_tip(&server, &mut c, &genesis, 1).await; // record 1
    let b1 = child(&genesis, &server, vec![], 5);
    assert_eq!(submitted(&mut c, &b1).await.status.as_str(), "side"); // record 2
    let depth = simplechain_core::MAX_REORG_DEPTH;
    let tip = on_the_tip(&server, &mut c, &a1, depth - 1).await; // records 3 to 101
    assert!(
        in_the_tree(&mut c, &b1.hash).await,
        "height 1 is still in the window"
    );
    let tip = on_the_tip(&server, &mut c, &tip, 1).await; // record 102
    assert!(
        !in_the_tree(&mut c, &b1.hash).await,
        "pruned below the window"
    );
    for nonce in 0..27 {
        // Records 103 to 129.
        let tx = server.tx(&rich_key(), addr(4), 10, nonce);
        assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
    }
    drop(c);
    // A stop waits for the checkpoint under way.
    server.stop().await;
    let loaded = Storage::open(dir).unwrap().load().unwrap();
    assert_eq!(loaded.log_applied, 128, "half 0 was checkpointed");
    assert_eq!(redb_height(dir), depth + 1);
    assert_eq!(redb_side(dir), [], "not the pruned side block");

    let server = start_on(dir).await;
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, tip);
    assert!(!in_the_tree(&mut c, &b1.hash).await);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn a_log_only_side_block_below_the_window_at_open_is_left_out() {
    let server = start_without_miner().await;
    let dir = server.dir.clone();
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let a1 = on_the_tip(&server, &mut c, &genesis, 1).await;
    let b1 = child(&genesis, &server, vec![], 5);
    assert_eq!(submitted(&mut c, &b1).await.status.as_str(), "side");
    let depth = simplechain_core::MAX_REORG_DEPTH;
    let tip = on_the_tip(&server, &mut c, &a1, depth + 1).await;
    assert!(!in_the_tree(&mut c, &b1.hash).await);
    drop(c);
    let temp = server.stop().await;
    // Nothing was checkpointed: the log holds the side block's record after redb's
    // `log_applied`.
    assert_eq!(redb_height(&dir), 0);
    assert_eq!(log_side(&dir), std::slice::from_ref(&b1));

    let mut server = start_on(&dir).await;
    server.keep(temp.unwrap());
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, tip);
    assert!(
        !in_the_tree(&mut c, &b1.hash).await,
        "not put back in the tree"
    );
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    drop(c);
    let temp = server.stop().await;
    assert_eq!(redb_height(&dir), depth + 2, "the open's checkpoint");
    assert_eq!(redb_side(&dir), [], "without the side block");
    assert_eq!(log_side(&dir), []);
    drop(temp);
}

#[tokio::test]
async fn a_side_block_in_redb_is_removed_from_it_by_the_checkpoint_after_its_pruning() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    // Halves of four records: record 5 starts the background checkpoint of 1 to 4,
    // which writes the side block (record 2) into redb.
    let start = || common::TestServer::start_with(config_with_log(dir, 8));
    let server = start().await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let a1 = on_the_tip(&server, &mut c, &genesis, 1).await; // record 1
    let b1 = child(&genesis, &server, vec![], 5);
    assert_eq!(submitted(&mut c, &b1).await.status.as_str(), "side"); // record 2
    for nonce in 0..2 {
        let tx = server.tx(&rich_key(), addr(4), 10, nonce);
        assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS"); // records 3 and 4
    }
    let a2 = on_the_tip(&server, &mut c, &a1, 1).await; // record 5
    drop(c);
    server.stop().await;
    assert_eq!(redb_side(dir), [b1.hash], "written by the checkpoint");
    let server = start().await;
    let mut c = server.connect().await;
    // Up to height 101: height 1 falls out of the window. The checkpoints after it (one
    // every four blocks) remove it from redb.
    let depth = simplechain_core::MAX_REORG_DEPTH;
    let tip = on_the_tip(&server, &mut c, &a2, depth - 1).await;
    assert!(
        !in_the_tree(&mut c, &b1.hash).await,
        "pruned below the window"
    );
    let tip = on_the_tip(&server, &mut c, &tip, 5).await;
    drop(c);
    server.stop().await;
    assert!(
        redb_height(dir) > depth + 1,
        "checkpointed since the pruning"
    );
    assert_eq!(redb_side(dir), [], "removed from redb");

    let server = start_on(dir).await;
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, tip);
    assert!(!in_the_tree(&mut c, &b1.hash).await);
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn blocks_larger_than_a_half_of_the_log_go_straight_into_redb() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    // Halves of 16 KiB; blocks of 200 transactions are larger than that.
    let config = config_with_log(dir, 8);
    let half = config.limits.ack_log_bytes as usize / 2;
    let server = common::TestServer::start_with(config).await;
    let mut c = server.connect().await;
    let genesis = tip_block(&mut c).await;
    let txs = |to: u8| -> Vec<_> {
        (0..200)
            .map(|nonce| server.tx(&rich_key(), addr(to), 10, nonce))
            .collect()
    };
    let a1 = child(&genesis, &server, txs(4), 0);
    let b1 = child(&genesis, &server, txs(5), 5);
    for block in [&a1, &b1] {
        let json = serde_json::to_string(block).unwrap();
        assert!(json.len() > 2 * half, "{} bytes", json.len());
    }
    assert_eq!(submitted(&mut c, &a1).await.status.as_str(), "tip");
    assert_eq!(submitted(&mut c, &b1).await.status.as_str(), "side");
    drop(c);
    server.stop().await;
    assert_eq!(redb_height(dir), 1, "the tip block is in redb");
    assert_eq!(redb_side(dir), [b1.hash], "and the side block");
    assert_eq!(log_blocks(dir), []);
    assert_eq!(log_side(dir), []);

    let server = start_on(dir).await;
    let mut c = server.connect().await;
    assert_eq!(tip_block(&mut c).await, a1);
    assert!(!get_block(&mut c, &b1.hash).await.main);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    drop(c);
    server.stop().await;
}
