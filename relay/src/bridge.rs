//! One WebSocket bridged onto its own TCP connection to the server (PROTOCOL §8).
//!
//! ```text
//! browser ──text message──▶ read_browser ──line + \n──▶ server
//! browser ◀──text message── write_browser ◀── outbox ◀── read_server ◀──line── server
//! ```
//!
//! The three loops run in one task and end together: whichever ends first decides why
//! the connection ends, and both sockets are then closed (the WebSocket with a close
//! code that says why). Nothing is spawned per direction, so nothing can leak.

use crate::outbox::{Full, Outbox, OutboxReader, outbox};
use crate::reply_order::ReplyOrder;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use simplechain_core::line::{Frame, LineCodec};
use simplechain_core::protocol::{ErrorCode, Response};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

/// Lines that may wait for a browser before it counts as not reading.
pub const OUTBOX_LINES: usize = 1024;
/// Bytes that may wait for a browser before it counts as not reading.
pub const OUTBOX_BYTES: usize = 16 << 20;
/// How long closing may take before the sockets are just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a bridged connection ended.
#[derive(Debug)]
enum End {
    /// The browser closed the WebSocket.
    BrowserClosed,
    /// Reading from or writing to the browser failed.
    BrowserFailed(String),
    /// The browser sent a binary message.
    Binary,
    /// The browser sent a message over the size limit.
    TooBig,
    /// The browser has too many requests in flight.
    TooManyInFlight,
    /// The browser is not reading what the server sends.
    SlowBrowser,
    /// The server closed its connection.
    ServerClosed,
    /// Reading from or writing to the server failed.
    ServerFailed(String),
    /// The relay is shutting down.
    Shutdown,
}

impl End {
    /// The close frame to send to the browser, if it is still there.
    fn close_frame(&self) -> Option<(u16, &'static str)> {
        match self {
            End::BrowserClosed | End::BrowserFailed(_) => None,
            End::Binary => Some((close_code::UNSUPPORTED, "binary messages are not supported")),
            End::TooBig => Some((close_code::SIZE, "message too big")),
            End::TooManyInFlight => Some((close_code::POLICY, "too many requests in flight")),
            End::SlowBrowser => Some((close_code::POLICY, "not reading fast enough")),
            End::ServerClosed => Some((close_code::AWAY, "the server closed the connection")),
            End::ServerFailed(_) => Some((close_code::ERROR, "the server connection failed")),
            End::Shutdown => Some((close_code::AWAY, "the relay is shutting down")),
        }
    }

    /// Whether lines already queued for the browser should still be delivered (the
    /// server's last words, such as `ERROR:too_long`, before it hung up).
    fn flush_first(&self) -> bool {
        matches!(
            self,
            End::ServerClosed | End::ServerFailed(_) | End::Shutdown
        )
    }
}

/// What the two readers share: the order of answers and the queue to the browser.
#[derive(Debug)]
struct ToBrowser {
    order: Mutex<ReplyOrder>,
    outbox: Outbox,
}

impl ToBrowser {
    /// Sends the relay's own answer to a request, in its turn.
    fn refuse(&self, answer: String) -> Result<(), Full> {
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        match order.refuse(answer) {
            Some(now) => self.outbox.push(now),
            None => Ok(()),
        }
    }

    /// Queues a line from the server, and the relay's answers that waited for it.
    fn server_line(&self, line: String) -> Result<(), Full> {
        let mut order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        let is_event = line.starts_with("EVENT:");
        self.outbox.push(line)?;
        if !is_event {
            for answer in order.response() {
                self.outbox.push(answer)?;
            }
        }
        Ok(())
    }

    /// Records a request about to be forwarded; `false` when too many are in flight.
    fn forward(&self) -> bool {
        self.order
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .forward()
    }
}

/// Bridges `ws` and `tcp` until either side leaves or `shutdown` is cancelled.
pub async fn bridge(ws: WebSocket, tcp: TcpStream, peer: SocketAddr, shutdown: CancellationToken) {
    let _ = tcp.set_nodelay(true);
    let (tcp_read, tcp_write) = tcp.into_split();
    let mut from_server = FramedRead::new(tcp_read, LineCodec::server_lines());
    let mut to_server = BufWriter::new(tcp_write);
    let (mut ws_write, mut ws_read) = ws.split();
    let (outbox, mut queued) = outbox(OUTBOX_LINES, OUTBOX_BYTES);
    let shared = ToBrowser {
        order: Mutex::new(ReplyOrder::default()),
        outbox,
    };
    tracing::info!(%peer, "websocket opened");

    let end = tokio::select! {
        end = read_browser(&mut ws_read, &mut to_server, &shared) => end,
        end = read_server(&mut from_server, &shared) => end,
        end = write_browser(&mut ws_write, &mut queued) => end,
        () = shutdown.cancelled() => End::Shutdown,
    };

    // Close the server side first: nothing more is forwarded either way.
    drop(from_server);
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, to_server.shutdown()).await;
    drop(to_server);

    let closing = async {
        if end.flush_first() {
            while let Some(line) = queued.try_next() {
                ws_write.feed(Message::Text(line.into())).await?;
            }
        }
        if let Some((code, reason)) = end.close_frame() {
            ws_write
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(reason),
                })))
                .await?;
        }
        ws_write.close().await
    };
    let closed = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
    match &end {
        End::BrowserFailed(why) | End::ServerFailed(why) => {
            tracing::warn!(%peer, reason = ?end.close_frame(), error = %why, "websocket closed after a failure");
        }
        End::Binary | End::TooBig | End::TooManyInFlight | End::SlowBrowser => {
            tracing::info!(%peer, end = ?end, "websocket closed by the relay");
        }
        End::BrowserClosed | End::ServerClosed | End::Shutdown => {
            tracing::info!(%peer, end = ?end, "websocket closed");
        }
    }
    if closed.is_err() {
        tracing::debug!(%peer, "the browser did not take the close frame in time");
    }
}

/// Browser → server: each text message becomes one line.
async fn read_browser(
    ws: &mut SplitStream<WebSocket>,
    server: &mut BufWriter<OwnedWriteHalf>,
    shared: &ToBrowser,
) -> End {
    // Everything that has already arrived is written before one flush.
    let mut batches = ws.ready_chunks(256);
    while let Some(batch) = batches.next().await {
        for message in batch {
            let text = match message {
                Ok(Message::Text(text)) => text,
                Ok(Message::Binary(_)) => return End::Binary,
                Ok(Message::Close(_)) => return End::BrowserClosed,
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Err(e) => return browser_error(e),
            };
            if text.contains('\n') {
                let answer = Response::error(
                    ErrorCode::BadRequest,
                    "a message is one request line and must not contain a newline",
                )
                .encode();
                if shared.refuse(answer).is_err() {
                    return End::SlowBrowser;
                }
                continue;
            }
            if !shared.forward() {
                return End::TooManyInFlight;
            }
            tracing::trace!(bytes = text.len(), "forwarding a request");
            let written = async {
                server.write_all(text.as_bytes()).await?;
                server.write_all(b"\n").await
            };
            if let Err(e) = written.await {
                return End::ServerFailed(e.to_string());
            }
        }
        if let Err(e) = server.flush().await {
            return End::ServerFailed(e.to_string());
        }
    }
    End::BrowserClosed
}

/// Tells a message over the size limit from other read failures.
fn browser_error(error: axum::Error) -> End {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let inner = error.into_inner();
    match inner.downcast_ref::<WsError>() {
        Some(WsError::Capacity(_)) => End::TooBig,
        Some(WsError::ConnectionClosed | WsError::AlreadyClosed) => End::BrowserClosed,
        _ => End::BrowserFailed(inner.to_string()),
    }
}

/// Server → outbox: each line (response or event) is queued for the browser. A line
/// over [`MAX_SERVER_LINE`](simplechain_core::protocol::MAX_SERVER_LINE) or not in UTF-8 means the server is broken: the bridge ends.
async fn read_server(server: &mut FramedRead<OwnedReadHalf, LineCodec>, shared: &ToBrowser) -> End {
    while let Some(frame) = server.next().await {
        match frame {
            Ok(Frame::Line(line)) => {
                if shared.server_line(line).is_err() {
                    return End::SlowBrowser;
                }
            }
            Ok(Frame::TooLong { limit }) => {
                return End::ServerFailed(format!("the server sent a line over {limit} bytes"));
            }
            Ok(Frame::NotUtf8) => {
                return End::ServerFailed("the server sent a line that is not UTF-8".into());
            }
            Err(e) => return End::ServerFailed(e.to_string()),
        }
    }
    End::ServerClosed
}

/// Outbox → browser: one text message per line, flushed when the outbox is empty.
async fn write_browser(ws: &mut SplitSink<WebSocket, Message>, queued: &mut OutboxReader) -> End {
    while let Some(line) = queued.next().await {
        let mut sent = ws.feed(Message::Text(line.into())).await;
        while sent.is_ok() {
            match queued.try_next() {
                Some(line) => sent = ws.feed(Message::Text(line.into())).await,
                None => break,
            }
        }
        if let Err(e) = sent {
            return End::BrowserFailed(e.to_string());
        }
        if let Err(e) = ws.flush().await {
            return End::BrowserFailed(e.to_string());
        }
    }
    // The outbox lives as long as the bridge, so this is not reached.
    std::future::pending().await
}
