//! What one load phase measured: its rate, and its latencies with their quantiles.

/// What one ingest phase measured.
#[derive(Debug)]
pub struct Outcome {
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub rejected: u64,
    /// Every request's latency, sorted, and the phase's length (to join phases).
    pub latencies_ms: Vec<f64>,
    pub elapsed_s: f64,
}

impl Outcome {
    /// `total` requests answered in `elapsed_s` seconds, with these latencies.
    pub fn of(total: usize, elapsed_s: f64, mut latencies_ms: Vec<f64>, rejected: u64) -> Outcome {
        latencies_ms.sort_by(f64::total_cmp);
        Outcome {
            rate: total as f64 / elapsed_s,
            p50_ms: percentile(&latencies_ms, 0.50),
            p99_ms: percentile(&latencies_ms, 0.99),
            rejected,
            latencies_ms,
            elapsed_s,
        }
    }

    /// Phases run one after the other, as one: their requests over their summed time.
    pub fn joined(parts: Vec<Outcome>) -> Outcome {
        let elapsed_s = parts.iter().map(|p| p.elapsed_s).sum();
        let rejected = parts.iter().map(|p| p.rejected).sum();
        let latencies: Vec<f64> = parts.into_iter().flat_map(|p| p.latencies_ms).collect();
        Outcome::of(latencies.len(), elapsed_s, latencies, rejected)
    }
}

/// The `p` quantile (0 to 1) of sorted values (0 when there are none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * p) as usize)
        .copied()
        .unwrap_or(0.0)
}
