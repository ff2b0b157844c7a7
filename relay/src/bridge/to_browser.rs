//! The server-to-browser half of a bridge: lines read from the server (large ones
//! drawing on the relay-wide [`Budget`]), put in the outbox in answer order with the
//! relay's own refusals, and written to the browser in frames under a deadline.

use super::{BrowserSocket, Budget, End, FRAGMENT, LARGE_LINE, READ_CHUNK, browser_error};
use crate::outbox::{Line, Outbox, OutboxReader};
use crate::reply_order::ReplyOrder;
use bytes::{Bytes, BytesMut};
use futures::SinkExt;
use futures::stream::SplitSink;
use simplechain_core::protocol::{ErrorCode, MAX_SERVER_LINE, Response};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame as WsFrame, Utf8Bytes};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

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
pub(super) struct ToBrowser {
    /// Held across a push, so that answers enter the outbox in their order.
    order: tokio::sync::Mutex<ReplyOrder>,
    outbox: Outbox,
    budget: Budget,
}

impl ToBrowser {
    /// Answers in order into `outbox`, large lines drawing on `budget`.
    pub(super) fn new(outbox: Outbox, budget: Budget) -> Self {
        ToBrowser {
            order: tokio::sync::Mutex::new(ReplyOrder::default()),
            outbox,
            budget,
        }
    }

    /// Sends the relay's own answer to a request, in its turn.
    pub(super) async fn refuse(&self) -> Result<(), End> {
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

    /// Queues a line from the server (with what it holds of the relay-wide budget),
    /// and the relay's answers that waited for it.
    pub(super) async fn server_line(&self, line: Bytes, held: Option<OwnedSemaphorePermit>) {
        let mut order = self.order.lock().await;
        let is_event = line.starts_with(b"EVENT:");
        let _ = self.outbox.push_wait(Line::new(line, held)).await;
        if !is_event {
            for _ in 0..order.response() {
                let _ = self.outbox.push_wait(refusal()).await;
            }
        }
    }

    /// Records a request about to be forwarded.
    pub(super) async fn forward(&self) -> Result<(), End> {
        self.order
            .lock()
            .await
            .forward()
            .map_err(|_| End::TooManyInFlight)
    }
}

/// Server → outbox: each line (response or event) is queued for the browser, waiting
/// for room. A line over [`MAX_SERVER_LINE`] or not in UTF-8 means the server is broken:
/// the bridge ends.
///
/// Lines are cut from the read buffer without a copy (the line keeps the buffer it was
/// read into; what follows it moves to a new one). A line that grows past
/// [`LARGE_LINE`] first reserves a maximal line's bytes of the relay-wide budget,
/// waiting for it if it must (the server then waits for the relay: backpressure, not
/// memory); once the line is complete the reservation shrinks to what its buffer
/// holds, and it is given back when the browser has taken the line.
pub(super) async fn read_server(server: &mut OwnedReadHalf, shared: &ToBrowser) -> End {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    // Where the search for `\n` goes on from.
    let mut scanned = 0;
    let mut held: Option<OwnedSemaphorePermit> = None;
    loop {
        while let Some(at) = buf[scanned..].iter().position(|&b| b == b'\n') {
            let end = scanned + at;
            scanned = 0;
            let capacity = buf.capacity();
            let mut line = buf.split_to(end + 1);
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                line.truncate(end - 1);
            }
            if line.len() > MAX_SERVER_LINE {
                return End::ServerFailed(format!(
                    "the server sent a line over {MAX_SERVER_LINE} bytes"
                ));
            }
            if std::str::from_utf8(&line).is_err() {
                return End::ServerFailed("the server sent a line that is not UTF-8".into());
            }
            let mut line_held = held.take();
            if line_held.is_some() {
                // The line keeps its buffer: what follows moves to a new one, and the
                // reservation shrinks to that buffer's size.
                buf = BytesMut::from(&buf[..]);
                if let Some(permit) = line_held.as_mut() {
                    let keep = capacity.min(permit.num_permits());
                    if let Some(extra) = permit.split(permit.num_permits() - keep) {
                        drop(extra);
                    }
                }
            }
            shared.server_line(line.freeze(), line_held).await;
        }
        scanned = buf.len();
        if buf.len() > MAX_SERVER_LINE {
            return End::ServerFailed(format!(
                "the server sent a line over {MAX_SERVER_LINE} bytes"
            ));
        }
        if held.is_none() && buf.len() > LARGE_LINE {
            let budget = &shared.budget;
            match budget
                .bytes
                .clone()
                .acquire_many_owned(budget.reserve)
                .await
            {
                Ok(permit) => held = Some(permit),
                Err(_) => return End::Shutdown,
            }
        }
        buf.reserve(READ_CHUNK);
        // At most a chunk at a time, so a line cannot pass LARGE_LINE unnoticed.
        match (&mut *server)
            .take(READ_CHUNK as u64)
            .read_buf(&mut buf)
            .await
        {
            Ok(0) => {
                if !buf.is_empty() {
                    // A last line without `\n`: still a line.
                    buf.extend_from_slice(b"\n");
                    continue;
                }
                return End::ServerClosed;
            }
            Ok(_) => {}
            Err(e) => return End::ServerFailed(e.to_string()),
        }
    }
}

/// Writes one line as one text message: in one frame, or in [`FRAGMENT`]-sized frames
/// (the text is shared by the frames, not copied). Each frame must be taken within
/// `deadline`.
pub(super) async fn send_line(
    ws: &mut SplitSink<BrowserSocket, Message>,
    mut line: Line,
    deadline: Duration,
) -> Result<(), WsError> {
    let bytes = std::mem::take(&mut line.text);
    let timed_out = || WsError::Io(std::io::ErrorKind::TimedOut.into());
    if bytes.len() <= FRAGMENT {
        let text = Utf8Bytes::try_from(bytes).map_err(|e| WsError::Utf8(e.to_string()))?;
        return tokio::time::timeout(deadline, ws.feed(Message::Text(text)))
            .await
            .map_err(|_| timed_out())?;
    }
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
pub(super) async fn write_browser(
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
