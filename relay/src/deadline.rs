//! A socket whose writes have a deadline: a write (or flush) that makes no progress for
//! the limit fails with `TimedOut`, and the connection ends.
//!
//! Every connection of the relay, HTTP and WebSocket alike, runs over one of these, so
//! a peer that stops reading cannot hold the relay's buffers (a static file's body, a
//! WebSocket's answers and its automatic pongs) for longer than the limit. Any
//! progress starts the clock again: a slow reader is served, a stopped one is not.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// `inner`, with a deadline on each write that waits.
#[derive(Debug)]
pub struct Deadline<T> {
    inner: T,
    /// How long a write may wait for the peer.
    limit: Duration,
    /// Running while a write waits; cleared by any progress.
    waiting: Option<Pin<Box<Sleep>>>,
}

impl<T> Deadline<T> {
    /// Wraps `inner`: a write waiting longer than `limit` fails.
    pub fn new(inner: T, limit: Duration) -> Self {
        Deadline {
            inner,
            limit,
            waiting: None,
        }
    }

    /// Called when the inner write is pending: fails once the deadline has passed.
    fn check<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let limit = self.limit;
        let timer = self
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the peer took no data for {} s", limit.as_secs()),
        )))
    }

    fn progress<R>(
        &mut self,
        result: Poll<io::Result<R>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Ready(r) => {
                self.waiting = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.check(cx),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Deadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Deadline<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progress(result, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progress(result, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.progress(result, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.progress(result, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_write_nobody_reads_fails_after_the_limit() {
        let (a, _b) = tokio::io::duplex(1024);
        let mut a = Deadline::new(a, Duration::from_millis(100));
        let started = std::time::Instant::now();
        let result = a.write_all(&[0; 4096]).await;
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
