//! One client connection, frames only: a reader task that cuts the socket into lines
//! (the bounded [`LineCodec`]) and hands each to [`Request::read`], and a writer task
//! that answers the requests in order, with tip events in between after `SUBSCRIBE`.
//! What a request means and does is in `cmd/`.
//!
//! Every request is answered in the order it came: a client that pipelines
//! `ADD_TRANSACTION` then `GET_ACCOUNT` sees its own transaction. (`ADD_TRANSACTION`
//! starts at read time so that pipelined transactions share a commit; see
//! `cmd/add_transaction.rs`.)

use crate::cmd::{Request, Session};
use crate::shared::Shared;
use futures::StreamExt;
use simplechain_core::line::{Frame, LineCodec};
use simplechain_core::protocol::{ErrorCode, ProtocolError, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

/// What the writer must do next, in request order.
enum Item {
    /// Answer a request; a request that waits to run holds its line's size in the
    /// connection's budget of queued bytes until it is answered.
    Answer(Request, Option<OwnedSemaphorePermit>),
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
    let result = write_answers(BufWriter::new(write), queue, Session::new(shared)).await;
    stop_reading.cancel();
    let _ = reader.await;
    match result {
        Ok(()) => tracing::debug!(%peer, "connection closed"),
        Err(e) => tracing::debug!(%peer, error = %e, "connection ended"),
    }
}

async fn read_requests(
    mut lines: FramedRead<OwnedReadHalf, LineCodec>,
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
            Ok(Some(Ok(Frame::TooLong { limit }))) => Item::Close(Some(
                Response::error(
                    ErrorCode::TooLong,
                    format!(
                        "the request line passed the limit of {limit} bytes; closing the connection"
                    ),
                )
                .encode(),
            )),
            Ok(Some(Ok(Frame::NotUtf8))) => Item::Answer(
                Request::Refused(ProtocolError::new(
                    ErrorCode::BadRequest,
                    "the request line is not valid UTF-8",
                )),
                None,
            ),
            Ok(Some(Ok(Frame::Line(line)))) => {
                let cost = line.len().clamp(1, budget_bytes) as u32;
                let held = tokio::select! {
                    _ = stop.cancelled() => return,
                    held = budget.clone().acquire_many_owned(cost) => match held {
                        Ok(held) => held,
                        Err(_) => return,
                    },
                };
                let request = Request::read(line, &shared).await;
                let held = request.waits_to_run().then_some(held);
                Item::Answer(request, held)
            }
        };
        let closing = matches!(item, Item::Close(_));
        if items.send(item).await.is_err() || closing {
            return;
        }
    }
}

async fn write_answers(
    mut out: BufWriter<OwnedWriteHalf>,
    mut queue: mpsc::Receiver<Item>,
    mut session: Session,
) -> std::io::Result<()> {
    loop {
        let item = tokio::select! {
            item = queue.recv() => item,
            event = session.next_event() => {
                out.write_all(event.encode().as_bytes()).await?;
                out.write_all(b"\n").await?;
                out.flush().await?;
                continue;
            }
        };
        let Some(item) = item else { break };
        let (line, close) = match item {
            Item::Answer(request, held) => {
                let answer = request.apply(&mut session).await;
                drop(held);
                (answer.encode(), false)
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
