//! One client connection: a reader task that frames and parses lines, and a writer
//! task that answers them in order.
//!
//! `ADD_TRANSACTION` is handled as soon as it is read (its signature is verified on the
//! reader's thread, then it joins the sequencer's next batch), so many pipelined
//! transactions share one durable commit. Every other request waits until everything
//! before it on the connection is answered, then runs: a client that pipelines
//! `ADD_TRANSACTION` then `GET_ACCOUNT` sees its own transaction.

use crate::Shared;
use crate::cost::{Cost, CostBucket};
use crate::handlers::{Reply, execute};
use crate::sequencer::Command;
use futures::StreamExt;
use simplechain_core::line::{Frame, LineCodec};
use simplechain_core::protocol::{ErrorCode, Event, ProtocolError, Request, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, mpsc, oneshot};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

/// What the writer must do next, in request order.
enum Item {
    /// An answer known at read time.
    Ready(String),
    /// An `ADD_TRANSACTION` waiting for the sequencer's durable commit.
    Admission(oneshot::Receiver<Result<(), ProtocolError>>),
    /// A request to run when its turn comes (the line, parsed again then), holding its
    /// size in the connection's budget of queued bytes until it is answered.
    Deferred(String, OwnedSemaphorePermit),
    /// Close the connection after an optional last line.
    Close(Option<String>),
}

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
    let reader = tokio::spawn(read_requests(
        FramedRead::new(
            read,
            LineCodec::new(shared.limits.max_line_bytes, shared.limits.max_sync_bytes),
        ),
        items,
        shared.clone(),
        stop_reading.clone(),
    ));
    let result = write_responses(BufWriter::new(write), queue, &shared).await;
    stop_reading.cancel();
    let _ = reader.await;
    match result {
        Ok(()) => tracing::debug!(%peer, "connection closed"),
        Err(e) => tracing::debug!(%peer, error = %e, "connection ended"),
    }
}

async fn read_requests(
    mut lines: FramedRead<tokio::net::tcp::OwnedReadHalf, LineCodec>,
    items: mpsc::Sender<Item>,
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
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return,
            next = tokio::time::timeout(idle, lines.next()) => next,
        };
        let item = match next {
            Err(_) => Item::Close(None),
            Ok(None) => return,
            Ok(Some(Err(_))) => return,
            Ok(Some(Ok(Frame::TooLong { limit }))) => Item::Close(Some(error_line(
                ErrorCode::TooLong,
                format!(
                    "the request line passed the limit of {limit} bytes; closing the connection"
                ),
            ))),
            Ok(Some(Ok(Frame::NotUtf8))) => Item::Ready(error_line(
                ErrorCode::BadRequest,
                "the request line is not valid UTF-8",
            )),
            Ok(Some(Ok(Frame::Line(line)))) => {
                let cost = line.len().clamp(1, budget_bytes) as u32;
                let held = tokio::select! {
                    _ = stop.cancelled() => return,
                    held = budget.clone().acquire_many_owned(cost) => match held {
                        Ok(held) => held,
                        Err(_) => return,
                    },
                };
                classify(line, &shared, held).await
            }
        };
        let closing = matches!(item, Item::Close(_));
        if items.send(item).await.is_err() || closing {
            return;
        }
    }
}

fn error_line(code: ErrorCode, message: impl ToString) -> String {
    Response::Error(ProtocolError::new(code, message)).encode()
}

/// Decides at read time what a line needs; admits transactions right away.
async fn classify(line: String, shared: &Shared, held: OwnedSemaphorePermit) -> Item {
    match Request::parse(&line) {
        Err(e) => Item::Ready(Response::Error(e).encode()),
        Ok(Request::AddTransactionWithPrivateKey) => Item::Ready(error_line(
            ErrorCode::PrivateKeyRefused,
            "secret keys never travel: sign the transaction yourself and send \
             ADD_TRANSACTION:<sender>:<receiver>:<amount>:<nonce>:<signature>",
        )),
        Ok(Request::AddTransaction(tx)) => {
            if tx.amount == 0 {
                return Item::Ready(error_line(
                    ErrorCode::InvalidAmount,
                    "amount must be greater than 0",
                ));
            }
            if tx.sender == tx.receiver {
                return Item::Ready(error_line(
                    ErrorCode::BadRequest,
                    "sender and receiver are the same address",
                ));
            }
            let tx = match tx.verified(&shared.chain_id) {
                Ok(verified) => verified,
                Err(e) => return Item::Ready(error_line(ErrorCode::BadSignature, e)),
            };
            let (reply, answer) = oneshot::channel();
            let command = Command::Add { tx, reply };
            if shared.commands.send(command).await.is_err() {
                return Item::Ready(error_line(
                    ErrorCode::Internal,
                    "the server is shutting down",
                ));
            }
            Item::Admission(answer)
        }
        Ok(_) => Item::Deferred(line, held),
    }
}

async fn write_responses(
    mut out: BufWriter<OwnedWriteHalf>,
    mut queue: mpsc::Receiver<Item>,
    shared: &Arc<Shared>,
) -> std::io::Result<()> {
    let mut events: Option<broadcast::Receiver<Event>> = None;
    let limits = &shared.limits;
    let mut bucket = CostBucket::new(
        limits.heavy_budget,
        limits.heavy_refill_per_sec,
        Instant::now(),
    );
    loop {
        let item = tokio::select! {
            item = queue.recv() => item,
            event = next_event(&mut events, shared) => {
                out.write_all(event.encode().as_bytes()).await?;
                out.write_all(b"\n").await?;
                out.flush().await?;
                continue;
            }
        };
        let Some(item) = item else { break };
        let (line, close) = match item {
            Item::Ready(line) => (line, false),
            Item::Admission(answer) => (admission_line(answer.await), false),
            Item::Deferred(line, held) => {
                let request = Request::parse(&line).expect("parsed once already");
                let Reply { line, subscribe } = match charge(&mut bucket, &request, shared) {
                    Ok(()) => execute(shared, request).await,
                    Err(refusal) => Reply {
                        line: refusal,
                        subscribe: false,
                    },
                };
                drop(held);
                if subscribe && events.is_none() {
                    events = Some(shared.tips.subscribe());
                }
                (line, false)
            }
            Item::Close(None) => break,
            Item::Close(Some(line)) => (line, true),
        };
        out.write_all(line.as_bytes()).await?;
        out.write_all(b"\n").await?;
        if close {
            break;
        }
        if queue.is_empty() {
            out.flush().await?;
        }
    }
    out.flush().await?;
    out.into_inner().shutdown().await
}

/// Charges a heavy request to the connection's bucket, or refuses it.
fn charge(bucket: &mut CostBucket, request: &Request<'_>, shared: &Shared) -> Result<(), String> {
    let cost = match request {
        Request::ValidateBlockchain => Cost::validate(shared.state().size().0),
        Request::GetBlockchain => Cost::chain_bytes(shared.state().size().1),
        Request::SyncBlockchain(json) => Cost::chain_bytes(json.len()),
        Request::GetBlocks { .. } => Cost::BLOCKS_PAGE,
        _ => return Ok(()),
    };
    bucket.take(cost, Instant::now()).map_err(|wait| {
        error_line(
            ErrorCode::RateLimited,
            format!(
                "this connection has used its share of heavy requests; retry {} in {:.1} s",
                request.command(),
                wait.as_secs_f64()
            ),
        )
    })
}

fn admission_line(answer: Result<Result<(), ProtocolError>, oneshot::error::RecvError>) -> String {
    match answer {
        Ok(Ok(())) => Response::Success.encode(),
        Ok(Err(e)) => Response::Error(e).encode(),
        Err(_) => error_line(ErrorCode::Internal, "the server is shutting down"),
    }
}

/// The next tip event for a subscriber; pending forever without a subscription. A
/// subscriber that fell behind gets the current tip instead of the missed ones.
async fn next_event(events: &mut Option<broadcast::Receiver<Event>>, shared: &Shared) -> Event {
    let Some(rx) = events.as_mut() else {
        return std::future::pending().await;
    };
    match rx.recv().await {
        Ok(event) => event,
        Err(broadcast::error::RecvError::Lagged(_)) => {
            let view = shared.state();
            Event::Tip {
                height: view.chain.height,
                hash: view.chain.tip,
            }
        }
        Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
    }
}
