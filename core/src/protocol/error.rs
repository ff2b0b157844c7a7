//! `ERROR:<code>:<human-readable text>` (PROTOCOL §7).

use alloc::string::{String, ToString};
use core::fmt;
use core::str::FromStr;

/// The error codes of PROTOCOL §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadRequest,
    UnknownCommand,
    TooLong,
    BadSignature,
    BadNonce,
    InsufficientFunds,
    InvalidAmount,
    Duplicate,
    PrivateKeyRefused,
    MempoolFull,
    RateLimited,
    Busy,
    NotFound,
    InvalidChain,
    GenesisMismatch,
    NotBetter,
    ReorgTooDeep,
    FaucetDisabled,
    Internal,
    /// §9: a submitted block breaks a rule of §5.
    InvalidBlock,
    /// §9: a submitted block's parent is not in the tree.
    UnknownParent,
}

impl ErrorCode {
    /// Every code, in the order of PROTOCOL §7.
    pub const ALL: [ErrorCode; 21] = [
        ErrorCode::BadRequest,
        ErrorCode::UnknownCommand,
        ErrorCode::TooLong,
        ErrorCode::BadSignature,
        ErrorCode::BadNonce,
        ErrorCode::InsufficientFunds,
        ErrorCode::InvalidAmount,
        ErrorCode::Duplicate,
        ErrorCode::PrivateKeyRefused,
        ErrorCode::MempoolFull,
        ErrorCode::RateLimited,
        ErrorCode::Busy,
        ErrorCode::NotFound,
        ErrorCode::InvalidChain,
        ErrorCode::GenesisMismatch,
        ErrorCode::NotBetter,
        ErrorCode::ReorgTooDeep,
        ErrorCode::FaucetDisabled,
        ErrorCode::Internal,
        ErrorCode::InvalidBlock,
        ErrorCode::UnknownParent,
    ];

    /// The code as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::UnknownCommand => "unknown_command",
            ErrorCode::TooLong => "too_long",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::BadNonce => "bad_nonce",
            ErrorCode::InsufficientFunds => "insufficient_funds",
            ErrorCode::InvalidAmount => "invalid_amount",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::PrivateKeyRefused => "private_key_refused",
            ErrorCode::MempoolFull => "mempool_full",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Busy => "busy",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidChain => "invalid_chain",
            ErrorCode::GenesisMismatch => "genesis_mismatch",
            ErrorCode::NotBetter => "not_better",
            ErrorCode::ReorgTooDeep => "reorg_too_deep",
            ErrorCode::FaucetDisabled => "faucet_disabled",
            ErrorCode::Internal => "internal",
            ErrorCode::InvalidBlock => "invalid_block",
            ErrorCode::UnknownParent => "unknown_parent",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

/// An `ERROR` response: a code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub code: ErrorCode,
    /// One line of text (newlines are replaced when encoding).
    pub message: String,
}

impl ProtocolError {
    /// An error with this code and message.
    pub fn new(code: ErrorCode, message: impl ToString) -> Self {
        ProtocolError {
            code,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl core::error::Error for ProtocolError {}
