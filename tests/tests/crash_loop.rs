//! Crash loop: the real `simplechain server` under concurrent load from many pipelined
//! clients (distinct funded senders), killed with SIGKILL at random moments and
//! restarted on the same data dir, again and again. After every restart:
//!
//! 1. every transaction that got `SUCCESS` is known (in the chain or the mempool);
//! 2. `VALIDATE_BLOCKCHAIN` is `VALID`, and the chain `GET_BLOCKCHAIN` returns passes an
//!    independent full validation (strict signatures) in this process;
//! 3. in one consistent snapshot (the tip did not move while it was read): the confirmed
//!    balances, and the pending ones, add up to the supply (genesis + 50 × height), no
//!    account holds more than the supply, and for every sender the confirmed
//!    transactions have nonces 0..n-1 in chain order and the pending ones continue
//!    n..p-1 with no gap, matching `GET_ACCOUNT`'s `nonce` and `pending_nonce`;
//! 4. once the miner has caught up, every acknowledged transaction is confirmed.
//!
//! The chain runs at difficulty 14, so that blocks take a while and transactions are
//! still pending at the kill and at the restart. The acknowledgement log is 1 MiB
//! (`--ack-log-mib 1`, 256 records of 4 KiB at most), so that it fills and is
//! checkpointed into redb several times a cycle: kills land during checkpoints too.
//! A checkpoint is written in pieces (16 KiB each with this log); a restart that
//! finds one cut between its pieces is marked in its cycle's line and counted.
//! Some restarts are killed again, either while the server opens (replaying the log
//! and folding it into redb) or once it is back and mining the backlog.
//!
//! A second mode adds miners (PROTOCOL §9): an external miner and a forker that keeps
//! replacing the tip submit blocks while the server is killed; every block answered
//! `SUBMITTED` must still be in the tree after the restart.
//!
//! `CRASH_CYCLES` sets the number of cycles (default 3); `CRASH_SEED` replays the kill
//! times of an earlier run. `scripts/crash-loop.sh` runs 20+ cycles and prints the
//! summary line. (server/tests/server_durability.rs has the one-kill version.)

use simplechain_core::protocol::ChainJson;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::validate_chain;
use simplechain_core::{Address, Block, ChainId, Transaction, TxId};
use simplechain_tests::{Running, start_server};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

const SUPPLY: u64 = 1_000_000_000;
/// High enough that a block takes a while to mine, so that transactions are still
/// pending when the server is killed and when it comes back.
const DIFFICULTY: &str = "14";
const CLIENTS: usize = 8;
const FUNDING: u64 = 10_000_000;
/// Transactions written before their answers are read.
const PIPELINE: u64 = 32;

/// A line connection.
struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Conn {
    async fn connect(addr: &str) -> std::io::Result<Conn> {
        let (r, w) = TcpStream::connect(addr).await?.into_split();
        Ok(Conn {
            reader: BufReader::new(r),
            writer: w,
        })
    }

    async fn read_line(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(60), self.reader.read_line(&mut line))
            .await
            .map_err(|_| std::io::Error::other("no answer within 60 s"))??;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(line.trim_end().to_string())
    }

    /// Sends the lines at once and reads as many answers.
    async fn pipeline(&mut self, lines: &[String]) -> std::io::Result<Vec<String>> {
        let mut batch = String::new();
        for line in lines {
            batch.push_str(line);
            batch.push('\n');
        }
        self.writer.write_all(batch.as_bytes()).await?;
        let mut out = Vec::with_capacity(lines.len());
        for _ in lines {
            out.push(self.read_line().await?);
        }
        Ok(out)
    }

    async fn ask(&mut self, line: &str) -> String {
        let mut answers = self.pipeline(&[line.to_string()]).await.expect("asking");
        answers.pop().unwrap()
    }

    /// A heavy request (`VALIDATE_BLOCKCHAIN`, `GET_BLOCKCHAIN`), asked again after the
    /// wait the server names when this connection has used its share of them
    /// (`rate_limited`, issue 11; or `busy`: the heavy turn is taken): once the chain
    /// is long, validating it in a debug build costs more than one connection's share.
    async fn ask_heavy(&mut self, line: &str) -> String {
        for _ in 0..60 {
            let answer = self.ask(line).await;
            if !answer.starts_with("ERROR:rate_limited") && !answer.starts_with("ERROR:busy") {
                return answer;
            }
            let wait: f64 = answer
                .rsplit(" in ")
                .next()
                .and_then(|w| w.trim_end_matches(" s").parse().ok())
                .unwrap_or(1.0);
            tokio::time::sleep(Duration::from_secs_f64(wait.min(10.0) + 0.1)).await;
        }
        panic!("{line} stayed rate limited for 60 tries");
    }
}

fn payload(line: &str, prefix: &str) -> serde_json::Value {
    let json = line
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or_else(|| panic!("expected {prefix}: got {}", &line[..line.len().min(200)]));
    serde_json::from_str(json).unwrap()
}

fn add_line(tx: &Transaction) -> String {
    format!(
        "ADD_TRANSACTION:{}:{}:{}:{}:{}",
        tx.sender, tx.receiver, tx.amount, tx.nonce, tx.signature
    )
}

/// Signs a 1-coin payment at a nonce; one per sender, holding its key.
type Signer = Arc<dyn Fn(u64) -> Transaction + Send + Sync>;

/// xorshift64*: the kill times, repeatable from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the load clients were told.
#[derive(Default)]
struct Acked {
    /// txid → (sender, nonce), for every `SUCCESS`.
    txs: HashMap<TxId, (Address, u64)>,
    /// Answers other than `SUCCESS` while the server was up (must stay empty).
    unexpected: Vec<String>,
}

/// One load client: reads its sender's next pending nonce, then sends pipelined batches
/// until the server goes away.
async fn load_client(
    addr: String,
    sender: Address,
    sign: Signer,
    chain_id: ChainId,
    acked: Arc<Mutex<Acked>>,
) {
    let Ok(mut c) = Conn::connect(&addr).await else {
        return;
    };
    let Ok(answer) = c.pipeline(&[format!("GET_ACCOUNT:{sender}")]).await else {
        return;
    };
    let mut nonce = payload(&answer[0], "ACCOUNT")["pending_nonce"]
        .as_u64()
        .unwrap();
    loop {
        let txs: Vec<Transaction> = (nonce..nonce + PIPELINE).map(|n| sign(n)).collect();
        let mut batch = String::new();
        for tx in &txs {
            batch.push_str(&add_line(tx));
            batch.push('\n');
        }
        if c.writer.write_all(batch.as_bytes()).await.is_err() {
            return;
        }
        for tx in &txs {
            let Ok(answer) = c.read_line().await else {
                return;
            };
            let mut acked = acked.lock().unwrap();
            if answer == "SUCCESS" {
                acked.txs.insert(tx.txid(&chain_id), (sender, tx.nonce));
            } else {
                acked.unexpected.push(answer);
                return;
            }
        }
        nonce += PIPELINE;
    }
}

fn chain_of(line: &str) -> Vec<Block> {
    serde_json::from_str::<ChainJson>(line)
        .unwrap_or_else(|e| panic!("not a chain ({e}): {}", &line[..line.len().min(200)]))
        .blocks
}

/// One history item of a sender: who sent it, its nonce, its block if confirmed.
struct Item {
    sender: Address,
    nonce: u64,
    height: Option<u64>,
}

/// The state read in one window in which the tip and the mempool size did not change.
struct Snapshot {
    height: u64,
    accounts: BTreeMap<Address, (u64, u64, u64, u64)>,
    items: BTreeMap<Address, Vec<Item>>,
}

/// Reads every account and every sender's full history, retrying until `GET_INFO` is
/// the same before and after.
async fn snapshot(c: &mut Conn, senders: &[Address], others: &[Address]) -> Snapshot {
    for _attempt in 0..200 {
        let before = c.ask("GET_INFO").await;
        let mut accounts = BTreeMap::new();
        let all: Vec<Address> = senders.iter().chain(others).copied().collect();
        let lines: Vec<String> = all.iter().map(|a| format!("GET_ACCOUNT:{a}")).collect();
        for (a, line) in all.iter().zip(c.pipeline(&lines).await.unwrap()) {
            let v = payload(&line, "ACCOUNT");
            let n = |k: &str| v[k].as_u64().unwrap();
            accounts.insert(
                *a,
                (
                    n("balance"),
                    n("nonce"),
                    n("pending_balance"),
                    n("pending_nonce"),
                ),
            );
        }
        let mut items = BTreeMap::new();
        for s in senders {
            let mut mine = Vec::new();
            let mut offset = 0;
            loop {
                let h = payload(
                    &c.ask(&format!("GET_HISTORY:{s}:{offset}:100")).await,
                    "HISTORY",
                );
                let page = h["items"].as_array().unwrap();
                for item in page {
                    let tx = &item["transaction"];
                    let sender: Address = tx["sender"].as_str().unwrap().parse().unwrap();
                    mine.push(Item {
                        sender,
                        nonce: tx["nonce"].as_u64().unwrap(),
                        height: item["height"].as_u64(),
                    });
                }
                offset += page.len() as u64;
                if page.is_empty() || offset >= h["total"].as_u64().unwrap() {
                    break;
                }
            }
            items.insert(*s, mine);
        }
        let after = c.ask("GET_INFO").await;
        if before == after {
            let height = payload(&after, "INFO")["height"].as_u64().unwrap();
            return Snapshot {
                height,
                accounts,
                items,
            };
        }
    }
    panic!("the tip kept moving: no consistent snapshot in 200 tries");
}

/// Invariant 3 on a snapshot.
fn check_snapshot(s: &Snapshot, senders: &[Address]) {
    let supply = u128::from(SUPPLY) + 50 * u128::from(s.height);
    let confirmed: u128 = s.accounts.values().map(|a| u128::from(a.0)).sum();
    let pending: u128 = s.accounts.values().map(|a| u128::from(a.2)).sum();
    assert_eq!(confirmed, supply, "confirmed balances do not add up");
    assert_eq!(pending, supply, "pending balances do not add up");
    for (a, acc) in &s.accounts {
        assert!(
            u128::from(acc.0) <= supply && u128::from(acc.2) <= supply,
            "{a}"
        );
    }
    for sender in senders {
        let (_, nonce, _, pending_nonce) = s.accounts[sender];
        let mut sent: Vec<&Item> = s.items[sender]
            .iter()
            .filter(|i| i.sender == *sender)
            .collect();
        // History is newest first; chain order is oldest first.
        sent.reverse();
        let confirmed: Vec<&&Item> = sent.iter().filter(|i| i.height.is_some()).collect();
        let waiting: Vec<&&Item> = sent.iter().filter(|i| i.height.is_none()).collect();
        for (n, item) in confirmed.iter().enumerate() {
            assert_eq!(item.nonce, n as u64, "nonce gap in the chain for {sender}");
        }
        for w in confirmed.windows(2) {
            assert!(w[0].height <= w[1].height, "nonces out of chain order");
        }
        assert_eq!(
            confirmed.len() as u64,
            nonce,
            "GET_ACCOUNT nonce for {sender}"
        );
        let mut pending_nonces: Vec<u64> = waiting.iter().map(|i| i.nonce).collect();
        pending_nonces.sort_unstable();
        let expected: Vec<u64> = (nonce..pending_nonce).collect();
        assert_eq!(pending_nonces, expected, "pending nonces of {sender}");
    }
}

/// Who gets the block rewards: a fixed address, so that the snapshot can count them.
fn miner() -> Address {
    Address::from_bytes([0x33; 32])
}

/// The server's flags after `--data-dir` (one chain for every start).
fn server_flags(genesis: Address) -> Vec<String> {
    [
        "--difficulty",
        DIFFICULTY,
        "--genesis-address",
        &genesis.to_string(),
        "--supply",
        &SUPPLY.to_string(),
        "--miner-address",
        &miner().to_string(),
        "--ack-log-mib",
        "1",
    ]
    .map(String::from)
    .to_vec()
}

fn start(dir: &std::path::Path, genesis: Address) -> (Running, String) {
    let flags = server_flags(genesis);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    start_server(dir, &flags)
}

/// Starts the server and kills it `after_ms` later, whether or not it has finished
/// opening (replaying the acknowledgement log, folding it into redb).
async fn kill_while_opening(dir: &std::path::Path, genesis: Address, after_ms: u64) {
    let data = dir.to_str().expect("utf-8 path").to_string();
    let mut args = vec!["server", "--listen", "127.0.0.1:0", "--data-dir", &data];
    let flags = server_flags(genesis);
    args.extend(flags.iter().map(String::as_str));
    let mut server = Running::start(&args, &dir.with_extension("log"));
    tokio::time::sleep(Duration::from_millis(after_ms)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

async fn start_async(dir: std::path::PathBuf, genesis: Address) -> (Running, String) {
    tokio::task::spawn_blocking(move || start(&dir, genesis))
        .await
        .unwrap()
}

/// `CRASH_CYCLES` (default 3) and `CRASH_SEED` (default: from the clock; printed, so
/// that a run can be replayed).
fn cycles_and_seed() -> (u32, u64) {
    let cycles = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    (cycles, seed)
}

/// Starts a new chain whose supply goes to `rich`, pays each sender [`FUNDING`] and
/// waits until that is confirmed. Returns the server, its address and the chain id.
async fn start_and_fund(
    dir: &std::path::Path,
    rich: &ed25519_dalek::SigningKey,
    senders: &[Address],
) -> (Running, String, ChainId) {
    let (server, addr) = start_async(dir.to_path_buf(), address_of(rich)).await;
    let mut c = Conn::connect(&addr).await.unwrap();
    let chain_id: ChainId = payload(&c.ask("GET_INFO").await, "INFO")["chain_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let funding: Vec<String> = senders
        .iter()
        .enumerate()
        .map(|(i, s)| add_line(&Transaction::sign(rich, &chain_id, *s, FUNDING, i as u64)))
        .collect();
    for answer in c.pipeline(&funding).await.unwrap() {
        assert_eq!(answer, "SUCCESS");
    }
    wait_mempool_empty(&mut c).await;
    (server, addr, chain_id)
}

async fn wait_mempool_empty(c: &mut Conn) {
    for _ in 0..1200 {
        if payload(&c.ask("GET_INFO").await, "INFO")["mempool"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the mempool did not drain within 60 s");
}

/// Whether the server last started in `dir` opened on a checkpoint killed between its
/// pieces: its log says the log's first blocks were in redb already.
fn opened_on_a_cut_checkpoint(dir: &std::path::Path) -> bool {
    std::fs::read_to_string(dir.with_extension("log"))
        .is_ok_and(|log| log.contains("a checkpoint was cut between its pieces"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_under_load_loses_nothing_and_breaks_no_invariant() {
    let (cycles, seed) = cycles_and_seed();
    println!("crash loop: {cycles} cycles, CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let rich = simplechain_server::keyfile::generate();
    let rich_addr = address_of(&rich);
    let keys: Vec<_> = (0..CLIENTS)
        .map(|_| simplechain_server::keyfile::generate())
        .collect();
    let senders: Vec<Address> = keys.iter().map(address_of).collect();
    let receivers: Vec<Address> = (0..4)
        .map(|_| address_of(&simplechain_server::keyfile::generate()))
        .collect();

    // Fund the senders and wait until that is confirmed.
    let (mut server, mut addr, chain_id) = start_and_fund(&dir, &rich, &senders).await;
    let signers: Vec<Signer> = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let to = receivers[i % receivers.len()];
            Arc::new(move |nonce| Transaction::sign(&key, &chain_id, to, 1, nonce)) as Signer
        })
        .collect();
    let mut others = vec![rich_addr, miner()];
    others.extend(&receivers);

    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut total_killed_ms = 0;
    let started = Instant::now();
    let mut max_pending_at_restart = 0;
    let mut cut_checkpoints = 0;
    for cycle in 1..=cycles {
        // Load from every client, then SIGKILL at a random moment.
        let before = acked.lock().unwrap().txs.len();
        let clients: Vec<_> = senders
            .iter()
            .zip(&signers)
            .map(|(s, sign)| {
                tokio::spawn(load_client(
                    addr.clone(),
                    *s,
                    sign.clone(),
                    chain_id,
                    acked.clone(),
                ))
            })
            .collect();
        let delay = 100 + rng.below(1400);
        total_killed_ms += delay;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for client in clients {
            client.await.unwrap();
        }
        drop(server);
        let (unexpected, acked_now) = {
            let a = acked.lock().unwrap();
            (a.unexpected.clone(), a.txs.clone())
        };
        assert!(
            unexpected.is_empty(),
            "answers other than SUCCESS: {unexpected:?}"
        );

        // Sometimes kill it again while it opens (the log's replay and the checkpoint
        // at open), or once it is back and mines the backlog.
        let again = rng.below(6);
        let killed_while_opening = again < 2;
        let killed_in_recovery = again == 2;
        if killed_while_opening {
            kill_while_opening(&dir, rich_addr, rng.below(60)).await;
        }
        (server, addr) = start_async(dir.clone(), rich_addr).await;
        if killed_in_recovery {
            tokio::time::sleep(Duration::from_millis(rng.below(300))).await;
            server.child.kill().unwrap();
            server.child.wait().unwrap();
            drop(server);
            (server, addr) = start_async(dir.clone(), rich_addr).await;
        }
        let cut = opened_on_a_cut_checkpoint(&dir);
        cut_checkpoints += usize::from(cut);
        let mut c = Conn::connect(&addr).await.unwrap();

        // 1. Every acknowledged transaction is known.
        let ids: Vec<&TxId> = acked_now.keys().collect();
        let mut lost = 0;
        let mut pending_now = 0;
        for chunk in ids.chunks(500) {
            let lines: Vec<String> = chunk
                .iter()
                .map(|id| format!("GET_TRANSACTION:{id}"))
                .collect();
            for (id, line) in chunk.iter().zip(c.pipeline(&lines).await.unwrap()) {
                if !line.starts_with("TX:") {
                    lost += 1;
                    eprintln!("LOST: acknowledged {id} {:?}: {line}", acked_now[*id]);
                } else if payload(&line, "TX")["status"] == "pending" {
                    pending_now += 1;
                }
            }
        }
        max_pending_at_restart = max_pending_at_restart.max(pending_now);
        // 2. Valid, for the server and for an independent check here.
        assert_eq!(
            c.ask_heavy("VALIDATE_BLOCKCHAIN").await,
            "VALID",
            "cycle {cycle}"
        );
        let chain = chain_of(&c.ask_heavy("GET_BLOCKCHAIN").await);
        assert_eq!(ChainId::from(chain[0].hash), chain_id);
        let state = validate_chain(&chain, None)
            .unwrap_or_else(|e| panic!("cycle {cycle}: the served chain is invalid: {e}"));
        assert_eq!(state.ledger.total_balance(), state.supply());
        let mut in_chain = HashSet::new();
        let mut next_nonce: HashMap<Address, u64> = HashMap::new();
        for block in &chain {
            for tx in &block.transactions {
                assert!(in_chain.insert(tx.txid(&chain_id)), "a transaction twice");
                let n = next_nonce.entry(tx.sender).or_default();
                assert_eq!(tx.nonce, *n, "nonce gap in the served chain");
                *n += 1;
            }
        }
        // 3. A consistent snapshot: supply, no account above it, nonces without gaps.
        let snap = snapshot(&mut c, &senders, &others).await;
        check_snapshot(&snap, &senders);
        // Every acknowledged nonce is at most the sender's pending nonce.
        for (sender, nonce) in acked_now.values() {
            assert!(
                *nonce < snap.accounts[sender].3,
                "acknowledged nonce {nonce} of {sender} is beyond the server's pending nonce"
            );
        }
        // 4. With the miner caught up, everything acknowledged is in a block.
        wait_mempool_empty(&mut c).await;
        let confirmed_snap = snapshot(&mut c, &senders, &others).await;
        check_snapshot(&confirmed_snap, &senders);
        let chain = chain_of(&c.ask_heavy("GET_BLOCKCHAIN").await);
        let in_chain: HashSet<TxId> = chain
            .iter()
            .flat_map(|b| b.transactions.iter().map(|t| t.txid(&chain_id)))
            .collect();
        let unconfirmed = acked_now.keys().filter(|id| !in_chain.contains(id)).count();
        assert_eq!(
            unconfirmed, 0,
            "cycle {cycle}: acknowledged but never confirmed"
        );
        assert_eq!(lost, 0, "cycle {cycle}: acknowledged transactions lost");
        println!(
            "cycle {cycle:>3}: killed after {delay:>4} ms{}{}, {:>5} acknowledged this cycle ({} in all), \
             {pending_now} pending at restart, height {}, lost 0",
            if killed_while_opening {
                " and again while opening"
            } else if killed_in_recovery {
                " and again in recovery"
            } else {
                ""
            },
            if cut {
                " (between a checkpoint's pieces)"
            } else {
                ""
            },
            acked_now.len() - before,
            acked_now.len(),
            confirmed_snap.height
        );
    }
    let total = acked.lock().unwrap().txs.len();
    println!(
        "crash loop summary: {cycles} cycles survived, {total} acknowledged transactions, 0 lost, \
         invariants held after every restart (up to {max_pending_at_restart} pending at a restart; \
         {cut_checkpoints} opened on a checkpoint cut between its pieces; \
         {:.0} s of load, {:.0} s in all, CRASH_SEED={seed})",
        total_killed_ms as f64 / 1000.0,
        started.elapsed().as_secs_f64()
    );
    assert!(total > 0, "no transaction was acknowledged");
}

/// Blocks the miners were told about: hash → ("tip" or "side" (`SUBMITTED`), height).
type Submitted = Arc<Mutex<HashMap<simplechain_core::BlockHash, (String, u64)>>>;

/// An external miner over the protocol (PROTOCOL §9): template, nonce, submit; with
/// `fork`, it mines two empty blocks on the tip's parent instead, so that the second
/// replaces the tip (a reorg of depth 1) and the replaced block's transactions go
/// back to the mempool. Runs until the server goes away.
async fn external_miner(addr: String, chain_id: ChainId, fork: bool, told: Submitted) {
    let Ok(mut c) = Conn::connect(&addr).await else {
        return;
    };
    let me = Address::from_bytes([if fork { 0x44 } else { 0x55 }; 32]);
    loop {
        let blocks = if fork {
            let Ok(info) = c.pipeline(&["GET_INFO".to_string()]).await else {
                return;
            };
            let tip = payload(&info[0], "INFO")["tip"]
                .as_str()
                .unwrap()
                .to_string();
            let Ok(tip) = c.pipeline(&[format!("GET_BLOCK:{tip}")]).await else {
                return;
            };
            let tip: Block = serde_json::from_value(payload(&tip[0], "BLOCK")).unwrap();
            if tip.header.height == 0 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let Ok(parent) = c
                .pipeline(&[format!("GET_BLOCK:{}", tip.header.prev_hash)])
                .await
            else {
                return;
            };
            let parent: Block = serde_json::from_value(payload(&parent[0], "BLOCK")).unwrap();
            let ts = tip.header.timestamp;
            tokio::task::spawn_blocking(move || {
                let b1 = Block::next(&parent, &chain_id, me, ts, vec![]);
                let b2 = Block::next(&b1, &chain_id, me, ts, vec![]);
                vec![b1, b2]
            })
            .await
            .unwrap()
        } else {
            let Ok(t) = c.pipeline(&[format!("GET_TEMPLATE:{me}")]).await else {
                return;
            };
            let template: simplechain_core::protocol::Template =
                serde_json::from_value(payload(&t[0], "TEMPLATE")).unwrap();
            let block = tokio::task::spawn_blocking(move || {
                let (header, hash) = template.header(0).mine(0, u64::MAX).unwrap();
                template.into_block(header, hash)
            })
            .await
            .unwrap();
            vec![block]
        };
        for block in blocks {
            let line = format!("SUBMIT_BLOCK:{}", serde_json::to_string(&block).unwrap());
            let Ok(answer) = c.pipeline(&[line]).await else {
                return;
            };
            if let Some(json) = answer[0].strip_prefix("SUBMITTED:") {
                let s: serde_json::Value = serde_json::from_str(json).unwrap();
                let status = s["status"].as_str().unwrap().to_string();
                if status != "known" {
                    told.lock()
                        .unwrap()
                        .insert(block.hash, (status, block.header.height));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(if fork { 400 } else { 50 })).await;
    }
}

/// Mines one empty block on the tip (through `GET_TEMPLATE` and `SUBMIT_BLOCK`, as any
/// miner), so that the blocks holding the senders' funding are no longer the tip.
///
/// The forker replaces only the tip (it builds on the tip's parent), and no other
/// branch in this test forks lower, so a block with one on top of it stays on the main
/// chain. Without this, the forker's first reorg could put the funding back in the
/// mempool, and the senders' next payments would be refused (`insufficient_funds`:
/// PROTOCOL §6 spends only confirmed coins), which is the protocol working, not a loss.
async fn bury_funding(addr: &str) {
    let mut c = Conn::connect(addr).await.unwrap();
    let height = |info: &str| payload(info, "INFO")["height"].as_u64().unwrap();
    let funded = height(&c.ask("GET_INFO").await);
    while height(&c.ask("GET_INFO").await) <= funded {
        let me = Address::from_bytes([0x77; 32]);
        let template: simplechain_core::protocol::Template = serde_json::from_value(payload(
            &c.ask(&format!("GET_TEMPLATE:{me}")).await,
            "TEMPLATE",
        ))
        .unwrap();
        let block = tokio::task::spawn_blocking(move || {
            let (header, hash) = template.header(0).mine(0, u64::MAX).unwrap();
            template.into_block(header, hash)
        })
        .await
        .unwrap();
        let line = format!("SUBMIT_BLOCK:{}", serde_json::to_string(&block).unwrap());
        let answer = c.ask(&line).await;
        assert!(
            answer.starts_with("SUBMITTED:"),
            "burying the funding: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_miners_submit_blocks_and_forks_loses_nothing() {
    // PROTOCOL §9 under the crash loop: the server's own miner, an external miner and
    // a forker that keeps replacing the tip, while payments stream in; SIGKILL at
    // random moments. After every restart: every acknowledged transaction is on the
    // main chain or pending, every block answered `SUBMITTED` is still in the tree,
    // and the chain is VALID.
    let (cycles, seed) = cycles_and_seed();
    println!("crash loop with miners: {cycles} cycles, CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data");
    let rich = simplechain_server::keyfile::generate();
    let rich_addr = address_of(&rich);
    let keys: Vec<_> = (0..4)
        .map(|_| simplechain_server::keyfile::generate())
        .collect();
    let senders: Vec<Address> = keys.iter().map(address_of).collect();
    let (mut server, mut addr, chain_id) = start_and_fund(&dir, &rich, &senders).await;
    bury_funding(&addr).await;
    let sink = Address::from_bytes([0x66; 32]);
    let signers: Vec<Signer> = keys
        .into_iter()
        .map(|key| {
            Arc::new(move |nonce| Transaction::sign(&key, &chain_id, sink, 1, nonce)) as Signer
        })
        .collect();
    let acked = Arc::new(Mutex::new(Acked::default()));
    let told: Submitted = Arc::default();
    let mut reorgs_seen = 0;
    for cycle in 1..=cycles {
        let mut tasks: Vec<_> = senders
            .iter()
            .zip(&signers)
            .map(|(s, sign)| {
                tokio::spawn(load_client(
                    addr.clone(),
                    *s,
                    sign.clone(),
                    chain_id,
                    acked.clone(),
                ))
            })
            .collect();
        for fork in [false, true] {
            tasks.push(tokio::spawn(external_miner(
                addr.clone(),
                chain_id,
                fork,
                told.clone(),
            )));
        }
        let delay = 800 + rng.below(1500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for task in tasks {
            task.await.unwrap();
        }
        drop(server);
        (server, addr) = start_async(dir.clone(), rich_addr).await;
        let mut c = Conn::connect(&addr).await.unwrap();
        let (unexpected, acked_now) = {
            let a = acked.lock().unwrap();
            (a.unexpected.clone(), a.txs.clone())
        };
        assert!(
            unexpected.is_empty(),
            "answers other than SUCCESS: {unexpected:?}"
        );
        let ids: Vec<&TxId> = acked_now.keys().collect();
        for chunk in ids.chunks(500) {
            let lines: Vec<String> = chunk
                .iter()
                .map(|id| format!("GET_TRANSACTION:{id}"))
                .collect();
            for (id, line) in chunk.iter().zip(c.pipeline(&lines).await.unwrap()) {
                assert!(
                    line.starts_with("TX:"),
                    "cycle {cycle}: acknowledged {id} lost: {line}"
                );
            }
        }
        let told_now = told.lock().unwrap().clone();
        let tip_height = payload(&c.ask("GET_INFO").await, "INFO")["height"]
            .as_u64()
            .unwrap();
        // A block near the bottom of the 100-block window may have been pruned from the
        // tree by design (its branch can never become main again): the miners' side
        // branches fork at their own height or one below. Every other one stays.
        for (hash, (_, height)) in &told_now {
            if height + 98 < tip_height {
                continue;
            }
            let line = c.ask(&format!("GET_BLOCK:{hash}")).await;
            assert!(
                line.starts_with("BLOCK:"),
                "cycle {cycle}: block {hash} was SUBMITTED but is gone: {line}"
            );
        }
        assert_eq!(
            c.ask_heavy("VALIDATE_BLOCKCHAIN").await,
            "VALID",
            "cycle {cycle}"
        );
        let tree = payload(&c.ask("GET_TREE:0").await, "TREE");
        let sides = tree["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["main"] == false)
            .count();
        reorgs_seen = sides;
        let tips = told_now.values().filter(|(s, _)| s == "tip").count();
        let cut = if opened_on_a_cut_checkpoint(&dir) {
            " (opened between a checkpoint's pieces)"
        } else {
            ""
        };
        println!(
            "cycle {cycle}: killed after {delay} ms{cut}, {} acknowledged, {} blocks submitted by \
             external miners ({tips} became the tip), {sides} side blocks in the tree, lost 0",
            acked_now.len(),
            told_now.len()
        );
    }
    wait_mempool_empty(&mut Conn::connect(&addr).await.unwrap()).await;
    assert!(
        !acked.lock().unwrap().txs.is_empty(),
        "no transaction was acknowledged"
    );
    assert!(reorgs_seen > 0, "the forker never replaced a block");
}
