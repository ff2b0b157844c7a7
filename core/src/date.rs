//! Block timestamps (milliseconds since the Unix epoch) as dates for people:
//! `YYYY-MM-DD HH:MM:SS UTC`, the one form the CLI and the wallet print.

use core::fmt;

/// A time in milliseconds since the Unix epoch, displayed as `YYYY-MM-DD HH:MM:SS UTC`
/// (milliseconds dropped), as in `format!("{}", UtcTime(block.timestamp))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(pub u64);

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0 / 1000;
        let (days, rest) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days as i64);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            rest / 3600,
            rest / 60 % 60,
            rest % 60
        )
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// days-to-civil algorithm): no tables, no leap-year special cases.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::UtcTime;
    use alloc::string::ToString;

    #[test]
    fn dates() {
        for (ms, text) in [
            (0, "1970-01-01 00:00:00 UTC"),
            (999, "1970-01-01 00:00:00 UTC"),
            (1_763_900_000_000, "2025-11-23 12:13:20 UTC"),
            (951_782_400_000, "2000-02-29 00:00:00 UTC"),
            (951_868_799_000, "2000-02-29 23:59:59 UTC"),
            (4_107_542_400_000, "2100-03-01 00:00:00 UTC"),
        ] {
            assert_eq!(UtcTime(ms).to_string(), text, "{ms}");
        }
    }
}
