//! Decimal u64 as PROTOCOL §2 writes it: no sign, no leading zeros, `0` is zero.

use core::fmt;

/// Why a decimal field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    Empty,
    NotADigit { index: usize },
    LeadingZero,
    Overflow,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::Empty => f.write_str("empty number"),
            NumberError::NotADigit { index } => write!(f, "not a digit at position {index}"),
            NumberError::LeadingZero => f.write_str("leading zeros are not allowed"),
            NumberError::Overflow => f.write_str("number does not fit in 64 bits"),
        }
    }
}

impl core::error::Error for NumberError {}

/// Parses a canonical decimal u64.
pub fn parse_u64(text: &str) -> Result<u64, NumberError> {
    let raw = text.as_bytes();
    if raw.is_empty() {
        return Err(NumberError::Empty);
    }
    if raw.len() > 1 && raw[0] == b'0' {
        return Err(NumberError::LeadingZero);
    }
    let mut value: u64 = 0;
    for (index, &c) in raw.iter().enumerate() {
        if !c.is_ascii_digit() {
            return Err(NumberError::NotADigit { index });
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or(NumberError::Overflow)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_only() {
        assert_eq!(parse_u64("0"), Ok(0));
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_u64("18446744073709551616"),
            Err(NumberError::Overflow)
        );
        assert_eq!(parse_u64("007"), Err(NumberError::LeadingZero));
        assert_eq!(parse_u64("+7"), Err(NumberError::NotADigit { index: 0 }));
        assert_eq!(parse_u64("-7"), Err(NumberError::NotADigit { index: 0 }));
        assert_eq!(parse_u64(""), Err(NumberError::Empty));
        assert_eq!(parse_u64("1 "), Err(NumberError::NotADigit { index: 1 }));
    }
}
