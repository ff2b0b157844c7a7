//! The benchmark's figures, their ratios, and how they are printed.

use serde::Serialize;

/// Everything one run measured.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Figures {
    /// Strict verifications per second on one core.
    pub verify_1core: f64,
    /// Nonce search, hashes per second on one core: `BlockHeader::mine` (midstate).
    pub mine_midstate_1core: f64,
    /// The same search hashing the whole header message per nonce.
    pub mine_naive_1core: f64,
    /// `simplechain mine`'s loop (`NonceSearch::run`: midstate, best hash kept).
    pub mine_miner_1core: f64,
    /// Milliseconds from SUBMIT_BLOCK of a 4096-transaction block to SUBMITTED (None:
    /// skipped).
    pub submit_4096_ms: Option<f64>,
    /// Milliseconds from the last SUBMIT_BLOCK of a heavier branch to SUBMITTED with
    /// replaced = 10, and = 100.
    pub reorg_10_ms: Option<f64>,
    pub reorg_100_ms: Option<f64>,
    /// An empty block submitted on the main tip, and on a side branch: p50 and p99
    /// milliseconds from SUBMIT_BLOCK to SUBMITTED (None: skipped).
    pub tip_block_ms: Option<(f64, f64)>,
    pub side_block_ms: Option<(f64, f64)>,
    /// Transactions per second with one request in flight on one connection (each sent
    /// when the last was answered), and their latency.
    pub one_in_flight: f64,
    pub one_in_flight_p50_ms: f64,
    pub one_in_flight_p99_ms: f64,
    /// The disk's floor (`disk_floor.rs`), measured between the 1-in-flight phase's
    /// rounds: a synced 4 KiB write one at a time, its latency and one over its mean.
    pub disk_floor_p50_ms: f64,
    pub disk_floor_p99_ms: f64,
    pub disk_floor_mean_ms: f64,
    pub disk_floor_writes_per_s: f64,
    /// Two such writers at once: each write's latency, and writes per second together.
    pub disk_two_p50_ms: f64,
    pub disk_two_p99_ms: f64,
    pub disk_two_writes_per_s: f64,
    /// Transactions per second accepted with durable SUCCESS over TCP, at peak.
    pub ingest_tcp: f64,
    pub ingest_p50_ms: f64,
    pub ingest_p99_ms: f64,
    /// Latency at half the peak rate.
    pub half_rate_p50_ms: f64,
    pub half_rate_p99_ms: f64,
    /// Latency at the other fractions of the peak rate asked for (`--latency-at`).
    pub paced: Vec<PacedLatency>,
    /// The same through the WebSocket relay (None if the phase was skipped).
    pub ingest_ws: Option<f64>,
    /// Transactions per second checked by VALIDATE_BLOCKCHAIN.
    pub validate: f64,
    /// Seconds for a client to fetch (GET_BLOCKS) and verify the whole chain.
    pub sync_catch_up_s: f64,
    /// Transactions in the chain that validate and sync_catch_up covered.
    pub chain_transactions: u64,
    /// Peak resident memory of the server process.
    pub peak_rss_mib: Option<f64>,
    pub disk_bytes_per_tx: f64,
    /// Requests answered with an ERROR (must be 0 for a clean run).
    pub rejected: u64,
    pub ingest_tcp_over_verify_1core: f64,
    pub ingest_ws_over_ingest_tcp: Option<f64>,
    pub validate_over_verify_1core: f64,
    pub mine_midstate_over_naive: f64,
    /// 1 in flight against the disk's floor: tx/s over writes/s, p99 over p99.
    pub one_in_flight_over_disk_floor: f64,
    pub one_in_flight_p99_over_disk_p99: f64,
    /// Two writers' writes/s over one's: about 2 in parallel, about 1 in series.
    pub disk_two_over_one: f64,
}

/// The latency of a load paced at a fraction of the peak rate.
#[derive(Debug, Clone, Serialize)]
pub struct PacedLatency {
    /// The fraction of the peak rate (0 to 1).
    pub fraction: f64,
    /// The rate sent at, transactions per second.
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

impl PacedLatency {
    /// Its row of the table.
    fn row(&self) -> (String, String, String) {
        (
            format!(
                "ingest latency p50 / p99 ({:.0}% of peak)",
                self.fraction * 100.0
            ),
            format!(
                "{:.2} / {:.2} ms at {:.0} tx/s",
                self.p50_ms, self.p99_ms, self.rate
            ),
            String::new(),
        )
    }
}

impl Figures {
    /// Takes the disk probe's figures.
    pub fn set_disk_floor(&mut self, floor: &super::disk_floor::DiskFloor) {
        self.disk_floor_p50_ms = floor.alone.p50_ms;
        self.disk_floor_p99_ms = floor.alone.p99_ms;
        self.disk_floor_mean_ms = floor.alone.mean_ms;
        self.disk_floor_writes_per_s = 1e3 / floor.alone.mean_ms;
        self.disk_two_p50_ms = floor.two.p50_ms;
        self.disk_two_p99_ms = floor.two.p99_ms;
        self.disk_two_writes_per_s = floor.two.per_s;
        self.disk_two_over_one = floor.overlap();
    }

    /// Computes the ratios.
    pub fn finish(&mut self) {
        self.one_in_flight_over_disk_floor = self.one_in_flight / self.disk_floor_writes_per_s;
        self.one_in_flight_p99_over_disk_p99 = self.one_in_flight_p99_ms / self.disk_floor_p99_ms;
        self.ingest_tcp_over_verify_1core = self.ingest_tcp / self.verify_1core;
        self.ingest_ws_over_ingest_tcp = self.ingest_ws.map(|w| w / self.ingest_tcp);
        self.validate_over_verify_1core = self.validate / self.verify_1core;
        self.mine_midstate_over_naive = self.mine_midstate_1core / self.mine_naive_1core;
    }

    /// The human-readable table, with the goals of issue 5.
    pub fn table(&self) -> String {
        let opt = |v: Option<f64>, unit: &str| {
            v.map_or("skipped".to_string(), |v| format!("{v:.0} {unit}"))
        };
        let opt_ms = |v: Option<f64>| v.map_or("skipped".to_string(), |v| format!("{v:.1} ms"));
        let opt_p50_p99 = |v: Option<(f64, f64)>| {
            v.map_or("skipped".to_string(), |(p50, p99)| {
                format!("{p50:.2} / {p99:.2} ms")
            })
        };
        let ratio = |v: Option<f64>| v.map_or("skipped".to_string(), |v| format!("{v:.2}"));
        let mut rows: Vec<(String, String, String)> = vec![
            (
                "verify_1core".into(),
                format!("{:.0} verifications/s", self.verify_1core),
                "yardstick".into(),
            ),
            (
                "nonce search, midstate (1 core)".into(),
                format!("{:.0} hashes/s", self.mine_midstate_1core),
                String::new(),
            ),
            (
                "nonce search, naive (1 core)".into(),
                format!("{:.0} hashes/s", self.mine_naive_1core),
                String::new(),
            ),
            (
                "nonce search, `mine` loop (1 core)".into(),
                format!("{:.0} hashes/s", self.mine_miner_1core),
                String::new(),
            ),
            (
                "submit a 4096-tx block".into(),
                opt_ms(self.submit_4096_ms),
                String::new(),
            ),
            (
                "reorg of 10 blocks".into(),
                opt_ms(self.reorg_10_ms),
                String::new(),
            ),
            (
                "reorg of 100 blocks".into(),
                opt_ms(self.reorg_100_ms),
                String::new(),
            ),
            (
                "empty block on the tip p50 / p99".into(),
                opt_p50_p99(self.tip_block_ms),
                String::new(),
            ),
            (
                "empty side block p50 / p99".into(),
                opt_p50_p99(self.side_block_ms),
                String::new(),
            ),
            (
                "1 in flight".into(),
                format!("{:.0} tx/s", self.one_in_flight),
                String::new(),
            ),
            (
                "1 in flight latency p50 / p99".into(),
                format!(
                    "{:.2} / {:.2} ms",
                    self.one_in_flight_p50_ms, self.one_in_flight_p99_ms
                ),
                String::new(),
            ),
            (
                "disk floor: synced 4 KiB write".into(),
                format!(
                    "p50 {:.2} / p99 {:.2} / mean {:.2} ms",
                    self.disk_floor_p50_ms, self.disk_floor_p99_ms, self.disk_floor_mean_ms
                ),
                String::new(),
            ),
            (
                "disk floor: one at a time".into(),
                format!("{:.0} writes/s (1 / mean)", self.disk_floor_writes_per_s),
                String::new(),
            ),
            (
                "disk floor: two at once".into(),
                format!(
                    "{:.0} writes/s, p50 {:.2} / p99 {:.2} ms",
                    self.disk_two_writes_per_s, self.disk_two_p50_ms, self.disk_two_p99_ms
                ),
                String::new(),
            ),
            (
                "disk: two at once / one at a time".into(),
                format!(
                    "{:.2} ({})",
                    self.disk_two_over_one,
                    if self.disk_two_over_one >= 1.5 {
                        "in parallel"
                    } else if self.disk_two_over_one <= 1.2 {
                        "in series"
                    } else {
                        "partly overlapped"
                    }
                ),
                "2 parallel, 1 series".into(),
            ),
            (
                "1 in flight tx/s / disk floor writes/s".into(),
                format!("{:.2}", self.one_in_flight_over_disk_floor),
                "<= 1".into(),
            ),
            (
                "1 in flight p99 / disk p99".into(),
                format!("{:.2}", self.one_in_flight_p99_over_disk_p99),
                String::new(),
            ),
            (
                "ingest_tcp".into(),
                format!("{:.0} tx/s", self.ingest_tcp),
                String::new(),
            ),
            (
                "ingest latency p50 / p99 (peak)".into(),
                format!("{:.2} / {:.2} ms", self.ingest_p50_ms, self.ingest_p99_ms),
                String::new(),
            ),
            (
                "ingest latency p50 / p99 (half rate)".into(),
                format!(
                    "{:.2} / {:.2} ms",
                    self.half_rate_p50_ms, self.half_rate_p99_ms
                ),
                "p99 <= 5 ms".into(),
            ),
        ];
        rows.extend(self.paced.iter().map(PacedLatency::row));
        rows.extend(vec![
            (
                "ingest_ws".into(),
                opt(self.ingest_ws, "tx/s"),
                String::new(),
            ),
            (
                "validate".into(),
                format!(
                    "{:.0} tx/s over {} tx",
                    self.validate, self.chain_transactions
                ),
                String::new(),
            ),
            (
                "sync_catch_up".into(),
                format!("{:.2} s", self.sync_catch_up_s),
                String::new(),
            ),
            (
                "peak server RSS".into(),
                opt(self.peak_rss_mib, "MiB"),
                String::new(),
            ),
            (
                "disk per transaction".into(),
                format!("{:.0} bytes", self.disk_bytes_per_tx),
                String::new(),
            ),
            (
                "rejected requests".into(),
                self.rejected.to_string(),
                "0".into(),
            ),
            (
                "ingest_tcp / verify_1core".into(),
                format!("{:.2}", self.ingest_tcp_over_verify_1core),
                ">= 1.5".into(),
            ),
            (
                "ingest_ws / ingest_tcp".into(),
                ratio(self.ingest_ws_over_ingest_tcp),
                ">= 0.8".into(),
            ),
            (
                "validate / verify_1core".into(),
                format!("{:.2}", self.validate_over_verify_1core),
                ">= 3".into(),
            ),
            (
                "nonce search midstate / naive".into(),
                format!("{:.2}", self.mine_midstate_over_naive),
                "> 1".into(),
            ),
        ]);
        let mut out = format!("{:<38} {:<34} {}\n", "figure", "value", "goal");
        for (name, value, goal) in rows {
            out.push_str(&format!("{name:<38} {value:<34} {goal}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_paced_latency_has_its_row_after_the_half_rate_one() {
        let figures = Figures {
            half_rate_p99_ms: 12.5,
            paced: vec![
                PacedLatency {
                    fraction: 0.1,
                    rate: 2_050.0,
                    p50_ms: 0.8,
                    p99_ms: 4.54,
                },
                PacedLatency {
                    fraction: 0.25,
                    rate: 5_125.0,
                    p50_ms: 1.2,
                    p99_ms: 6.4,
                },
            ],
            ..Figures::default()
        };
        let table = figures.table();
        let lines: Vec<&str> = table.lines().collect();
        let at = |needle: &str| {
            lines
                .iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no row with {needle:?} in\n{table}"))
        };
        let half = at("(half rate)");
        let ten = at("(10% of peak)");
        let quarter = at("(25% of peak)");
        assert_eq!((ten, quarter), (half + 1, half + 2));
        assert!(
            lines[ten].contains("0.80 / 4.54 ms at 2050 tx/s"),
            "{}",
            lines[ten]
        );
        assert!(lines[quarter + 1].starts_with("ingest_ws"));
    }
}
