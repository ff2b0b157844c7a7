//! Disk faults, with the real `simplechain server` on a data dir of its own small tmpfs
//! (`mount -t tmpfs -o size=…`; each test is skipped, saying why, where mounting is not
//! permitted):
//!
//! - **full disk**: the server answers writes it cannot make durable with
//!   `ERROR:internal`, keeps serving reads (`GET_INFO`, `GET_ACCOUNT`,
//!   `GET_BLOCKCHAIN`, `VALIDATE_BLOCKCHAIN`), loses nothing it acknowledged, and takes
//!   writes again as soon as there is room, without a restart; a SIGKILL and restart
//!   afterwards finds everything intact; a side block taken into the log while the
//!   disk is full is written into redb by the checkpoint after space returns (the
//!   failed ones gave it back);
//! - **read-only data dir**: Linux refuses to remount a file system read-only while the
//!   server holds its database open for writing (EBUSY), so the fault that can happen
//!   is a data dir that is read-only when the server starts: it refuses to start with a
//!   clear message, changes nothing, and starts with everything intact once the file
//!   system is writable again.

use simplechain_core::protocol::ChainJson;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::validate_chain;
use simplechain_core::{Address, Block, ChainId, Transaction, TxId};
use simplechain_tests::{Running, simplechain_bin};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SUPPLY: u64 = 1_000_000_000;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Result<Mount, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Mount(dir.to_path_buf()))
    }

    /// [`Mount::tmpfs`], or `None` after saying the test is skipped and why (mounting
    /// needs root).
    fn tmpfs_or_skip(dir: &Path, size: &str, to_test: &str) -> Option<Mount> {
        match Mount::tmpfs(dir, size) {
            Ok(mount) => Some(mount),
            Err(why) => {
                println!(
                    "SKIPPED: cannot mount a tmpfs here ({why}); run as root to test {to_test}"
                );
                None
            }
        }
    }

    fn remount(&self, mode: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "remount {mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A test's own small tmpfs: the server's data dir on it, the server's log beside it
/// (off the tmpfs). Unmounted and removed when dropped.
struct Disk {
    mount: Mount,
    /// Where the tmpfs is mounted.
    mnt: PathBuf,
    data: PathBuf,
    log: PathBuf,
    _temp: tempfile::TempDir,
}

impl Disk {
    /// A tmpfs of `size`, or `None` after saying the test of `to_test` is skipped.
    fn tmpfs_or_skip(size: &str, to_test: &str) -> Option<Disk> {
        let temp = tempfile::tempdir().unwrap();
        let mnt = temp.path().join("mnt");
        let mount = Mount::tmpfs_or_skip(&mnt, size, to_test)?;
        Some(Disk {
            mount,
            data: mnt.join("data"),
            log: temp.path().join("server.log"),
            mnt,
            _temp: temp,
        })
    }
}

/// A line connection (blocking: these tests are sequential).
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn connect(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn ask(&mut self, line: &str) -> String {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        let mut answer = String::new();
        self.reader.read_line(&mut answer).unwrap();
        answer.trim_end().to_string()
    }

    fn info(&mut self) -> serde_json::Value {
        payload(&self.ask("GET_INFO"), "INFO")
    }

    fn pending_nonce(&mut self, a: Address) -> u64 {
        payload(&self.ask(&format!("GET_ACCOUNT:{a}")), "ACCOUNT")["pending_nonce"]
            .as_u64()
            .unwrap()
    }

    fn wait_mempool_empty(&mut self) {
        for _ in 0..600 {
            if self.info()["mempool"] == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the mempool did not drain within 30 s");
    }
}

fn payload(line: &str, prefix: &str) -> serde_json::Value {
    let json = line
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix(':'))
        .unwrap_or_else(|| panic!("expected {prefix}: got {line}"));
    serde_json::from_str(json).unwrap()
}

fn add_line(tx: &Transaction) -> String {
    format!(
        "ADD_TRANSACTION:{}:{}:{}:{}:{}",
        tx.sender, tx.receiver, tx.amount, tx.nonce, tx.signature
    )
}

fn miner() -> Address {
    Address::from_bytes([0x44; 32])
}

/// Starts the server on `data` with its log outside the tmpfs.
fn start(data: &Path, log: &Path, genesis: Address) -> (Running, String) {
    start_with(data, log, genesis, &[])
}

/// [`start`], with more flags.
fn start_with(data: &Path, log: &Path, genesis: Address, extra: &[&str]) -> (Running, String) {
    let genesis = genesis.to_string();
    let supply = SUPPLY.to_string();
    let miner = miner().to_string();
    let data = data.to_str().unwrap();
    let mut args = vec![
        "server",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--difficulty",
        "4",
        "--genesis-address",
        &genesis,
        "--supply",
        &supply,
        "--miner-address",
        &miner,
        // A small acknowledgement log (it is written full of zeros up front), so
        // that it fits the small tmpfs and fills while the disk is full.
        "--ack-log-mib",
        "1",
    ];
    args.extend_from_slice(extra);
    let running = Running::start(&args, log);
    let addr = running.wait_for_line("Server:");
    (running, addr)
}

/// Fills the file system holding `dir` with a file; returns it.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
    path
}

/// Everything acknowledged is known, the chain is valid (for the server and here) and
/// the balances add up to the supply.
fn check_intact(c: &mut Conn, chain_id: ChainId, acked: &[TxId], everyone: &[Address]) {
    for id in acked {
        let line = c.ask(&format!("GET_TRANSACTION:{id}"));
        assert!(
            line.starts_with("TX:"),
            "acknowledged {id} was lost: {line}"
        );
    }
    assert_eq!(c.ask("VALIDATE_BLOCKCHAIN"), "VALID");
    let chain: ChainJson = serde_json::from_str(&c.ask("GET_BLOCKCHAIN")).unwrap();
    assert_eq!(ChainId::from(chain.blocks[0].hash), chain_id);
    let state = validate_chain(&chain.blocks, None).unwrap();
    let total: u128 = everyone
        .iter()
        .map(|a| {
            let v = payload(&c.ask(&format!("GET_ACCOUNT:{a}")), "ACCOUNT");
            u128::from(v["balance"].as_u64().unwrap())
        })
        .sum();
    assert_eq!(
        total,
        state.supply(),
        "balances do not add up to the supply"
    );
}

#[test]
fn a_full_disk_refuses_writes_with_internal_serves_reads_and_recovers_when_space_returns() {
    let Some(disk) = Disk::tmpfs_or_skip("4M", "a full disk") else {
        return;
    };
    let _ = simplechain_bin();
    let Disk { mnt, data, log, .. } = &disk;
    let rich = simplechain_server::keyfile::generate();
    let rich_addr = address_of(&rich);
    let to = Address::from_bytes([0x55; 32]);
    let everyone = [rich_addr, to, miner()];
    let (mut server, addr) = start(data, log, rich_addr);
    let mut c = Conn::connect(&addr);
    let chain_id: ChainId = c.info()["chain_id"].as_str().unwrap().parse().unwrap();
    let mut sender = Sender {
        key: rich,
        chain_id,
        to,
        acked: Vec::new(),
    };
    for _ in 0..5 {
        assert_eq!(sender.send(&mut c), "SUCCESS");
    }
    c.wait_mempool_empty();

    // Fill the disk, then write until the server says it cannot.
    let filler = fill(mnt);
    let internal = 5;
    let accepted_while_full = sender.until_refused(&mut c, internal);
    // Reads are still served, and nothing is corrupted.
    let info = c.info();
    assert!(c.ask(&format!("GET_ACCOUNT:{to}")).starts_with("ACCOUNT:"));
    assert!(c.ask("GET_BLOCKS:0:10").starts_with("{\"blocks\":["));
    check_intact(&mut c, chain_id, &sender.acked, &everyone);
    assert_eq!(c.info()["height"], info["height"]);
    println!(
        "disk full: {internal} writes refused with ERROR:internal, {accepted_while_full} accepted \
         first (into the preallocated acknowledgement log, then free pages of the database); \
         reads served, chain VALID"
    );

    // Room again: writes succeed without a restart.
    std::fs::remove_file(&filler).unwrap();
    for _ in 0..10 {
        assert_eq!(sender.send(&mut c), "SUCCESS", "after space returned");
    }
    c.wait_mempool_empty();
    check_intact(&mut c, chain_id, &sender.acked, &everyone);
    for id in &sender.acked {
        let tx = payload(&c.ask(&format!("GET_TRANSACTION:{id}")), "TX");
        assert_eq!(tx["status"], "confirmed");
    }

    // And a SIGKILL then a restart finds everything.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);
    let (_server, addr) = start(data, log, rich_addr);
    let mut c = Conn::connect(&addr);
    check_intact(&mut c, chain_id, &sender.acked, &everyone);
    println!(
        "disk full: recovered without a restart; {} acknowledged transactions, all confirmed, \
         all there after SIGKILL and restart",
        sender.acked.len()
    );
    drop(disk);
}

/// Transfers of 1 from one key to one address, and the ids of those acknowledged.
struct Sender {
    key: ed25519_dalek::SigningKey,
    chain_id: ChainId,
    to: Address,
    acked: Vec<TxId>,
}

impl Sender {
    /// One transfer at the sender's pending nonce; the server's answer.
    fn send(&mut self, c: &mut Conn) -> String {
        let nonce = c.pending_nonce(address_of(&self.key));
        let tx = Transaction::sign(&self.key, &self.chain_id, self.to, 1, nonce);
        let answer = c.ask(&add_line(&tx));
        if answer == "SUCCESS" {
            self.acked.push(tx.txid(&self.chain_id));
        }
        answer
    }

    /// Transfers until the server has refused `refusals` of them, each with
    /// `ERROR:internal` (a full disk); how many it took first.
    fn until_refused(&mut self, c: &mut Conn, refusals: usize) -> usize {
        let (mut accepted, mut refused) = (0, 0);
        for attempt in 0..3000 {
            let answer = self.send(c);
            if answer == "SUCCESS" {
                accepted += 1;
                continue;
            }
            assert!(
                answer.starts_with("ERROR:internal:"),
                "attempt {attempt}: {answer}"
            );
            refused += 1;
            if refused == refusals {
                return accepted;
            }
        }
        panic!("the full disk never refused {refusals} writes ({accepted} accepted)");
    }
}

/// A block mined on `parent` and submitted; the status the server gave it.
fn submit_child(c: &mut Conn, chain_id: &ChainId, parent: &Block, salt: u64) -> (Block, String) {
    let block = Block::next(
        parent,
        chain_id,
        miner(),
        parent.header.timestamp + salt,
        vec![],
    );
    let line = c.ask(&format!(
        "SUBMIT_BLOCK:{}",
        serde_json::to_string(&block).unwrap()
    ));
    let status = payload(&line, "SUBMITTED")["status"]
        .as_str()
        .unwrap()
        .to_string();
    (block, status)
}

#[test]
fn a_side_block_taken_while_the_disk_is_full_outlives_the_checkpoints_that_failed() {
    let Some(disk) = Disk::tmpfs_or_skip("4M", "a full disk") else {
        return;
    };
    let Disk { mnt, data, log, .. } = &disk;
    let rich = simplechain_server::keyfile::generate();
    let rich_addr = address_of(&rich);
    let to = Address::from_bytes([0x55; 32]);
    // No miner: the only blocks are the test's, so the side block stays in the window.
    let (mut server, addr) = start_with(data, log, rich_addr, &["--no-miner"]);
    let mut c = Conn::connect(&addr);
    let chain_id: ChainId = c.info()["chain_id"].as_str().unwrap().parse().unwrap();
    let chain: ChainJson = serde_json::from_str(&c.ask("GET_BLOCKS:0:1")).unwrap();
    let genesis = &chain.blocks[0];
    let (a1, status) = submit_child(&mut c, &chain_id, genesis, 1);
    assert_eq!(status, "tip");

    // With the disk full, the side block is one more record of the preallocated log.
    let filler = fill(mnt);
    let (b1, status) = submit_child(&mut c, &chain_id, genesis, 2);
    assert_eq!(
        status, "side",
        "the log takes a side block while the disk is full"
    );
    // Transactions until the log is full and its checkpoint into redb is refused.
    let mut sender = Sender {
        key: rich,
        chain_id,
        to,
        acked: Vec::new(),
    };
    let internal = 3;
    let accepted_while_full = sender.until_refused(&mut c, internal);
    // The background checkpoint of the side block's half failed (it did not reach
    // redb through free pages), and gave back what it covered.
    let said = std::fs::read_to_string(log).unwrap();
    assert!(
        said.contains("a checkpoint failed; the log keeps what it covered"),
        "the checkpoint covering the side block did not fail: {said}"
    );

    // Room again: the next admission's checkpoint writes everything the failed ones
    // covered, the side block too, and moves `log_applied` past its record.
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(sender.send(&mut c), "SUCCESS", "after space returned");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);
    let loaded = simplechain_server::storage::Storage::open(data)
        .unwrap()
        .load()
        .unwrap();
    let side: Vec<_> = loaded.side.iter().map(|b| b.hash).collect();
    assert_eq!(side, [b1.hash], "redb holds the side block");
    assert_eq!(loaded.blocks.last().map(|b| b.hash), Some(a1.hash));
    drop(loaded);

    let (_server, addr) = start_with(data, log, rich_addr, &["--no-miner"]);
    let mut c = Conn::connect(&addr);
    let block = payload(&c.ask(&format!("GET_BLOCK:{}", b1.hash)), "BLOCK");
    assert_eq!(block["main"], false, "{block}");
    check_intact(&mut c, chain_id, &sender.acked, &[rich_addr, to, miner()]);
    println!(
        "disk full: a side block and {accepted_while_full} transactions taken into the log, \
         {internal} writes refused; after space returned, the side block is in redb and in \
         the tree after a SIGKILL ({} transactions acknowledged, all there)",
        sender.acked.len()
    );
    drop(disk);
}

#[test]
fn a_read_only_data_dir_is_refused_at_start_and_left_untouched() {
    let Some(disk) = Disk::tmpfs_or_skip("16M", "a read-only data dir") else {
        return;
    };
    let Disk { mnt, data, log, .. } = &disk;
    let rich = simplechain_server::keyfile::generate();
    let rich_addr = address_of(&rich);
    let to = Address::from_bytes([0x55; 32]);
    let (mut server, addr) = start(data, log, rich_addr);
    let mut c = Conn::connect(&addr);
    let chain_id: ChainId = c.info()["chain_id"].as_str().unwrap().parse().unwrap();
    let mut acked = Vec::new();
    for nonce in 0..5 {
        let tx = Transaction::sign(&rich, &chain_id, to, 1, nonce);
        assert_eq!(c.ask(&add_line(&tx)), "SUCCESS");
        acked.push(tx.txid(&chain_id));
    }
    c.wait_mempool_empty();
    let chain_before = c.ask("GET_BLOCKCHAIN");
    // While the server runs, the kernel refuses (EBUSY): shown, not asserted.
    let busy = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(mnt)
        .output()
        .unwrap();
    println!(
        "remount read-only while the server runs: {}",
        if busy.status.success() {
            "allowed".to_string()
        } else {
            String::from_utf8_lossy(&busy.stderr)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        }
    );
    if busy.status.success() {
        disk.mount.remount("rw");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    let db = data.join(simplechain_server::storage::DB_FILE);
    let bytes_before = std::fs::read(&db).unwrap();
    disk.mount.remount("ro");
    let out = Command::new(simplechain_bin())
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started on a read-only data dir");
    assert!(
        stderr.contains("cannot open the data dir"),
        "unclear error: {stderr}"
    );
    println!(
        "read-only data dir: refused at start: {}",
        stderr.lines().last().unwrap_or("")
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes_before,
        "the database changed"
    );

    disk.mount.remount("rw");
    let (_server, addr) = start(data, log, rich_addr);
    let mut c = Conn::connect(&addr);
    assert_eq!(c.ask("GET_BLOCKCHAIN"), chain_before);
    check_intact(&mut c, chain_id, &acked, &[rich_addr, to, miner()]);
    drop(c);
}
