//! The acknowledgement log in a real data dir: acknowledged transactions that only the
//! log holds come back after a restart; a torn record written after them and a damaged
//! one are found and dropped while everything before survives; what the log held is
//! folded into redb at open; and the data dir's format is upgraded or refused.
//! The server runs without its miner, so what is pending stays in the log.

mod common;

use common::{TestServer, add_line, addr, payload, rich_key, test_config};
use simplechain_server::ServerConfig;
use simplechain_server::storage::{Change, FORMAT, Storage};
use simplechain_server::wal::LOG_FILE;
use simplechain_server::wal::record::{self, Decoded};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The offsets of the log's current records at `dir` (read as the server does: whole,
/// each numbered one more than the last), and where they end.
fn records(dir: &Path) -> (Vec<u64>, u64) {
    let bytes = std::fs::read(dir.join(LOG_FILE)).unwrap();
    let (mut offsets, mut at, mut last) = (Vec::new(), 0usize, None);
    while let Decoded::Record { seq, size, .. } = record::decode(&bytes[at..]) {
        if last.is_some_and(|l: u64| seq != l + 1) {
            break;
        }
        last = Some(seq);
        offsets.push(at as u64);
        at += size;
    }
    (offsets, at as u64)
}

/// A server without its miner, on `dir`, with a log of `log_bytes`.
fn config(dir: &Path, log_bytes: u64) -> ServerConfig {
    let mut config = test_config(dir);
    config.miner.disabled = true;
    config.limits.ack_log_bytes = log_bytes;
    config
}

/// A server without its miner, on `dir`, with a 1 MiB log.
async fn start(dir: &Path) -> TestServer {
    TestServer::start_with(config(dir, 1 << 20)).await
}

/// Starts a server on `dir`, has `n` payments to `to` acknowledged one at a time (one
/// log record each), and stops it. Returns them and the chain id.
async fn acknowledge(
    dir: &Path,
    n: u64,
    to: u8,
) -> (
    Vec<simplechain_core::Transaction>,
    simplechain_core::ChainId,
) {
    acknowledge_with(config(dir, 1 << 20), n, to).await
}

/// [`acknowledge`] on a server with this config.
async fn acknowledge_with(
    config: ServerConfig,
    n: u64,
    to: u8,
) -> (
    Vec<simplechain_core::Transaction>,
    simplechain_core::ChainId,
) {
    let server = TestServer::start_with(config).await;
    let mut c = server.connect().await;
    let txs: Vec<_> = (0..n)
        .map(|i| server.tx(&rich_key(), addr(to), 10 + i, i))
        .collect();
    for tx in &txs {
        assert_eq!(c.ask(&add_line(tx)).await, "SUCCESS");
    }
    let chain_id = server.chain_id;
    drop(c);
    server.stop().await;
    (txs, chain_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_transactions_in_the_log_survive_a_torn_tail_and_are_folded_in() {
    let temp = tempfile::tempdir().unwrap();
    let (txs, chain_id) = acknowledge(temp.path(), 5, 1).await;

    // Five records, one per acknowledged batch; redb has none of them yet.
    let (offsets, end) = records(temp.path());
    assert_eq!(offsets.len(), 5, "one record per acknowledged batch");
    {
        let loaded = Storage::open(temp.path()).unwrap().load().unwrap();
        assert!(
            loaded.mempool.is_empty(),
            "redb has them only after a checkpoint"
        );
        assert_eq!(loaded.log_applied, 0);
    }
    // A crash while writing a sixth record: its header and half its payload, numbered
    // right, but the checksum cannot match.
    let sixth = record::encode(6, &[(99, server_tx(&txs))]);
    let log = std::fs::OpenOptions::new()
        .write(true)
        .open(temp.path().join(LOG_FILE))
        .unwrap();
    log.write_all_at(&sixth[..record::HEADER + 40], end)
        .unwrap();
    drop(log);

    let server = start(temp.path()).await;
    let mut c = server.connect().await;
    assert_eq!(payload(&c.ask("GET_INFO").await, "INFO")["mempool"], 5);
    for tx in &txs {
        let info = payload(
            &c.ask(&format!("GET_TRANSACTION:{}", tx.txid(&chain_id)))
                .await,
            "TX",
        );
        assert_eq!(info["status"], "pending");
    }
    // The torn record was zeroed, and the log starts again from its beginning.
    let mut header = [1u8; record::HEADER];
    std::fs::File::open(temp.path().join(LOG_FILE))
        .unwrap()
        .read_exact_at(&mut header, end)
        .unwrap();
    assert_eq!(header, [0; record::HEADER]);
    // A sixth payment, acknowledged after the restart, takes the log's first place.
    let sixth_tx = server.tx(&rich_key(), addr(1), 15, 5);
    assert_eq!(c.ask(&add_line(&sixth_tx)).await, "SUCCESS");
    drop(c);
    server.stop().await;
    let (offsets, _) = records(temp.path());
    assert_eq!(
        offsets,
        [0],
        "the log was folded in at open and started again"
    );
    let loaded = Storage::open(temp.path()).unwrap().load().unwrap();
    assert_eq!(
        loaded.mempool.len(),
        5,
        "the five from the log are in redb now"
    );
    assert_eq!(loaded.log_applied, 5);
    assert_eq!(loaded.format, FORMAT);
}

/// Any valid transaction, for the torn record's payload.
fn server_tx(txs: &[simplechain_core::Transaction]) -> simplechain_core::Transaction {
    txs[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_record_ends_the_log_and_the_records_before_it_survive() {
    let temp = tempfile::tempdir().unwrap();
    let (txs, chain_id) = acknowledge(temp.path(), 4, 2).await;
    // One bit of the third record's payload flipped (a damaged sector, say).
    let (offsets, _) = records(temp.path());
    let log = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(temp.path().join(LOG_FILE))
        .unwrap();
    let at = offsets[2] + record::HEADER as u64 + 30;
    let mut byte = [0u8; 1];
    log.read_exact_at(&mut byte, at).unwrap();
    log.write_all_at(&[byte[0] ^ 0x04], at).unwrap();
    drop(log);

    let server = start(temp.path()).await;
    let mut c = server.connect().await;
    let status = |line: String| payload(&line, "TX")["status"].clone();
    for tx in &txs[..2] {
        let line = c
            .ask(&format!("GET_TRANSACTION:{}", tx.txid(&chain_id)))
            .await;
        assert_eq!(status(line), "pending", "a record before the damage");
    }
    // The third is gone, and the fourth with it: it would not apply without the third
    // (the next nonce), and reading stops at the damage.
    assert_eq!(payload(&c.ask("GET_INFO").await, "INFO")["mempool"], 2);
    drop(c);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_1_data_dir_is_upgraded_and_a_newer_one_refused() {
    let temp = tempfile::tempdir().unwrap();
    let server = start(temp.path()).await;
    server.stop().await;
    let set_format = |format| {
        Storage::open(temp.path())
            .unwrap()
            .commit(&Change {
                format: Some(format),
                ..Change::default()
            })
            .unwrap();
    };
    set_format(1);
    start(temp.path()).await.stop().await;
    let loaded = Storage::open(temp.path()).unwrap().load().unwrap();
    assert_eq!(loaded.format, FORMAT, "format 1 is upgraded in place");

    set_format(FORMAT + 1);
    let mut config = test_config(temp.path());
    config.miner.disabled = true;
    let refused = simplechain_server::Server::open(config)
        .err()
        .map(|e| e.to_string());
    let refused = refused.expect("a newer format was opened");
    assert!(
        refused.contains(&format!("format {}", FORMAT + 1)) && refused.contains("newer"),
        "unclear: {refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_half_is_checkpointed_in_the_background_while_the_other_takes_records() {
    let temp = tempfile::tempdir().unwrap();
    // Halves of four 4 KiB records each. Records 1-4 fill half 0; 5-8 go to half 1
    // while 1-4 are checkpointed; 9 and 10 go back to half 0 while 5-8 are.
    let config = config(temp.path(), 8 * record::BLOCK as u64);
    let (txs, chain_id) = acknowledge_with(config.clone(), 10, 3).await;
    let loaded = Storage::open(temp.path()).unwrap().load().unwrap();
    assert_eq!(loaded.log_applied, 8, "two halves were checkpointed");
    assert_eq!(
        loaded.mempool.len(),
        8,
        "the ninth, in memory when the second began, is not"
    );
    let (offsets, _) = records(temp.path());
    assert_eq!(
        offsets,
        [0, record::BLOCK as u64],
        "9 and 10 at the start of half 0"
    );
    let log = simplechain_server::wal::read_back(temp.path()).unwrap();
    let newer: Vec<u64> = log
        .records
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| *s > 8)
        .collect();
    assert_eq!(newer, [9, 10]);

    let server = TestServer::start_with(config).await;
    let mut c = server.connect().await;
    assert_eq!(payload(&c.ask("GET_INFO").await, "INFO")["mempool"], 10);
    for tx in &txs {
        let line = c
            .ask(&format!("GET_TRANSACTION:{}", tx.txid(&chain_id)))
            .await;
        assert_eq!(payload(&line, "TX")["status"], "pending");
    }
    drop(c);
    server.stop().await;
}
