//! Durability: a restart keeps everything, flags that contradict the stored chain are
//! refused, and a real `simplechain server` killed with SIGKILL in the middle of a load
//! loses no acknowledged transaction and always comes back with a valid chain.

mod common;

use common::{
    Conn, TestServer, add_line, addr, key, payload, rich_key, test_config, wait_confirmed,
};
use ed25519_dalek::SigningKey;
use simplechain_core::protocol::ChainJson;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::validate_chain;
use simplechain_core::{Address, Block, ChainId, Transaction, TxId};
use simplechain_server::Server;
use simplechain_server::storage::Storage;
use simplechain_server::wal::{self, record::Entry};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const SUPPLY: u64 = 1_000_000;

/// Polls `GET_INFO` until the mempool is empty (the miner has caught up).
async fn wait_mempool_empty(c: &mut Conn) {
    for _ in 0..600 {
        let info = payload(&c.ask("GET_INFO").await, "INFO");
        if info["mempool"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the mempool did not drain within 30 s");
}

/// Sends all lines at once (pipelined) and returns the responses in order.
async fn pipeline(c: &mut Conn, lines: &[String]) -> Vec<String> {
    let mut batch = String::new();
    for line in lines {
        batch.push_str(line);
        batch.push('\n');
    }
    c.send_raw(batch.as_bytes()).await;
    let mut out = Vec::with_capacity(lines.len());
    for _ in lines {
        out.push(
            c.read_line()
                .await
                .expect("the server closed the connection"),
        );
    }
    out
}

/// Submits transactions pipelined; every one must be accepted.
async fn submit_all(c: &mut Conn, txs: &[Transaction]) {
    let lines: Vec<String> = txs.iter().map(add_line).collect();
    for (tx, reply) in txs.iter().zip(pipeline(c, &lines).await) {
        assert_eq!(reply, "SUCCESS", "for {tx:?}");
    }
}

fn chain_of(line: &str) -> Vec<Block> {
    serde_json::from_str::<ChainJson>(line)
        .unwrap_or_else(|e| panic!("not a chain ({e}): {line}"))
        .blocks
}

/// Exact response lines, to compare before and after a restart.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    info: String,
    chain: String,
    accounts: Vec<String>,
    histories: Vec<String>,
    transactions: Vec<String>,
}

impl Snapshot {
    async fn take(c: &mut Conn, addresses: &[Address], txids: &[TxId]) -> Snapshot {
        let mut accounts = Vec::new();
        let mut histories = Vec::new();
        for a in addresses {
            accounts.push(c.ask(&format!("GET_ACCOUNT:{a}")).await);
            histories.push(c.ask(&format!("GET_HISTORY:{a}")).await);
        }
        let mut transactions = Vec::new();
        for id in txids {
            transactions.push(c.ask(&format!("GET_TRANSACTION:{id}")).await);
        }
        Snapshot {
            info: c.ask("GET_INFO").await,
            chain: c.ask("GET_BLOCKCHAIN").await,
            accounts,
            histories,
            transactions,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_chain_balances_history_and_pending_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(test_config(dir.path())).await;
    let chain_id = server.chain_id;
    let mut c = server.connect().await;
    let rich = rich_key();

    // Phase 1: payments confirmed over several blocks, then onward payments.
    let mut nonce = 0;
    let mut phase1 = Vec::new();
    for round in 0..3u64 {
        let txs: Vec<Transaction> = (1..=4u8)
            .map(|i| {
                nonce += 1;
                server.tx(&rich, addr(i), 100 * (round + 1) + u64::from(i), nonce - 1)
            })
            .collect();
        submit_all(&mut c, &txs).await;
        for tx in &txs {
            wait_confirmed(&mut c, &tx.txid(&chain_id)).await;
        }
        phase1.extend(txs);
    }
    let onward = vec![
        server.tx(&key(1), addr(5), 50, 0),
        server.tx(&key(3), addr(4), 20, 0),
    ];
    submit_all(&mut c, &onward).await;
    for tx in &onward {
        wait_confirmed(&mut c, &tx.txid(&chain_id)).await;
    }
    phase1.extend(onward);
    wait_mempool_empty(&mut c).await;
    // Addresses the rest of the test leaves alone.
    let untouched = [addr(1), addr(3), addr(4), addr(5)];
    let phase1_ids: Vec<TxId> = phase1.iter().map(|t| t.txid(&chain_id)).collect();
    let before = Snapshot::take(&mut c, &untouched, &phase1_ids).await;
    let before_chain = chain_of(&before.chain);
    assert!(before_chain.len() >= 4, "{} blocks", before_chain.len());

    // Phase 2: a burst, and the server stops as soon as all of it is acknowledged.
    let burst: Vec<Transaction> = (0..40)
        .map(|i| server.tx(&rich, addr(6), 1, nonce + i))
        .collect();
    nonce += 40;
    submit_all(&mut c, &burst).await;
    drop(c);
    assert!(server.stop().await.is_none());

    // On disk: each acknowledged transaction is in a block (redb's, or one on top of
    // them that only the acknowledgement log holds yet) or pending (in redb's mempool
    // table, or in the log), and the chain from before is still there.
    let storage = Storage::open(dir.path()).unwrap();
    let loaded = storage.load().unwrap();
    let log = wal::read_back(dir.path()).unwrap();
    let (log_blocks, stopped) = wal::blocks_on(
        &log.records,
        loaded.log_applied,
        &loaded.blocks,
        &loaded.mempool,
    );
    assert_eq!(stopped, None, "the log's blocks carry on redb's chain");
    let blocks: Vec<Block> = loaded.blocks.iter().cloned().chain(log_blocks).collect();
    let in_blocks: HashSet<TxId> = blocks.iter().flat_map(|b| b.txids(&chain_id)).collect();
    let logged = log
        .records
        .iter()
        .filter(|(seq, _)| *seq > loaded.log_applied);
    let logged: Vec<(u64, Transaction)> = logged
        .filter_map(|(_, entry)| match entry {
            Entry::Admitted(txs) => Some(txs.clone()),
            Entry::Block(_) | Entry::BlockByRef(_) | Entry::Side(_) => None,
        })
        .flatten()
        .collect();
    let pending = loaded.mempool.iter().chain(&logged);
    let in_pool: HashSet<TxId> = pending.clone().map(|(_, tx)| tx.txid(&chain_id)).collect();
    for tx in &burst {
        let id = tx.txid(&chain_id);
        assert!(
            in_blocks.contains(&id) || in_pool.contains(&id),
            "{id} is neither in a block nor pending on disk"
        );
    }
    assert_eq!(&blocks[..before_chain.len()], &before_chain[..]);
    // Write two mempool rows as if acknowledged just before a crash: one that applies
    // (it must be restored and mined), one that no longer does (it must be dropped).
    let next_seq = pending.map(|(s, _)| s + 1).max().unwrap_or(0) + 10;
    let restored = Transaction::sign(&key(2), &chain_id, addr(7), 5, 0);
    let stale = Transaction::sign(&key(4), &chain_id, addr(7), 1, 9);
    storage
        .add_to_mempool(&[(next_seq, stale), (next_seq + 1, restored)])
        .unwrap();
    drop(storage);

    let server = TestServer::start_with(test_config(dir.path())).await;
    assert_eq!(server.chain_id, chain_id);
    let mut c = server.connect().await;
    for tx in &burst {
        let line = c
            .ask(&format!("GET_TRANSACTION:{}", tx.txid(&chain_id)))
            .await;
        let status = payload(&line, "TX")["status"].clone();
        assert!(status == "pending" || status == "confirmed", "{line}");
    }
    wait_confirmed(&mut c, &restored.txid(&chain_id)).await;
    let gone = c
        .ask(&format!("GET_TRANSACTION:{}", stale.txid(&chain_id)))
        .await;
    assert_eq!(common::error_code(&gone), "not_found", "{gone}");
    wait_mempool_empty(&mut c).await;
    for tx in &burst {
        wait_confirmed(&mut c, &tx.txid(&chain_id)).await;
    }
    let after = Snapshot::take(&mut c, &untouched, &phase1_ids).await;
    assert_eq!(after.accounts, before.accounts);
    assert_eq!(after.histories, before.histories);
    assert_eq!(after.transactions, before.transactions);
    assert_eq!(
        &chain_of(&after.chain)[..before_chain.len()],
        &before_chain[..]
    );
    let rich_account = payload(
        &c.ask(&format!("GET_ACCOUNT:{}", address_of(&rich))).await,
        "ACCOUNT",
    );
    assert_eq!(rich_account["nonce"], nonce);
    let six = payload(&c.ask(&format!("GET_ACCOUNT:{}", addr(6))).await, "ACCOUNT");
    assert_eq!(six["balance"], 40);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");

    // A quiet restart gives exactly the same answers to everything.
    let everyone: Vec<Address> = (1..=7).map(addr).chain([address_of(&rich)]).collect();
    let all_ids: Vec<TxId> = phase1_ids
        .iter()
        .copied()
        .chain(burst.iter().map(|t| t.txid(&chain_id)))
        .chain([restored.txid(&chain_id)])
        .collect();
    let quiet = Snapshot::take(&mut c, &everyone, &all_ids).await;
    drop(c);
    server.stop().await;
    let server = TestServer::start_with(test_config(dir.path())).await;
    let mut c = server.connect().await;
    assert_eq!(Snapshot::take(&mut c, &everyone, &all_ids).await, quiet);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");

    // And it goes on from there.
    let height = chain_of(&quiet.chain).len() as u64 - 1;
    let next = server.tx(&rich, addr(8), 3, nonce);
    assert_eq!(c.ask(&add_line(&next)).await, "SUCCESS");
    assert_eq!(
        wait_confirmed(&mut c, &next.txid(&chain_id)).await,
        height + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_that_contradict_the_stored_chain_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(test_config(dir.path())).await;
    let chain_id = server.chain_id;
    let mut c = server.connect().await;
    let tx = server.tx(&rich_key(), addr(1), 10, 0);
    assert_eq!(c.ask(&add_line(&tx)).await, "SUCCESS");
    wait_confirmed(&mut c, &tx.txid(&chain_id)).await;
    let chain_before = c.ask("GET_BLOCKCHAIN").await;
    drop(c);
    server.stop().await;

    type Change = fn(&mut simplechain_server::ServerConfig);
    let cases: [(&str, Change); 4] = [
        ("--difficulty", |c| c.new_chain.difficulty = Some(5)),
        ("--supply", |c| c.new_chain.supply = Some(SUPPLY + 1)),
        ("--genesis-address", |c| {
            c.new_chain.genesis_address = Some(addr(1))
        }),
        ("--miner-address", |c| {
            c.new_chain.miner_address = Some(addr(2))
        }),
    ];
    let all = [
        "--difficulty",
        "--supply",
        "--genesis-address",
        "--miner-address",
    ];
    for (flag, change) in cases {
        let mut config = test_config(dir.path());
        change(&mut config);
        let error = format!("{:#}", Server::open(config).unwrap_err());
        assert!(error.contains(flag), "{flag}: {error}");
        for other in all.iter().filter(|f| **f != flag) {
            assert!(!error.contains(other), "{flag}: names {other} too: {error}");
        }
    }
    // Two wrong flags: both named.
    let mut config = test_config(dir.path());
    config.new_chain.difficulty = Some(8);
    config.new_chain.supply = Some(5);
    let error = format!("{:#}", Server::open(config).unwrap_err());
    assert!(
        error.contains("--difficulty") && error.contains("--supply"),
        "{error}"
    );

    // Nothing was changed by the refusals; matching flags and no flags both open it.
    drop(Server::open(simplechain_server::ServerConfig::new(dir.path())).unwrap());
    let server = TestServer::start_with(test_config(dir.path())).await;
    assert_eq!(server.chain_id, chain_id);
    let mut c = server.connect().await;
    assert_eq!(c.ask("GET_BLOCKCHAIN").await, chain_before);
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
}

// ---------------------------------------------------------------------------------------
// The real binary, killed with SIGKILL under load.

/// A `simplechain server` child process, killed (SIGKILL) when dropped, so that a
/// failing test leaves no server behind.
struct ServerProcess {
    child: tokio::process::Child,
    addr: SocketAddr,
    /// Kept open: the child's stdout.
    _stdout: BufReader<tokio::process::ChildStdout>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl ServerProcess {
    async fn start(data_dir: &Path, genesis: Address) -> ServerProcess {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.with_extension("log"))
            .unwrap();
        let mut child = tokio::process::Command::new(simplechain_tests::simplechain_bin())
            .arg("server")
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(["--difficulty", "4", "--genesis-address"])
            .arg(genesis.to_string())
            .args(["--supply", &SUPPLY.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("starting the simplechain binary");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(60), stdout.read_line(&mut line))
            .await
            .expect("the server did not print its address within 60 s")
            .unwrap();
        let addr = line
            .trim_end()
            .strip_prefix("Server: ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| {
                let log =
                    std::fs::read_to_string(data_dir.with_extension("log")).unwrap_or_default();
                panic!("unexpected first line ({read} bytes) {line:?}; log:\n{log}")
            });
        ServerProcess {
            child,
            addr,
            _stdout: stdout,
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

/// Who sends in the load phase: twenty funded accounts.
fn senders() -> Vec<SigningKey> {
    (0..20).map(|i| key(100 + i)).collect()
}

/// What a load client saw.
#[derive(Debug, Default)]
struct Seen {
    /// Transactions answered `SUCCESS`.
    acked: Vec<TxId>,
    /// Answers that were neither `SUCCESS` nor the end of the connection.
    unexpected: Vec<String>,
}

/// Sends `count` transactions from `from`, pipelined on one connection, recording every
/// one answered `SUCCESS`, until done or the server goes away.
async fn load_client(
    server: SocketAddr,
    chain_id: ChainId,
    from: SigningKey,
    to: Address,
    first_nonce: u64,
    count: u64,
    seen: Arc<Mutex<Seen>>,
) {
    let txs: Vec<Transaction> = (0..count)
        .map(|i| Transaction::sign(&from, &chain_id, to, 1, first_nonce + i))
        .collect();
    let Ok(stream) = TcpStream::connect(server).await else {
        return;
    };
    let (read, mut write) = stream.into_split();
    let lines: Vec<String> = txs.iter().map(|t| add_line(t) + "\n").collect();
    let writer = tokio::spawn(async move {
        for chunk in lines.chunks(16) {
            if write.write_all(chunk.concat().as_bytes()).await.is_err() {
                return;
            }
        }
        // Keep the write half open until the reader is done.
        std::future::pending::<()>().await;
    });
    let mut read = BufReader::new(read);
    for tx in &txs {
        let mut line = String::new();
        match tokio::time::timeout(Duration::from_secs(20), read.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => {}
            Ok(_) => break,
            Err(_) => {
                seen.lock()
                    .unwrap()
                    .unexpected
                    .push("no answer within 20 s".into());
                break;
            }
        }
        let line = line.trim_end();
        let mut seen = seen.lock().unwrap();
        if line == "SUCCESS" {
            seen.acked.push(tx.txid(&chain_id));
        } else {
            seen.unexpected.push(line.to_string());
            break;
        }
    }
    writer.abort();
}

/// Everything that must hold after a restart, with the miner caught up.
async fn check_recovered(c: &mut Conn, chain_id: ChainId, acked: &[TxId]) {
    // First, as soon as it is back: every acknowledged transaction is known.
    for chunk in acked.chunks(500) {
        let lines: Vec<String> = chunk
            .iter()
            .map(|id| format!("GET_TRANSACTION:{id}"))
            .collect();
        for (id, line) in chunk.iter().zip(pipeline(c, &lines).await) {
            assert!(
                line.starts_with("TX:"),
                "acknowledged {id} was lost: {line}"
            );
            let status = payload(&line, "TX")["status"].clone();
            assert!(status == "pending" || status == "confirmed", "{line}");
        }
    }
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN").await, "VALID");
    wait_mempool_empty(c).await;
    // Then, with nothing pending: all of them are in blocks.
    for chunk in acked.chunks(500) {
        let lines: Vec<String> = chunk
            .iter()
            .map(|id| format!("GET_TRANSACTION:{id}"))
            .collect();
        for line in pipeline(c, &lines).await {
            assert_eq!(payload(&line, "TX")["status"], "confirmed", "{line}");
        }
    }
    let info_before = payload(&c.ask("GET_INFO").await, "INFO");
    let chain = chain_of(&c.ask("GET_BLOCKCHAIN").await);
    let height = chain.len() as u64 - 1;
    assert_eq!(info_before["height"], height);
    assert_eq!(ChainId::from(chain[0].hash), chain_id);
    // An independent check of what the server sends.
    validate_chain(&chain, None).unwrap();

    // Every address, and each sender's nonces in chain order: 0, 1, 2, … with no gap.
    let mut addresses = BTreeSet::new();
    let mut sent: BTreeMap<Address, u64> = BTreeMap::new();
    let mut in_chain = HashSet::new();
    for block in &chain {
        addresses.insert(block.header.miner);
        for tx in &block.transactions {
            addresses.insert(tx.sender);
            addresses.insert(tx.receiver);
            let count = sent.entry(tx.sender).or_default();
            assert_eq!(
                tx.nonce, *count,
                "nonce gap for {} at height {}",
                tx.sender, block.header.height
            );
            *count += 1;
            assert!(
                in_chain.insert(tx.txid(&chain_id)),
                "a transaction twice in the chain"
            );
        }
    }
    let lines: Vec<String> = addresses
        .iter()
        .map(|a| format!("GET_ACCOUNT:{a}"))
        .collect();
    let mut total: u128 = 0;
    for (a, line) in addresses.iter().zip(pipeline(c, &lines).await) {
        let account = payload(&line, "ACCOUNT");
        total += u128::from(account["balance"].as_u64().unwrap());
        let nonce = sent.get(a).copied().unwrap_or(0);
        assert_eq!(account["nonce"], nonce, "{line}");
        assert_eq!(account["pending_nonce"], nonce, "{line}");
    }
    assert_eq!(total, u128::from(SUPPLY) + 50 * u128::from(height));
    // Nothing moved while we looked.
    assert_eq!(payload(&c.ask("GET_INFO").await, "INFO"), info_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_transaction() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("data");
    let rich = rich_key();
    let mut server = ServerProcess::start(&data_dir, address_of(&rich)).await;
    let mut c = Conn::connect(server.addr).await;
    let info = payload(&c.ask("GET_INFO").await, "INFO");
    let chain_id: ChainId = info["chain_id"].as_str().unwrap().parse().unwrap();

    // Setup: fund the senders from genesis.
    let senders = senders();
    let funding: Vec<Transaction> = senders
        .iter()
        .enumerate()
        .map(|(i, k)| Transaction::sign(&rich, &chain_id, address_of(k), 10_000, i as u64))
        .collect();
    submit_all(&mut c, &funding).await;
    for tx in &funding {
        wait_confirmed(&mut c, &tx.txid(&chain_id)).await;
    }
    let mut all_acked: Vec<TxId> = funding.iter().map(|t| t.txid(&chain_id)).collect();
    drop(c);

    const PER_SENDER: u64 = 250;
    for cycle in 0..3u64 {
        let mut c = Conn::connect(server.addr).await;
        let lines: Vec<String> = senders
            .iter()
            .map(|k| format!("GET_ACCOUNT:{}", address_of(k)))
            .collect();
        let nonces: Vec<u64> = pipeline(&mut c, &lines)
            .await
            .iter()
            .map(|l| payload(l, "ACCOUNT")["pending_nonce"].as_u64().unwrap())
            .collect();
        drop(c);

        let seen = Arc::new(Mutex::new(Seen::default()));
        let clients: Vec<_> = senders
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let to = address_of(&senders[(i + 1) % senders.len()]);
                tokio::spawn(load_client(
                    server.addr,
                    chain_id,
                    k.clone(),
                    to,
                    nonces[i],
                    PER_SENDER,
                    seen.clone(),
                ))
            })
            .collect();
        // Kill at a different point each cycle, while the clients are still sending.
        let kill_after = 400 + 900 * cycle as usize;
        for _ in 0..6000 {
            if seen.lock().unwrap().acked.len() >= kill_after {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let acked_at_kill = seen.lock().unwrap().acked.len();
        server.kill().await;
        for client in clients {
            tokio::time::timeout(Duration::from_secs(30), client)
                .await
                .expect("a load client did not stop after the kill")
                .unwrap();
        }
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        assert!(
            seen.unexpected.is_empty(),
            "cycle {cycle}: unexpected answers: {:?}",
            &seen.unexpected[..seen.unexpected.len().min(5)]
        );
        assert!(acked_at_kill >= kill_after.min(20 * PER_SENDER as usize));
        eprintln!(
            "cycle {cycle}: {} acknowledged at the kill, {} in all (of {})",
            acked_at_kill,
            seen.acked.len(),
            20 * PER_SENDER
        );
        all_acked.extend(seen.acked);

        server = ServerProcess::start(&data_dir, address_of(&rich)).await;
        let mut c = Conn::connect(server.addr).await;
        let info = payload(&c.ask("GET_INFO").await, "INFO");
        assert_eq!(info["chain_id"], chain_id.to_string());
        check_recovered(&mut c, chain_id, &all_acked).await;
    }
    server.kill().await;
}
