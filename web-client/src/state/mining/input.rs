//! What the Mine section's fields say, read and checked, and what a rate means in
//! seconds per block.

use super::MineError;

/// The most workers the page starts.
pub const MAX_THREADS: u32 = 64;

/// Seconds a block takes on average at `rate` hashes per second: each hash meets
/// `difficulty` leading zero bits with probability 2^-difficulty.
pub fn expected_secs(difficulty: u64, rate: f64) -> Option<f64> {
    (rate > 0.0).then(|| 2f64.powi(difficulty.min(1023) as i32) / rate)
}

/// Reads the workers field: 1 to [`MAX_THREADS`].
pub fn read_threads(text: &str) -> Result<u32, MineError> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(MineError::Threads),
    }
}

/// Reads the cap field: empty for no cap, else a whole number of hashes per second.
pub fn read_cap(text: &str) -> Result<Option<u64>, MineError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(MineError::Cap),
    }
}
