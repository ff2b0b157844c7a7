//! The "1 in flight" phase: one connection, one `ADD_TRANSACTION` at a time, each sent
//! when the last was answered. What a wallet, a script or `simplechain send` feels:
//! the latency of one durable acknowledgement, with nothing to share it with.
//!
//! It runs in rounds, each followed by a round of the disk probe (`disk_floor.rs`) on
//! the same file system, so that the disk's floor is measured at the same time as what
//! the server made of it (on this shared VM the disk changes within seconds).

use super::disk_floor::{DiskFloor, Probe};
use super::load::{self, Plan};
use super::outcome::Outcome;
use std::path::Path;

/// Rounds of requests, each followed by a round of the probe.
const ROUNDS: usize = 10;

/// Sends `count` pre-signed transfers over one connection, one at a time, in rounds;
/// between them, `count` synced writes of the disk probe in all (each way) in `dir`.
pub async fn measure(
    address: &str,
    plan: &mut Plan,
    count: usize,
    dir: &Path,
) -> anyhow::Result<(Outcome, DiskFloor)> {
    let mut probe = Probe::create(dir, count)?;
    let mut parts = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let share = count * (round + 1) / ROUNDS - count * round / ROUNDS;
        // Each sender's transfers stay in nonce order: `take` keeps them in order
        // within their connection, and the connections' lines are joined one after
        // the other; later rounds take later nonces.
        let lines: Vec<String> = plan.take(share).into_iter().flatten().collect();
        parts.push(load::ingest_tcp(address, vec![lines], 1, None).await?);
        probe = tokio::task::spawn_blocking(move || probe.round(share).map(|()| probe)).await??;
    }
    let floor = probe.finish()?;
    Ok((Outcome::joined(parts), floor))
}
