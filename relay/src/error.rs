//! Why the relay stopped: [`RelayError`], with the I/O error underneath kept as its
//! `source()`.

use std::fmt;
use std::io;

/// A failure of [`crate::run`].
#[derive(Debug)]
#[non_exhaustive]
pub enum RelayError {
    /// The listener could not say its own address (the socket is unusable).
    LocalAddr(io::Error),
    /// Accepting or serving HTTP connections failed.
    Serve(io::Error),
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::LocalAddr(_) => f.write_str("the relay's listener has no local address"),
            RelayError::Serve(_) => f.write_str("the relay stopped serving"),
        }
    }
}

impl std::error::Error for RelayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RelayError::LocalAddr(e) | RelayError::Serve(e) => Some(e),
        }
    }
}
