//! The lab's server: each connection's reader checks a line and queues it, one task
//! makes every queued transaction durable with one `pwrite` + `fdatasync`, and each
//! connection's writer answers `SUCCESS` in order, as ours does.

use crate::costs::{Gate, checkpoint_writer, idle_spinner};
use crate::{CHAIN, Options};
use futures::StreamExt;
use simplechain_core::ChainId;
use simplechain_core::protocol::Request;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, LinesCodec};

/// Most transactions in one record, as the sequencer's `MAX_BATCH`.
const MAX_BATCH: usize = 8192;
/// The log file's size: zero-filled once, then written round and round.
const LOG_BYTES: u64 = 64 << 20;
/// A record is padded to whole blocks of this size, as the acknowledgement log's.
const BLOCK: usize = 4096;

/// A checked transaction's line, for the sequencer's next record.
struct Checked {
    line: String,
    reply: oneshot::Sender<()>,
}

pub async fn serve(dir: &Path, options: Options) -> anyhow::Result<()> {
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
