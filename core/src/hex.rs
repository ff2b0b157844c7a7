//! Lowercase hex, as PROTOCOL §2 writes every key, signature and hash.
//!
//! Input is case-insensitive; output is always lowercase.

use core::fmt;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Why a hex string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexError {
    /// The string has `found` characters; `expected` were needed.
    WrongLength { expected: usize, found: usize },
    /// The character at byte offset `index` is not a hex digit.
    InvalidCharacter { index: usize },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::WrongLength { expected, found } => {
                write!(f, "expected {expected} hex characters, found {found}")
            }
            HexError::InvalidCharacter { index } => {
                write!(f, "invalid hex character at position {index}")
            }
        }
    }
}

impl core::error::Error for HexError {}

/// Writes `bytes` as lowercase hex to `f` without allocating.
pub fn write_hex(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    let mut buf = [0u8; 128];
    for chunk in bytes.chunks(64) {
        for (i, b) in chunk.iter().enumerate() {
            buf[2 * i] = DIGITS[(b >> 4) as usize];
            buf[2 * i + 1] = DIGITS[(b & 0x0f) as usize];
        }
        // Only ASCII hex digits were written.
        let text = core::str::from_utf8(&buf[..2 * chunk.len()]).map_err(|_| fmt::Error)?;
        f.write_str(text)?;
    }
    Ok(())
}

/// Decodes exactly `out.len()` bytes from `text`, accepting either case.
pub fn decode_into(text: &str, out: &mut [u8]) -> Result<(), HexError> {
    let raw = text.as_bytes();
    if raw.len() != out.len() * 2 {
        return Err(HexError::WrongLength {
            expected: out.len() * 2,
            found: raw.len(),
        });
    }
    for (i, slot) in out.iter_mut().enumerate() {
        let hi = nibble(raw[2 * i]).ok_or(HexError::InvalidCharacter { index: 2 * i })?;
        let lo = nibble(raw[2 * i + 1]).ok_or(HexError::InvalidCharacter { index: 2 * i + 1 })?;
        *slot = (hi << 4) | lo;
    }
    Ok(())
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn round_trip_and_case() {
        let mut s = String::new();
        write_hex(&mut s, &[0x00, 0xab, 0xff]).unwrap();
        assert_eq!(s, "00abff");
        let mut out = [0u8; 3];
        decode_into("00ABfF", &mut out).unwrap();
        assert_eq!(out, [0x00, 0xab, 0xff]);
    }

    #[test]
    fn errors_name_the_problem() {
        let mut out = [0u8; 2];
        assert_eq!(
            decode_into("abc", &mut out),
            Err(HexError::WrongLength {
                expected: 4,
                found: 3
            })
        );
        assert_eq!(
            decode_into("ab-c", &mut out),
            Err(HexError::InvalidCharacter { index: 2 })
        );
        assert_eq!(
            decode_into("abé", &mut out).unwrap_err(),
            HexError::InvalidCharacter { index: 2 }
        );
    }
}
