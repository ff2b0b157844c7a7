//! The server's clock: wall time in milliseconds, as block timestamps and the "not more
//! than 2 hours in the future" rule (PROTOCOL §5) count it.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
