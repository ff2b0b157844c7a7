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
//!
//! Memory per bridge is bounded: one browser message (the size limit) being read, the
//! outbox (`outbox.rs`: 16 MiB, or one large line), the WebSocket's write buffer
//! ([`MAX_WRITE_BUFFER`]; a large line is written in [`FRAGMENT`]-sized frames, never
//! copied whole), and the server line being decoded. Large lines also hold a share of
//! the relay-wide budget ([`Budget`]). Every write to the browser has a deadline: a
//! browser that takes nothing for that long is closed, whatever else it sends.

use crate::outbox::{Line, Outbox, OutboxReader, outbox};
use crate::reply_order::ReplyOrder;
use futures::stream::{SplitSink, SplitStream};
use futures::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use simplechain_core::line::{Frame, LineCodec};
use simplechain_core::protocol::{ErrorCode, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Semaphore;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame as WsFrame, Utf8Bytes};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

/// The browser's WebSocket, over the upgraded HTTP connection (with its write deadline).
pub type BrowserSocket = WebSocketStream<TokioIo<Upgraded>>;

/// Lines that may wait for a browser.
pub const OUTBOX_LINES: usize = 1024;
/// Bytes that may wait for a browser (a larger line waits alone).
pub const OUTBOX_BYTES: usize = 16 << 20;
/// Lines longer than this are sent as several frames of this size, so the WebSocket's
/// write buffer never holds a copy of a whole large line.
pub const FRAGMENT: usize = 64 << 10;
/// The WebSocket's write buffer, at most (frames being sent and the pending pong).
pub const MAX_WRITE_BUFFER: usize = 4 * FRAGMENT;
/// Server lines longer than this draw on the relay-wide budget for large lines.
pub const LARGE_LINE: usize = 1 << 20;
/// How long closing may take before the sockets are just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// The relay-wide budget of bytes that large server lines may hold at once; a large
/// line that does not fit is answered `ERROR:busy` in its place.
pub type Budget = Arc<Semaphore>;

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
    /// The browser took nothing for the write deadline.
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
    fn close_frame(&self) -> Option<(CloseCode, &'static str)> {
        match self {
            End::BrowserClosed | End::BrowserFailed(_) => None,
            End::Binary => Some((CloseCode::Unsupported, "binary messages are not supported")),
            End::TooBig => Some((CloseCode::Size, "message too big")),
            End::TooManyInFlight => Some((CloseCode::Policy, "too many requests in flight")),
            End::SlowBrowser => Some((CloseCode::Policy, "not reading fast enough")),
            End::ServerClosed => Some((CloseCode::Away, "the server closed the connection")),
            End::ServerFailed(_) => Some((CloseCode::Error, "the server connection failed")),
            End::Shutdown => Some((CloseCode::Away, "the relay is shutting down")),
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

/// The relay's answer to a message that contains a newline.
fn refusal() -> String {
    Response::error(
        ErrorCode::BadRequest,
        "a message is one request line and must not contain a newline",
    )
    .encode()
}

/// What the two readers share: the order of answers and the queue to the browser.
#[derive(Debug)]
struct ToBrowser {
    /// Held across a push, so that answers enter the outbox in their order.
    order: tokio::sync::Mutex<ReplyOrder>,
    outbox: Outbox,
    budget: Budget,
}

impl ToBrowser {
    /// Sends the relay's own answer to a request, in its turn.
    async fn refuse(&self) -> Result<(), End> {
        let mut order = self.order.lock().await;
        match order.refuse() {
            Err(_) => Err(End::TooManyInFlight),
            Ok(false) => Ok(()),
            Ok(true) => {
                let _ = self.outbox.push_wait(refusal()).await;
                Ok(())
            }
        }
    }

    /// Queues a line from the server, and the relay's answers that waited for it.
    async fn server_line(&self, line: String) {
        let mut order = self.order.lock().await;
        let is_event = line.starts_with("EVENT:");
        let line = self.hold(line);
        let _ = self.outbox.push_wait(line).await;
        if !is_event {
            for _ in 0..order.response() {
                let _ = self.outbox.push_wait(refusal()).await;
            }
        }
    }

    /// A large line takes its share of the relay-wide budget, or becomes `busy`.
    fn hold(&self, line: String) -> Line {
        if line.len() <= LARGE_LINE {
            return line.into();
        }
        let bytes = u32::try_from(line.len()).unwrap_or(u32::MAX);
        match self.budget.clone().try_acquire_many_owned(bytes) {
            Ok(held) => Line::new(line, Some(held)),
            Err(_) => {
                tracing::warn!(
                    bytes = line.len(),
                    "a large answer refused: the relay's budget for large lines is spent"
                );
                Response::error(
                    ErrorCode::Busy,
                    "the relay is holding too many large answers; try again shortly",
                )
                .encode()
                .into()
            }
        }
    }

    /// Records a request about to be forwarded.
    async fn forward(&self) -> Result<(), End> {
        self.order
            .lock()
            .await
            .forward()
            .map_err(|_| End::TooManyInFlight)
    }
}

/// Bridges `ws` and `tcp` until either side leaves or `shutdown` is cancelled. Every
/// write to the browser must make progress within `write_timeout`.
pub async fn bridge(
    ws: BrowserSocket,
    tcp: TcpStream,
    peer: SocketAddr,
    budget: Budget,
    write_timeout: Duration,
    shutdown: CancellationToken,
) {
    let _ = tcp.set_nodelay(true);
    let (tcp_read, tcp_write) = tcp.into_split();
    let mut from_server = FramedRead::new(tcp_read, LineCodec::server_lines());
    let mut to_server = BufWriter::new(tcp_write);
    let (mut ws_write, mut ws_read) = ws.split();
    let (outbox, mut queued) = outbox(OUTBOX_LINES, OUTBOX_BYTES);
    let shared = ToBrowser {
        order: tokio::sync::Mutex::new(ReplyOrder::default()),
        outbox,
        budget,
    };
    tracing::info!(%peer, "websocket opened");

    let end = tokio::select! {
        end = read_browser(&mut ws_read, &mut to_server, &shared) => end,
        end = read_server(&mut from_server, &shared) => end,
        end = write_browser(&mut ws_write, &mut queued, write_timeout) => end,
        () = shutdown.cancelled() => End::Shutdown,
    };

    // Close the server side first: nothing more is forwarded either way.
    drop(from_server);
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, to_server.shutdown()).await;
    drop(to_server);

    let closing = async {
        if end.flush_first() {
            while let Some(line) = queued.try_next() {
                send_line(&mut ws_write, line, CLOSE_TIMEOUT).await?;
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

/// What to do with one message from the browser.
async fn browser_message(
    message: Option<Result<Message, WsError>>,
    server: &mut BufWriter<OwnedWriteHalf>,
    shared: &ToBrowser,
) -> Result<(), End> {
    let text = match message {
        None => return Err(End::BrowserClosed),
        Some(Ok(Message::Text(text))) => text,
        Some(Ok(Message::Binary(_))) => return Err(End::Binary),
        Some(Ok(Message::Close(_))) => return Err(End::BrowserClosed),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => return Ok(()),
        Some(Err(e)) => return Err(browser_error(e)),
    };
    if text.contains('\n') {
        return shared.refuse().await;
    }
    shared.forward().await?;
    tracing::trace!(bytes = text.len(), "forwarding a request");
    let written = async {
        server.write_all(text.as_bytes()).await?;
        server.write_all(b"\n").await
    };
    written.await.map_err(|e| End::ServerFailed(e.to_string()))
}

/// Browser → server: each text message becomes one line. Everything that has already
/// arrived is written before one flush; one message at a time is held.
async fn read_browser(
    ws: &mut SplitStream<BrowserSocket>,
    server: &mut BufWriter<OwnedWriteHalf>,
    shared: &ToBrowser,
) -> End {
    loop {
        if let Err(end) = browser_message(ws.next().await, server, shared).await {
            return end;
        }
        while let Some(message) = ws.next().now_or_never() {
            if let Err(end) = browser_message(message, server, shared).await {
                return end;
            }
        }
        if let Err(e) = server.flush().await {
            return End::ServerFailed(e.to_string());
        }
    }
}

/// Tells a message over the size limit from other read failures.
fn browser_error(error: WsError) -> End {
    match error {
        WsError::Capacity(_) => End::TooBig,
        WsError::ConnectionClosed | WsError::AlreadyClosed => End::BrowserClosed,
        WsError::WriteBufferFull(_) => End::SlowBrowser,
        WsError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => End::SlowBrowser,
        other => End::BrowserFailed(other.to_string()),
    }
}

/// Server → outbox: each line (response or event) is queued for the browser, waiting
/// for room. A line over [`MAX_SERVER_LINE`](simplechain_core::protocol::MAX_SERVER_LINE)
/// or not in UTF-8 means the server is broken: the bridge ends.
async fn read_server(server: &mut FramedRead<OwnedReadHalf, LineCodec>, shared: &ToBrowser) -> End {
    while let Some(frame) = server.next().await {
        match frame {
            Ok(Frame::Line(line)) => {
                let large = line.len() > LARGE_LINE;
                shared.server_line(line).await;
                if large {
                    // The decoder's buffer grew to the line's size: give it back.
                    *server.read_buffer_mut() = bytes::BytesMut::from(&server.read_buffer()[..]);
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

/// Writes one line as one text message: in one frame, or in [`FRAGMENT`]-sized frames
/// (the text is shared by the frames, not copied). Each frame must be taken within
/// `deadline`.
async fn send_line(
    ws: &mut SplitSink<BrowserSocket, Message>,
    mut line: Line,
    deadline: Duration,
) -> Result<(), WsError> {
    let text = std::mem::take(&mut line.text);
    let timed_out = || WsError::Io(std::io::ErrorKind::TimedOut.into());
    if text.len() <= FRAGMENT {
        return tokio::time::timeout(deadline, ws.feed(Message::Text(text.into())))
            .await
            .map_err(|_| timed_out())?;
    }
    let bytes = bytes::Bytes::from(text);
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + FRAGMENT).min(bytes.len());
        let opcode = if start == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = WsFrame::message(bytes.slice(start..end), opcode, end == bytes.len());
        tokio::time::timeout(deadline, ws.feed(Message::Frame(frame)))
            .await
            .map_err(|_| timed_out())??;
        start = end;
    }
    Ok(())
}

/// Outbox → browser: one text message per line, flushed when the outbox is empty.
async fn write_browser(
    ws: &mut SplitSink<BrowserSocket, Message>,
    queued: &mut OutboxReader,
    deadline: Duration,
) -> End {
    while let Some(line) = queued.next().await {
        if let Err(e) = send_line(ws, line, deadline).await {
            return browser_error(e);
        }
        if queued.is_empty() {
            match tokio::time::timeout(deadline, ws.flush()).await {
                Err(_) => return End::SlowBrowser,
                Ok(Err(e)) => return browser_error(e),
                Ok(Ok(())) => {}
            }
        }
    }
    // The outbox lives as long as the bridge, so this is not reached.
    std::future::pending().await
}
