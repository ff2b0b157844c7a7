//! The server-wide budget for the bytes of large request lines.
//!
//! A request line over the ordinary limit (1 MiB: in practice a `SYNC_BLOCKCHAIN`, up
//! to 64 MiB) draws on one budget shared by every connection, while it arrives, while
//! it waits for its turn and while it runs. [`Metered`] sits under the line decoder
//! and counts the bytes of the line being read; once the line passes the ordinary
//! limit it must take each further MiB from the budget, and a connection that cannot
//! is answered `busy` and closed. So however many connections send large lines at
//! once, the server holds at most the budget in large lines (plus 1 MiB per
//! connection), instead of 64 MiB per connection. And since reading them costs CPU
//! however they are answered, all connections together read large lines at most at
//! `max_large_bytes_per_sec` (a reader past it waits before reading on).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::task::{Context, Poll, ready};
use std::time::Instant;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

use crate::cost::{Cost, CostBucket};

/// The budget is taken in steps of this many bytes.
const STEP: usize = 1 << 20;

/// The error [`Metered`] fails with when the budget is spent.
#[derive(Debug)]
pub struct BudgetSpent;

impl std::fmt::Display for BudgetSpent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the server's budget for large requests is spent")
    }
}

impl std::error::Error for BudgetSpent {}

/// A socket's read half whose long lines take their bytes from a shared budget.
#[derive(Debug)]
pub struct Metered<R> {
    inner: R,
    budget: Arc<Semaphore>,
    /// Lines up to this long take nothing.
    free: usize,
    /// Lines are not counted past this (the decoder refuses them anyway).
    max: usize,
    /// Bytes of the line being read so far.
    current: usize,
    /// What the line being read holds of the budget.
    held: Option<OwnedSemaphorePermit>,
    /// What each line read to its end holds, oldest first (`None` for small lines).
    done: VecDeque<Option<OwnedSemaphorePermit>>,
    spent: bool,
    /// The server-wide rate of large-line bytes, in MiB: reading them costs CPU
    /// however they are answered, so all connections together read them at most so
    /// fast. Past it, this reader waits (`stalled`) before reading on.
    rate: Arc<Mutex<CostBucket>>,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<R> Metered<R> {
    /// Wraps `inner`: lines longer than `free` bytes (up to `max`) draw on `budget`.
    pub fn new(
        inner: R,
        budget: Arc<Semaphore>,
        rate: Arc<Mutex<CostBucket>>,
        free: usize,
        max: usize,
    ) -> Self {
        Metered {
            inner,
            budget,
            free,
            max,
            current: 0,
            held: None,
            done: VecDeque::new(),
            spent: false,
            rate,
            stalled: None,
        }
    }

    /// What the oldest line the decoder has handed out holds of the budget (call once
    /// per line, in order).
    pub fn take_line(&mut self) -> Option<OwnedSemaphorePermit> {
        match self.done.pop_front() {
            Some(held) => held,
            // A last line without `\n`.
            None => self.held.take(),
        }
    }

    /// Counts `bytes` just read; `Err` when a long line cannot take its share.
    fn count(&mut self, bytes: &[u8]) -> Result<(), BudgetSpent> {
        let mut rest = bytes;
        loop {
            let (part, newline) = match memchr(rest) {
                Some(i) => (i, true),
                None => (rest.len(), false),
            };
            self.current += part;
            let wanted = self.current.min(self.max + STEP);
            let holding = self.held.as_ref().map_or(0, |p| p.num_permits());
            if wanted > self.free && wanted > holding {
                let more = (wanted - holding).div_ceil(STEP) * STEP;
                let more = u32::try_from(more).map_err(|_| BudgetSpent)?;
                let permit = self
                    .budget
                    .clone()
                    .try_acquire_many_owned(more)
                    .map_err(|_| BudgetSpent)?;
                match self.held.as_mut() {
                    Some(held) => held.merge(permit),
                    None => self.held = Some(permit),
                }
                let mib = Cost((more / STEP as u32) as f64);
                let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
                if let Err(wait) = rate.take(mib, Instant::now()) {
                    rate.charge(mib, Instant::now());
                    self.stalled = Some(Box::pin(tokio::time::sleep(wait)));
                }
            }
            if !newline {
                return Ok(());
            }
            self.done.push_back(self.held.take());
            self.current = 0;
            rest = &rest[part + 1..];
        }
    }
}

fn memchr(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

impl<R: AsyncRead + Unpin> AsyncRead for Metered<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.spent {
            return Poll::Ready(Err(io::Error::other(BudgetSpent)));
        }
        if let Some(stalled) = self.stalled.as_mut() {
            ready!(stalled.as_mut().poll(cx));
            self.stalled = None;
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        let this = &mut *self;
        if let Err(spent) = this.count(&buf.filled()[before..]) {
            // An error reads nothing: the bytes just read are dropped.
            buf.set_filled(before);
            this.spent = true;
            return Poll::Ready(Err(io::Error::other(spent)));
        }
        Poll::Ready(Ok(()))
    }
}

/// Whether a read error is [`BudgetSpent`].
pub fn is_budget_spent(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<BudgetSpent>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn unlimited() -> Arc<Mutex<CostBucket>> {
        Arc::new(Mutex::new(CostBucket::new(1e12, 1e12, Instant::now())))
    }

    #[tokio::test]
    async fn long_lines_hold_the_budget_until_released() {
        let budget = Arc::new(Semaphore::new(4 * STEP));
        let mut input = Vec::new();
        input.extend_from_slice(b"PING\n");
        input.extend(std::iter::repeat_n(b'x', 2 * STEP + 5));
        input.extend_from_slice(b"\nPING\n");
        let mut r = Metered::new(&input[..], budget.clone(), unlimited(), STEP, 64 * STEP);
        let mut sink = Vec::new();
        r.read_to_end(&mut sink).await.unwrap();
        assert!(r.take_line().is_none());
        let long = r.take_line().expect("the long line holds budget");
        assert_eq!(long.num_permits(), 3 * STEP);
        assert_eq!(budget.available_permits(), STEP);
        assert!(r.take_line().is_none());
        drop(long);
        assert_eq!(budget.available_permits(), 4 * STEP);
    }

    #[tokio::test]
    async fn a_line_past_the_budget_fails_the_read() {
        let budget = Arc::new(Semaphore::new(2 * STEP));
        let input = vec![b'x'; 3 * STEP];
        let mut r = Metered::new(&input[..], budget, unlimited(), STEP, 64 * STEP);
        let mut sink = Vec::new();
        let error = r.read_to_end(&mut sink).await.unwrap_err();
        assert!(is_budget_spent(&error));
    }
}
