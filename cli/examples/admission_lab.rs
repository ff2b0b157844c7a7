//! A laboratory for the half-rate tail (issue 13): the least a server can do for a
//! durable `ADD_TRANSACTION`, driven by the bench's load, so that our server's figures
//! can be set beside what the same per-transaction work costs on this machine with
//! nothing else around it.
//!
//! The lab server does what ours does on the acknowledgement path and nothing more:
//! each connection's reader parses the line and checks the signature strictly
//! (`Transaction::verified`), a sequencer task takes every checked transaction waiting
//! (up to 8,192), writes them as one record with one `pwrite` + `fdatasync` on a
//! blocking thread, and each connection's writer answers `SUCCESS` in order. No state,
//! no mempool, no miner, no checkpoint. Options add those costs back one at a time.
//!
//! ```text
//! cargo run --release -p simplechain --example admission_lab -- [--seconds 6]
//!     [--no-sync] [--no-verify] [--idle-spinners N [--spinner-duty S] [--pause-on-sync]]
//!     [--checkpoint-mbps M]
//! ```
//!
//! It prints the peak rate (100,000 transactions, 16 connections, 256 in flight each)
//! and the latency paced at half that rate, as `simplechain bench` measures them
//! (`cli/src/bench/load.rs`). The server is a child process (this same program with
//! `--serve`), as the bench's is.

use anyhow::Context;
use ed25519_dalek::SigningKey;
use futures::StreamExt;
use simplechain::bench::load;
use simplechain_core::protocol::Request;
use simplechain_core::transaction::address_of;
use simplechain_core::{ChainId, Transaction};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, LinesCodec};

/// The lab's chain: any id will do, the server only checks signatures against it.
const CHAIN: [u8; 32] = [7; 32];
/// Most transactions in one record, as the sequencer's `MAX_BATCH`.
const MAX_BATCH: usize = 8192;
/// The log file's size: zero-filled once, then written round and round.
const LOG_BYTES: u64 = 64 << 20;
/// A record is padded to whole blocks of this size, as the acknowledgement log's.
const BLOCK: usize = 4096;

/// The lab: the load, and its server as a child process.
#[derive(Debug, clap::Parser)]
#[command(
    about = "The least a server can do for a durable ADD_TRANSACTION, under the bench's load"
)]
struct Lab {
    /// Seconds of the half-rate phase (as `simplechain bench --transactions 240000`'s).
    #[arg(long, default_value_t = 6.0, value_parser = positive)]
    seconds: f64,
    /// Where the lab's files go (a folder of its own is made in it, and removed).
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    dir: PathBuf,
    #[command(flatten)]
    server: Options,
    /// Run as the lab's server, with its files in `--dir` (the load starts it so).
    #[arg(long, hide = true)]
    serve: bool,
}

/// What the lab server does besides the acknowledgement path.
#[derive(Debug, Clone, clap::Args)]
struct Options {
    /// Skip the `fdatasync` (the record is still written).
    #[arg(long)]
    no_sync: bool,
    /// Skip the signature check.
    #[arg(long)]
    no_verify: bool,
    /// Threads hashing in the idle scheduling class, as our miner's do.
    #[arg(long, default_value_t = 0)]
    idle_spinners: usize,
    /// The share of each 10 ms the spinners hash (1: all the time); they sleep the rest.
    #[arg(long, default_value_t = 1.0, value_parser = share)]
    spinner_duty: f64,
    /// The spinners stop while a log write is on its way to the disk.
    #[arg(long)]
    pause_on_sync: bool,
    /// A writer of 1 MiB `fsync`'ed pieces at this many MB/s beside the log, as a
    /// checkpoint into redb (0: none).
    #[arg(long, default_value_t = 0.0, value_parser = at_least_zero)]
    checkpoint_mbps: f64,
}

impl Options {
    /// The same options as the child's arguments.
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--idle-spinners={}", self.idle_spinners),
            format!("--spinner-duty={}", self.spinner_duty),
            format!("--checkpoint-mbps={}", self.checkpoint_mbps),
        ];
        for (on, flag) in [
            (self.no_sync, "--no-sync"),
            (self.no_verify, "--no-verify"),
            (self.pause_on_sync, "--pause-on-sync"),
        ] {
            if on {
                args.push(flag.into());
            }
        }
        args
    }
}

fn number(text: &str) -> Result<f64, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a number"))
}

fn positive(text: &str) -> Result<f64, String> {
    let value = number(text)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(format!("{value} is not above 0"))
    }
}

fn at_least_zero(text: &str) -> Result<f64, String> {
    let value = number(text)?;
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(format!("{value} is below 0"))
    }
}

fn share(text: &str) -> Result<f64, String> {
    let value = number(text)?;
    if value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(format!(
            "{value} is not a share: give a number above 0 and at most 1"
        ))
    }
}

fn main() -> anyhow::Result<()> {
    let lab = <Lab as clap::Parser>::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    if lab.serve {
        runtime.block_on(serve(&lab.dir, lab.server))
    } else {
        runtime.block_on(drive(&lab.dir, &lab.server, lab.seconds))
    }
}

// ---------------------------------------------------------------- the load

async fn drive(dir: &Path, options: &Options, seconds: f64) -> anyhow::Result<()> {
    let scratch = Scratch::new(dir.join(format!("admission-lab-{}", std::process::id())))?;
    let server = Server::start(&scratch.0, options)?;
    let address = server.address.clone();
    let senders: Vec<SigningKey> = (0..512u64)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i + 1).to_le_bytes());
            SigningKey::from_bytes(&seed)
        })
        .collect();
    let mut nonce = 0;
    let mut signed = |count: usize| {
        let lines = sign(&senders, nonce, count);
        nonce += count as u64;
        lines
    };
    let peak = load::ingest_tcp(&address, signed(100_000), 256, None).await?;
    println!(
        "peak: {:.0} tx/s, p50 {:.2} ms, p99 {:.2} ms",
        peak.rate, peak.p50_ms, peak.p99_ms
    );
    let rate = peak.rate / 2.0;
    let half =
        load::ingest_tcp(&address, signed((rate * seconds) as usize), 256, Some(rate)).await?;
    let at = |p: f64| simplechain::bench::outcome::percentile(&half.latencies_ms, p);
    println!(
        "half rate: {:.0} tx/s for {:.1} s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        half.rate,
        half.elapsed_s,
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0)
    );
    anyhow::ensure!(
        peak.rejected + half.rejected == 0,
        "the lab server refused {} transactions",
        peak.rejected + half.rejected
    );
    drop(server);
    Ok(())
}

/// The lab's folder, removed when dropped (after an error too).
struct Scratch(PathBuf);

impl Scratch {
    fn new(path: PathBuf) -> anyhow::Result<Scratch> {
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot make the lab's folder {}", path.display()))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `count` transactions signed on all cores, dealt out to 16 connections by sender.
fn sign(senders: &[SigningKey], first_nonce: u64, count: usize) -> Vec<Vec<String>> {
    let chain = ChainId::from_bytes(CHAIN);
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let mut per_connection = vec![Vec::new(); 16];
    let signed: Vec<(usize, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| {
                            let s = i % senders.len();
                            let to = address_of(&senders[(s + 1) % senders.len()]);
                            let tx = Transaction::sign(
                                &senders[s],
                                &chain,
                                to,
                                1,
                                first_nonce + i as u64,
                            );
                            (i, Request::AddTransaction(tx).encode())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all
    });
    for (i, line) in signed {
        per_connection[(i % senders.len()) % 16].push(line);
    }
    per_connection
}

/// The lab server as a child process, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(dir: &Path, options: &Options) -> anyhow::Result<Server> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve")
            .args(options.args())
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the lab server")?;
        let out = child.stdout.take().context("no stdout")?;
        let mut first = String::new();
        BufReader::new(out).read_line(&mut first)?;
        let address = first
            .strip_prefix("Server: ")
            .context("the lab server did not say where it listens")?
            .trim()
            .to_string();
        Ok(Server { child, address })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- the server

/// A checked transaction's line, for the sequencer's next record.
struct Checked {
    line: String,
    reply: oneshot::Sender<()>,
}

async fn serve(dir: &Path, options: Options) -> anyhow::Result<()> {
    let log = zero_filled(&dir.join("lab.log"), LOG_BYTES)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("Server: {}", listener.local_addr()?);
    let (checked, queue) = mpsc::channel(1 << 16);
    let gate = Arc::new(Gate::default());
    let sync_gate = options.pause_on_sync.then(|| gate.clone());
    tokio::spawn(sequencer(queue, Arc::new(log), options.no_sync, sync_gate));
    for _ in 0..options.idle_spinners {
        let duty = options.spinner_duty;
        let gate = gate.clone();
        std::thread::spawn(move || idle_spinner(duty, &gate));
    }
    if options.checkpoint_mbps > 0.0 {
        let file = dir.join("checkpoint");
        let mbps = options.checkpoint_mbps;
        std::thread::spawn(move || checkpoint_writer(&file, mbps));
    }
    loop {
        let (socket, _) = listener.accept().await?;
        tokio::spawn(connection(socket, checked.clone(), options.no_verify));
    }
}

/// A connection: a reader that checks each line and queues it, a writer that answers
/// in order.
async fn connection(socket: TcpStream, checked: mpsc::Sender<Checked>, no_verify: bool) {
    let _ = socket.set_nodelay(true);
    let (read, write) = socket.into_split();
    let (waits, mut answers) = mpsc::channel::<oneshot::Receiver<()>>(256);
    tokio::spawn(async move {
        let chain = ChainId::from_bytes(CHAIN);
        let mut lines = FramedRead::new(read, LinesCodec::new());
        while let Some(Ok(line)) = lines.next().await {
            let Ok(Request::AddTransaction(tx)) = Request::parse(&line) else {
                return;
            };
            if !no_verify && tx.verified(&chain).is_err() {
                return;
            }
            let (reply, wait) = oneshot::channel();
            if checked.send(Checked { line, reply }).await.is_err()
                || waits.send(wait).await.is_err()
            {
                return;
            }
        }
    });
    let mut out = tokio::io::BufWriter::new(write);
    while let Some(mut wait) = answers.recv().await {
        if futures::FutureExt::now_or_never(&mut wait).is_none() {
            if out.flush().await.is_err() {
                return;
            }
            if wait.await.is_err() {
                return;
            }
        }
        if out.write_all(b"SUCCESS\n").await.is_err() {
            return;
        }
        if answers.is_empty() && out.flush().await.is_err() {
            return;
        }
    }
}

/// The one writer: every checked transaction waiting becomes one record, written with
/// one `pwrite` + `fdatasync`, then everyone in it is answered.
async fn sequencer(
    mut queue: mpsc::Receiver<Checked>,
    log: Arc<File>,
    no_sync: bool,
    gate: Option<Arc<Gate>>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut at = 0u64;
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut record: Vec<u8> = Vec::new();
        for checked in &batch {
            record.extend_from_slice(checked.line.as_bytes());
            record.push(b'\n');
        }
        record.resize(record.len().next_multiple_of(BLOCK), 0);
        if at + record.len() as u64 > LOG_BYTES {
            at = 0;
        }
        let offset = at;
        at += record.len() as u64;
        let file = log.clone();
        let gate = gate.clone();
        let written = tokio::task::spawn_blocking(move || {
            if let Some(gate) = &gate {
                gate.close();
            }
            let written = file
                .write_all_at(&record, offset)
                .and_then(|()| if no_sync { Ok(()) } else { file.sync_data() });
            if let Some(gate) = &gate {
                gate.open();
            }
            written
        })
        .await;
        if !matches!(written, Ok(Ok(()))) {
            eprintln!("the lab log could not be written: {written:?}");
            std::process::exit(1);
        }
        for checked in batch.drain(..) {
            let _ = checked.reply.send(());
        }
    }
}

fn zero_filled(path: &Path, bytes: u64) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)?;
    let zeros = vec![0u8; 1 << 20];
    for i in 0..bytes / zeros.len() as u64 {
        file.write_all_at(&zeros, i * zeros.len() as u64)?;
    }
    file.sync_all()?;
    Ok(file)
}

/// Hashes forever in the idle scheduling class, as the miner's threads do.
fn idle_spinner(duty: f64, gate: &Gate) {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    let _ = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle);
    let mut state = [0u8; 32];
    let period = Duration::from_millis(10);
    loop {
        let started = Instant::now();
        while started.elapsed() < period.mul_f64(duty) {
            for _ in 0..100 {
                use sha2::Digest;
                state = sha2::Sha256::digest(state).into();
            }
            gate.pass();
            std::hint::black_box(&state);
        }
        if duty < 1.0 {
            std::thread::sleep(period.saturating_sub(started.elapsed()));
        }
    }
}

/// Where the spinners wait while a log write is on its way to the disk.
#[derive(Debug, Default)]
struct Gate {
    closed: std::sync::atomic::AtomicBool,
    lock: std::sync::Mutex<()>,
    opened: std::sync::Condvar,
}

impl Gate {
    fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn open(&self) {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.closed
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.opened.notify_all();
    }

    /// Returns at once when open, else once it opens.
    fn pass(&self) {
        if !self.closed.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let mut held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        while self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            held = self.opened.wait(held).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Writes `mbps` MB a second in 1 MiB pieces, each `fsync`'ed, as a checkpoint does.
fn checkpoint_writer(path: &Path, mbps: f64) {
    let Ok(file) = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)
    else {
        return;
    };
    let piece = vec![0x5au8; 1 << 20];
    let every = Duration::from_secs_f64(piece.len() as f64 / (mbps * 1e6));
    let started = Instant::now();
    for i in 0u64.. {
        let offset = (i % 256) * piece.len() as u64;
        if file.write_all_at(&piece, offset).is_err() || file.sync_all().is_err() {
            return;
        }
        let due = started + every * (i as u32 + 1);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
    }
}
