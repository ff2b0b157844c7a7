//! Internal errors converted to wire codes (PROTOCOL §7), in one place: a refused fork,
//! a broken transaction rule, a broken chain rule, a failed disk write, a server that
//! is stopping. Errors that belong to one situation (an unknown txid, a disabled
//! faucet) are written where that situation is, with their own words.

use crate::mempool::Refusal;
use simplechain_core::fork::ForkRejection;
use simplechain_core::ledger::TxRuleError;
use simplechain_core::protocol::{ErrorCode, ProtocolError};
use simplechain_core::validate::ChainError;
use std::fmt::Display;

/// A candidate chain the fork choice refused (`SYNC_BLOCKCHAIN`).
pub fn fork_error(rejection: ForkRejection) -> ProtocolError {
    let code = match rejection {
        ForkRejection::GenesisMismatch => ErrorCode::GenesisMismatch,
        ForkRejection::NotBetter { .. } => ErrorCode::NotBetter,
        ForkRejection::ReorgTooDeep { .. } => ErrorCode::ReorgTooDeep,
    };
    ProtocolError::new(code, rejection)
}

/// A transaction the mempool refused (`ADD_TRANSACTION`, `FAUCET`).
pub fn refusal(refusal: Refusal) -> ProtocolError {
    let code = match refusal {
        Refusal::AlreadyPending | Refusal::AlreadyConfirmed => ErrorCode::Duplicate,
        Refusal::Full { .. } => ErrorCode::MempoolFull,
        Refusal::Overspend { .. } => ErrorCode::InsufficientFunds,
        Refusal::Rule(rule) => match rule {
            TxRuleError::ZeroAmount | TxRuleError::BalanceOverflow => ErrorCode::InvalidAmount,
            TxRuleError::SelfTransfer => ErrorCode::BadRequest,
            TxRuleError::BadNonce { .. } => ErrorCode::BadNonce,
            TxRuleError::InsufficientFunds { .. } => ErrorCode::InsufficientFunds,
        },
    };
    ProtocolError::new(code, refusal)
}

/// A candidate chain that breaks a consensus rule (PROTOCOL §5).
pub fn invalid_chain(error: ChainError) -> ProtocolError {
    ProtocolError::new(ErrorCode::InvalidChain, error)
}

/// A submitted block that breaks a consensus rule (PROTOCOL §9):
/// `invalid_block:<height>:<reason naming the rule>`.
pub fn invalid_block(error: ChainError) -> ProtocolError {
    ProtocolError::new(
        ErrorCode::InvalidBlock,
        format!("{}:{}", error.height, error.rule),
    )
}

/// A change the disk refused: nothing was acknowledged.
pub fn not_saved(error: impl Display) -> ProtocolError {
    internal(format!("the server could not save the change: {error}"))
}

/// The sequencer is gone: the server is stopping.
pub fn shutting_down() -> ProtocolError {
    internal("the server is shutting down")
}

/// Anything else that went wrong inside the server.
pub fn internal(message: impl Display) -> ProtocolError {
    ProtocolError::new(ErrorCode::Internal, message)
}
