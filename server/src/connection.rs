//! One client connection, frames only: a reader task that cuts the socket into lines
//! (the bounded [`LineCodec`]) and hands each to [`Request::read`], and a writer task
//! that answers the requests in order, with tip events in between after `SUBSCRIBE`.
//! What a request means and does is in `cmd/`.
//!
//! Every request is answered in the order it came: a client that pipelines
//! `ADD_TRANSACTION` then `GET_ACCOUNT` sees its own transaction. (`ADD_TRANSACTION`
//! starts at read time so that pipelined transactions share a commit; see
//! `cmd/add_transaction.rs`.) An answer that is ready is sent before the writer waits
//! for a slow one behind it.
//!
//! What one connection may hold, and for how long:
//! - requests waiting for their turn: at most `max_pipeline` of them and one maximal
//!   `SYNC_BLOCKCHAIN` of bytes (then the reader stops reading);
//! - a line over `max_line_bytes` (a `SYNC_BLOCKCHAIN`) takes its bytes from the
//!   server-wide budget while it arrives, waits and runs (`large_lines.rs`), and is
//!   charged to the connection's cost budget as soon as it is read: the reader waits
//!   for the budget before reading on (reading large lines costs CPU even when they
//!   are refused);
//! - answers are written as they are made, a whole chain straight from the stored
//!   blocks' JSON, and every write must make progress within `write_timeout`: a
//!   client that stops reading is closed, however busy its reader side keeps it;
//! - nothing for `idle_timeout` from the client closes it too;
//! - a connection whose transactions keep failing their signature check (a strike
//!   each) is slowed down: after [`MAX_STRIKES`], each further bad signature stops
//!   its reader for [`STRIKE_PENALTY`] (the signature check costs the server ~47 µs
//!   of CPU, the penalty costs the sender a quarter of a second). It is not closed:
//!   PROTOCOL §7 says a bad request never closes the connection.

use crate::cmd::{Answer, Request, Session};
use crate::cost::{Cost, CostBucket};
use crate::large_lines::{Metered, is_budget_spent};
use crate::shared::Shared;
use crate::state::{StoredBlock, blocks_json};
use futures::{FutureExt, StreamExt};
use simplechain_core::line::{Frame, LineCodec};
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

/// Bad signatures a connection may send before it is slowed down.
pub const MAX_STRIKES: u32 = 3;
/// After [`MAX_STRIKES`], each further bad signature stops the reader this long.
pub const STRIKE_PENALTY: Duration = Duration::from_millis(250);
/// Answers smaller than this are built as one string (one write); larger ones stream.
const SMALL_ANSWER: usize = 64 << 10;

/// What a waiting request holds until it is answered (the permits are given back
/// when it is dropped; nothing reads them).
#[derive(Debug, Default)]
#[expect(dead_code, reason = "held only to be dropped after the answer")]
struct Held {
    /// Its line's bytes in the connection's budget of queued bytes.
    queued: Option<OwnedSemaphorePermit>,
    /// Its line's bytes in the server-wide budget for large lines.
    large: Option<OwnedSemaphorePermit>,
}

/// What the writer must do next, in request order.
enum Item {
    /// Answer a request.
    Answer(Request, Held),
    /// Close the connection after an optional last line.
    Close(Option<String>),
}

type Lines = FramedRead<Metered<OwnedReadHalf>, LineCodec>;

/// Serves one connection until the client leaves, it misbehaves, or `shutdown`.
pub async fn serve(
    socket: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let _ = socket.set_nodelay(true);
    let (read, write) = socket.into_split();
    let (items, queue) = mpsc::channel(shared.limits.max_pipeline);
    let stop_reading = shutdown.child_token();
    let limits = &shared.limits;
    let metered = Metered::new(
        read,
        shared.large_bytes.clone(),
        shared.large_rate.clone(),
        limits.max_line_bytes,
        limits.max_sync_bytes,
    );
    let session = Session::new(shared.clone());
    let reader = tokio::spawn(read_requests(
        FramedRead::new(
            metered,
            LineCodec::new(limits.max_line_bytes, limits.max_sync_bytes),
        ),
        items,
        session.budget(),
        shared.clone(),
        stop_reading.clone(),
    ));
    let writer = Writer {
        out: BufWriter::new(write),
        deadline: shared.limits.write_timeout,
    };
    let result = write_answers(writer, queue, session).await;
    stop_reading.cancel();
    let _ = reader.await;
    match result {
        Ok(()) => tracing::debug!(%peer, "connection closed"),
        Err(e) => tracing::debug!(%peer, error = %e, "connection ended"),
    }
}

/// `ERROR:<code>:<message>` as a line to close with.
fn closing_line(code: ErrorCode, message: String) -> Item {
    Item::Close(Some(Response::error(code, message).encode()))
}

async fn read_requests(
    mut lines: Lines,
    items: mpsc::Sender<Item>,
    cost_budget: Arc<Mutex<CostBucket>>,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let idle = shared.limits.idle_timeout;
    // Lines waiting for their turn may hold at most this many bytes in all (one
    // `SYNC_BLOCKCHAIN` of the largest size), so that a client pipelining huge lines
    // without reading the answers cannot make the server buffer them without bound.
    let budget_bytes = shared
        .limits
        .max_sync_bytes
        .max(shared.limits.max_line_bytes)
        .clamp(1, u32::MAX as usize);
    let budget = Arc::new(Semaphore::new(budget_bytes));
    let mut strikes = 0u32;
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return,
            next = tokio::time::timeout(idle, lines.next()) => next,
        };
        let item = match next {
            Err(_) => Item::Close(None),
            Ok(None) => return,
            Ok(Some(Err(e))) if is_budget_spent(&e) => closing_line(
                ErrorCode::Busy,
                "the server is holding too many large requests; send this one again later".into(),
            ),
            Ok(Some(Err(_))) => return,
            Ok(Some(Ok(Frame::TooLong { limit }))) => closing_line(
                ErrorCode::TooLong,
                format!(
                    "the request line passed the limit of {limit} bytes; closing the connection"
                ),
            ),
            Ok(Some(Ok(Frame::NotUtf8))) => {
                drop(lines.get_mut().take_line());
                Item::Answer(
                    Request::Refused(ProtocolError::new(
                        ErrorCode::BadRequest,
                        "the request line is not valid UTF-8",
                    )),
                    Held::default(),
                )
            }
            Ok(Some(Ok(Frame::Line(line)))) => {
                let large = lines.get_mut().take_line();
                if line.len() > shared.limits.max_line_bytes {
                    // The decoder's buffer grew to hold this line; keep only what
                    // follows it, so a waiting line is held once, not three times.
                    let rest = bytes::BytesMut::from(&lines.read_buffer()[..]);
                    *lines.read_buffer_mut() = rest;
                    // Its bytes are charged now; read on once the budget holds them.
                    let cost = Cost::chain_bytes(line.len());
                    loop {
                        let taken = cost_budget
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .take(cost, Instant::now());
                        let Err(wait) = taken else { break };
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            () = tokio::time::sleep(wait) => {}
                        }
                    }
                }
                let cost = line.len().clamp(1, budget_bytes) as u32;
                let queued = tokio::select! {
                    _ = stop.cancelled() => return,
                    held = budget.clone().acquire_many_owned(cost) => match held {
                        Ok(held) => held,
                        Err(_) => return,
                    },
                };
                let request = Request::read(line, &shared).await;
                if request.is_bad_signature() {
                    strikes += 1;
                    if strikes > MAX_STRIKES {
                        tokio::select! {
                            _ = stop.cancelled() => return,
                            () = tokio::time::sleep(STRIKE_PENALTY) => {}
                        }
                    }
                }
                let held = if request.waits_to_run() {
                    Held {
                        queued: Some(queued),
                        large,
                    }
                } else {
                    Held::default()
                };
                Item::Answer(request, held)
            }
        };
        let closing = matches!(item, Item::Close(_));
        if items.send(item).await.is_err() || closing {
            return;
        }
    }
}

/// The socket's write half, where every write has a deadline.
struct Writer {
    out: BufWriter<OwnedWriteHalf>,
    /// How long one write may wait for the client to take data.
    deadline: Duration,
}

impl Writer {
    async fn timed<T>(
        deadline: Duration,
        io: impl Future<Output = std::io::Result<T>>,
    ) -> std::io::Result<T> {
        tokio::time::timeout(deadline, io).await.map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client took nothing for {} s", deadline.as_secs()),
            )
        })?
    }

    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        Self::timed(self.deadline, self.out.write_all(bytes)).await
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        Self::timed(self.deadline, self.out.flush()).await
    }

    /// One line and its `\n`.
    async fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.write(line.as_bytes()).await?;
        self.write(b"\n").await
    }

    /// `{"blocks":[…]}` and its `\n`, each block's JSON written as stored, stopping
    /// before the line would pass `max_bytes` (always at least one block).
    async fn blocks(
        &mut self,
        blocks: &[Arc<StoredBlock>],
        max_bytes: usize,
    ) -> std::io::Result<()> {
        let total: usize = blocks.iter().map(|b| b.json.len() + 1).sum();
        if total < SMALL_ANSWER {
            return self.line(&blocks_json(blocks, max_bytes)).await;
        }
        self.write(b"{\"blocks\":[").await?;
        let mut written = 11;
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 {
                if written + block.json.len() + 3 > max_bytes {
                    break;
                }
                self.write(b",").await?;
                written += 1;
            }
            self.write(block.json.as_bytes()).await?;
            written += block.json.len();
        }
        self.write(b"]}\n").await
    }
}

async fn write_answers(
    mut out: Writer,
    mut queue: mpsc::Receiver<Item>,
    mut session: Session,
) -> std::io::Result<()> {
    loop {
        let item = tokio::select! {
            item = queue.recv() => item,
            event = session.next_event() => {
                out.line(&event.encode()).await?;
                out.flush().await?;
                continue;
            }
        };
        let Some(item) = item else { break };
        let answer = match item {
            Item::Answer(request, held) => {
                let answer = {
                    let applying = request.apply(&mut session);
                    tokio::pin!(applying);
                    match applying.as_mut().now_or_never() {
                        Some(answer) => answer,
                        None => {
                            // Not ready yet: what is written so far goes out first.
                            out.flush().await?;
                            applying.await
                        }
                    }
                };
                drop(held);
                answer
            }
            Item::Close(None) => break,
            Item::Close(Some(line)) => {
                out.line(&line).await?;
                break;
            }
        };
        match answer {
            Answer::Line(response) => out.line(&response.encode()).await?,
            Answer::Blocks { blocks, max_bytes } => out.blocks(&blocks, max_bytes).await?,
        }
        if queue.is_empty() {
            out.flush().await?;
        }
    }
    out.flush().await?;
    Writer::timed(out.deadline, out.out.into_inner().shutdown()).await
}
