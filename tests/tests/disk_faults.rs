//! Disk faults, with the real `simplechain server` on a data dir of its own small tmpfs
//! (`mount -t tmpfs -o size=…`; each test is skipped, saying why, where mounting is not
//! permitted):
//!
//! - **full disk**: the server answers writes it cannot make durable with
//!   `ERROR:internal`, keeps serving reads (`GET_INFO`, `GET_ACCOUNT`,
//!   `GET_BLOCKCHAIN`, `VALIDATE_BLOCKCHAIN`), loses nothing it acknowledged, and takes
//!   writes again as soon as there is room, without a restart; a SIGKILL and restart
//!   afterwards finds everything intact;
//! - **read-only data dir**: Linux refuses to remount a file system read-only while the
//!   server holds its database open for writing (EBUSY), so the fault that can happen
//!   is a data dir that is read-only when the server starts: it refuses to start with a
//!   clear message, changes nothing, and starts with everything intact once the file
//!   system is writable again.

use simplechain_core::protocol::ChainJson;
use simplechain_core::transaction::address_of;
use simplechain_core::validate::validate_chain;
use simplechain_core::{Address, ChainId, Transaction, TxId};
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
    let genesis = genesis.to_string();
    let supply = SUPPLY.to_string();
    let miner = miner().to_string();
    let data = data.to_str().unwrap();
    let running = Running::start(
        &[
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
        ],
        log,
    );
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
    let temp = tempfile::tempdir().unwrap();
    let mnt = temp.path().join("mnt");
    let mount = match Mount::tmpfs(&mnt, "4M") {
        Ok(m) => m,
        Err(why) => {
            println!("SKIPPED: cannot mount a tmpfs here ({why}); run as root to test a full disk");
            return;
        }
    };
    let _ = simplechain_bin();
    let data = mnt.join("data");
    let log = temp.path().join("server.log");
    let rich = simplechain_server::keyfile::generate();
    let rich_addr = address_of(&rich);
    let to = Address::from_bytes([0x55; 32]);
    let everyone = [rich_addr, to, miner()];
    let (mut server, addr) = start(&data, &log, rich_addr);
    let mut c = Conn::connect(&addr);
    let chain_id: ChainId = c.info()["chain_id"].as_str().unwrap().parse().unwrap();
    let send = |c: &mut Conn, acked: &mut Vec<TxId>| -> String {
        let nonce = c.pending_nonce(rich_addr);
        let tx = Transaction::sign(&rich, &chain_id, to, 1, nonce);
        let answer = c.ask(&add_line(&tx));
        if answer == "SUCCESS" {
            acked.push(tx.txid(&chain_id));
        }
        answer
    };

    let mut acked = Vec::new();
    for _ in 0..5 {
        assert_eq!(send(&mut c, &mut acked), "SUCCESS");
    }
    c.wait_mempool_empty();

    // Fill the disk, then write until the server says it cannot.
    let filler = fill(&mnt);
    let mut internal = 0;
    let mut accepted_while_full = 0;
    for attempt in 0..3000 {
        let answer = send(&mut c, &mut acked);
        if answer == "SUCCESS" {
            accepted_while_full += 1;
        } else {
            assert!(
                answer.starts_with("ERROR:internal:"),
                "attempt {attempt}: {answer}"
            );
            internal += 1;
            if internal >= 5 {
                break;
            }
        }
    }
    assert!(internal >= 5, "the full disk never refused a write");
    // Reads are still served, and nothing is corrupted.
    let info = c.info();
    assert!(c.ask(&format!("GET_ACCOUNT:{to}")).starts_with("ACCOUNT:"));
    assert!(c.ask("GET_BLOCKS:0:10").starts_with("{\"blocks\":["));
    check_intact(&mut c, chain_id, &acked, &everyone);
    assert_eq!(c.info()["height"], info["height"]);
    println!(
        "disk full: {internal} writes refused with ERROR:internal, {accepted_while_full} accepted \
         first (into the preallocated acknowledgement log, then free pages of the database); \
         reads served, chain VALID"
    );

    // Room again: writes succeed without a restart.
    std::fs::remove_file(&filler).unwrap();
    for _ in 0..10 {
        assert_eq!(send(&mut c, &mut acked), "SUCCESS", "after space returned");
    }
    c.wait_mempool_empty();
    check_intact(&mut c, chain_id, &acked, &everyone);
    for id in &acked {
        let tx = payload(&c.ask(&format!("GET_TRANSACTION:{id}")), "TX");
        assert_eq!(tx["status"], "confirmed");
    }

    // And a SIGKILL then a restart finds everything.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);
    let (_server, addr) = start(&data, &log, rich_addr);
    let mut c = Conn::connect(&addr);
    check_intact(&mut c, chain_id, &acked, &everyone);
    println!(
        "disk full: recovered without a restart; {} acknowledged transactions, all confirmed, \
         all there after SIGKILL and restart",
        acked.len()
    );
    drop(mount);
}

#[test]
fn a_read_only_data_dir_is_refused_at_start_and_left_untouched() {
    let temp = tempfile::tempdir().unwrap();
    let mnt = temp.path().join("mnt");
    let mount = match Mount::tmpfs(&mnt, "16M") {
        Ok(m) => m,
        Err(why) => {
            println!(
                "SKIPPED: cannot mount a tmpfs here ({why}); run as root to test a read-only data dir"
            );
            return;
        }
    };
    let data = mnt.join("data");
    let log = temp.path().join("server.log");
    let rich = simplechain_server::keyfile::generate();
    let rich_addr = address_of(&rich);
    let to = Address::from_bytes([0x55; 32]);
    let (mut server, addr) = start(&data, &log, rich_addr);
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
        .arg(&mnt)
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
        mount.remount("rw");
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);

    let db = data.join(simplechain_server::storage::DB_FILE);
    let bytes_before = std::fs::read(&db).unwrap();
    mount.remount("ro");
    let out = Command::new(simplechain_bin())
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
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

    mount.remount("rw");
    let (_server, addr) = start(&data, &log, rich_addr);
    let mut c = Conn::connect(&addr);
    assert_eq!(c.ask("GET_BLOCKCHAIN"), chain_before);
    check_intact(&mut c, chain_id, &acked, &[rich_addr, to, miner()]);
    drop(c);
}
