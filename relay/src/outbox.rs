//! The lines waiting to be written to one browser, bounded in count and in bytes.
//!
//! This is the relay's backpressure: the server side pushes into the outbox and, when
//! it is full, waits for room, so it stops reading the server (which then stops on its
//! own write deadline if this lasts). A line's bytes count until the writer has handed
//! it to the socket, not only until it was taken out of the queue: a large line (a
//! chain) fits only into an outbox with nothing else in it, queued or being written,
//! so one browser holds at most one large line, never two copies of it. A browser
//! that stops reading is closed by the write deadline (`bridge.rs`).

use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Notify, OwnedSemaphorePermit, mpsc};

/// One line for the browser; its bytes count against its outbox until it is dropped.
#[derive(Debug)]
pub struct Line {
    /// The text (checked UTF-8), without `\n`.
    pub text: Bytes,
    /// Its share of the relay-wide budget for large lines, if it is one.
    pub held: Option<OwnedSemaphorePermit>,
    /// The outbox it counts against, and how much.
    counted: Option<(Arc<Room>, usize)>,
}

impl Line {
    /// A line that holds `held` of the relay-wide budget.
    pub fn new(text: Bytes, held: Option<OwnedSemaphorePermit>) -> Line {
        Line {
            text,
            held,
            counted: None,
        }
    }
}

impl From<String> for Line {
    fn from(text: String) -> Line {
        Line::new(text.into(), None)
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if let Some((room, len)) = self.counted.take() {
            room.queued.fetch_sub(len, Ordering::AcqRel);
            room.freed.notify_waiters();
        }
    }
}

/// What both sides share: the bytes held, and a signal when some are freed.
#[derive(Debug, Default)]
struct Room {
    queued: AtomicUsize,
    freed: Notify,
}

/// The sending side, used by whoever produces lines for the browser.
#[derive(Debug)]
pub struct Outbox {
    lines: mpsc::Sender<Line>,
    room: Arc<Room>,
    max_bytes: usize,
}

/// The receiving side, owned by the task that writes to the browser.
#[derive(Debug)]
pub struct OutboxReader {
    lines: mpsc::Receiver<Line>,
}

/// The outbox is full: the browser is not keeping up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// An outbox holding at most `max_lines` lines and, unless empty, `max_bytes` bytes.
pub fn outbox(max_lines: usize, max_bytes: usize) -> (Outbox, OutboxReader) {
    let (tx, rx) = mpsc::channel(max_lines);
    (
        Outbox {
            lines: tx,
            room: Arc::default(),
            max_bytes,
        },
        OutboxReader { lines: rx },
    )
}

impl Outbox {
    /// Queues a line, or gives it back when the outbox is full.
    fn try_push(&self, mut line: Line) -> Result<(), Line> {
        let len = line.text.len();
        let queued = self.room.queued.load(Ordering::Acquire);
        if queued > 0 && queued + len > self.max_bytes {
            return Err(line);
        }
        self.room.queued.fetch_add(len, Ordering::AcqRel);
        line.counted = Some((self.room.clone(), len));
        self.lines.try_send(line).map_err(|e| {
            let mut line = match e {
                mpsc::error::TrySendError::Full(l) | mpsc::error::TrySendError::Closed(l) => l,
            };
            line.counted = None;
            self.room.queued.fetch_sub(len, Ordering::AcqRel);
            line
        })
    }

    /// Queues a line, or says the outbox is full.
    pub fn push(&self, line: impl Into<Line>) -> Result<(), Full> {
        self.try_push(line.into()).map_err(|_| Full)
    }

    /// Queues a line, waiting for room; `Err` only once the reader is gone.
    pub async fn push_wait(&self, line: impl Into<Line>) -> Result<(), Full> {
        let mut line = line.into();
        loop {
            let freed = self.room.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match self.try_push(line) {
                Ok(()) => return Ok(()),
                Err(back) if self.lines.is_closed() => {
                    drop(back);
                    return Err(Full);
                }
                Err(back) => line = back,
            }
            freed.await;
        }
    }
}

impl OutboxReader {
    /// The next line, waiting for one; `None` once every [`Outbox`] is gone. Its bytes
    /// stay counted until it is dropped.
    pub async fn next(&mut self) -> Option<Line> {
        self.lines.recv().await
    }

    /// The next line if one is queued.
    pub fn try_next(&mut self) -> Option<Line> {
        self.lines.try_recv().ok()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_by_count_and_bytes() {
        let (tx, mut rx) = outbox(3, 10);
        assert_eq!(tx.push("123456".to_string()), Ok(()));
        assert_eq!(tx.push("123456".to_string()), Err(Full));
        assert_eq!(tx.push("1234".to_string()), Ok(()));
        let first = rx.next().await.unwrap();
        assert_eq!(first.text, "123456");
        // Taken but not yet written: still counted.
        assert_eq!(tx.push("1".to_string()), Err(Full));
        drop(first);
        assert_eq!(tx.push("1".to_string()), Ok(()));
        assert_eq!(tx.push("1".to_string()), Ok(()));
        assert_eq!(tx.push("1".to_string()), Err(Full));
        assert_eq!(rx.try_next().unwrap().text, "1234");
    }

    #[tokio::test]
    async fn a_big_line_fits_only_into_an_empty_outbox_and_is_held_once() {
        let (tx, mut rx) = outbox(3, 10);
        assert_eq!(tx.push("x".repeat(100)), Ok(()));
        assert_eq!(tx.push("y".to_string()), Err(Full));
        let big = rx.next().await.unwrap();
        assert_eq!(big.text.len(), 100);
        assert_eq!(tx.push("x".repeat(100)), Err(Full), "not a second copy");
        drop(big);
        assert_eq!(tx.push("y".to_string()), Ok(()));
    }

    #[tokio::test]
    async fn push_wait_waits_for_room() {
        let (tx, mut rx) = outbox(1, 10);
        tx.push_wait("a".to_string()).await.unwrap();
        let waiting = tokio::spawn(async move { tx.push_wait("b".to_string()).await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drop(rx.next().await);
        waiting.await.unwrap().unwrap();
        assert_eq!(rx.next().await.unwrap().text, "b");
    }
}
