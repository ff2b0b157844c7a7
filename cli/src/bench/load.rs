//! The load: funded senders, pre-signed transactions, and pipelined connections that
//! measure rate and latency.

use super::child::ChildProcess;
use super::outcome::Outcome;
use super::pace::Pace;
use super::{BenchArgs, progress};
use crate::client::{self, Client};
use anyhow::{Context, bail};
use ed25519_dalek::SigningKey;
use futures::{Sink, SinkExt, Stream, StreamExt};
use simplechain_core::line::LineCodec;
use simplechain_core::protocol::ChainJson;
use simplechain_core::transaction::address_of;
use simplechain_core::{ChainId, Transaction};
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};

/// Senders with their next nonces, spread over connections.
#[derive(Debug)]
pub struct Plan {
    chain: ChainId,
    senders: Vec<SigningKey>,
    next_nonce: Vec<u64>,
    connections: usize,
}

impl Plan {
    /// Funds `args.senders` accounts from `owner` and waits until that is confirmed.
    pub async fn prepare(
        address: &str,
        owner: &SigningKey,
        args: &BenchArgs,
    ) -> anyhow::Result<Plan> {
        let mut client = Client::connect(address).await?;
        let chain = client.info().await?.chain_id;
        let senders: Vec<SigningKey> = (0..args.senders)
            .map(|i| {
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                seed[31] = 0x5e;
                SigningKey::from_bytes(&seed)
            })
            .collect();
        progress(format!("funding {} senders…", senders.len()));
        let mut batch = String::new();
        for (nonce, sender) in senders.iter().enumerate() {
            let tx = Transaction::sign(
                owner,
                &chain,
                address_of(sender),
                1_000_000_000,
                nonce as u64,
            );
            batch.push_str(&simplechain_core::protocol::Request::AddTransaction(tx).encode());
            batch.push('\n');
        }
        client.send_line(batch.trim_end()).await?;
        for _ in 0..senders.len() {
            match client.read_response().await? {
                simplechain_core::protocol::Response::Success => {}
                other => bail!("funding a sender failed: {}", other.encode()),
            }
        }
        let owner_address = address_of(owner);
        let deadline = Instant::now() + Duration::from_secs(120);
        while client.account(owner_address).await?.nonce < senders.len() as u64 {
            if Instant::now() > deadline {
                bail!("the funding transactions were not mined within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let next_nonce = vec![0; senders.len()];
        Ok(Plan {
            chain,
            senders,
            next_nonce,
            connections: args.connections.max(1),
        })
    }

    /// Signs `count` transactions (on all cores) and deals them out to the connections:
    /// each sender belongs to one connection, so its nonces arrive in order.
    pub fn take(&mut self, count: usize) -> Vec<Vec<String>> {
        let n = self.senders.len();
        let mut jobs: Vec<(usize, u64)> = Vec::with_capacity(count);
        for i in 0..count {
            let s = i % n;
            jobs.push((s, self.next_nonce[s]));
            self.next_nonce[s] += 1;
        }
        let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
        let chunk = jobs.len().div_ceil(threads).max(1);
        let signed: Vec<(usize, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| {
                    let (chain, senders) = (&self.chain, &self.senders);
                    scope.spawn(move || {
                        part.iter()
                            .map(|&(s, nonce)| {
                                let to = address_of(&senders[(s + 1) % senders.len()]);
                                let tx = Transaction::sign(&senders[s], chain, to, 1, nonce);
                                (
                                    s,
                                    simplechain_core::protocol::Request::AddTransaction(tx)
                                        .encode(),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("signing thread"))
                .collect()
        });
        let mut per_connection = vec![Vec::new(); self.connections];
        for (s, line) in signed {
            per_connection[s % self.connections].push(line);
        }
        per_connection
    }
}

/// Sends every connection's lines over TCP, pipelined with `window` in flight,
/// optionally paced to `rate` transactions per second overall.
pub async fn ingest_tcp(
    address: &str,
    lines: Vec<Vec<String>>,
    window: usize,
    rate: Option<f64>,
) -> anyhow::Result<Outcome> {
    let mut transports = Vec::with_capacity(lines.len());
    for _ in 0..lines.len() {
        let stream = TcpStream::connect(address)
            .await
            .context("connecting for the load")?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let sink = SinkExt::<String>::sink_map_err(
            FramedWrite::new(write, LinesCodec::new()),
            anyhow::Error::from,
        );
        let server = address.to_string();
        let stream = FramedRead::new(read, LineCodec::server_lines())
            .map(move |frame| Ok(client::line_of(&server, frame)?));
        transports.push((Box::pin(sink) as LineSink, Box::pin(stream) as LineStream));
    }
    ingest(transports, lines, window, rate).await
}

/// The same load through `simplechain relay` (started here, bridging to `server`), one
/// WebSocket per connection.
pub async fn ingest_ws(
    server: &str,
    lines: Vec<Vec<String>>,
    window: usize,
    temp: &std::path::Path,
) -> anyhow::Result<Outcome> {
    let relay = ChildProcess::start(
        &[
            "--server",
            server,
            "relay",
            "--listen",
            "127.0.0.1:0",
            "--web-root",
            temp.to_str().context("temp path")?,
        ],
        &temp.join("relay.log"),
    )?;
    let url = relay.wait_for_line("Wallet:")?;
    let ws_url = format!("{}ws", url.replacen("http://", "ws://", 1));
    progress(format!(
        "ingest through the relay at {ws_url}: {} transactions…",
        lines.iter().map(Vec::len).sum::<usize>()
    ));
    let mut transports = Vec::with_capacity(lines.len());
    for _ in 0..lines.len() {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url.as_str())
            .await
            .context("opening a WebSocket")?;
        let (sink, stream) = socket.split();
        let sink =
            sink.with(|line: String| async move { Ok::<_, anyhow::Error>(Message::text(line)) });
        let stream = stream.filter_map(|m| async move {
            match m {
                Ok(Message::Text(text)) => Some(Ok(text.to_string())),
                Ok(Message::Close(_)) => {
                    Some(Err(anyhow::anyhow!("the relay closed the WebSocket")))
                }
                Ok(_) => None,
                Err(e) => Some(Err(e.into())),
            }
        });
        transports.push((Box::pin(sink) as LineSink, Box::pin(stream) as LineStream));
    }
    let outcome = ingest(transports, lines, window, None).await;
    drop(relay);
    outcome
}

type LineSink = Pin<Box<dyn Sink<String, Error = anyhow::Error> + Send>>;
type LineStream = Pin<Box<dyn Stream<Item = anyhow::Result<String>> + Send>>;

async fn ingest(
    transports: Vec<(LineSink, LineStream)>,
    lines: Vec<Vec<String>>,
    window: usize,
    rate: Option<f64>,
) -> anyhow::Result<Outcome> {
    let total: usize = lines.iter().map(Vec::len).sum();
    let connections = lines.len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, ((sink, stream), conn_lines)) in transports.into_iter().zip(lines).enumerate() {
        let pace = rate.map(|r| Pace::of(r, k, connections));
        tasks.push(tokio::spawn(drive(sink, stream, conn_lines, window, pace)));
    }
    let mut rejected = 0;
    let mut latencies = Vec::with_capacity(total);
    for t in tasks {
        let (r, lat) = t.await??;
        rejected += r;
        latencies.extend(lat);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(Outcome::of(total, elapsed, latencies, rejected))
}

/// One connection: a writer that sends as the window allows (flushing whenever it
/// would wait), a reader that matches responses (in order) to send times.
async fn drive(
    mut sink: LineSink,
    mut stream: LineStream,
    lines: Vec<String>,
    window: usize,
    pace: Option<Pace>,
) -> anyhow::Result<(u64, Vec<f64>)> {
    let count = lines.len();
    let permits = Arc::new(Semaphore::new(window));
    let sent_at = Arc::new(std::sync::Mutex::new(VecDeque::with_capacity(count)));
    let writer = {
        let (permits, sent_at) = (permits.clone(), sent_at.clone());
        tokio::spawn(async move {
            let begin = Instant::now();
            for (i, line) in lines.into_iter().enumerate() {
                if let Some(pace) = pace {
                    let due = begin + pace.due(i);
                    if due > Instant::now() {
                        sink.flush().await?;
                        tokio::time::sleep_until(due.into()).await;
                    }
                }
                if permits.available_permits() == 0 {
                    sink.flush().await?;
                }
                permits.acquire().await?.forget();
                sent_at.lock().expect("sent_at").push_back(Instant::now());
                sink.feed(line).await?;
                // Paced, a request goes out now, not with the next one (which is not
                // due yet): its latency must not include the wait for that one.
                if pace.is_some() {
                    sink.flush().await?;
                }
            }
            sink.flush().await?;
            anyhow::Ok(sink)
        })
    };
    let mut latencies = Vec::with_capacity(count);
    let mut rejected = 0u64;
    for _ in 0..count {
        let line = stream
            .next()
            .await
            .context("the server closed a load connection")??;
        let sent = sent_at
            .lock()
            .expect("sent_at")
            .pop_front()
            .context("a response without a request")?;
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
        if line != "SUCCESS" {
            if rejected == 0 {
                progress(format!("first rejection: {line}"));
            }
            rejected += 1;
        }
        permits.add_permits(1);
    }
    let _ = writer.await??;
    Ok((rejected, latencies))
}

/// Waits until the mempool is empty (everything acknowledged is in a block).
/// Says how many are still pending every five seconds.
pub async fn wait_mined(address: &str) -> anyhow::Result<()> {
    let mut client = Client::connect(address).await?;
    let started = Instant::now();
    let mut told = started;
    loop {
        let info = client.info().await?;
        if info.mempool == 0 {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!("{} transactions still pending after 600 s", info.mempool);
        }
        if told.elapsed() >= Duration::from_secs(5) {
            progress(format!(
                "{} transactions still pending, at height {}…",
                info.mempool, info.height
            ));
            told = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The transactions in the whole chain, counted page by page with `GET_BLOCKS`.
pub async fn chain_transactions(address: &str) -> anyhow::Result<u64> {
    let mut client = Client::connect(address).await?;
    let (mut transactions, mut from) = (0u64, 0u64);
    loop {
        let (page, _) = blocks_page(&mut client, from).await?;
        if page.blocks.is_empty() {
            return Ok(transactions);
        }
        from += page.blocks.len() as u64;
        transactions += page
            .blocks
            .iter()
            .map(|b| b.transactions.len() as u64)
            .sum::<u64>();
    }
}

/// One page of blocks (`GET_BLOCKS`, 500 from `from`), waiting as asked when the
/// server rate-limits the pages (a long chain takes more heavy requests than a
/// connection's share); with the time spent waiting.
pub async fn blocks_page(client: &mut Client, from: u64) -> anyhow::Result<(ChainJson, Duration)> {
    let mut waited = Duration::ZERO;
    loop {
        match client.blocks(from, 500).await {
            Ok(page) => return Ok((page, waited)),
            Err(e) => match e.retry_after() {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    waited += wait;
                }
                None => return Err(e.into()),
            },
        }
    }
}
