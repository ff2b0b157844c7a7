//! Text forms for people: short hashes, dates, amounts.

/// `abcdef12…7890` for a long hex value.
pub fn short(hex: &str) -> String {
    if hex.len() <= 16 {
        return hex.to_string();
    }
    format!("{}…{}", &hex[..8], &hex[hex.len() - 6..])
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC` (core's formatter,
/// so the wallet and the CLI print a block's time alike).
pub fn timestamp(ms: u64) -> String {
    simplechain_core::date::UtcTime(ms).to_string()
}

/// An amount with thin grouping: `1 000 000`.
pub fn coins(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// `value` rounded to `places` decimals (at most 3), written without the standard
/// library's float formatting (which would add its tables to the page's wasm):
/// `decimal(12.3456, 2)` is `12.35`. Negative and non-finite values are written as 0.
pub fn decimal(value: f64, places: u32) -> String {
    let scale = 10u64.pow(places.min(3));
    let scaled = (value.max(0.0) * scale as f64).round() as u64;
    match places.min(3) {
        0 => scaled.to_string(),
        p => format!(
            "{}.{:0width$}",
            scaled / scale,
            scaled % scale,
            width = p as usize
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(short(&"ab".repeat(32)), "abababab…ababab");
        assert_eq!(short("abc"), "abc");
        assert_eq!(timestamp(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(timestamp(1_763_900_000_000), "2025-11-23 12:13:20 UTC");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29 00:00:00 UTC");
        assert_eq!(coins(0), "0");
        assert_eq!(coins(1000), "1\u{202f}000");
        assert_eq!(coins(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(decimal(12.3456, 2), "12.35");
        assert_eq!(decimal(0.0444, 3), "0.044");
        assert_eq!(decimal(2.96, 1), "3.0");
        assert_eq!(decimal(1234.5, 0), "1235");
        assert_eq!(decimal(-1.0, 1), "0.0");
        assert_eq!(decimal(f64::NAN, 2), "0.00");
    }
}
