//! The lines waiting to be written to one browser, bounded in count and in bytes.
//!
//! This is the relay's backpressure: the server side never waits for the browser, it
//! pushes into the outbox, and a push that does not fit means the browser has stopped
//! reading (or reads far slower than its server answers). That browser's socket is then
//! closed instead of letting the relay's memory grow. A line larger than the byte bound
//! still fits into an empty outbox, so one big response (a chain) can always pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

/// The sending side, used by whoever produces lines for the browser.
#[derive(Debug)]
pub struct Outbox {
    lines: mpsc::Sender<String>,
    /// Bytes queued and not yet taken by the writer.
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The receiving side, owned by the task that writes to the browser.
#[derive(Debug)]
pub struct OutboxReader {
    lines: mpsc::Receiver<String>,
    queued: Arc<AtomicUsize>,
}

/// The outbox is full: the browser is not keeping up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// An outbox holding at most `max_lines` lines and, unless empty, `max_bytes` bytes.
pub fn outbox(max_lines: usize, max_bytes: usize) -> (Outbox, OutboxReader) {
    let (tx, rx) = mpsc::channel(max_lines);
    let queued = Arc::new(AtomicUsize::new(0));
    (
        Outbox {
            lines: tx,
            queued: queued.clone(),
            max_bytes,
        },
        OutboxReader { lines: rx, queued },
    )
}

impl Outbox {
    /// Queues a line, or says the outbox is full.
    pub fn push(&self, line: String) -> Result<(), Full> {
        let len = line.len();
        let queued = self.queued.load(Ordering::Acquire);
        if queued > 0 && queued + len > self.max_bytes {
            return Err(Full);
        }
        self.queued.fetch_add(len, Ordering::AcqRel);
        self.lines.try_send(line).map_err(|_| {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            Full
        })
    }
}

impl OutboxReader {
    /// The next line, waiting for one; `None` once every [`Outbox`] is gone.
    pub async fn next(&mut self) -> Option<String> {
        let line = self.lines.recv().await?;
        self.queued.fetch_sub(line.len(), Ordering::AcqRel);
        Some(line)
    }

    /// The next line if one is queued.
    pub fn try_next(&mut self) -> Option<String> {
        let line = self.lines.try_recv().ok()?;
        self.queued.fetch_sub(line.len(), Ordering::AcqRel);
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_by_count_and_bytes() {
        let (tx, mut rx) = outbox(3, 10);
        assert_eq!(tx.push("123456".into()), Ok(()));
        assert_eq!(tx.push("123456".into()), Err(Full));
        assert_eq!(tx.push("1234".into()), Ok(()));
        assert_eq!(rx.next().await.as_deref(), Some("123456"));
        assert_eq!(tx.push("1".into()), Ok(()));
        assert_eq!(tx.push("1".into()), Ok(()));
        assert_eq!(tx.push("1".into()), Err(Full));
        assert_eq!(rx.try_next().as_deref(), Some("1234"));
    }

    #[tokio::test]
    async fn a_big_line_fits_into_an_empty_outbox() {
        let (tx, mut rx) = outbox(3, 10);
        assert_eq!(tx.push("x".repeat(100)), Ok(()));
        assert_eq!(tx.push("y".into()), Err(Full));
        assert_eq!(rx.next().await.map(|l| l.len()), Some(100));
        assert_eq!(tx.push("y".into()), Ok(()));
    }
}
