//! One WebSocket bridged onto its own TCP connection to the server (PROTOCOL §8).
//!
//! ```text
//! browser ──text message──▶ read_browser ──line + \n──▶ server
//! browser ◀──text message── write_browser ◀── outbox ◀── read_server ◀──line── server
//!                           (bridge/to_browser.rs: the server-to-browser half)
//! ```
//!
//! The three loops run in one task and end together: whichever ends first decides why
//! the connection ends, and both sockets are then closed (the WebSocket with a close
//! code that says why). Nothing is spawned per direction, so nothing can leak.
//!
//! Memory per bridge is bounded: one browser message (the size limit) being read, the
//! outbox (`outbox.rs`: 16 MiB, or one large line), the WebSocket's write buffer
//! ([`MAX_WRITE_BUFFER`]; a large line is written in [`FRAGMENT`]-sized frames, never
//! copied whole), and the server line being read (up to [`LARGE_LINE`]; a larger one
//! first reserves its share of the relay-wide [`Budget`], so however many servers
//! answers are large at once, the relay holds at most the budget of them). Every write to the browser has a deadline: a
//! browser that takes nothing for that long is closed, whatever else it sends.

mod to_browser;

use crate::outbox::outbox;
use futures::stream::SplitStream;
use futures::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use simplechain_core::protocol::MAX_SERVER_LINE;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use to_browser::{ToBrowser, read_server, send_line, write_browser};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Semaphore;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
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
/// How much is read from the server at a time.
const READ_CHUNK: usize = 64 << 10;
/// Messages with a newline a browser may send before each further one pauses its
/// reading for [`REFUSAL_PENALTY`].
const FREE_REFUSALS: u32 = 16;
const REFUSAL_PENALTY: Duration = Duration::from_millis(100);
/// How long closing may take before the sockets are just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// The relay-wide budget of bytes that large server lines may hold at once, from the
/// moment they pass [`LARGE_LINE`] until the browser has taken them.
#[derive(Debug, Clone)]
pub struct Budget {
    bytes: Arc<Semaphore>,
    /// What a line reserves when it passes [`LARGE_LINE`]: a maximal line, or the
    /// whole budget if that is smaller.
    reserve: u32,
}

impl Budget {
    /// A budget of `bytes` in all.
    pub fn new(bytes: usize) -> Budget {
        let bytes = bytes.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        Budget {
            bytes: Arc::new(Semaphore::new(bytes)),
            reserve: (MAX_SERVER_LINE + READ_CHUNK).min(bytes) as u32,
        }
    }
}

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
    let (mut from_server, tcp_write) = tcp.into_split();
    let mut to_server = BufWriter::new(tcp_write);
    let (mut ws_write, mut ws_read) = ws.split();
    let (outbox, mut queued) = outbox(OUTBOX_LINES, OUTBOX_BYTES);
    let shared = ToBrowser::new(outbox, budget);
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
    refused: &mut u32,
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
        // The relay's own refusals are cheap to send but not to read (a message may
        // be 1 MiB): past a few, each one pauses this browser's reading.
        *refused += 1;
        if *refused > FREE_REFUSALS {
            tokio::time::sleep(REFUSAL_PENALTY).await;
        }
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
    let mut refused = 0;
    loop {
        if let Err(end) = browser_message(ws.next().await, server, shared, &mut refused).await {
            return end;
        }
        while let Some(message) = ws.next().now_or_never() {
            if let Err(end) = browser_message(message, server, shared, &mut refused).await {
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
