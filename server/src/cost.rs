//! Per-connection cost accounting, in the spirit of ElectrumX's session costs: heavy
//! requests (whole-chain downloads, full validation, sync) draw from a bucket that
//! refills over time, so one client flooding them cannot starve the others. Cheap
//! requests cost nothing. Pure logic: the caller passes the clock.

use std::time::{Duration, Instant};

/// A token bucket of cost units.
#[derive(Debug, Clone)]
pub struct CostBucket {
    capacity: f64,
    per_second: f64,
    level: f64,
    updated: Instant,
}

/// How much a heavy request costs, in units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost(pub f64);

impl Cost {
    /// `VALIDATE_BLOCKCHAIN` over a chain of `transactions`.
    pub fn validate(transactions: u64) -> Cost {
        Cost(10.0 + transactions as f64 / 10_000.0)
    }

    /// Sending or receiving `bytes` of chain JSON (`GET_BLOCKCHAIN`, `SYNC_BLOCKCHAIN`).
    pub fn chain_bytes(bytes: usize) -> Cost {
        Cost(2.0 + bytes as f64 / (1 << 20) as f64)
    }

    /// A page of `bytes` of blocks (`GET_BLOCKS`): a little per request, and the bytes
    /// as for a whole chain.
    pub fn blocks_page(bytes: usize) -> Cost {
        Cost(0.25 + bytes as f64 / (1 << 20) as f64)
    }

    /// A heavy job (validation, sync) that kept a blocking thread busy for `elapsed`:
    /// [`Cost::PER_HEAVY_SECOND`] units a second. Charged after the job, on top of
    /// its estimate, so a request is priced by the time it really took.
    pub fn heavy_time(elapsed: Duration) -> Cost {
        Cost(elapsed.as_secs_f64() * Self::PER_HEAVY_SECOND)
    }

    /// What one second of heavy work costs. With the default refill of 2 units a second,
    /// one connection can keep the heavy worker busy at most a fifth of the time.
    pub const PER_HEAVY_SECOND: f64 = 10.0;
}

impl CostBucket {
    /// A full bucket of `capacity` units refilling at `per_second`.
    pub fn new(capacity: f64, per_second: f64, now: Instant) -> Self {
        CostBucket {
            capacity,
            per_second,
            level: capacity,
            updated: now,
        }
    }

    /// Takes `cost` whatever the level (it may go below zero): for work already done,
    /// so that the next request waits for it to be paid back.
    pub fn charge(&mut self, cost: Cost, now: Instant) {
        let _ = self.take(Cost(0.0), now);
        self.level = (self.level - cost.0).max(-self.capacity);
    }

    /// Gives `cost` back (a request refused after it was charged), up to the capacity.
    pub fn refund(&mut self, cost: Cost) {
        self.level = (self.level + cost.0).min(self.capacity);
    }

    /// Takes `cost` if the bucket holds it; otherwise says how long until it will.
    pub fn take(&mut self, cost: Cost, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.level = (self.level + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
        // A request larger than the whole bucket is allowed when the bucket is full.
        let needed = cost.0.min(self.capacity);
        if self.level >= needed {
            self.level -= needed;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(if self.per_second > 0.0 {
                (needed - self.level) / self.per_second
            } else {
                f64::from(u32::MAX)
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_then_refills() {
        let t0 = Instant::now();
        let mut b = CostBucket::new(30.0, 2.0, t0);
        assert!(b.take(Cost::validate(0), t0).is_ok());
        assert!(b.take(Cost::validate(0), t0).is_ok());
        assert!(b.take(Cost::validate(0), t0).is_ok());
        let wait = b.take(Cost::validate(0), t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(5));
        assert!(
            b.take(Cost::validate(0), t0 + Duration::from_secs(5))
                .is_ok()
        );
    }

    #[test]
    fn work_charged_afterwards_delays_the_next_request() {
        let t0 = Instant::now();
        let mut b = CostBucket::new(30.0, 2.0, t0);
        assert!(b.take(Cost::validate(0), t0).is_ok());
        // The validation took 5 s: 50 units more than its estimate.
        b.charge(Cost::heavy_time(Duration::from_secs(5)), t0);
        let wait = b.take(Cost::validate(0), t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
    }

    #[test]
    fn huge_requests_need_a_full_bucket() {
        let t0 = Instant::now();
        let mut b = CostBucket::new(30.0, 2.0, t0);
        assert!(b.take(Cost::chain_bytes(1 << 30), t0).is_ok());
        assert!(
            b.take(Cost::chain_bytes(1 << 30), t0 + Duration::from_secs(1))
                .is_err()
        );
        assert!(
            b.take(Cost::chain_bytes(1 << 30), t0 + Duration::from_secs(15))
                .is_ok()
        );
    }
}
