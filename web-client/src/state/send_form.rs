//! What the send form accepts: a receiver and an amount as typed, checked while the
//! user types (by the form) and again on review (by the reducer).

use simplechain_core::Address;
use simplechain_core::hex::HexError;
use std::num::ParseIntError;

/// Why the send form's receiver or amount cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFormError {
    /// No receiver typed.
    NoReceiver,
    /// Not 64 hexadecimal characters; `chars` were typed.
    ReceiverShape {
        chars: usize,
    },
    /// 64 hex characters that still are not an address.
    NotAnAddress(HexError),
    /// The wallet's own address.
    OwnAddress,
    /// No amount typed.
    NoAmount,
    /// Anything but digits.
    NotWholeCoins,
    /// More digits than a `u64` holds.
    AmountTooLarge(ParseIntError),
    ZeroAmount,
    /// More than the `spendable` coins.
    MoreThanSpendable {
        spendable: u64,
    },
}

impl std::error::Error for SendFormError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SendFormError::NotAnAddress(cause) => Some(cause),
            SendFormError::AmountTooLarge(cause) => Some(cause),
            _ => None,
        }
    }
}

/// Checks a receiver as typed: the address, or what is wrong with it.
pub fn check_receiver(text: &str, own: Option<Address>) -> Result<Address, SendFormError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SendFormError::NoReceiver);
    }
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SendFormError::ReceiverShape {
            chars: text.chars().count(),
        });
    }
    let address: Address = text.parse().map_err(SendFormError::NotAnAddress)?;
    if Some(address) == own {
        return Err(SendFormError::OwnAddress);
    }
    Ok(address)
}

/// Checks an amount as typed against what the wallet can spend.
pub fn check_amount(text: &str, spendable: u64) -> Result<u64, SendFormError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SendFormError::NoAmount);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SendFormError::NotWholeCoins);
    }
    let amount: u64 = text.parse().map_err(SendFormError::AmountTooLarge)?;
    if amount == 0 {
        return Err(SendFormError::ZeroAmount);
    }
    if amount > spendable {
        return Err(SendFormError::MoreThanSpendable { spendable });
    }
    Ok(amount)
}
