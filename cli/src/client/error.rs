//! What can go wrong talking to a server: [`ClientError`], with the I/O or decoding
//! error underneath kept as its `source()`, and [`Refused`], the server's own `ERROR`.

use simplechain_core::protocol::{ErrorCode, LineError, ProtocolError, Response};
use std::fmt;
use std::io;
use std::time::Duration;

/// A failure of a [`super::Client`] call. Each variant prints as one sentence; the
/// cause, where there is one, is [`std::error::Error::source`] (so `anyhow`'s `{:#}`
/// prints `sentence: cause`).
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The TCP connection could not be opened.
    Connect { address: String, source: io::Error },
    /// Reading from or writing to the connection failed.
    Io { address: String, source: io::Error },
    /// The server closed the connection while an answer was awaited.
    Closed { address: String },
    /// The server sent a line over `limit` bytes
    /// ([`MAX_SERVER_LINE`](simplechain_core::protocol::MAX_SERVER_LINE)); it was not
    /// kept, and the connection reads nothing more.
    LineTooLong { address: String, limit: usize },
    /// The server sent a line that is not UTF-8.
    NotUtf8 { address: String },
    /// A line that is neither a response nor an event (PROTOCOL §7); its sentence says
    /// what was wrong with it.
    BadLine(LineError),
    /// A well-formed response that does not answer the request.
    UnexpectedResponse(Box<Response>),
    /// A response where only an event could come (no request was in flight).
    ResponseInsteadOfEvent(Box<Response>),
    /// A `BLOCKS` payload that does not decode as a chain.
    BadBlocks(serde_json::Error),
    /// The server answered `ERROR`.
    Refused(Refused),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect { address, .. } => write!(
                f,
                "cannot connect to the server at {address} (is `simplechain server` running?)"
            ),
            ClientError::Io { address, .. } => write!(f, "lost the connection to {address}"),
            ClientError::Closed { address } => {
                write!(f, "the server at {address} closed the connection")
            }
            ClientError::LineTooLong { address, limit } => {
                write!(
                    f,
                    "the server at {address} sent a line over {limit} bytes; fetch the chain \
                     in pages instead (`simplechain blocks --from N`)"
                )
            }
            ClientError::NotUtf8 { address } => {
                write!(f, "the server at {address} sent a line that is not UTF-8")
            }
            ClientError::BadLine(e) => e.fmt(f),
            ClientError::UnexpectedResponse(response) => write!(
                f,
                "unexpected response from the server: {}",
                response.encode().chars().take(120).collect::<String>()
            ),
            ClientError::ResponseInsteadOfEvent(response) => {
                write!(
                    f,
                    "unexpected response while waiting for an event: {}",
                    response.encode().chars().take(120).collect::<String>()
                )
            }
            ClientError::BadBlocks(_) => f.write_str("the server sent blocks that do not decode"),
            ClientError::Refused(refused) => refused.fmt(f),
        }
    }
}

impl std::error::Error for ClientError {
    /// The I/O or JSON error underneath. `BadLine` and `Refused` print their whole
    /// story themselves, so they have none (it would be printed twice).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Connect { source, .. } | ClientError::Io { source, .. } => Some(source),
            ClientError::BadBlocks(e) => Some(e),
            ClientError::Closed { .. }
            | ClientError::LineTooLong { .. }
            | ClientError::NotUtf8 { .. }
            | ClientError::BadLine(_)
            | ClientError::UnexpectedResponse(_)
            | ClientError::ResponseInsteadOfEvent(_)
            | ClientError::Refused(_) => None,
        }
    }
}

impl ClientError {
    /// For a `rate_limited` refusal (a connection's share of heavy requests, PROTOCOL
    /// §7), how long it asks to wait: its "retry … in N s", at least 50 ms and at most
    /// 5 s (1 s if it names no time). `None` for every other error.
    pub fn retry_after(&self) -> Option<Duration> {
        let ClientError::Refused(Refused(e)) = self else {
            return None;
        };
        if e.code != ErrorCode::RateLimited {
            return None;
        }
        let seconds = e
            .message
            .rsplit_once(" in ")
            .and_then(|(_, rest)| rest.trim_end_matches(" s").parse::<f64>().ok())
            .unwrap_or(1.0);
        Some(Duration::from_secs_f64(seconds.clamp(0.05, 5.0)))
    }
}

impl From<Refused> for ClientError {
    fn from(refused: Refused) -> Self {
        ClientError::Refused(refused)
    }
}

impl From<LineError> for ClientError {
    fn from(e: LineError) -> Self {
        ClientError::BadLine(e)
    }
}

/// A refusal by the server, kept typed so that callers can look at the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub ProtocolError);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server refused: {} ({})",
            self.0.message, self.0.code
        )
    }
}

impl std::error::Error for Refused {}
